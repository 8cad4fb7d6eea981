/**
 * Compiles the built-in pack's templates into dist/src/render/builtin-templates.precompiled.cjs,
 * which the renderer loads instead of compiling them on every run (src/render/precompiled.ts).
 * Part of `npm run build`. The templates are checked first, as a run would check them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { builtinPack, COMPILE_OPTIONS, TemplateRenderer } from '../src/render/pack.js';
import { PRECOMPILED_MODULE, precompiledModule } from '../src/render/precompiled.js';

const renderer = new TemplateRenderer([builtinPack()], new Map()); // throws on a broken template
const templates = renderer.list().map(({ name, path }) => {
  const source = readFileSync(path, 'utf8');
  return { name, source, spec: Handlebars.precompile(source, COMPILE_OPTIONS) as string };
});
writeFileSync(PRECOMPILED_MODULE, precompiledModule(templates));
console.log(`precompiled ${templates.length} built-in templates into ${PRECOMPILED_MODULE}`);
