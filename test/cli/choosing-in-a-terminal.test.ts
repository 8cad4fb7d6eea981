/**
 * `bg-scaffold advance` without a change, and `bg-scaffold` without arguments: in a terminal they offer
 * what can be done (the changes in flight among it); without one, advance names them and exits 2, and
 * bg-scaffold prints its help and exits 2. Nothing is written when nothing is chosen. Runs in-process
 * on copies of examples/shop.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Choice, Prompter } from '../../src/cli/interactive.js';
import { runMain } from './in-process.js';
import { snapshotTree } from './snapshot-tree.js';

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
const work = mkdtempSync(path.join(tmpdir(), 'bg-advance-choice-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
/** A copy of the shop with two changes: a rename in flight (1 of 2 phases) and a one-phase rename, all generated. */
async function projectWithChanges(): Promise<string> {
  const dir = path.join(work, `p${counter++}`);
  cpSync(example, dir, { recursive: true });
  for (const args of [
    ['--field', 'quantity', '--to', 'qty', '--strategy', 'trigger'],
    ['--field', 'note', '--to', 'memo', '--strategy', 'db-column'],
  ]) {
    const generated = await runMain(['rename-column', '--project', dir, '--app', 'shop', '--model', 'Order', ...args, '--yes', '--no-django']);
    expect(generated.code, generated.stderr).toBe(0);
  }
  return dir;
}

/** Answers the one question asked with `answer`, and keeps the choices it offered. */
function oneAnswer(answer: unknown): Prompter & { offered: Array<Choice<unknown>> } {
  const offered: Array<Choice<unknown>> = [];
  const never = () => Promise.reject(new Error('unexpected question'));
  return {
    offered,
    select: <T>(q: { message: string; choices: Choice<T>[] }) => {
      offered.push(...(q.choices as Array<Choice<unknown>>));
      return Promise.resolve(answer as T);
    },
    search: never,
    input: never,
    confirm: () => Promise.resolve(true),
  };
}

describe('bg-scaffold advance without a change', () => {
  it('in a terminal, offers the changes that have a phase left, and advances the one chosen', async () => {
    const dir = await projectWithChanges();
    const prompter = oneAnswer('order-quantity-to-qty');
    const run = await runMain(['advance', '--project', dir, '--no-django'], { isTTY: true, prompter });
    expect(run.code, run.stderr).toBe(0);
    expect(prompter.offered.map((choice) => choice.value)).toEqual(['order-quantity-to-qty']);
    expect(prompter.offered[0]!.name).toMatch(/^order-quantity-to-qty \(rename-column, phase 2\/2 next: /);
    expect(run.stdout).toMatch(/shop\/migrations\/0006_order_qty_contract\.py|0006_/);
  });

  it('without a terminal, names them and exits 2, writing nothing', async () => {
    const dir = await projectWithChanges();
    const before = snapshotTree(dir);
    const run = await runMain(['advance', '--project', dir, '--yes', '--no-django']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^bg-scaffold: missing the change to advance, one of: order-quantity-to-qty \(rename-column, phase 2\/2 next: [^;]+\); pass it, or drop --yes to be asked\n$/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('with none in flight, says so', async () => {
    const dir = path.join(work, 'none');
    cpSync(example, dir, { recursive: true });
    const run = await runMain(['advance', '--project', dir, '--yes']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^bg-scaffold: no change to advance: /);
  });
});

describe('bg-scaffold without arguments', () => {
  it('in a terminal, offers the operations, advancing and verifying each change in flight, status and check; and runs the one chosen', async () => {
    const dir = await projectWithChanges();
    // The menu's answer is the command's arguments.
    const prompter = oneAnswer(['status']);
    const run = await runMain([], { isTTY: true, prompter, cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(prompter.offered.map((choice) => choice.short)).toEqual(['rename-column', 'add-column', 'remove-column', 'drop-table', 'change-column-type', 'set-not-null', 'drop-not-null', 'add-index', 'remove-index', 'add-unique', 'add-check', 'add-foreign-key', 'rename-model', 'advance order-quantity-to-qty', 'verify order-quantity-to-qty', 'status', 'check']);
    expect(run.stdout).toMatch(/^order-note-to-memo \(rename-column, db-column\): its 1 phase generated/);
  });

  it('without a terminal, prints the help and exits 2', async () => {
    const run = await runMain([]);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toMatch(/Usage: bg-scaffold \[options\] \[command\]/);
  });
});
