/**
 * Template packs from the command line: bad packs are refused before anything is written, code
 * runs only from packs named explicitly, `templates list` and `templates eject`, and every
 * operation renders with the example pack examples/packs/safemigrate.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/cli/program.js';
import type { ChangeRecord } from '../../src/record/change-record.js';
import { runMain } from './in-process.js';
import { runCli, snapshotTree } from './run-cli.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const example = join(repo, 'examples', 'shop');
const SAFEMIGRATE = join(repo, 'examples', 'packs', 'safemigrate');
const work = mkdtempSync(join(tmpdir(), 'bg-cli-packs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function project(): string {
  const dir = join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  return dir;
}

function pack(files: Record<string, string>, templateApi: unknown = 1, where = join(work, `pack${counter++}`)): string {
  mkdirSync(where, { recursive: true });
  if (templateApi !== null) writeFileSync(join(where, 'pack.json'), JSON.stringify({ templateApi }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(where, name)), { recursive: true });
    writeFileSync(join(where, name), text);
  }
  return where;
}

const rename = (dir: string, ...extra: string[]) => [
  'rename-column', '--project', dir, '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--yes', ...extra,
];

async function expectRefused(dir: string, args: string[], message: RegExp) {
  const before = snapshotTree(dir);
  const result = await runCli(args);
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines, 'exactly one line on stderr').toHaveLength(1);
  expect(lines[0]).toMatch(/^bg-scaffold: /);
  expect(lines[0]).toMatch(message);
  expect(result.stdout).toBe('');
  expect(snapshotTree(dir)).toEqual(before);
}

describe('a bad pack: one line, exit 2, nothing written', () => {
  it('a pack without a template API version', async () => {
    const dir = project();
    const bare = pack({ 'migrations/migration.py.hbs': '# ours' }, null);
    await expectRefused(dir, rename(dir, '--pack', bare), /has no pack\.json declaring the template API.*migrations\/migration.*"templateApi": 1/);
  });

  it('a pack written for another template API version', async () => {
    const dir = project();
    const future = pack({ 'migrations/migration.py.hbs': '# ours' }, 2);
    await expectRefused(dir, rename(dir, '--pack', future), /is written for template API 2, and bg-scaffold \S+ renders template API 1: its template "migrations\/migration"/);
  });

  it('a template with a syntax error', async () => {
    const dir = project();
    const broken = pack({ 'partials/migration/top.py.hbs': '# {{#if plan}}never closed\n' });
    await expectRefused(dir, rename(dir, '--pack', broken), /template "partials\/migration\/top" \(pack .*\) does not compile: Parse error on line \d+: Expecting .*got 'EOF'/);
  });

  it('a template that uses an unknown partial', async () => {
    const dir = project();
    const broken = pack({ 'partials/migration/top.py.hbs': '{{> team/header}}\n' });
    await expectRefused(dir, rename(dir, '--pack', broken), /template "partials\/migration\/top" \(pack .*\) uses the partial "team\/header" on line 1, which no template pack provides/);
  });

  it('a pack whose templates render Python that does not parse', async () => {
    const dir = project();
    const broken = pack({ 'partials/migration/class-attributes.py.hbs': 'safe = = 1\n' });
    await expectRefused(dir, rename(dir, '--pack', broken), /template "migrations\/migration" rendered 0004_order_qty_expand\.py as Python that does not parse \(.+\), with the packs /);
  });

  it('a bad pack named in pyproject.toml', async () => {
    const dir = project();
    pack({ 'migrations/migration.py.hbs': '{{> nope}}' }, 1, join(dir, 'bg-templates'));
    writeFileSync(join(dir, 'pyproject.toml'), '[tool.bg-scaffold]\npacks = ["./bg-templates"]\n');
    await expectRefused(dir, rename(dir), /template "migrations\/migration" \(pack "bg-templates" \(project config\)\) uses the partial "nope"/);
  });

  it('a bad template in the project folder .bg-scaffold/templates/', async () => {
    const dir = project();
    pack({ 'snippets/dual-write-save.py.hbs': '{{#each}}' }, 1, join(dir, '.bg-scaffold', 'templates'));
    await expectRefused(dir, rename(dir, '--strategy', 'copy'), /template "snippets\/dual-write-save" \(pack "\.bg-scaffold\/templates" \(project folder\)\) does not compile/);
  });

  it('advance with a bad pack writes nothing either', async () => {
    const dir = project();
    expect((await runCli(rename(dir))).code).toBe(0);
    const future = pack({ 'partials/migration/top.py.hbs': '#' }, 3);
    await expectRefused(dir, ['advance', 'order-quantity-to-qty', '--project', dir, '--yes', '--pack', future], /template API 3/);
  });
});

describe('JavaScript helpers run only from packs named explicitly', () => {
  /** helpers.mjs leaves a file outside the project when it is loaded. */
  function helperPack(where: string, proof: string): void {
    pack(
      {
        'helpers.mjs': `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(proof)}, 'ran');\nexport function team() { return 'Team'; }\n`,
        'partials/migration/top.py.hbs': '# Team header\n',
      },
      1,
      where,
    );
  }

  it('a .bg-scaffold/templates/ folder that is merely present renders its templates and runs no code', async () => {
    const dir = project();
    const proof = join(work, `proof${counter++}`);
    helperPack(join(dir, '.bg-scaffold', 'templates'), proof);
    const result = await runCli(rename(dir));
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'shop', 'migrations', '0004_order_qty_expand.py'), 'utf8')).toMatch(/^# Team header\n/);
    expect(existsSync(proof), 'helpers.mjs was loaded').toBe(false);
  });

  it('the same folder named with --pack runs its helpers', async () => {
    const dir = project();
    const proof = join(work, `proof${counter++}`);
    const named = join(work, `named${counter++}`);
    helperPack(named, proof);
    const result = await runCli(rename(dir, '--pack', named));
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(proof)).toBe(true);
  });
});

