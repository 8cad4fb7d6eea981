/**
 * `bg-scaffold remove-column` and `drop-table` in a terminal: the questions they ask for what the
 * flags did not give, in order, and the change they lead to. Runs in-process on a copy of examples/shop.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Choice, Prompter } from '../../src/cli/interactive.js';
import { runMain } from './in-process.js';

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
let project: string;

beforeEach(() => {
  project = mkdtempSync(path.join(tmpdir(), 'bg-remove-cli-'));
  cpSync(example, project, { recursive: true });
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

/** Answers questions in order, and records what was asked. */
class ScriptedPrompter implements Prompter {
  readonly asked: Array<{ kind: string; message: string; choices?: Choice<unknown>[]; default?: unknown }> = [];
  readonly validations: Array<(value: string) => true | string> = [];
  constructor(private readonly answers: unknown[]) {}

  private next<T>(kind: string, question: { message: string; choices?: Choice<T>[]; default?: unknown }): Promise<T> {
    this.asked.push({ kind, message: question.message, choices: question.choices as Choice<unknown>[], default: question.default });
    if (this.answers.length === 0) throw new Error(`unexpected question: ${question.message}`);
    return Promise.resolve(this.answers.shift() as T);
  }
  select<T>(q: { message: string; choices: Choice<T>[]; default?: T }) {
    return this.next<T>('select', q);
  }
  search<T>(q: { message: string; choices: Choice<T>[] }) {
    return this.next<T>('search', q);
  }
  input(q: { message: string; default?: string; validate?: (value: string) => true | string }) {
    if (q.validate) this.validations.push(q.validate);
    return this.next<string>('input', q);
  }
  confirm(q: { message: string; default?: boolean }) {
    return this.next<boolean>('confirm', q);
  }
}

const terminal = (prompter: Prompter) => ({ isTTY: true, prompter });
const asked = (p: ScriptedPrompter) => p.asked.map((q) => `${q.kind} ${q.message}`);
const planJson = (change: string) => JSON.parse(readFileSync(path.join(project, '.bg-scaffold', change, 'plan.json'), 'utf8'));

describe('remove-column in a terminal', () => {
  it('asks app → model → field, then the fill value for a NOT NULL field without a default, then confirms', async () => {
    const prompter = new ScriptedPrompter(['shop', 'Product', 'price', '0', true]);
    const { code } = await runMain(['remove-column', '--project', project], terminal(prompter));
    expect(code).toBe(0);
    expect(asked(prompter)).toEqual([
      'select App',
      'select Model',
      'search Field to remove (type to filter)',
      'input Value the previous release reads in rows inserted without price (empty: three releases, nullable first)',
      expect.stringMatching(/^confirm Write these \d+ files\?$/),
    ]);
    const plan = planJson('remove-product-price').plan;
    expect(plan.strategy).toBe('with-default');
    expect(plan.inputs.fill).toBe('0');
  });

  it('checks the fill value as it is given: one the column cannot hold is refused there, with the reason', async () => {
    const prompter = new ScriptedPrompter(['shop', 'Product', 'price', '12.50', true]);
    await runMain(['remove-column', '--project', project], terminal(prompter));
    const [validate] = prompter.validations;
    expect(validate!('abc')).toBe('--fill "abc" is not a number for DecimalField price');
    expect(validate!('12.50')).toBe(true);
    expect(validate!('')).toBe(true);
  });

  it('an empty fill value means three releases; a field with a default is not asked about', async () => {
    const empty = new ScriptedPrompter(['', true]);
    await runMain(['remove-column', '--project', project, '--app', 'shop', '--model', 'Product', '--field', 'price'], terminal(empty));
    expect(planJson('remove-product-price').plan.strategy).toBe('null-first');
    const withDefault = new ScriptedPrompter([true]);
    await runMain(['remove-column', '--project', project, '--app', 'shop', '--model', 'Order', '--field', 'note'], terminal(withDefault));
    expect(asked(withDefault)).toEqual([expect.stringMatching(/^confirm Write these \d+ files\?$/)]);
  });
});

describe('drop-table in a terminal', () => {
  it('offers every model, but models that others point at cannot be picked, and says why', async () => {
    const prompter = new ScriptedPrompter(['shop', 'Shipment', true]);
    const { code } = await runMain(['drop-table', '--project', project], terminal(prompter));
    expect(code).toBe(0);
    const models = prompter.asked[1]!.choices!;
    expect(models.map((c) => [c.value, c.disabled])).toEqual([
      ['Customer', 'referenced by Order.customer'],
      ['Product', 'referenced by Order.product'],
      ['Order', 'referenced by Shipment.order'],
      ['Shipment', undefined],
    ]);
    expect(planJson('drop-shipment').plan.op).toBe('drop-table');
  });
});
