/**
 * Template packs: folders of Handlebars templates laid out like the built-in `templates/`.
 * A template in an earlier pack overrides the one of the same name in a later pack; partials are
 * the templates under `partials/`. Where the packs come from is src/render/pack-sources.ts.
 *
 * The renderer checks every template it could use before anything renders: each one parses, and
 * every partial and helper it names exists. So a bad pack fails the run before staging starts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import type HandlebarsNamespace from 'handlebars';
import { BgScaffoldError, fail } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { formatPython } from './format.js';
import { registerHelpers, type TemplateHelper } from './helpers.js';
import { loadPrecompiled, sourceHash, type PrecompiledTemplate } from './precompiled.js';

/**
 * The version of the template API: the data each template receives (docs/templates.md) and the
 * helpers. Adding a variable, a helper or a partial keeps it; renaming or removing one bumps it.
 */
export const TEMPLATE_API_VERSION = 1;

/** The manifest every pack has at its root. */
export const PACK_MANIFEST = 'pack.json';

/** How a pack came to be used; only packs named explicitly run their helpers. */
export type PackOrigin = '--pack' | 'project config' | 'project folder' | 'built-in';

export interface TemplatePack {
  /** Shown in messages and `templates list`: `built-in`, a folder as given, or an npm package. */
  name: string;
  dir: string;
  origin?: PackOrigin;
  /** The template API version the pack declares in pack.json. */
  templateApi?: number;
  /** Helpers from the pack's helpers.js; set only for packs named with --pack or in the project config. */
  helpers?: Record<string, TemplateHelper>;
  /** A helpers file that is present but not run (the project folder): named in error messages. */
  helpersNotRun?: string;
}

/** The package root (where package.json and templates/ live), from src/ or dist/src/. */
export function builtinPack(): TemplatePack {
  return { name: 'built-in', dir: join(packageRoot(), 'templates'), origin: 'built-in', templateApi: TEMPLATE_API_VERSION };
}

/** `pack "examples/packs/safemigrate" (--pack)`, or `the built-in pack`. */
export function describePack(pack: TemplatePack): string {
  if (pack.origin === 'built-in') return 'the built-in pack';
  return `pack "${pack.name}"${pack.origin ? ` (${pack.origin})` : ''}`;
}

/** Template names (`migrations/migration`) of every `.hbs` file in a pack. */
export function templateNames(pack: TemplatePack): string[] {
  const names: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      // An npm package's own dependencies and dot folders are not templates.
      if (entry === 'node_modules' || entry.startsWith('.')) continue;
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.hbs')) names.push(templateName(relative(pack.dir, path)));
    }
  };
  if (existsSync(pack.dir)) walk(pack.dir);
  return [...new Set(names)].sort();
}

/** `partials/operations/ddl.py.hbs` → `partials/operations/ddl`. */
export function templateName(relativePath: string): string {
  return relativePath.split(sep).join('/').replace(/\.hbs$/, '').replace(/\.(py|md|json|txt)$/, '');
}

export function templateFile(pack: TemplatePack, name: string): string | null {
  for (const ext of ['.py.hbs', '.md.hbs', '.json.hbs', '.txt.hbs', '.hbs']) {
    const path = join(pack.dir, ...name.split('/')) + ext;
    if (existsSync(path)) return path;
  }
  return null;
}

/** One template as the packs resolve it: the first pack that has it wins. */
export interface ResolvedTemplate {
  name: string;
  pack: TemplatePack;
  path: string;
  /** Later packs that have a template of the same name, which this one hides. */
  overrides: TemplatePack[];
}

interface LoadedTemplate extends ResolvedTemplate {
  /** null for a precompiled built-in template, whose references were checked when it was built. */
  ast: hbs.AST.Program | null;
  compiled: HandlebarsTemplateDelegate;
}

export const COMPILE_OPTIONS = { noEscape: true, strict: false } as const;

type Hbs = typeof HandlebarsNamespace;

const requireHere = createRequire(import.meta.url);

/**
 * Handlebars with its compiler, for a template compiled now (a pack's own, or a built-in one
 * edited since the build). A run whose templates were all compiled at build time loads only the
 * runtime: the compiler and its source-map library were a fifth of a generation's module loading.
 */
function handlebars(withCompiler: boolean): Hbs {
  return requireHere(withCompiler ? 'handlebars' : 'handlebars/runtime') as Hbs;
}

/** Handlebars' own block helpers and `lookup`/`log`: always there. */
export const HANDLEBARS_BUILTINS = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log', 'helperMissing', 'blockHelperMissing']);

/**
 * Renders templates from an ordered list of packs on its own Handlebars instance, with every
 * `partials/*` template registered as a partial (`{{> operations/ddl}}`) and every pack's helpers
 * (first pack wins).
 */
export class TemplateRenderer {
  private readonly hbs: Hbs;
  private readonly templates = new Map<string, LoadedTemplate>();