describe('bg-scaffold templates list', () => {
  it('lists every template and the pack it resolves from, packs in the order they win', async () => {
    const dir = project();
    const result = await runCli(['templates', 'list', '--project', dir, '--pack', SAFEMIGRATE]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'Template packs, first match wins:',
      expect.stringMatching(/^ {2}1\. .*examples\/packs\/safemigrate \(--pack, template API 1, helpers: safemigrateWhen\)$/),
      '  2. built-in (template API 1)',
    ]);
    expect(result.stdout).toMatch(/\npartials\/migration\/class-attributes +\S*examples\/packs\/safemigrate \(overrides built-in\)\n/);
    expect(result.stdout).toMatch(/\nmigrations\/migration +built-in\n/);
    expect(result.stdout).toMatch(/\npartials\/operations\/ddl +built-in\n/);
  });

  it('--json: the config in effect, the packs and every template', async () => {
    const dir = project();
    pack({ 'record/PLAN.md.hbs': '# plan' }, 1, join(dir, '.bg-scaffold', 'templates'));
    writeFileSync(join(dir, 'pyproject.toml'), `[tool.bg-scaffold]\npacks = [${JSON.stringify(SAFEMIGRATE)}]\n`);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ 'bg-scaffold': { packs: [] } }));
    const result = await runCli(['templates', 'list', '--project', dir, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const listing = JSON.parse(result.stdout);
    expect(listing.config).toEqual({ source: 'pyproject.toml [tool.bg-scaffold]', ignored: ['package.json "bg-scaffold"'] });
    expect(listing.packs.map((p: { origin: string }) => p.origin)).toEqual(['project config', 'project folder', 'built-in']);
    const byName = Object.fromEntries(listing.templates.map((t: { name: string; pack: string }) => [t.name, t.pack]));
    expect(byName['record/PLAN']).toBe('.bg-scaffold/templates');
    expect(byName['partials/migration/imports']).toMatch(/examples\/packs\/safemigrate$/);
    expect(byName['migrations/migration']).toBe('built-in');
  });

  it('refuses a bad pack as a run would', async () => {
    const dir = project();
    const future = pack({ 'migrations/migration.py.hbs': '#' }, 2);
    await expectRefused(dir, ['templates', 'list', '--project', dir, '--pack', future], /template API 2/);
  });
});

