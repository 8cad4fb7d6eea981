/**
 * A field or model that a change in flight holds takes no second change until the first is
 * finished: one line naming the change, exit 2, nothing written. Runs the built CLI as a user would.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './run-cli.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
const work = mkdtempSync(join(tmpdir(), 'bg-in-flight-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function project(): string {
  const dir = join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  return dir;
}

const on = (dir: string, op: string, ...args: string[]) => [op, '--project', dir, '--app', 'shop', ...args, '--yes'];

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

async function expectDone(args: string[]) {
  const result = await runCli(args);
  expect(result.code, result.stderr).toBe(0);
}

describe('a second change on a field already in flight', () => {
  // Phase 1 of 4 of a copy rename: the model has both quantity and qty.
  const dir = project();
  beforeAll(() => expectDone(on(dir, 'rename-column', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'copy')));
  const holder = /Order\.(quantity|qty) is being changed by change order-quantity-to-qty \(rename-column, phase 1\/4 generated\); finish it with `bg-scaffold advance order-quantity-to-qty` first/;

  it('a rename of the old name is refused, naming the change that holds it', async () => {
    await expectRefused(dir, on(dir, 'rename-column', '--model', 'Order', '--field', 'quantity', '--to', 'amount'), holder);
  });

  it('a rename of the new name is refused', async () => {
    await expectRefused(dir, on(dir, 'rename-column', '--model', 'Order', '--field', 'qty', '--to', 'amount'), holder);
  });

  it('remove-column of either name is refused', async () => {
    await expectRefused(dir, on(dir, 'remove-column', '--model', 'Order', '--field', 'quantity'), holder);
    await expectRefused(dir, on(dir, 'remove-column', '--model', 'Order', '--field', 'qty'), holder);
  });

  it('drop-table of the model is refused', async () => {
    await expectRefused(dir, on(dir, 'drop-table', '--model', 'Order'), /^bg-scaffold: Order is being changed by change order-quantity-to-qty/);
  });

  it('another field of the model is not held', async () => {
    await expectDone(on(dir, 'rename-column', '--model', 'Order', '--field', 'note', '--to', 'remark', '--strategy', 'db-column'));
  });
});

describe('a model that drop-table in flight is dropping', () => {
  it('takes no other change, though its class is already gone from models.py', async () => {
    const dir = project();
    await expectDone(on(dir, 'drop-table', '--model', 'Shipment'));
    await expectRefused(dir, on(dir, 'add-column', '--model', 'Shipment', '--name', 'weight', '--type', 'IntegerField', '--null'), /^bg-scaffold: Shipment is being changed by change drop-shipment \(drop-table, phase 1\/2 generated\)/);
  });
});

describe('a finished change holds nothing', () => {
  it('a field renamed by a complete change can be renamed again', async () => {
    const dir = project();
    await expectDone(on(dir, 'rename-column', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'db-column'));
    await expectDone(on(dir, 'rename-column', '--model', 'Order', '--field', 'qty', '--to', 'amount', '--strategy', 'db-column'));
  });
});
