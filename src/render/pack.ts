/**
 * Template packs: folders of Handlebars templates laid out like the built-in `templates/`.
 * A template in an earlier pack overrides the one of the same name in a later pack.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { fail } from '../errors.js';
import { registerHelpers } from './helpers.js';

export const TEMPLATE_API_VERSION = 1;

export interface TemplatePack {
  /** Shown in `templates list`: `built-in`, or the folder as given. */
  name: string;
  dir: string;
}

/** The package root (where package.json and templates/ live), from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'templates'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the bg-scaffold package root (templates/)');
    dir = parent;
  }
  return dir;
}

export function toolVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function builtinPack(): TemplatePack {
  return { name: 'built-in', dir: join(packageRoot(), 'templates') };
}

/** Template names (`migrations/migration`) of every `.hbs` file in a pack. */
export function templateNames(pack: TemplatePack): string[] {
  const names: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.hbs')) names.push(templateName(relative(pack.dir, path)));
    }
  };
  if (existsSync(pack.dir)) walk(pack.dir);
  return names.sort();
}

/** `partials/operations/ddl.py.hbs` → `partials/operations/ddl`. */
function templateName(relativePath: string): string {
  return relativePath.split(sep).join('/').replace(/\.hbs$/, '').replace(/\.(py|md|json|txt)$/, '');
}

function templateFile(pack: TemplatePack, name: string): string | null {
  for (const ext of ['.py.hbs', '.md.hbs', '.json.hbs', '.txt.hbs', '.hbs']) {
    const path = join(pack.dir, ...name.split('/')) + ext;
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * Renders templates from an ordered list of packs on its own Handlebars instance, with every
 * `partials/*` template registered as a partial (`{{> operations/ddl}}`).
 */
export class TemplateRenderer {
  private readonly hbs = Handlebars.create();
  private readonly compiled = new Map<string, HandlebarsTemplateDelegate>();

  constructor(readonly packs: TemplatePack[] = [builtinPack()]) {
    registerHelpers(this.hbs);
    const seen = new Set<string>();
    for (const pack of packs) {
      for (const name of templateNames(pack)) {
        if (!name.startsWith('partials/') || seen.has(name)) continue;
        seen.add(name);
        this.hbs.registerPartial(name.slice('partials/'.length), this.source(name));
      }
    }
  }

  /** Which pack a template resolves from (first match wins). */
  resolve(name: string): { pack: TemplatePack; path: string } {
    for (const pack of this.packs) {
      const path = templateFile(pack, name);
      if (path) return { pack, path };
    }
    fail(`no template "${name}" in the template packs (${this.packs.map((p) => p.name).join(', ')})`);
  }

  private source(name: string): string {
    return readFileSync(this.resolve(name).path, 'utf8');
  }

  render(name: string, data: unknown): string {
    let template = this.compiled.get(name);
    if (!template) {
      template = this.hbs.compile(this.source(name), { noEscape: true, strict: false });
      this.compiled.set(name, template);
    }
    try {
      return template(data);
    } catch (error) {
      fail(`template "${name}" (${this.resolve(name).pack.name}) failed to render: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}
