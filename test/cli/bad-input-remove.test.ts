/**
 * remove-column and drop-table: bad input gets one clear line on stderr, exit code 2, and a project
 * tree that is byte-for-byte unchanged. Runs the built CLI as a user would.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './run-cli.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
const work = mkdtempSync(join(tmpdir(), 'bg-bad-input-remove-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function project(): string {
  const dir = join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  return dir;
}

const removeColumn = (dir: string, model: string, field: string, ...extra: string[]) => [
  'remove-column', '--project', dir, '--app', 'shop', '--model', model, '--field', field, '--yes', ...extra,
];
const dropTable = (dir: string, model: string, ...extra: string[]) => ['drop-table', '--project', dir, '--app', 'shop', '--model', model, '--yes', ...extra];

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

describe('remove-column: bad input gets one line, exit 2, nothing written', () => {
  it('a missing --field names the flag', async () => {
    const dir = project();
    await expectRefused(dir, ['remove-column', '--project', dir, '--app', 'shop', '--model', 'Order', '--yes'], /missing --field \(the field to remove\)/);
  });

  it('an unknown field suggests the close one', async () => {
    const dir = project();
    await expectRefused(dir, removeColumn(dir, 'Order', 'notes'), /unknown field "notes" on shop\.Order \(did you mean "note"\?\)/);
  });

  it('a --fill value of the wrong type for the column', async () => {
    const dir = project();
    await expectRefused(dir, removeColumn(dir, 'Product', 'price', '--fill', 'cheap'), /--fill "cheap" is not a number for DecimalField price/);
  });

  it('--fill on a foreign key, and on a unique column', async () => {
    const dir = project();
    await expectRefused(dir, removeColumn(dir, 'Order', 'product', '--fill', '1'), /--fill does not apply to the foreign key Order\.product/);
    await expectRefused(dir, removeColumn(dir, 'Order', 'reference', '--fill', 'X'), /unique column "reference" refuses/);
  });

  it('a foreign key on a database where bg-scaffold cannot replace its constraint', async () => {
    const dir = project();
    await expectRefused(dir, removeColumn(dir, 'Order', 'customer', '--database', 'mysql'), /foreign key Order\.customer on mysql .* PostgreSQL only/);
  });

  it('a change that already exists, even once its field is gone from the model', async () => {
    const dir = project();
    const first = await runCli(removeColumn(dir, 'Order', 'note'));
    expect(first.code, first.stderr).toBe(0);
    await expectRefused(dir, removeColumn(dir, 'Order', 'note'), /change "remove-order-note" already exists.*advance remove-order-note/);
  });
});

describe('drop-table: bad input gets one line, exit 2, nothing written', () => {
  it('a model that other models still point at: lists them with the commands to run first', async () => {
    const dir = project();
    await expectRefused(
      dir,
      dropTable(dir, 'Order'),
      /Order is still referenced by shop\.Shipment\.order; remove that field first: bg-scaffold remove-column --app shop --model Shipment --field order$/,
    );
    await expectRefused(dir, dropTable(dir, 'Product'), /Product is still referenced by shop\.Order\.product/);
  });

  it('an unknown model, and a missing --model', async () => {
    const dir = project();
    await expectRefused(dir, dropTable(dir, 'Shipments'), /unknown model "Shipments" in app "shop" \(did you mean "Shipment"\?\)/);
    await expectRefused(dir, ['drop-table', '--project', dir, '--app', 'shop', '--yes'], /missing --model \(the model class to delete\)/);
  });

  it('a change that already exists, even once its model is gone', async () => {
    const dir = project();
    const first = await runCli(dropTable(dir, 'Shipment'));
    expect(first.code, first.stderr).toBe(0);
    await expectRefused(dir, dropTable(dir, 'Shipment'), /change "drop-shipment" already exists/);
  });
});
