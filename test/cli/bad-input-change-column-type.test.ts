/**
 * change-column-type: bad input gets one clear line on stderr, exit code 2, and a project tree that
 * is byte-for-byte unchanged. Runs the built CLI as a user would (read statically: the shop's
 * fields are all declared).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './run-cli.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
const work = mkdtempSync(join(tmpdir(), 'bg-bad-input-type-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function project(): string {
  const dir = join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  return dir;
}

const changeType = (dir: string, model: string, field: string, ...extra: string[]) => [
  'change-column-type', '--project', dir, '--no-django', '--app', 'shop', '--model', model, '--field', field, '--yes', ...extra,
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

describe('change-column-type: bad input gets one line, exit 2, nothing written', () => {
  it('a missing --type names the flag; an unknown field suggests the close one', async () => {
    const dir = project();
    await expectRefused(dir, ['change-column-type', '--project', dir, '--no-django', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--yes'], /missing --type \(the new field type\)/);
    await expectRefused(dir, changeType(dir, 'Order', 'quantiy', '--type', 'BigIntegerField'), /unknown field "quantiy" on shop\.Order \(did you mean "quantity"\?\)/);
  });

  it('a type it does not change columns to, and the type the field has already', async () => {
    const dir = project();
    await expectRefused(dir, changeType(dir, 'Order', 'quantity', '--type', 'JSONField'), /--type JSONField is not a type bg-scaffold changes columns to; choose one of SmallIntegerField, /);
    await expectRefused(dir, changeType(dir, 'Order', 'quantity', '--type', 'IntegerField'), /Order\.quantity is already IntegerField \(integer\)/);
  });

  it('a cast PostgreSQL cannot make implicitly asks for --using, with an example', async () => {
    const dir = project();
    await expectRefused(dir, changeType(dir, 'Order', 'reference', '--type', 'IntegerField'), /PostgreSQL has no implicit cast from varchar\(20\) to integer; pass --using with the SQL of the new value, e\.g\. --using "reference::integer"/);
  });

  it('a relation, a date and a size for the wrong type', async () => {
    const dir = project();
    await expectRefused(dir, changeType(dir, 'Order', 'product', '--type', 'BigIntegerField'), /Order\.product is a relation: its column's type follows the key of the model it points at/);
    await expectRefused(dir, changeType(dir, 'Order', 'placed_at', '--type', 'CharField', '--max-length', '40'), /Order\.placed_at \(DateTimeField\) is neither a number nor a text field, the types bg-scaffold changes/);
    await expectRefused(dir, changeType(dir, 'Order', 'quantity', '--type', 'BigIntegerField', '--max-length', '4'), /--max-length applies to --type CharField only/);
    await expectRefused(dir, changeType(dir, 'Order', 'note', '--type', 'CharField'), /--type CharField needs --max-length/);
  });
});
