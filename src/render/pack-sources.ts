/**
 * Where a run's template packs come from, in the order they win:
 *   1. `--pack` flags, in the order given;
 *   2. `packs` in the project config (src/project/config.ts);
 *   3. the project folder `.bg-scaffold/templates/`, when present;
 *   4. the built-in pack.
 * A pack is a folder, or an npm package installed for the project, with `pack.json` at its root
 * declaring the template API it was written for. Packs named in 1 and 2 run their `helpers.js`;
 * the project folder is used because it is there, so it never runs code.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { fail } from '../errors.js';
import type { ProjectConfig } from '../project/config.js';
import { templateHelpers, type TemplateHelper } from './helpers.js';
import {
  builtinPack,
  describePack,
  HANDLEBARS_BUILTINS,
  PACK_MANIFEST,
  type PackOrigin,
  TEMPLATE_API_VERSION,
  templateFile,
  templateNames,
  type TemplatePack,
} from './pack.js';
import { toolVersion } from '../package-root.js';
import { isDirectory, isPackageName, packSpec } from './pack-spec.js';

export { isPackageName, packSpec } from './pack-spec.js';
import { runtimeFileName } from '../runtime/runtime.js';

/**
 * The template the runtime was rendered from until runtime v2 made it a static file (src/runtime/):
 * a pack that still has it expects its copy to be used, so it is refused rather than ignored.
 */
export const RETIRED_RUNTIME_TEMPLATE = 'migrations/bg_scaffold_ops';

/** The project-local pack, which `templates eject` fills. */
export const PROJECT_TEMPLATES_DIR = '.bg-scaffold/templates';

/** A pack's helpers, in the order looked for; a pack has at most one. */
export const HELPER_FILES = ['helpers.js', 'helpers.mjs', 'helpers.cjs'] as const;

export interface PackRequest {
  /** `--pack` values, as packSpec() made them: absolute folders or npm package names. */
  flags: string[];
  config: ProjectConfig;
  /** The project folder (with manage.py): config folders and npm packages resolve from here. */
  projectDir: string;
}

/** The run's packs, first match wins, each checked (pack.json, template API, helpers). */
export function resolveTemplatePacks(request: PackRequest): TemplatePack[] {
  const { projectDir } = request;
  const packs: TemplatePack[] = [];
  const seen = new Set<string>();
  const add = (pack: TemplatePack) => {
    const key = realpathOf(pack.dir);
    if (seen.has(key)) return;
    seen.add(key);
    packs.push(pack);
  };
  for (const spec of request.flags) add(loadNamedPack(spec, projectDir, '--pack'));
  for (const spec of request.config.packs) {
    add(loadNamedPack(packSpec(spec, projectDir), projectDir, 'project config', request.config.source ?? undefined));
  }
  const local = join(projectDir, PROJECT_TEMPLATES_DIR);
  if (isDirectory(local) && (existsSync(join(local, PACK_MANIFEST)) || templateNames({ name: '', dir: local }).length > 0)) {
    add(loadTemplatePack({ name: PROJECT_TEMPLATES_DIR, dir: local, origin: 'project folder' }, { runHelpers: false }));
  }
  add(builtinPack());
  return packs;
}

/** A pack named by --pack or the config: a folder (absolute here) or an npm package. */
function loadNamedPack(spec: string, projectDir: string, origin: PackOrigin, configSource?: string): TemplatePack {
  const from = configSource ? ` in ${configSource}` : '';
  if (isAbsolute(spec)) {
    const name = displayPath(spec, projectDir);
    if (!isDirectory(spec)) fail(`template pack "${name}" (${origin}${from}): no such folder (${spec})`);
    return loadTemplatePack({ name, dir: spec, origin }, { runHelpers: true });
  }
  const dir = findPackage(spec, projectDir);
  if (!dir) {
    fail(`template pack "${spec}" (${origin}${from}): no folder of that name, and no npm package "${spec}" installed for the project (looked in node_modules from ${projectDir} up); install it, or write a folder as ./${spec}`);
  }
  return loadTemplatePack({ name: packageLabel(spec, dir), dir, origin }, { runHelpers: true });
}

/** The package's folder, found the way Node finds packages: node_modules from the project up. */
function findPackage(name: string, projectDir: string): string | null {
  const require = createRequire(join(projectDir, 'package.json'));
  for (const dir of require.resolve.paths(name) ?? []) {
    const candidate = join(dir, ...name.split('/'));
    if (isDirectory(candidate)) return candidate;
  }
  return null;
}

function packageLabel(name: string, dir: string): string {
  try {
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string };
    return version ? `${name}@${version}` : name;
  } catch {
    return name;
  }
}

/** A folder as people know it: relative to the project, or to where bg-scaffold runs, when inside; else absolute. */
function displayPath(dir: string, projectDir: string): string {
  for (const base of [projectDir, process.cwd()]) {
    const rel = relative(base, dir);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  }
  return dir;
}