  /** Names of the templates compiled at build time (src/render/precompiled.ts) rather than now. */
  readonly precompiled: string[] = [];

  constructor(
    readonly packs: TemplatePack[] = [builtinPack()],
    precompiled: ReadonlyMap<string, PrecompiledTemplate> = loadPrecompiled(),
  ) {
    const sources = resolveTemplates(packs).map((resolved) => {
      const source = readFileSync(resolved.path, 'utf8');
      const candidate = resolved.pack.origin === 'built-in' ? precompiled.get(resolved.name) : undefined;
      return { resolved, source, built: candidate && candidate.hash === sourceHash(source) ? candidate : undefined };
    });
    this.hbs = handlebars(sources.some(({ built }) => !built)).create();
    registerHelpers(this.hbs);
    for (const pack of packs) {
      for (const [name, helper] of Object.entries(pack.helpers ?? {})) {
        if (!(name in this.hbs.helpers)) this.hbs.registerHelper(name, helper);
      }
    }
    for (const { resolved, source, built } of sources) {
      if (built) {
        this.templates.set(resolved.name, { ...resolved, ast: null, compiled: this.hbs.template(built.spec) });
        this.precompiled.push(resolved.name);
        continue;
      }
      const ast = compileTemplate(resolved, source);
      this.templates.set(resolved.name, { ...resolved, ast, compiled: this.hbs.compile(source, COMPILE_OPTIONS) });
    }
    for (const template of this.templates.values()) {
      if (template.name.startsWith('partials/')) this.hbs.registerPartial(template.name.slice('partials/'.length), template.compiled);
    }
    for (const template of this.templates.values()) this.checkReferences(template);
  }

  /** Every template the packs provide, with the pack each resolves from. */
  list(): ResolvedTemplate[] {
    return [...this.templates.values()].map(({ name, pack, path, overrides }) => ({ name, pack, path, overrides }));
  }

  /** Which pack a template resolves from (first match wins). */
  resolve(name: string): ResolvedTemplate {
    const { pack, path, overrides } = this.loaded(name);
    return { name, pack, path, overrides };
  }

  private loaded(name: string): LoadedTemplate {
    const template = this.templates.get(name);
    if (!template) fail(`no template "${name}" in the template packs (${this.packList()})`);
    return template;
  }

  render(name: string, data: unknown): string {
    const template = this.loaded(name);
    try {
      return template.compiled(data);
    } catch (error) {
      const message = (error as Error).message.split('\n')[0]!;
      const partial = /^The partial (.+) could not be found$/.exec(message);
      if (partial) {
        fail(`template "${name}" (${describePack(template.pack)}) uses the partial "${partial[1]}", which no template pack provides (${this.packList()})`);
      }
      fail(`template "${name}" (${describePack(template.pack)}) failed to render: ${message}`);
    }
  }

  /**
   * Renders a template whose output is a Python file, formatted as `ruff format` does. Output that
   * does not parse is a bug of the template packs: the user's to fix when a pack of theirs took
   * part (exit 2), bg-scaffold's when only the built-in pack did.
   */
  renderPython(name: string, data: unknown, file: string, lineWidth = 88): string {
    const source = this.render(name, data);
    try {
      return formatPython(source, file, lineWidth);
    } catch (error) {
      const theirs = this.packs.filter((pack) => pack.origin !== 'built-in');
      if (theirs.length === 0) throw error;
      const detail = /is not valid Python: (.*)/.exec((error as Error).message)?.[1] ?? (error as Error).message.split('\n')[0];
      fail(`template "${name}" rendered ${file} as Python that does not parse (${detail}), with the packs ${theirs.map((pack) => pack.name).join(', ')}; "bg-scaffold templates list" shows which pack each template comes from`);
    }
  }

  private packList(): string {
    return this.packs.map((pack) => pack.name).join(', ');
  }

  /** Every partial a template names, and every helper it calls, must exist. */
  private checkReferences(template: LoadedTemplate): void {
    if (!template.ast) return;
    const where = `template "${template.name}" (${describePack(template.pack)})`;
    const { partials, helpers, inlinePartials } = references(template.ast);
    for (const { name, line } of partials) {
      if (name.startsWith('@') || inlinePartials.has(name) || this.templates.has(`partials/${name}`)) continue;
      fail(`${where} uses the partial "${name}" on line ${line}, which no template pack provides (a partial is a template under partials/: partials/${name}.py.hbs); packs: ${this.packList()}`);
    }
    for (const { name, line } of helpers) {
      if (HANDLEBARS_BUILTINS.has(name) || name in this.hbs.helpers) continue;
      const notRun = this.packs.find((pack) => pack.helpersNotRun);
      const hint = notRun
        ? `; the ${notRun.helpersNotRun} of ${describePack(notRun)} does not run: name that folder with --pack or in the project config to use its helpers`
        : '; helpers come from bg-scaffold (docs/templates.md) or from the helpers.js of a pack named with --pack or in the project config';
      fail(`${where} calls the helper "${name}" on line ${line}, which is not defined${hint}`);
    }
  }
}

