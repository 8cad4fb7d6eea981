/**
 * add-column's bad input gets one clear line on stderr, exit code 2, and a project tree that is
 * byte-for-byte unchanged. Runs the built CLI as a user would.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './run-cli.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
const work = mkdtempSync(join(tmpdir(), 'bg-bad-add-column-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** One copy of the example for every refusal: none of them may write. */
const project = join(work, 'shop');
cpSync(example, project, { recursive: true });

const add = (...extra: string[]) => ['add-column', '--project', project, '--app', 'shop', '--model', 'Order', '--yes', ...extra];

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

describe('add-column bad input: one line, exit 2, nothing written', () => {
  it('missing flags are named', async () => {
    await expectRefused(add(), /missing --name \(the new field name\) and --type \(the field type\); pass them/);
  });

  it('an unknown type lists the types', async () => {
    await expectRefused(add('--name', 'priority', '--type', 'IntField'), /unknown --type "IntField"; choose one of: CharField, TextField, IntegerField/);
  });

  it('a CharField without --max-length', async () => {
    await expectRefused(add('--name', 'code', '--type', 'CharField', '--null'), /--type CharField needs --max-length/);
  });

  it('a DecimalField without its digits', async () => {
    await expectRefused(add('--name', 'amount', '--type', 'DecimalField', '--null', '--max-digits', '8'), /needs --max-digits and --decimal-places/);
  });

  it('a volatile default, with the backfill plan as the alternative', async () => {
    await expectRefused(
      add('--name', 'seen_at', '--type', 'DateTimeField', '--default', 'now()'),
      /--default now\(\) is volatile: .*rewrite the whole table.*backfill plan.*--backfill-sql "now\(\)"/,
    );
  });

  it('a name another field already has', async () => {
    await expectRefused(add('--name', 'quantity', '--type', 'IntegerField', '--null'), /--name "quantity" is already a field of Order/);
  });

  it('a name that is an SQL reserved word', async () => {
    await expectRefused(add('--name', 'order', '--type', 'IntegerField', '--null'), /reserved word in SQL/);
  });

  it('a default that does not fit the type', async () => {
    await expectRefused(add('--name', 'priority', '--type', 'IntegerField', '--default', 'high'), /--default for IntegerField must be a whole number/);
  });

  it('--unique with a default (every existing row would collide)', async () => {
    await expectRefused(add('--name', 'code', '--type', 'CharField', '--max-length', '8', '--default', 'x', '--unique'), /--unique with --default/);
  });

  it('a foreign key to a model that is not there', async () => {
    await expectRefused(
      add('--name', 'referred_by', '--type', 'ForeignKey', '--to', 'Custmer', '--on-delete', 'CASCADE', '--null'),
      /--to "Custmer" is not a model .* shop\.Customer/,
    );
  });

  it('an on_delete commander does not know', async () => {
    await expectRefused(add('--name', 'referred_by', '--type', 'ForeignKey', '--to', 'Customer', '--on-delete', 'NOTHING'), /--on-delete.*NOTHING.*CASCADE/);
  });

  it('SET_NULL on a NOT NULL foreign key', async () => {
    await expectRefused(add('--name', 'referred_by', '--type', 'ForeignKey', '--to', 'Customer', '--on-delete', 'SET_NULL'), /SET_NULL needs --null/);
  });

  it('--strategy single-release on MySQL', async () => {
    await expectRefused(add('--name', 'weight', '--type', 'IntegerField', '--strategy', 'single-release', '--database', 'mysql'), /transactional DDL/);
  });

  it('--backfill-sql with --null', async () => {
    await expectRefused(add('--name', 'weight', '--type', 'IntegerField', '--null', '--backfill-sql', 'quantity'), /--backfill-sql fills a NOT NULL column/);
  });

  it('a change that already exists', async () => {
    const dir = join(work, 'twice');
    cpSync(example, dir, { recursive: true });
    const args = ['add-column', '--project', dir, '--app', 'shop', '--model', 'Order', '--name', 'note2', '--type', 'TextField', '--null', '--yes'];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    const before = snapshotTree(dir);
    const again = await runCli(args);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toMatch(/^bg-scaffold: change "order-add-note2" already exists.*advance/);
    expect(snapshotTree(dir)).toEqual(before);
  });
});
