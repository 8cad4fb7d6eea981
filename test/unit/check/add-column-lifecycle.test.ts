/**
 * add-column's backfill plan (NOT NULL, no default, no --backfill-sql) through its two releases on
 * examples/shop, as a user runs it: generate, advance, complete the backfill TODO, then `check`
 * and `advance` again. Through the command layer (stageAddColumn / stageAdvance + commit).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProject, type CheckReport } from '../../../src/check/check.js';
import { stageAddColumn } from '../../../src/operations/add-column/operation.js';
import { stageAdvance } from '../../../src/commands/advance.js';
import { planJsonPath, type ChangeRecord } from '../../../src/record/change-record.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'shop');
const CHANGE = 'order-add-priority';
const ENFORCE = 'shop/migrations/0005_order_priority_enforce.py';

let work: string;
let counter = 0;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bg-add-column-lifecycle-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const write = (dir: string, path: string, text: string) => writeFileSync(join(dir, path), text);

/** A copy of the example with `Order.priority` added (backfill plan) and advanced to phase `applied`. */
async function project(applied: 1 | 2): Promise<string> {
  const dir = join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  await (await stageAddColumn({ projectDir: dir, app: 'shop', model: 'Order', name: 'priority', type: 'IntegerField' })).stage.commit();
  if (applied === 2) await (await stageAdvance({ projectDir: dir, change: CHANGE })).stage.commit();
  return dir;
}

/**
 * What the TODO asks: "complete priority_for() … Then delete the raise below and these marker
 * lines". Everything from the `# >>>` marker to the `# <<<` marker gives way to the user's code.
 */
function completeTodo(source: string, code = '    return row.quantity + 1\n'): string {
  const open = source.indexOf(`    # >>> bg-scaffold ${CHANGE} 2/2 todo\n`);
  const closeLine = `    # <<< bg-scaffold ${CHANGE} 2/2\n`;
  const close = source.indexOf(closeLine, open);
  expect(open).toBeGreaterThan(0);
  expect(close).toBeGreaterThan(open);
  return source.slice(0, open) + code + source.slice(close + closeLine.length);
}

const check = (dir: string): Promise<CheckReport> => checkProject(dir, { maxAge: null, now: new Date() });
const messages = (report: CheckReport) => report.changes.flatMap((change) => change.findings.map((f) => `${f.file}:${f.line}: ${f.message}`));

describe("add-column's backfill plan, release by release", () => {
  it("PLAN.md says that rolling release 1 back loses the values written to the new column", async () => {
    const dir = await project(1);
    const plan = read(dir, `.bg-scaffold/${CHANGE}/PLAN.md`);
    const rollback = plan.split('\n').filter((line) => line.startsWith('- **Rollback**'));
    expect(rollback).toHaveLength(2);
    expect(rollback[0]).toMatch(/restores the previous schema, .*\. Migrating backwards drops "priority": the values written to it are lost\.$/);
    expect(rollback[1]).not.toMatch(/lost/);
  });

  it('the finished change leaves no marker in models.py, and check agrees', async () => {
    const dir = await project(1);
    expect(read(dir, 'shop/models.py')).toContain(`# bg-scaffold: ${CHANGE} 1/2`);
    await (await stageAdvance({ projectDir: dir, change: CHANGE })).stage.commit();
    const models = read(dir, 'shop/models.py');
    expect(models).not.toContain('bg-scaffold');
    expect(models).toMatch(/^ {4}priority = models\.IntegerField\(\)$/m);
    expect(messages(await check(dir))).toEqual([]);
  });

  it('completing the backfill TODO as it asks (code in place of the raise and the marker lines) is not an edit to check', async () => {
    const dir = await project(2);
    write(dir, ENFORCE, completeTodo(read(dir, ENFORCE)));
    expect(read(dir, ENFORCE)).not.toContain('todo');
    expect(messages(await check(dir))).toEqual([]);
    // Longer code, its own helper lines and comments, markers kept or not: all the user's.
    write(dir, ENFORCE, completeTodo(read(dir, `.bg-scaffold/${CHANGE}/phase-2/0005_order_priority_enforce.py`), '    # by size\n    if row.quantity > 10:\n        return 2\n\n    return 1\n'));
    expect(messages(await check(dir))).toEqual([]);
  });

  it('any other edit of that migration is still one, at its line, next to a completed TODO or not', async () => {
    const dir = await project(2);
    const rendered = read(dir, ENFORCE);
    const completed = completeTodo(rendered);
    const cases: Array<[string, string]> = [
      [completed.replace('NULL, 10_000 rows', 'NULL, 100 rows'), 'NULL, 100 rows'], // after the TODO
      [completed.replace('"""The value of Order.priority', '"""The value of priority'), '"""The value of priority'], // before it, same function
      [completed.replace('from django.db import migrations, models\n', 'from django.db import migrations, models\nimport os\n'), 'import os'],
      [rendered.replace('NULL, 10_000 rows', 'NULL, 100 rows'), 'NULL, 100 rows'], // TODO not completed
    ];
    for (const [edited, needle] of cases) {
      expect(edited).toContain(needle);
      write(dir, ENFORCE, edited);
      const line = edited.split('\n').findIndex((text) => text.includes(needle)) + 1;
      expect(messages(await check(dir))).toEqual([
        expect.stringMatching(new RegExp(`^${ENFORCE}:${line}: the migration of phase 2/2 was edited by hand`)),
      ]);
    }
  });

  it('advance goes on past a phase whose TODO the user completed, and refuses when that migration was edited elsewhere', async () => {
    const dir = await project(2);
    write(dir, ENFORCE, completeTodo(read(dir, ENFORCE)));
    // Today the TODO is in the last phase; a plan with a release after it (here a code-only one)
    // must still advance.
    const record = JSON.parse(read(dir, planJsonPath(CHANGE))) as ChangeRecord;
    const last = record.plan.phases[1]!;
    record.plan.phases.push({ ...last, number: 3, name: 'after', migration: null, modelEdits: [], codeBlocks: [] });
    write(dir, planJsonPath(CHANGE), JSON.stringify(record, null, 2));

    const edited = read(dir, ENFORCE);
    write(dir, ENFORCE, edited.replace('10_000', '100'));
    await expect(stageAdvance({ projectDir: dir, change: CHANGE })).rejects.toThrow(
      new RegExp(`^cannot advance ${CHANGE}: ${ENFORCE}:\\d+: the migration of phase 2/3 was edited by hand`),
    );
    write(dir, ENFORCE, edited);
    const staged = await stageAdvance({ projectDir: dir, change: CHANGE });
    expect(staged.phase).toBe(3);
  });
});