/** The first pack that has a template wins; later ones are recorded as overridden. */
export function resolveTemplates(packs: TemplatePack[]): ResolvedTemplate[] {
  const byName = new Map<string, ResolvedTemplate>();
  for (const pack of packs) {
    for (const name of templateNames(pack)) {
      const known = byName.get(name);
      if (known) known.overrides.push(pack);
      else byName.set(name, { name, pack, path: templateFile(pack, name)!, overrides: [] });
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Parses and compiles a template once, so that a syntax error fails the run before anything renders. */
function compileTemplate(template: ResolvedTemplate, source: string): hbs.AST.Program {
  const Handlebars = handlebars(true);
  try {
    Handlebars.precompile(source, COMPILE_OPTIONS);
    return Handlebars.parse(source);
  } catch (error) {
    // Handlebars reports "Parse error on line 3:\n<excerpt>\n---^\nExpecting ..., got ...".
    const lines = (error as Error).message.split('\n').map((line) => line.trim()).filter(Boolean);
    const detail = lines.length > 1 ? `${lines[0]!.replace(/:$/, '')}: ${lines[lines.length - 1]}` : (lines[0] ?? String(error));
    throw new BgScaffoldError(`template "${template.name}" (${describePack(template.pack)}) does not compile: ${detail} (${template.path})`);
  }
}

interface Reference {
  name: string;
  line: number;
}

/**
 * The partials a template names statically (`{{> operations/ddl}}`; a computed name such as
 * `{{> (lookup this "partial")}}` is checked when it renders), the helpers it calls (a name with
 * arguments, or any subexpression), and its inline partials.
 */
function references(program: hbs.AST.Program): { partials: Reference[]; helpers: Reference[]; inlinePartials: Set<string> } {
  const partials: Reference[] = [];
  const helpers: Reference[] = [];
  const inlinePartials = new Set<string>();
  const line = (node: hbs.AST.Node) => node.loc?.start.line ?? 0;

  const helperCall = (node: { path: hbs.AST.PathExpression | hbs.AST.Literal; params: hbs.AST.Expression[]; hash?: hbs.AST.Hash }, always: boolean) => {
    const path = node.path as hbs.AST.PathExpression;
    if (path.type !== 'PathExpression' || path.data || path.depth > 0 || path.parts.length !== 1 || /^(this|\.)/.test(path.original)) return;
    if (always || node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0) helpers.push({ name: path.original, line: line(node as unknown as hbs.AST.Node) });
  };
  const expressions = (items: hbs.AST.Expression[], hash?: hbs.AST.Hash) => {
    for (const item of [...items, ...(hash?.pairs.map((pair) => pair.value) ?? [])]) {
      if (item.type === 'SubExpression') {
        const sub = item as hbs.AST.SubExpression;
        helperCall(sub, true);
        expressions(sub.params, sub.hash);
      }
    }
  };
  const visit = (node: hbs.AST.Program | undefined) => {
    for (const statement of node?.body ?? []) {
      switch (statement.type) {
        case 'MustacheStatement': {
          const mustache = statement as hbs.AST.MustacheStatement;
          helperCall(mustache, false);
          expressions(mustache.params, mustache.hash);
          break;
        }
        case 'BlockStatement':
        case 'DecoratorBlock': {
          const block = statement as hbs.AST.BlockStatement;
          if (statement.type === 'DecoratorBlock' && block.path.original === 'inline') {
            const name = block.params[0] as hbs.AST.StringLiteral | undefined;
            if (name?.type === 'StringLiteral') inlinePartials.add(name.value);
          } else {
            helperCall(block, false);
          }
          expressions(block.params, block.hash);
          visit(block.program);
          visit(block.inverse);
          break;
        }
        case 'PartialStatement':
        case 'PartialBlockStatement': {
          const partial = statement as hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement;
          const name = partial.name as hbs.AST.PathExpression | hbs.AST.SubExpression | hbs.AST.StringLiteral;
          // A partial block renders its own content when the partial is missing: not an error.
          if (statement.type === 'PartialStatement') {
            if (name.type === 'PathExpression') partials.push({ name: name.original, line: line(statement) });
            else if (name.type === 'StringLiteral') partials.push({ name: name.value, line: line(statement) });
          }
          if (name.type === 'SubExpression') expressions([name]);
          expressions(partial.params, partial.hash);
          if (statement.type === 'PartialBlockStatement') visit((partial as hbs.AST.PartialBlockStatement).program);
          break;
        }
        default:
          break;
      }
    }
  };
  visit(program);
  return { partials, helpers, inlinePartials };
}