/**
 * Reads a pack folder's manifest and checks its template API version; loads its helpers when
 * `runHelpers` (packs named explicitly), and otherwise only notes that a helpers file is there.
 */
export function loadTemplatePack(pack: TemplatePack, options: { runHelpers: boolean }): TemplatePack {
  const templates = templateNames(pack);
  const first = templates.find((name) => !name.startsWith('partials/')) ?? templates[0];
  const which = templates.length === 0 ? 'it has no templates' : `its templates (${templates.slice(0, 3).join(', ')}${templates.length > 3 ? ', ...' : ''})`;
  const manifestPath = join(pack.dir, PACK_MANIFEST);
  if (!existsSync(manifestPath)) {
    fail(`${describePack(pack)} has no ${PACK_MANIFEST} declaring the template API it was written for, so ${which} cannot be used; add {"templateApi": ${TEMPLATE_API_VERSION}} once they work with template API ${TEMPLATE_API_VERSION} (docs/packs.md)`);
  }
  let manifest: { templateApi?: unknown };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { templateApi?: unknown };
  } catch (error) {
    fail(`${describePack(pack)}: ${PACK_MANIFEST} is not valid JSON (${(error as Error).message})`);
  }
  const version = manifest?.templateApi;
  if (version === undefined) {
    fail(`${describePack(pack)}: ${PACK_MANIFEST} does not declare "templateApi", so ${which} cannot be used; add "templateApi": ${TEMPLATE_API_VERSION} once they work with template API ${TEMPLATE_API_VERSION} (docs/packs.md)`);
  }
  if (version !== TEMPLATE_API_VERSION) {
    const template = first ? `its template "${first}"` : 'it';
    fail(`${describePack(pack)} is written for template API ${JSON.stringify(version)}, and bg-scaffold ${toolVersion()} renders template API ${TEMPLATE_API_VERSION}: ${template} cannot be used; use a version of the pack for template API ${TEMPLATE_API_VERSION} (docs/templates.md lists what each template receives)`);
  }
  if (templates.includes(RETIRED_RUNTIME_TEMPLATE)) {
    fail(`${describePack(pack)} has the template "${RETIRED_RUNTIME_TEMPLATE}" (${templateFile(pack, RETIRED_RUNTIME_TEMPLATE)}), which nothing renders any more: the migrations' runtime is a static file, versioned by name (${runtimeFileName()}), that packs do not override; delete that template from the pack`);
  }
  const loaded: TemplatePack = { ...pack, templateApi: version };
  const helperFiles = HELPER_FILES.filter((file) => existsSync(join(pack.dir, file)));
  if (helperFiles.length > 1) fail(`${describePack(pack)} has ${helperFiles.join(' and ')}; keep its helpers in one file`);
  const helperFile = helperFiles[0];
  if (helperFile && options.runHelpers) loaded.helpers = loadHelpers(loaded, join(pack.dir, helperFile));
  else if (helperFile) loaded.helpersNotRun = helperFile;
  return loaded;
}

/**
 * The functions a helpers file exports (named exports, or an object as its default export).
 * Node loads it with require(), which reads CommonJS and (Node 20.19+) ES modules alike.
 */
function loadHelpers(pack: TemplatePack, file: string): Record<string, TemplateHelper> {
  const name = basename(file);
  let exports: Record<string, unknown>;
  try {
    exports = createRequire(import.meta.url)(file) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_REQUIRE_ESM') fail(`${describePack(pack)}: ${name} is an ES module, which this Node (${process.version}) cannot load synchronously; use Node 20.19 or newer, or write helpers.cjs`);
    if (code === 'ERR_REQUIRE_ASYNC_MODULE') fail(`${describePack(pack)}: ${name} uses top-level await, which helpers cannot`);
    fail(`${describePack(pack)}: ${name} failed to load: ${String((error as Error).message ?? error).split('\n')[0]}`);
  }
  const table: Record<string, unknown> = {};
  const fromDefault = exports.default;
  if (fromDefault && typeof fromDefault === 'object') Object.assign(table, fromDefault);
  for (const [key, value] of Object.entries(exports)) {
    if (key !== 'default' && key !== '__esModule') table[key] = value;
  }
  const helpers: Record<string, TemplateHelper> = {};
  for (const [key, value] of Object.entries(table)) {
    if (typeof value !== 'function') fail(`${describePack(pack)}: ${name} exports "${key}", which is not a function; a helpers file exports only helpers`);
    if (key in templateHelpers || HANDLEBARS_BUILTINS.has(key)) {
      fail(`${describePack(pack)}: ${name} defines "${key}", a helper of the template API; give it another name`);
    }
    helpers[key] = value as TemplateHelper;
  }
  return helpers;
}

function realpathOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
