/**
 * Template packs: where they come from and in which order they win, what a pack must declare,
 * what is checked before anything renders, and which packs may run code.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { afterAll, describe, expect, it } from 'vitest';
import { stageRenameColumn } from '../../../src/operations/rename-column/operation.js';
import { BgScaffoldError } from '../../../src/errors.js';
import type { ProjectConfig } from '../../../src/project/config.js';
import { builtinPack, TemplateRenderer } from '../../../src/render/pack.js';
import { packSpec, PROJECT_TEMPLATES_DIR, resolveTemplatePacks } from '../../../src/render/pack-sources.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'bg-packs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let counter = 0;

/** A pack folder: `pack.json` with `templateApi` (unless null) and the given files. */
function pack(files: Record<string, string>, templateApi: unknown = 1, where = join(work, `pack${counter++}`)): string {
  mkdirSync(where, { recursive: true });
  if (templateApi !== null) writeFileSync(join(where, 'pack.json'), JSON.stringify({ templateApi }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(where, name)), { recursive: true });
    writeFileSync(join(where, name), text);
  }
  return where;
}

function emptyProject(): string {
  const dir = join(work, `project${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function shopProject(): string {
  const dir = join(work, `shop${counter++}`);
  cpSync(join(repo, 'examples', 'shop'), dir, { recursive: true });
  return dir;
}

const noConfig: ProjectConfig = { source: null, packs: [] };
const config = (...packs: string[]): ProjectConfig => ({ source: 'bg-scaffold.config.json', packs });

function renderer(flags: string[], projectDir: string, projectConfig: ProjectConfig = noConfig): TemplateRenderer {
  return new TemplateRenderer(resolveTemplatePacks({ flags, config: projectConfig, projectDir }));
}

function thrown(make: () => unknown): string {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(BgScaffoldError);
    return (error as Error).message;
  }
  throw new Error('expected a BgScaffoldError');
}

describe('resolution order', () => {
  it('first match wins per template: --pack flags in order, then the project config, then .bg-scaffold/templates/, then built-in', () => {
    const project = emptyProject();
    const a = pack({ 'partials/migration/top.py.hbs': 'A' });
    const b = pack({ 'partials/migration/top.py.hbs': 'B', 'partials/migration/imports.py.hbs': 'B' });
    const c = pack({ 'partials/migration/imports.py.hbs': 'C', 'partials/migration/class-attributes.py.hbs': 'C' }, 1, join(project, 'team-pack'));
    pack({ 'partials/migration/class-attributes.py.hbs': 'P', 'record/PLAN.md.hbs': 'P' }, 1, join(project, PROJECT_TEMPLATES_DIR));
    const r = renderer([a, b], project, config('./team-pack'));

    expect(r.packs.map((p) => [p.origin, p.dir])).toEqual([
      ['--pack', a],
      ['--pack', b],
      ['project config', c],
      ['project folder', join(project, PROJECT_TEMPLATES_DIR)],
      ['built-in', builtinPack().dir],
    ]);
    const from = (name: string) => r.resolve(name).pack.origin === 'built-in' ? 'built-in' : r.render(name, {});
    expect(from('partials/migration/top')).toBe('A');
    expect(from('partials/migration/imports')).toBe('B');
    expect(from('partials/migration/class-attributes')).toBe('C');
    expect(from('record/PLAN')).toBe('P');
    expect(from('migrations/migration')).toBe('built-in');
    expect(r.resolve('partials/migration/top').overrides.map((p) => p.dir)).toEqual([b, builtinPack().dir]);
  });

  it('a config pack is a folder relative to the project, or an npm package installed for it', () => {
    const project = emptyProject();
    const installed = pack({ 'partials/migration/top.py.hbs': '# from npm' }, 1, join(project, 'node_modules', '@acme', 'bg-pack'));
    writeFileSync(join(installed, 'package.json'), JSON.stringify({ name: '@acme/bg-pack', version: '1.2.0' }));
    const r = renderer([], project, config('@acme/bg-pack'));
    expect(r.packs[0]).toMatchObject({ name: '@acme/bg-pack@1.2.0', dir: installed, origin: 'project config' });
    expect(r.render('partials/migration/top', {})).toBe('# from npm');
  });

  it('packages are found the way Node finds them: in node_modules of the project or a folder above it', () => {
    const parent = emptyProject();
    const project = join(parent, 'service');
    mkdirSync(project);
    pack({ 'partials/migration/top.py.hbs': '# hoisted' }, 1, join(parent, 'node_modules', 'team-bg-pack'));
    expect(renderer(['team-bg-pack'], project).render('partials/migration/top', {})).toBe('# hoisted');
  });

  it('a --pack value is a folder unless it is a package name with no such folder', () => {
    const cwd = emptyProject();
    mkdirSync(join(cwd, 'local-pack'));
    expect(packSpec('packs/a', cwd)).toBe(join(cwd, 'packs', 'a'));
    expect(packSpec('./team', cwd)).toBe(join(cwd, 'team'));
    expect(packSpec('local-pack', cwd)).toBe(join(cwd, 'local-pack'));
    expect(packSpec('@acme/bg-pack', cwd)).toBe('@acme/bg-pack');
    expect(packSpec('team-bg-pack', cwd)).toBe('team-bg-pack');
  });

  it('a pack that is neither a folder nor an installed package is an error naming it', () => {
    const project = emptyProject();
    expect(thrown(() => renderer(['no-such-pack'], project))).toMatch(/template pack "no-such-pack" \(--pack\): no folder of that name, and no npm package "no-such-pack" installed/);
    expect(thrown(() => renderer([join(project, 'missing')], project, noConfig))).toMatch(/template pack "missing" \(--pack\): no such folder/);
  });

  it('the same folder named twice counts once, where it first appears', () => {
    const project = emptyProject();
    const a = pack({ 'partials/migration/top.py.hbs': 'A' });
    expect(renderer([a, a], project, { source: 'x', packs: [a] }).packs.map((p) => p.origin)).toEqual(['--pack', 'built-in']);
  });
});

describe('overrides fall through', () => {
  it('a pack overriding one partial changes only what that partial renders; every other template comes from the built-in pack', async () => {
    const plain = shopProject();
    const withPack = shopProject();
    const team = pack({ 'partials/migration/top.py.hbs': '# Team header\n' });
    const request = { app: 'shop', model: 'Order', field: 'quantity', to: 'qty', strategy: 'trigger' } as const;
    const before = (await stageRenameColumn({ ...request, projectDir: plain })).stage.files();
    const after = (await stageRenameColumn({ ...request, projectDir: withPack, packs: [team] })).stage.files();
    expect(after.map((f) => f.path)).toEqual(before.map((f) => f.path));
    for (const [index, file] of after.entries()) {
      const original = before[index]!.after!;
      if (/\/\d{4}_\w+\.py$/.test(file.path)) expect(file.after, file.path).toBe(`# Team header\n${original}`);
      else if (!file.path.endsWith('plan.json')) expect(file.after, file.path).toBe(original);
    }
  });
});

