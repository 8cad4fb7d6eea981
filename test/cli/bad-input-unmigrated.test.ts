/**
 * A model or field in models.py that no migration has yet (makemigrations not run) takes no phased
 * change: its migration would fail at migrate (`KeyError: ('shop', 'fresh')`). One line, exit 2,
 * nothing written. Runs the built CLI as a user would.
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './run-cli.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
const work = mkdtempSync(join(tmpdir(), 'bg-unmigrated-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The shop with a model and a field written in models.py after its last makemigrations. */
const project = join(work, 'shop');
cpSync(example, project, { recursive: true });
const modelsPy = join(project, 'shop', 'models.py');
appendFileSync(modelsPy, '\n\nclass Fresh(models.Model):\n    label = models.CharField(max_length=20)\n');
writeFileSync(modelsPy, readFileSync(modelsPy, 'utf8').replace('    quantity = models.IntegerField()\n', '    quantity = models.IntegerField()\n    rating = models.IntegerField(null=True)\n'));

const run = (op: string, ...args: string[]) => [op, '--project', project, '--app', 'shop', ...args, '--yes'];

async function expectRefused(args: string[], message: RegExp) {
  const before = snapshotTree(project);
  const result = await runCli(args);
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines, 'exactly one line on stderr').toHaveLength(1);
  expect(lines[0]).toMatch(/^bg-scaffold: /);
  expect(lines[0]).toMatch(message);
  expect(result.stdout).toBe('');
  expect(snapshotTree(project)).toEqual(before);
}

const notMigrated = (what: string) => new RegExp(`${what.replace(/\./g, '\\.')} is not in any migration yet: run "python manage\\.py makemigrations shop" first$`);

describe('a model no migration creates yet', () => {
  it('add-column is refused: run makemigrations first', async () => {
    await expectRefused(run('add-column', '--model', 'Fresh', '--name', 'size', '--type', 'IntegerField', '--null'), notMigrated('shop.Fresh'));
  });

  it('rename-column and remove-column are refused', async () => {
    await expectRefused(run('rename-column', '--model', 'Fresh', '--field', 'label', '--to', 'title'), notMigrated('shop.Fresh'));
    await expectRefused(run('remove-column', '--model', 'Fresh', '--field', 'label'), notMigrated('shop.Fresh'));
  });

  it('drop-table is refused', async () => {
    await expectRefused(run('drop-table', '--model', 'Fresh'), notMigrated('shop.Fresh'));
  });
});

describe('a field no migration adds yet', () => {
  it('rename-column and remove-column are refused', async () => {
    await expectRefused(run('rename-column', '--model', 'Order', '--field', 'rating', '--to', 'stars'), notMigrated('shop.Order.rating'));
    await expectRefused(run('remove-column', '--model', 'Order', '--field', 'rating'), notMigrated('shop.Order.rating'));
  });

  it('the fields migrations have are still changed as before', async () => {
    const result = await runCli(run('rename-column', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--dry-run'));
    expect(result.code, result.stderr).toBe(0);
  });
});
