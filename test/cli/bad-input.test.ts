/**
 * Bad input gets one clear line on stderr, exit code 2, and a project tree that is byte-for-byte
 * unchanged. Runs the built CLI as a user would.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './run-cli.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
const work = mkdtempSync(join(tmpdir(), 'bg-bad-input-'));
// Readable by the unprivileged user of the read-only-folder case.
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function project(prepare?: (dir: string) => void): string {
  const dir = join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  prepare?.(dir);
  return dir;
}

const rename = (dir: string, ...extra: string[]) => [
  'rename-column', '--project', dir, '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--yes', ...extra,
];

function replaceArg(args: string[], flag: string, value: string): string[] {
  const copy = [...args];
  copy[copy.indexOf(flag) + 1] = value;
  return copy;
}

async function expectRefused(dir: string, args: string[], message: RegExp, runAs?: string) {
  const before = snapshotTree(dir);
  const result = runAs ? runAsUser(runAs, args) : await runCli(args);
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines, 'exactly one line on stderr').toHaveLength(1);
  expect(lines[0]).toMatch(/^bg-scaffold: /);
  expect(lines[0]).toMatch(message);
  expect(result.stdout).toBe('');
  expect(snapshotTree(dir)).toEqual(before);
}

function runAsUser(user: string, args: string[]) {
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'bg-scaffold.js');
  const r = spawnSync('runuser', ['-u', user, '--', process.execPath, bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

describe('bad input: one line, exit 2, nothing written', () => {
  it('an unknown app', async () => {
    const dir = project();
    await expectRefused(dir, replaceArg(rename(dir), '--app', 'shp'), /unknown app "shp".*shop/);
  });

  it('an unknown model', async () => {
    const dir = project();
    await expectRefused(dir, replaceArg(rename(dir), '--model', 'Ordr'), /unknown model "Ordr".*Order/);
  });

  it('an unknown field', async () => {
    const dir = project();
    await expectRefused(dir, replaceArg(rename(dir), '--field', 'quantit'), /unknown field "quantit".*quantity/);
  });

  it('a new name that another field already has', async () => {
    const dir = project();
    await expectRefused(dir, replaceArg(rename(dir), '--to', 'reference'), /already a field of Order/);
  });

  it('a new name that is not a valid identifier', async () => {
    const dir = project();
    await expectRefused(dir, replaceArg(rename(dir), '--to', 'qty-2'), /not a valid Python identifier/);
  });

  it('a new name that is a Python keyword', async () => {
    const dir = project();
    await expectRefused(dir, replaceArg(rename(dir), '--to', 'lambda'), /Python keyword/);
  });

  it('a new name that is an SQL reserved word', async () => {
    const dir = project();
    await expectRefused(dir, replaceArg(rename(dir), '--to', 'select'), /reserved word in SQL/);
  });

  it('a models.py that does not parse', async () => {
    const dir = project((d) => {
      const file = join(d, 'shop', 'models.py');
      writeFileSync(file, readFileSync(file, 'utf8').replace('class Shipment(models.Model):', 'class Shipment(models.Model)'));
    });
    await expectRefused(dir, rename(dir), /shop\/models\.py:\d+:\d+: does not parse as Python/);
  });

  it('two leaf migrations', async () => {
    const dir = project((d) => {
      const migration = (name: string) =>
        `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0003_shipment")]\n    operations = []\n`;
      writeFileSync(join(d, 'shop', 'migrations', '0004_a.py'), migration('a'));
      writeFileSync(join(d, 'shop', 'migrations', '0004_b.py'), migration('b'));
    });
    await expectRefused(dir, rename(dir), /2 leaf migrations.*makemigrations --merge/);
  });

  it('a change id that already exists', async () => {
    const dir = project();
    const first = await runCli(rename(dir));
    expect(first.code, first.stderr).toBe(0);
    await expectRefused(dir, rename(dir), /change "order-quantity-to-qty" already exists.*advance/);
  });

  it('advancing a change that does not exist, or past its last phase', async () => {
    const dir = project();
    await expectRefused(dir, ['advance', 'nope', '--project', dir, '--yes'], /unknown change "nope"/);
    expect((await runCli(rename(dir, '--strategy', 'db-column'))).code).toBe(0);
    await expectRefused(dir, ['advance', 'order-quantity-to-qty', '--project', dir, '--yes'], /complete/);
  });

  it("advancing when an earlier phase's migration is missing: names the file and where to restore it from", async () => {
    const dir = project();
    expect((await runCli(rename(dir))).code).toBe(0);
    unlinkSync(join(dir, 'shop', 'migrations', '0004_order_qty_expand.py'));
    await expectRefused(
      dir,
      ['advance', 'order-quantity-to-qty', '--project', dir, '--yes'],
      /^bg-scaffold: cannot advance order-quantity-to-qty: shop\/migrations\/0004_order_qty_expand\.py: the migration of phase 1\/2 is missing: .*restore it from \.bg-scaffold\/order-quantity-to-qty\/phase-1\/0004_order_qty_expand\.py/,
    );
  });

  it("advancing when an earlier phase's migration was edited by hand: names the file, the line and the fix", async () => {
    const dir = project();
    expect((await runCli(rename(dir))).code).toBe(0);
    const path = join(dir, 'shop', 'migrations', '0004_order_qty_expand.py');
    const lines = readFileSync(path, 'utf8').split('\n');
    const at = lines.findIndex((line) => line.includes('ADD COLUMN'));
    lines[at] = lines[at]!.replace('integer NULL', 'bigint NULL');
    writeFileSync(path, lines.join('\n'));
    await expectRefused(
      dir,
      ['advance', 'order-quantity-to-qty', '--project', dir, '--yes'],
      new RegExp(
        `^bg-scaffold: cannot advance order-quantity-to-qty: shop/migrations/0004_order_qty_expand\\.py:${at + 1}: the migration of phase 1/2 was edited by hand: .*restore it from that copy`,
      ),
    );
  });

  it('a missing answer in a script names its flag', async () => {
    const dir = project();
    const args = rename(dir);
    args.splice(args.indexOf('--to'), 2);
    await expectRefused(dir, args, /--to/);
  });

  it('a directory bg-scaffold cannot write into', async () => {
    // A file where the change record's folder must go: writing fails after everything was staged.
    const dir = project((d) => writeFileSync(join(d, '.bg-scaffold'), 'not a folder\n'));
    await expectRefused(dir, rename(dir), /cannot write .*nothing was written/);
  });

  it.skipIf(process.getuid?.() !== 0 || spawnSync('runuser', ['--help']).status !== 0)(
    'a read-only migrations folder (as an unprivileged user)',
    async () => {
      const dir = project((d) => {
        mkdirSync(join(d, '.bg-scaffold'));
        chmodSync(join(d, 'shop', 'migrations'), 0o555);
      });
      // The unprivileged user may write the record and models.py, but not the migration.
      spawnSync('chmod', ['-R', 'o+w', join(dir, '.bg-scaffold'), join(dir, 'shop', 'models.py')]);
      spawnSync('chmod', ['o+wx', join(dir, 'shop')]);
      await expectRefused(dir, rename(dir), /cannot write/, 'nobody');
    },
  );
});

describe('a good run changes only what it means to', () => {
  it('edits only the renamed field line of models.py; everything else stays byte-identical', async () => {
    const dir = project();
    const before = readFileSync(join(dir, 'shop', 'models.py'), 'utf8').split('\n');
    const result = await runCli(rename(dir));
    expect(result.code, result.stderr).toBe(0);
    const after = readFileSync(join(dir, 'shop', 'models.py'), 'utf8').split('\n');
    expect(after).toHaveLength(before.length);
    const changed = after.flatMap((line, i) => (line === before[i] ? [] : [[before[i], line]]));
    expect(changed).toEqual([
      ['    quantity = models.IntegerField()', '    qty = models.IntegerField()  # bg-scaffold: order-quantity-to-qty 1/2 renamed from quantity'],
    ]);
  });

  it('--dry-run prints a diff of every file and writes nothing', async () => {
    const dir = project();
    const before = snapshotTree(dir);
    const result = await runCli(rename(dir, '--dry-run'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('+++ b/shop/migrations/0004_order_qty_expand.py');
    expect(result.stdout).toContain('-    quantity = models.IntegerField()');
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('--json prints the change, its phases and the files written', async () => {
    const dir = project();
    const result = await runCli(rename(dir, '--json'));
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ change: 'order-quantity-to-qty', op: 'rename-column', strategy: 'trigger', phase: 1, phases: 2, written: true });
    expect(summary.files).toContainEqual({ path: 'shop/migrations/0004_order_qty_expand.py', action: 'create' });
    expect(summary.files).toContainEqual({ path: 'shop/models.py', action: 'modify' });
  });

  it('advance numbers its migration after the leaf at that time', async () => {
    const dir = project();
    expect((await runCli(rename(dir))).code).toBe(0);
    // Another change lands in between.
    writeFileSync(
      join(dir, 'shop', 'migrations', '0005_unrelated.py'),
      'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0004_order_qty_expand")]\n    operations = []\n',
    );
    const result = await runCli(['advance', 'order-quantity-to-qty', '--project', dir, '--yes']);
    expect(result.code, result.stderr).toBe(0);
    const migration = readFileSync(join(dir, 'shop', 'migrations', '0006_order_qty_contract.py'), 'utf8');
    expect(migration).toContain('("shop", "0005_unrelated")');
    expect(migration).toContain('"phase": 2');
  });
});

describe('bad input with --json: the same line on stderr, and a JSON object on stdout for the script that asked', () => {
  interface JsonFailure {
    ok: false;
    error: { exitCode: number; kind: string; message: string };
  }

  it('an unknown app', async () => {
    const dir = project();
    const before = snapshotTree(dir);
    const result = await runCli(replaceArg(rename(dir, '--json'), '--app', 'shp'));
    expect(result.code).toBe(2);
    const failure = JSON.parse(result.stdout) as JsonFailure;
    expect(failure).toEqual({ ok: false, error: { exitCode: 2, kind: 'bad-input', message: expect.stringMatching(/^unknown app "shp"/) } });
    expect(result.stderr).toBe(`bg-scaffold: ${failure.error.message}\n`);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('an unknown flag, which the parser refuses', async () => {
    const dir = project();
    const result = await runCli([...rename(dir, '--json'), '--frob']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({ ok: false, error: { exitCode: 2, kind: 'bad-input', message: "unknown option '--frob'" } });
    expect(result.stderr).toMatch(/^bg-scaffold: unknown option '--frob'; see .* --help\n$/);
  });

  it('--json after --, where it is no option, asks for nothing', async () => {
    const dir = project();
    const result = await runCli([...replaceArg(rename(dir), '--app', 'shp'), '--', '--json']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });
});