describe('a pack declares the template API it was written for', () => {
  it('no pack.json: an error naming the pack, its templates and the version to declare', () => {
    const project = emptyProject();
    const bare = pack({ 'migrations/migration.py.hbs': '# mine' }, null);
    expect(thrown(() => renderer([bare], project))).toMatch(
      /pack ".*" \(--pack\) has no pack\.json declaring the template API it was written for, so its templates \(migrations\/migration\) cannot be used; add \{"templateApi": 1\}/,
    );
  });

  it('pack.json without "templateApi": the same', () => {
    const project = emptyProject();
    const unversioned = pack({ 'migrations/migration.py.hbs': '# mine' }, undefined);
    writeFileSync(join(unversioned, 'pack.json'), '{"name": "mine"}');
    expect(thrown(() => renderer([unversioned], project))).toMatch(/pack\.json does not declare "templateApi", so its templates \(migrations\/migration\) cannot be used/);
  });

  it('another version: an error naming the pack, the template and both versions', () => {
    const project = emptyProject();
    const future = pack({ 'migrations/migration.py.hbs': '# mine', 'partials/operations/ddl.py.hbs': 'x' }, 2);
    expect(thrown(() => renderer([future], project))).toMatch(
      /pack ".*" \(--pack\) is written for template API 2, and bg-scaffold \S+ renders template API 1: its template "migrations\/migration" cannot be used/,
    );
  });

  it('the project folder is held to the same rule', () => {
    const project = emptyProject();
    pack({ 'migrations/migration.py.hbs': '# mine' }, null, join(project, PROJECT_TEMPLATES_DIR));
    expect(thrown(() => renderer([], project))).toMatch(/pack "\.bg-scaffold\/templates" \(project folder\) has no pack\.json/);
  });
});

