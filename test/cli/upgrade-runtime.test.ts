/**
 * `bg-scaffold upgrade-runtime` from the command line, with `check` around it: a project whose
 * migrations folder still has only the old runtime (_bg_scaffold_v1.py) fails check, gets v7 written
 * beside it (v1 untouched: the migrations that import it keep it), and then passes.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from './in-process.js';
import { snapshotTree } from './snapshot-tree.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const example = join(repo, 'examples', 'shop');
/** The runtime as shipped, read here rather than through the code under test. */
const shipped = readFileSync(join(repo, 'python', 'runtime', '_bg_scaffold_v7.py'), 'utf8');
/** An old copy, and a migration generated with it. */
const V1 = '# Written by bg-scaffold 0.1.0 for the PostgreSQL migrations it generates.\nclass RunDDL:\n    pass\n';
const V1_MIGRATION = [
  'from django.db import migrations',
  '',
  'from ._bg_scaffold_v1 import RunDDL',
  '',
  '',
  'class Migration(migrations.Migration):',
  '    atomic = False',
  '    dependencies = [("shop", "0003_shipment")]',
  '    operations = []',
  '',
].join('\n');

let work: string;
let counter = 0;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bg-cli-upgrade-runtime-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of examples/shop with `files` planted; by default the old runtime and a migration importing it. */
function project(files: Record<string, string> = { 'shop/migrations/_bg_scaffold_v1.py': V1, 'shop/migrations/0004_old_runtime.py': V1_MIGRATION }): string {
  const dir = join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const run = (args: string[]) => runMain(args, { env: process.env });
const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');

describe('bg-scaffold upgrade-runtime', () => {
  it('check fails on the old runtime; upgrade-runtime writes v7 beside it, leaves v1 and its migration alone; check then passes', async () => {
    const dir = project();
    const before = await run(['check', '--project', dir]);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('- (no change): 1 finding\n  shop/migrations/_bg_scaffold_v1.py:1: stale-runtime: runtime v1 is older than the v7 that bg-scaffold');
    expect(before.stdout).toContain('bg-scaffold upgrade-runtime writes _bg_scaffold_v7.py beside it');

    const { code, stdout, stderr } = await run(['upgrade-runtime', '--project', dir]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      'create shop/migrations/_bg_scaffold_v7.py (runtime v7, beside _bg_scaffold_v1.py)\n\n' +
        'Older versions stay: the migrations that import them keep the code they were tested with; new migrations import _bg_scaffold_v7.\n',
    );
    expect(read(dir, 'shop/migrations/_bg_scaffold_v7.py')).toBe(shipped);
    expect(read(dir, 'shop/migrations/_bg_scaffold_v1.py')).toBe(V1);
    expect(read(dir, 'shop/migrations/0004_old_runtime.py')).toBe(V1_MIGRATION);

    const after = await run(['check', '--project', dir]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^check passed: no findings/);

    const again = await run(['upgrade-runtime', '--project', dir]);
    expect(again).toEqual({ code: 0, stdout: 'nothing to upgrade: every migrations folder with a runtime has _bg_scaffold_v7.py as bg-scaffold ships it\n', stderr: '' });
  });

  it('--dry-run prints the diff and leaves the tree byte for byte as it was', async () => {
    const dir = project();
    const before = snapshotTree(dir);
    const { code, stdout, stderr } = await run(['upgrade-runtime', '--project', dir, '--dry-run']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^diff --git a\/shop\/migrations\/_bg_scaffold_v7\.py b\/shop\/migrations\/_bg_scaffold_v7\.py\n(.*\n)*--- \/dev\/null\n\+\+\+ b\/shop\/migrations\/_bg_scaffold_v7\.py\n/);
    expect(stdout).toContain('+# bg-scaffold runtime, version 7:');
    expect(stderr).toBe('dry run: nothing was written (1 file would change)\n');
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('--json says what it wrote and why', async () => {
    const dir = project({ 'shop/migrations/_bg_scaffold_v1.py': V1, 'billing/migrations/_bg_scaffold_v7.py': `${shipped}# mine\n` });
    const { code, stdout } = await run(['upgrade-runtime', '--project', dir, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      runtime: { version: 7, module: '_bg_scaffold_v7' },
      files: [
        { path: 'billing/migrations/_bg_scaffold_v7.py', action: 'modify', reason: 'the shipped runtime v7, over an edited copy' },
        { path: 'shop/migrations/_bg_scaffold_v7.py', action: 'create', reason: 'runtime v7, beside _bg_scaffold_v1.py' },
      ],
      written: true,
      warnings: [],
    });
    expect(read(dir, 'billing/migrations/_bg_scaffold_v7.py')).toBe(shipped);
    expect(read(dir, 'shop/migrations/_bg_scaffold_v7.py')).toBe(shipped);
  });

  it('--json --dry-run writes nothing and carries the diff', async () => {
    const dir = project();
    const before = snapshotTree(dir);
    const { code, stdout } = await run(['upgrade-runtime', '--project', dir, '--json', '--dry-run']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ written: false, files: [{ path: 'shop/migrations/_bg_scaffold_v7.py', action: 'create' }] });
    expect(report.diff).toContain('+++ b/shop/migrations/_bg_scaffold_v7.py');
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('a copy newer than this bg-scaffold is left alone, with a warning to upgrade bg-scaffold', async () => {
    const dir = project({ 'shop/migrations/_bg_scaffold_v8.py': '# v8\n' });
    const before = snapshotTree(dir);
    const { code, stdout, stderr } = await run(['upgrade-runtime', '--project', dir]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^warning: shop\/migrations\/_bg_scaffold_v8\.py: runtime v8 is newer than the v7 that bg-scaffold \S+ ships: upgrade bg-scaffold\n$/);
    expect(stdout).toBe('nothing to upgrade: every migrations folder with a runtime has _bg_scaffold_v7.py as bg-scaffold ships it\n');
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('a project without any runtime: nothing to upgrade, exit 0', async () => {
    const dir = project({});
    const { code, stdout } = await run(['upgrade-runtime', '--project', dir]);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'nothing to upgrade: no migrations folder has a bg-scaffold runtime\n' });
    expect(existsSync(join(dir, 'shop/migrations/_bg_scaffold_v7.py'))).toBe(false);
  });

  it('exits 2 with one line outside a Django project, writing nothing', async () => {
    const empty = join(work, `empty${counter++}`);
    mkdirSync(join(empty, 'app', 'migrations'), { recursive: true });
    writeFileSync(join(empty, 'app', 'migrations', '_bg_scaffold_v1.py'), V1);
    const before = snapshotTree(empty);
    const { code, stdout, stderr } = await run(['upgrade-runtime', '--project', empty]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`bg-scaffold: no manage.py and no .bg-scaffold/ in ${empty}; pass --project pointing at your Django project\n`);
    expect(snapshotTree(empty)).toEqual(before);
  });

  it('its help says that older versions are never changed, and why', async () => {
    const { code, stdout } = await run(['upgrade-runtime', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('It never changes or deletes an older');
    expect(stdout).toContain('must keep running the code they were tested');
    for (const flag of ['--project', '--dry-run', '--json']) expect(stdout).toContain(flag);
  });
});
