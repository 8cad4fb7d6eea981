/**
 * Names Django would refuse are refused before anything is written (one line, exit 2, tree
 * unchanged); names Python and Django accept are accepted. Runs the built CLI as a user would.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './run-cli.js';

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const work = mkdtempSync(join(tmpdir(), 'bg-bad-names-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function project(example = 'shop'): string {
  const dir = join(work, `p${counter++}`);
  cpSync(join(examples, example), dir, { recursive: true });
  return dir;
}

/** One copy for every refusal: none of them may write. */
const shop = project();

const rename = (model: string, field: string, to: string, ...extra: string[]) => [
  'rename-column', '--project', shop, '--app', 'shop', '--model', model, '--field', field, '--to', to, '--yes', ...extra,
];
const add = (name: string, ...extra: string[]) => [
  'add-column', '--project', shop, '--app', 'shop', '--model', 'Order', '--name', name, '--type', 'IntegerField', '--null', '--yes', ...extra,
];

async function expectRefused(args: string[], message: RegExp) {
  const before = snapshotTree(shop);
  const result = await runCli(args);
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines, 'exactly one line on stderr').toHaveLength(1);
  expect(lines[0]).toMatch(/^bg-scaffold: /);
  expect(lines[0]).toMatch(message);
  expect(result.stdout).toBe('');
  expect(snapshotTree(shop)).toEqual(before);
}

describe('names Django refuses: one line, exit 2, nothing written', () => {
  it('id beside the primary key Django adds (models.E004), by rename and by add-column', async () => {
    await expectRefused(rename('Order', 'quantity', 'id'), /--to "id" is the name of the primary key Django adds to Order.*models\.E004/);
    await expectRefused(add('id'), /--name "id" is the name of the primary key Django adds to Order/);
  });

  it('objects on a model that relies on the default manager', async () => {
    await expectRefused(rename('Order', 'quantity', 'objects', '--strategy', 'db-column'), /"objects" is the name Django gives Order's default manager/);
    await expectRefused(add('objects'), /"objects" is the name Django gives Order's default manager/);
  });

  it('a column name that differs from another only in case', async () => {
    await expectRefused(rename('Order', 'note', 'Quantity'), /--to "Quantity" differs only in case from the column "quantity" of Order\.quantity/);
  });

  it('the reverse accessor another model\'s foreign key gives the model (fields.E302)', async () => {
    await expectRefused(rename('Customer', 'name', 'orders'), /clashes with the reverse accessor that shop\.Order\.customer gives Customer \(fields\.E302\)/);
    await expectRefused(add('shipment'), /clashes with the reverse accessor that shop\.Shipment\.order gives Order/);
  });
});

describe('names Python and Django accept are accepted', () => {
  it('a soft keyword: type', async () => {
    const dir = project();
    const result = await runCli(['rename-column', '--project', dir, '--app', 'shop', '--model', 'Order', '--field', 'status', '--to', 'type', '--strategy', 'db-column', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'shop', 'models.py'), 'utf8')).toMatch(/^ {4}type = models\.CharField\(/m);
  });

  it('a name in another alphabet', async () => {
    const dir = project();
    const result = await runCli(['add-column', '--project', dir, '--app', 'shop', '--model', 'Order', '--name', 'größe', '--type', 'IntegerField', '--null', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(dir, 'shop', 'models.py'), 'utf8')).toMatch(/^ {4}größe = models\.IntegerField\(null=True\)/m);
  });
});
