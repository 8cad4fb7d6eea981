/**
 * `bg-scaffold templates list|eject`: which pack each template resolves from, and copies of the
 * built-in templates in the project folder `.bg-scaffold/templates/`, to customise them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, posix, relative, sep } from 'node:path';
import { fail } from '../errors.js';
import { configFilesWithSettings, readProjectConfig } from '../project/config.js';
import { builtinPack, PACK_MANIFEST, TEMPLATE_API_VERSION, templateFile, templateNames, TemplateRenderer, type PackOrigin } from '../render/pack.js';
import { PROJECT_TEMPLATES_DIR, resolveTemplatePacks } from '../render/pack-sources.js';
import { StagedTree } from '../stage/staged-tree.js';

export interface TemplatesRequest {
  /** Absolute path of the Django project (the folder with manage.py). */
  projectDir: string;
  /** --pack values: absolute folders or npm package names. */
  packs?: string[];
}

/** The `templates list --json` document. */
export interface TemplateListing {
  /** The config file whose settings apply, and those ignored because an earlier one has settings. */
  config: { source: string | null; ignored: string[] };
  /** The packs in the order they win. */
  packs: Array<{ name: string; origin: PackOrigin; dir: string; templateApi: number | null; helpers: string[]; helpersNotRun: string | null }>;
  templates: Array<{ name: string; pack: string; file: string; overrides: string[] }>;
}

function requireProject(projectDir: string): void {
  if (!existsSync(join(projectDir, 'manage.py'))) fail(`no manage.py in ${projectDir}; pass --project pointing at your Django project`);
}

/** Every template the run's packs provide and the pack it resolves from; the packs are checked as a run checks them. */
export function listTemplates(req: TemplatesRequest): TemplateListing {
  requireProject(req.projectDir);
  const config = readProjectConfig(req.projectDir);
  const packs = resolveTemplatePacks({ flags: req.packs ?? [], config, projectDir: req.projectDir });
  const renderer = new TemplateRenderer(packs);
  const withSettings = configFilesWithSettings(req.projectDir);
  return {
    config: { source: config.source, ignored: withSettings.filter((where) => where !== config.source) },
    packs: packs.map((pack) => ({
      name: pack.name,
      origin: pack.origin ?? 'built-in',
      dir: pack.dir,
      templateApi: pack.templateApi ?? null,
      helpers: Object.keys(pack.helpers ?? {}).sort(),
      helpersNotRun: pack.helpersNotRun ?? null,
    })),
    templates: renderer.list().map((template) => ({
      name: template.name,
      pack: template.pack.name,
      file: displayFile(template.path, req.projectDir),
      overrides: template.overrides.map((pack) => pack.name),
    })),
  };
}

function displayFile(path: string, projectDir: string): string {
  const rel = relative(projectDir, path);
  return rel.startsWith('..') ? path : rel.split(sep).join('/');
}

export interface EjectRequest extends TemplatesRequest {
  /** Template names (`migrations/migration`), their files, or folders (`partials/operations`). */
  names: string[];
  all: boolean;
}

/**
 * Stages copies of built-in templates in `.bg-scaffold/templates/` (and its pack.json when
 * missing). Refuses, writing nothing, when any of those files exists already.
 */
export function stageEject(req: EjectRequest): { stage: StagedTree; templates: string[] } {
  requireProject(req.projectDir);
  const builtin = builtinPack();
  const available = templateNames(builtin);
  if (req.all && req.names.length > 0) fail('pass template names or --all, not both');
  if (!req.all && req.names.length === 0) fail(`name the templates to eject (e.g. migrations/migration), or pass --all; "bg-scaffold templates list" shows them`);
  const chosen = req.all ? available : [...new Set(req.names.flatMap((name) => matchTemplates(name, available)))].sort();

  const stage = new StagedTree(req.projectDir);
  const copies = chosen.map((name) => {
    const source = templateFile(builtin, name)!;
    const target = posix.join(PROJECT_TEMPLATES_DIR, relative(builtin.dir, source).split(sep).join('/'));
    return { name, source, target };
  });
  const existing = copies.filter((copy) => stage.exists(copy.target)).map((copy) => copy.target);
  if (existing.length > 0) {
    fail(`${existing.join(', ')} ${existing.length === 1 ? 'exists' : 'exist'} already; eject never overwrites a template: delete ${existing.length === 1 ? 'it' : 'them'} first to start again from the built-in ${existing.length === 1 ? 'one' : 'ones'}`);
  }
  for (const copy of copies) stage.create(copy.target, readFileSync(copy.source, 'utf8'));
  const manifest = posix.join(PROJECT_TEMPLATES_DIR, PACK_MANIFEST);
  if (!stage.exists(manifest)) {
    const name = `${basename(req.projectDir)} templates`;
    stage.create(manifest, `${JSON.stringify({ name, templateApi: TEMPLATE_API_VERSION }, null, 2)}\n`);
  }
  return { stage, templates: chosen };
}

/** A template name, its file (`templates/migrations/migration.py.hbs`), or a folder of them. */
function matchTemplates(given: string, available: string[]): string[] {
  const name = given
    .replace(/\\/g, '/')
    .replace(/^(\.\/)?(templates\/)?/, '')
    .replace(/\/$/, '')
    .replace(/\.hbs$/, '')
    .replace(/\.(py|md|json|txt)$/, '');
  if (available.includes(name)) return [name];
  const inFolder = available.filter((candidate) => candidate.startsWith(`${name}/`));
  if (inFolder.length > 0) return inFolder;
  // Closest first: the same last segment (`migration` → migrations/migration), then one containing it.
  const last = name.split('/').pop() ?? name;
  const rank = (candidate: string) => {
    const segment = candidate.split('/').pop()!;
    return segment === last ? 0 : segment.startsWith(last) ? 1 : candidate.includes(last) ? 2 : 3;
  };
  const close = available.filter((candidate) => rank(candidate) < 3).sort((a, b) => rank(a) - rank(b)).slice(0, 5);
  fail(`no built-in template "${given}"${close.length ? `; did you mean ${close.join(', ')}?` : ''} ("bg-scaffold templates list" shows them all)`);
}
