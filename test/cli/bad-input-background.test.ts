/**
 * `--backfill background` where it cannot work gets one line on stderr, exit code 2, and a project
 * tree that is byte-for-byte unchanged: a database without the runtime's tracking table and command,
 * and plans that fill nothing, or whose fill cannot wait a release. Runs the built CLI.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './run-cli.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
const work = mkdtempSync(join(tmpdir(), 'bg-bad-background-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function project(): string {
  const dir = join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  return dir;
}

async function expectRefused(args: (dir: string) => string[], message: RegExp) {
  const dir = project();
  const before = snapshotTree(dir);
  const result = await runCli(args(dir));
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines, 'exactly one line on stderr').toHaveLength(1);
  expect(lines[0]).toMatch(/^bg-scaffold: /);
  expect(lines[0]).toMatch(message);
  expect(result.stdout).toBe('');
  expect(snapshotTree(dir)).toEqual(before);
}

const addWeight = (dir: string, ...extra: string[]) => [
  'add-column', '--project', dir, '--app', 'shop', '--model', 'Order', '--name', 'weight', '--type', 'BigIntegerField', '--yes', ...extra,
];

describe('--backfill background: one line, exit 2, nothing written', () => {
  it('on SQLite', async () => {
    await expectRefused((dir) => addWeight(dir, '--backfill-sql', 'quantity * 2', '--backfill', 'background', '--database', 'sqlite'), /--backfill background needs PostgreSQL.*on sqlite leave out --backfill/);
  });

  it('on MySQL', async () => {
    await expectRefused((dir) => addWeight(dir, '--backfill-sql', 'quantity * 2', '--backfill', 'background', '--database', 'mysql'), /--backfill background needs PostgreSQL.*on mysql/);
  });

  it('on a nullable column, which fills nothing', async () => {
    await expectRefused((dir) => addWeight(dir, '--null', '--backfill', 'background', '--database', 'postgresql'), /--backfill background: a column added with --null needs no backfill; leave out --backfill/);
  });

  it('on a column with a database default, which fills nothing', async () => {
    await expectRefused((dir) => addWeight(dir, '--default', '0', '--backfill', 'background', '--database', 'postgresql'), /a column added with --default needs no backfill/);
  });

  it('on the single-release plan, which fills inside its one transaction', async () => {
    await expectRefused(
      (dir) => addWeight(dir, '--backfill-sql', 'quantity * 2', '--strategy', 'single-release', '--backfill', 'background', '--database', 'postgresql'),
      /--strategy single-release fills the column inside its one transaction/,
    );
  });

  it('without --backfill-sql: the Python function runs in migrate only', async () => {
    await expectRefused((dir) => addWeight(dir, '--backfill', 'background', '--database', 'postgresql'), /give --backfill-sql EXPR/);
  });

  it("on rename-column's trigger strategy, whose code reads the new column in the release that fills it", async () => {
    await expectRefused(
      (dir) => ['rename-column', '--project', dir, '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--yes', '--database', 'postgresql', '--backfill', 'background'],
      /the trigger strategy switches the code .* use --strategy copy/,
    );
  });

  it('on a change of column type that is metadata only', async () => {
    await expectRefused(
      (dir) => ['change-column-type', '--project', dir, '--app', 'shop', '--model', 'Order', '--field', 'reference', '--type', 'CharField', '--max-length', '40', '--yes', '--database', 'postgresql', '--backfill', 'background'],
      /is a change of metadata only, which fills nothing; leave out --backfill/,
    );
  });

  it('a value that is neither in-migrate nor background', async () => {
    await expectRefused((dir) => addWeight(dir, '--backfill-sql', 'quantity * 2', '--backfill', 'later'), /--backfill.*in-migrate, background/);
  });
});
