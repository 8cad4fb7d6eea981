/**
 * The built-in pack's templates, compiled when bg-scaffold is built rather than on every run:
 * compiling them all took about a quarter of a generation's time (bench/README.md, CLI speed).
 *
 * `npm run build` writes the module beside the compiled renderer (scripts/precompile-templates.ts).
 * Each entry carries a hash of its template's source: a template edited since the build, or a
 * missing module (under vitest, from src/), falls back to compiling at run time. Only the
 * built-in pack is precompiled: a user's pack is read, checked and compiled when it is used.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const PRECOMPILED_MODULE = fileURLToPath(new URL('./builtin-templates.precompiled.cjs', import.meta.url));

export interface PrecompiledTemplate {
  /** sourceHash() of the template it was compiled from. */
  hash: string;
  spec: TemplateSpecification;
}

export function sourceHash(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 16);
}

/** The module's text: `module.exports = { "<name>": { hash, spec }, ... }`, specs as Handlebars.precompile writes them. */
export function precompiledModule(templates: ReadonlyArray<{ name: string; source: string; spec: string }>): string {
  const entries = templates.map(({ name, source, spec }) => `  ${JSON.stringify(name)}: { hash: ${JSON.stringify(sourceHash(source))}, spec: ${spec} },`);
  return ['// Written by scripts/precompile-templates.ts: the built-in templates, compiled.', 'module.exports = {', ...entries, '};', ''].join('\n');
}

/** The precompiled built-in templates by name; empty when the module is not there. */
export function loadPrecompiled(file = PRECOMPILED_MODULE): Map<string, PrecompiledTemplate> {
  if (!existsSync(file)) return new Map();
  const templates = createRequire(import.meta.url)(file) as Record<string, PrecompiledTemplate>;
  return new Map(Object.entries(templates));
}