describe('bg-scaffold templates eject', () => {
  it('copies a built-in template and a pack.json into .bg-scaffold/templates/', async () => {
    const dir = project();
    const result = await runCli(['templates', 'eject', 'migrations/migration', '--project', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^create \.bg-scaffold\/templates\/migrations\/migration\.py\.hbs\ncreate \.bg-scaffold\/templates\/pack\.json\n/);
    expect(readFileSync(join(dir, '.bg-scaffold', 'templates', 'migrations', 'migration.py.hbs'), 'utf8')).toBe(
      readFileSync(join(repo, 'templates', 'migrations', 'migration.py.hbs'), 'utf8'),
    );
    expect(JSON.parse(readFileSync(join(dir, '.bg-scaffold', 'templates', 'pack.json'), 'utf8')).templateApi).toBe(1);
  });

  it('a folder name ejects every template in it', async () => {
    const dir = project();
    const result = await runCli(['templates', 'eject', 'partials/state', '--project', dir, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.templates).toEqual(readdirSync(join(repo, 'templates', 'partials', 'state')).map((f) => `partials/state/${f.replace(/\.py\.hbs$/, '')}`).sort());
    expect(summary.written).toBe(true);
  });

  it('refuses to overwrite, all or nothing: one existing file and nothing is written', async () => {
    const dir = project();
    expect((await runCli(['templates', 'eject', 'partials/operations/ddl', '--project', dir])).code).toBe(0);
    await expectRefused(dir, ['templates', 'eject', '--all', '--project', dir], /\.bg-scaffold\/templates\/partials\/operations\/ddl\.py\.hbs exists already; eject never overwrites/);
    await expectRefused(dir, ['templates', 'eject', 'partials/operations/ddl', '--project', dir], /exists already/);
  });

  it('an unknown name is refused with suggestions', async () => {
    const dir = project();
    await expectRefused(dir, ['templates', 'eject', 'migration', '--project', dir], /no built-in template "migration"; did you mean migrations\/migration/);
    await expectRefused(dir, ['templates', 'eject', '--project', dir], /name the templates to eject/);
  });

  it('--dry-run prints the files and writes nothing', async () => {
    const dir = project();
    const before = snapshotTree(dir);
    const result = await runCli(['templates', 'eject', 'record/PLAN', '--project', dir, '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('+++ b/.bg-scaffold/templates/record/PLAN.md.hbs');
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('after eject --all, a run renders exactly what the built-in pack renders', async () => {
    const plain = project();
    const ejected = project();
    expect((await runCli(['templates', 'eject', '--all', '--project', ejected])).code).toBe(0);
    const env = { SOURCE_DATE_EPOCH: '1790000000' };
    expect((await runCli(rename(plain, '--strategy', 'copy'), { env })).code).toBe(0);
    const result = await runCli(rename(ejected, '--strategy', 'copy'), { env });
    expect(result.code, result.stderr).toBe(0);
    const tree = (dir: string) => new Map([...snapshotTree(dir)].filter(([path]) => !path.startsWith('.bg-scaffold/templates')));
    expect(tree(ejected)).toEqual(tree(plain));
  });
});

/** Sample invocations of every operation, by command; an operation is covered once its command exists. */
const OPERATION_CASES: Record<string, Array<{ name: string; args: string[] }>> = {
  'rename-column': [
    { name: 'trigger', args: ['--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'trigger'] },
    { name: 'copy', args: ['--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'copy'] },
    { name: 'db-column', args: ['--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'db-column'] },
  ],
  'add-column': [
    { name: 'nullable', args: ['--app', 'shop', '--model', 'Order', '--name', 'priority', '--type', 'IntegerField', '--null'] },
    { name: 'with a default', args: ['--app', 'shop', '--model', 'Order', '--name', 'priority', '--type', 'IntegerField', '--default', '0'] },
    { name: 'NOT NULL with a backfill', args: ['--app', 'shop', '--model', 'Order', '--name', 'priority', '--type', 'IntegerField', '--backfill-sql', 'quantity * 2'] },
  ],
  'remove-column': [
    { name: 'a field with a default', args: ['--app', 'shop', '--model', 'Order', '--field', 'note'] },
    { name: 'a NOT NULL field without one', args: ['--app', 'shop', '--model', 'Order', '--field', 'quantity'] },
  ],
  'drop-table': [{ name: 'a model nothing points at', args: ['--app', 'shop', '--model', 'Shipment'] }],
};

const existingCommands = new Set((await loadProgram({ io: { stdout: { write: () => 0 }, stderr: { write: () => 0 } }, cwd: repo, exitCode: 0 })).commands.map((c) => c.name()));
const operations = Object.entries(OPERATION_CASES).filter(([op]) => existingCommands.has(op));

describe('every operation renders with the example pack (safemigrate marks and the team header)', () => {
  it('covers at least rename-column', () => {
    expect(operations.map(([op]) => op)).toContain('rename-column');
  });

  describe.each(operations)('%s', (op, cases) => {
    it.each(cases)('$name: every phase\'s migration is marked, before or after the deploy by whether the phase changes code', async ({ args }) => {
      const dir = project();
      const packArgs = ['--pack', SAFEMIGRATE, '--project', dir, '--yes'];
      const first = await runMain([op, ...args, ...packArgs, '--json']);
      expect(first.code, first.stderr).toBe(0);
      const { change, phases } = JSON.parse(first.stdout) as { change: string; phases: number };
      for (let phase = 2; phase <= phases; phase++) {
        const next = await runMain(['advance', change, ...packArgs]);
        expect(next.code, next.stderr).toBe(0);
      }
      const record = JSON.parse(readFileSync(join(dir, '.bg-scaffold', change, 'plan.json'), 'utf8')) as ChangeRecord;
      const withMigration = record.plan.phases.filter((p) => p.migration);
      const applied = record.applied.filter((a) => a.migration).map((a) => a.migration!);
      expect(applied).toHaveLength(withMigration.length);
      for (const [index, file] of applied.entries()) {
        const phase = withMigration[index]!;
        const source = readFileSync(join(dir, file), 'utf8');
        const changesCode = phase.codeBlocks.length > 0 || phase.modelEdits.some((edit) => edit.kind !== 'unmark');
        const where = `${relative(dir, join(dir, file))} (phase ${phase.number}/${phase.of})`;
        expect(source, where).toMatch(/^# Example Team · database migrations/);
        expect(source, where).toMatch(/\nfrom django_safemigrate import Safe\n/);
        expect(source.match(/^ {4}safe = Safe\.\w+\(\)$/gm), where).toEqual([`    safe = Safe.${changesCode ? 'before' : 'after'}_deploy()`]);
        expect(source, where).toMatch(/\nclass Migration\(migrations\.Migration\):\n(    #.*\n)+    safe = Safe/);
      }
    });
  });
});
