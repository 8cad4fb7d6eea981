/**
 * A run reads the project once: discover → (questions) → plan → render → stage → commit. The
 * questions and the plan see the same facts; nothing discovers the project a second time.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Prompter } from '../../src/operations/options.js';
import { discoverProject } from '../../src/project/discover.js';
import { runMain } from './in-process.js';
import { snapshotTree } from './snapshot-tree.js';

vi.mock('../../src/project/discover.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/project/discover.js')>();
  return { ...original, discoverProject: vi.fn(original.discoverProject) };
});

const shop = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'examples', 'shop');
let project: string;

beforeEach(() => {
  project = path.join(mkdtempSync(path.join(tmpdir(), 'bg-once-')), 'shop');
  cpSync(shop, project, { recursive: true });
  vi.mocked(discoverProject).mockClear();
});
afterEach(() => rmSync(path.dirname(project), { recursive: true, force: true }));

function answering(answers: unknown[]): Prompter {
  const next = <T>() => Promise.resolve(answers.shift() as T);
  return { select: next, search: next, input: next, confirm: next };
}

describe('one discovery per run', () => {
  it('rename-column in a terminal: the questions and the plan share one reading of the project', async () => {
    const prompter = answering(['shop', 'Order', 'quantity', 'qty', 'trigger', true]);
    const { code } = await runMain(['rename-column', '--project', project, '--no-django'], { isTTY: true, prompter });
    expect(code).toBe(0);
    expect(discoverProject).toHaveBeenCalledTimes(1);
    expect(snapshotTree(project).has('.bg-scaffold/order-quantity-to-qty/plan.json')).toBe(true);
  });

  it.each([
    ['rename-column', '--field', 'quantity', '--to', 'qty'],
    ['add-column', '--name', 'gift_note', '--type', 'TextField', '--null'],
    ['remove-column', '--field', 'note'],
  ])('%s from flags', async (command, ...flags) => {
    const { code } = await runMain([command, '--project', project, '--no-django', '--yes', '--app', 'shop', '--model', 'Order', ...flags]);
    expect(code).toBe(0);
    expect(discoverProject).toHaveBeenCalledTimes(1);
  });

  it('advance', async () => {
    await runMain(['rename-column', '--project', project, '--no-django', '--yes', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty']);
    vi.mocked(discoverProject).mockClear();
    const { code } = await runMain(['advance', 'order-quantity-to-qty', '--project', project, '--no-django', '--yes']);
    expect(code).toBe(0);
    expect(discoverProject).toHaveBeenCalledTimes(1);
  });
});
