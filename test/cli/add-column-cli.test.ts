/**
 * `bg-scaffold add-column` in a terminal: the questions it asks for what the flags did not give,
 * in order, and the change they lead to. Runs in-process on a copy of examples/shop.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMain } from './in-process.js';
import { asked, ScriptedPrompter, terminal } from './scripted-prompter.js';
import { snapshotTree } from './snapshot-tree.js';

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
let project: string;

beforeEach(() => {
  project = mkdtempSync(path.join(tmpdir(), 'bg-add-column-cli-'));
  cpSync(example, project, { recursive: true });
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

const planJson = (change: string) => JSON.parse(readFileSync(path.join(project, '.bg-scaffold', change, 'plan.json'), 'utf8'));

describe('add-column in a terminal', () => {
  it('asks app → model → name → type → its options → what existing rows get → index, then confirms', async () => {
    const prompter = new ScriptedPrompter(['shop', 'Order', 'gift_message', 'CharField', '200', 'null', 'index', true]);
    const { code } = await runMain(['add-column', '--project', project], terminal(prompter));
    expect(code).toBe(0);
    expect(asked(prompter)).toEqual([
      'select App',
      'select Model',
      'input Name of the new field on Order',
      'select Type',
      'input Max length (characters)',
      'select Existing rows, and rows the previous release inserts, get',
      'select Index',
      'confirm Write these 7 files?',
    ]);
    expect(readFileSync(path.join(project, 'shop', 'models.py'), 'utf8')).toContain(
      '    gift_message = models.CharField(max_length=200, db_index=True, null=True)  # bg-scaffold: order-add-gift-message 1/1 added\n',
    );
  });

  it('validates the name before accepting it', async () => {
    const prompter = new ScriptedPrompter(['shop', 'Order', 'gift_message', 'TextField', 'null', 'none', false]);
    await runMain(['add-column', '--project', project], terminal(prompter));
    const validate = prompter.validations[0]!;
    expect(validate('gift_message')).toBe(true);
    expect(validate('quantity')).toMatch(/already a field of Order/);
    expect(validate('class')).toMatch(/Python keyword/);
  });

  it('takes the backfill SQL for a NOT NULL column', async () => {
    const prompter = new ScriptedPrompter(['weight', 'backfill', 'quantity * 2', 'none', 'in-migrate', true]);
    const { code } = await runMain(['add-column', '--project', project, '--app', 'shop', '--model', 'Order', '--type', 'BigIntegerField'], terminal(prompter));
    expect(code).toBe(0);
    const { plan } = planJson('order-add-weight');
    expect(plan.strategy).toBe('backfill');
    expect(plan.inputs).toMatchObject({ backfillSql: 'quantity * 2', null: false, default: null });
    expect(plan.phases).toHaveLength(2);
  });

  it('offers where the SQL backfill runs, and the background form takes a release more', async () => {
    const prompter = new ScriptedPrompter(['volume', 'backfill', 'quantity * 3', 'none', 'background', true]);
    const { code } = await runMain(['add-column', '--project', project, '--app', 'shop', '--model', 'Order', '--type', 'BigIntegerField'], terminal(prompter));
    expect(code).toBe(0);
    const question = prompter.asked.find((q) => q.message === 'The backfill runs')!;
    expect(question.choices!.map((c) => c.value)).toEqual(['in-migrate', 'background']);
    const { plan } = planJson('order-add-volume');
    expect(plan.inputs).toMatchObject({ backfillSql: 'quantity * 3', backfill: 'background' });
    expect(plan.phases.map((phase: { name: string }) => phase.name)).toEqual(['expand', 'fill', 'enforce']);
  });

  it('refuses a volatile default at the prompt, pointing at the backfill', async () => {
    const prompter = new ScriptedPrompter(['priority', 'default', '5', 'none', false]);
    await runMain(['add-column', '--project', project, '--app', 'shop', '--model', 'Order', '--type', 'IntegerField'], terminal(prompter));
    const validate = prompter.validations.at(-1)!;
    expect(validate('now()')).toMatch(/volatile.*backfill/);
    expect(validate('5')).toBe(true);
  });

  it('checks the default as it is given, for the type and size answered before: refused there, not after the last question', async () => {
    const integer = new ScriptedPrompter(['priority', 'default', '5', 'none', false]);
    await runMain(['add-column', '--project', project, '--app', 'shop', '--model', 'Order', '--type', 'IntegerField'], terminal(integer));
    const whole = integer.validations.at(-1)!;
    expect(whole('abc')).toBe('--default for IntegerField must be a whole number, not "abc"');
    expect(whole('9999999999')).toMatch(/does not fit a IntegerField/);
    const text = new ScriptedPrompter(['label', 'CharField', '3', 'default', 'abc', 'none', false]);
    await runMain(['add-column', '--project', project, '--app', 'shop', '--model', 'Order'], terminal(text));
    const short = text.validations.at(-1)!;
    expect(short('abcd')).toMatch(/longer than --max-length 3/);
    expect(short('abc')).toBe(true);
  });

  it('asks a foreign key its target and on_delete, and no index question (it has one)', async () => {
    const prompter = new ScriptedPrompter(['Customer', 'SET_NULL', 'null', true]);
    const { code } = await runMain(['add-column', '--project', project, '--app', 'shop', '--model', 'Order', '--name', 'referred_by', '--type', 'ForeignKey'], terminal(prompter));
    expect(code).toBe(0);
    expect(asked(prompter)).toEqual([
      'search Points at (type to filter)',
      'select On delete of the target',
      'select Existing rows, and rows the previous release inserts, get',
      'confirm Write these 7 files?',
    ]);
    expect(prompter.asked[0]!.choices!.map((c) => c.value)).toEqual(['Customer', 'Product', 'Order', 'Shipment']);
    // A foreign key gets no default: the question does not offer one.
    expect(prompter.asked[2]!.choices!.map((c) => c.value)).toEqual(['null', 'backfill']);
    expect(planJson('order-add-referred-by').plan.inputs).toMatchObject({ to: 'shop.Customer', onDelete: 'SET_NULL', null: true });
  });

  it('asks nothing but the confirmation when the flags say it all, and writes nothing when declined', async () => {
    const before = snapshotTree(project);
    const prompter = new ScriptedPrompter([false]);
    const { code, stderr } = await runMain(
      ['add-column', '--project', project, '--app', 'shop', '--model', 'Order', '--name', 'priority', '--type', 'IntegerField', '--default', '0', '--db-index', '--no-django'],
      terminal(prompter),
    );
    expect(code).toBe(0);
    expect(asked(prompter)).toEqual(['confirm Write these 7 files?']);
    expect(stderr).toBe('nothing was written\n');
    expect(snapshotTree(project)).toEqual(before);
  });
});