describe('packs do not override the migrations’ runtime', () => {
  it('the built-in pack no longer has the runtime template', () => {
    expect(new TemplateRenderer().list().map((template) => template.name)).not.toContain('migrations/bg_scaffold_ops');
  });

  it.each([
    ['--pack', (dir: string) => [[dir], emptyProject()] as const],
    ['the project folder', () => {
      const project = emptyProject();
      pack({ 'migrations/bg_scaffold_ops.py.hbs': '# my runtime' }, 1, join(project, PROJECT_TEMPLATES_DIR));
      return [[], project] as const;
    }],
  ])('a pack that still has migrations/bg_scaffold_ops.py.hbs (%s) is refused, naming the file and what to do', (_, place) => {
    const [flags, project] = place(pack({ 'migrations/bg_scaffold_ops.py.hbs': '# my runtime', 'partials/migration/top.py.hbs': '# top' }));
    expect(thrown(() => renderer([...flags], project))).toMatch(
      /^pack ".*" \(.*\) has the template "migrations\/bg_scaffold_ops" \(.*migrations\/bg_scaffold_ops\.py\.hbs\), which nothing renders any more: the migrations' runtime is a static file, versioned by name \(_bg_scaffold_v7\.py\), that packs do not override; delete that template from the pack$/,
    );
  });
});

describe('every template is checked before anything renders', () => {
  it('a syntax error names the template, the pack and the line', () => {
    const bad = pack({ 'partials/migration/top.py.hbs': '# line 1\n{{#if phase}}\n# never closed\n' });
    expect(thrown(() => renderer([bad], emptyProject()))).toMatch(/template "partials\/migration\/top" \(pack ".*" \(--pack\)\) does not compile: Parse error on line \d+: Expecting .*/);
  });

  it('mismatched blocks are syntax errors too', () => {
    const bad = pack({ 'partials/migration/top.py.hbs': '{{#if a}}{{#each b}}{{/if}}{{/each}}' });
    expect(thrown(() => renderer([bad], emptyProject()))).toMatch(/template "partials\/migration\/top" .* does not compile: .*doesn't match/);
  });

  it('an unknown partial names the template, the pack, the partial and its line', () => {
    const bad = pack({ 'migrations/migration.py.hbs': '# ok\n{{> operations/dddl this}}\n' });
    expect(thrown(() => renderer([bad], emptyProject()))).toMatch(
      /template "migrations\/migration" \(pack ".*" \(--pack\)\) uses the partial "operations\/dddl" on line 2, which no template pack provides/,
    );
  });

  it('a partial a pack adds can be used by its other templates, and partial blocks and inline partials are fine', () => {
    const good = pack({
      'partials/team/banner.py.hbs': '# {{plan.change}}\n',
      'partials/migration/top.py.hbs': '{{> team/banner}}\n{{#> team/missing}}fallback{{/team/missing}}\n{{#*inline "x"}}inline{{/inline}}{{> x}}',
    });
    expect(renderer([good], emptyProject()).render('partials/migration/top', { plan: { change: 'c' } })).toBe('# c\nfallback\ninline');
  });

  it('a computed partial name that does not exist fails when it renders, naming the template and the partial', () => {
    const r = renderer([pack({ 'partials/migration/top.py.hbs': '{{> (concat "operations/" kind)}}' })], emptyProject());
    expect(thrown(() => r.render('partials/migration/top', { kind: 'nope' }))).toMatch(/template "partials\/migration\/top" .* uses the partial "operations\/nope", which no template pack provides/);
  });

  it('an unknown helper names the template, the pack, the helper and its line', () => {
    const bad = pack({ 'partials/migration/top.py.hbs': '\n# {{shout plan.change}}' });
    expect(thrown(() => renderer([bad], emptyProject()))).toMatch(/template "partials\/migration\/top" .* calls the helper "shout" on line 2, which is not defined/);
  });
});

describe('helpers run only for packs named explicitly', () => {
  /** A pack whose helpers.js leaves a file behind when it is loaded. */
  function packWithHelpers(where: string, proof: string): string {
    return pack(
      {
        'helpers.mjs': `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(proof)}, 'ran');\nexport function shout(text) { return String(text).toUpperCase(); }\n`,
        'partials/migration/top.py.hbs': '# {{shout plan.change}}',
      },
      1,
      where,
    );
  }

  it('named with --pack: its helpers run', () => {
    const proof = join(work, `proof${counter++}`);
    const dir = packWithHelpers(join(work, `helpers${counter++}`), proof);
    const r = renderer([dir], emptyProject());
    expect(r.render('partials/migration/top', { plan: { change: 'order-qty' } })).toBe('# ORDER-QTY');
    expect(existsSync(proof)).toBe(true);
    expect(r.packs[0]!.helpers && Object.keys(r.packs[0]!.helpers)).toEqual(['shout']);
  });

  it('named in the project config: its helpers run', () => {
    const project = emptyProject();
    const proof = join(work, `proof${counter++}`);
    packWithHelpers(join(project, 'team-pack'), proof);
    expect(renderer([], project, config('./team-pack')).render('partials/migration/top', { plan: { change: 'x' } })).toBe('# X');
    expect(existsSync(proof)).toBe(true);
  });

  it('merely present as .bg-scaffold/templates/: helpers.mjs is never loaded, and a template calling its helper is refused', () => {
    const project = emptyProject();
    const proof = join(work, `proof${counter++}`);
    packWithHelpers(join(project, PROJECT_TEMPLATES_DIR), proof);
    expect(thrown(() => renderer([], project))).toMatch(
      /calls the helper "shout" on line 1, which is not defined; the helpers\.mjs of pack "\.bg-scaffold\/templates" \(project folder\) does not run: name that folder with --pack or in the project config/,
    );
    expect(existsSync(proof)).toBe(false);
  });

  it('the project folder named in the config runs its helpers', () => {
    const project = emptyProject();
    const proof = join(work, `proof${counter++}`);
    packWithHelpers(join(project, PROJECT_TEMPLATES_DIR), proof);
    const r = renderer([], project, config(`./${PROJECT_TEMPLATES_DIR}`));
    expect(r.packs.map((p) => p.origin)).toEqual(['project config', 'built-in']);
    expect(existsSync(proof)).toBe(true);
  });

  it('helpers are plain CommonJS too, or an object as the default export', () => {
    const cjs = pack({ 'helpers.cjs': 'exports.twice = (s) => `${s}${s}`;', 'partials/migration/top.py.hbs': '{{twice "a"}}' });
    const object = pack({ 'helpers.mjs': 'export default { thrice: (s) => `${s}${s}${s}` };', 'partials/migration/top.py.hbs': '{{thrice "b"}}' });
    expect(renderer([cjs], emptyProject()).render('partials/migration/top', {})).toBe('aa');
    expect(renderer([object], emptyProject()).render('partials/migration/top', {})).toBe('bbb');
  });

  it('a helper may not replace one of the template API, and a helpers file exports only functions', () => {
    const clash = pack({ 'helpers.mjs': 'export function py() { return "x"; }' });
    expect(thrown(() => renderer([clash], emptyProject()))).toMatch(/helpers\.mjs defines "py", a helper of the template API; give it another name/);
    const constant = pack({ 'helpers.mjs': 'export const team = "acme";' });
    expect(thrown(() => renderer([constant], emptyProject()))).toMatch(/helpers\.mjs exports "team", which is not a function/);
    const broken = pack({ 'helpers.mjs': 'export function (' });
    expect(thrown(() => renderer([broken], emptyProject()))).toMatch(/helpers\.mjs failed to load: /);
  });

  it("a pack's helpers stay on its run's Handlebars: never on the global one, never in the next run", () => {
    const dir = pack({ 'helpers.mjs': 'export function whisper(s) { return String(s).toLowerCase(); }', 'partials/migration/top.py.hbs': '{{whisper "A"}}' });
    expect(renderer([dir], emptyProject()).render('partials/migration/top', {})).toBe('a');
    expect(Handlebars.helpers.whisper).toBeUndefined();
    const other = pack({ 'partials/migration/top.py.hbs': '{{whisper "A"}}' });
    expect(thrown(() => renderer([other], emptyProject()))).toMatch(/calls the helper "whisper"/);
  });
});

describe('the built-in pack', () => {
  it('declares the template API this bg-scaffold renders', () => {
    expect(JSON.parse(readFileSync(join(builtinPack().dir, 'pack.json'), 'utf8')).templateApi).toBe(1);
  });

  it('every template compiles and names only partials and helpers that exist', () => {
    expect(() => new TemplateRenderer()).not.toThrow();
  });
});
