/**
 * The index, constraint and NOT NULL operations in a terminal: each answer is checked where it is
 * given (a field that does not exist, a condition that does not parse, a fill the column cannot
 * hold), the lists say why a choice cannot be picked, and a name is offered as Django would give it.
 * Runs in-process on copies of the examples, read statically.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runMain } from './in-process.js';
import { asked, ScriptedPrompter, terminal } from './scripted-prompter.js';

const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const projects: string[] = [];
function project(example: 'shop' | 'zoo'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bg-schema-cli-'));
  cpSync(path.join(examples, example), dir, { recursive: true });
  projects.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of projects.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const offered = (prompter: ScriptedPrompter, message: RegExp) => prompter.asked.find((q) => message.test(q.message))!;

describe('add-index in a terminal', () => {
  it('offers the fields (those indexed already disabled, with why) or a Meta index; checks the fields and the condition as they are typed; offers Django\'s name', async () => {
    const dir = project('shop');
    const prompter = new ScriptedPrompter(['shop', 'Order', '', 'customer,-placed_at', "Q(status='new')", 'shop_order_custome_2925ef_idx', true]);
    const { code } = await runMain(['add-index', '--project', dir, '--no-django'], terminal(prompter));
    expect(code).toBe(0);
    expect(asked(prompter)).toEqual([
      'select App',
      'select Model',
      'search Index (type to filter)',
      'input Fields of Order, separated by commas (-name for descending)',
      'input Only rows where (a Q expression; empty: all rows)',
      'input Name',
      'confirm Write these 7 files?',
    ]);
    const choices = offered(prompter, /^Index/).choices!;
    expect(choices[0]).toMatchObject({ value: '', name: 'a Meta index: several fields, descending, or a condition' });
    expect(choices.find((c) => c.value === 'reference')?.disabled).toBe('unique (indexed already)');
    expect(choices.find((c) => c.value === 'customer')?.disabled).toBe('indexed already');
    expect(offered(prompter, /^Name/).default).toBe('shop_order_custome_2925ef_idx');
    const [fields, condition] = prompter.validations;
    expect(fields!('customer,placd_at')).toMatch(/^fields: Order has no field "placd_at"; its fields: /);
    expect(condition!("Q(status='new'")).toMatch(/does not parse as Python/);
    expect(condition!('')).toBe(true);
    expect(readFileSync(path.join(dir, 'shop', 'models.py'), 'utf8')).toContain('name="shop_order_custome_2925ef_idx"');
  });
});

describe('set-not-null in a terminal', () => {
  it('a field without a default must get a value, checked against the column as it is typed', async () => {
    const dir = project('zoo');
    const prompter = new ScriptedPrompter(['library', 'Book', 'pages', '0', 'in-migrate', true]);
    const { code } = await runMain(['set-not-null', '--project', dir, '--no-django'], terminal(prompter));
    expect(code).toBe(0);
    expect(asked(prompter)).toEqual([
      'select App',
      'select Model',
      'search Field to make NOT NULL (type to filter)',
      'input pages has no default, so the previous release inserts NULL: value for NULL rows and new rows',
      'select The backfill runs',
      'confirm Write these 8 files?',
    ]);
    expect(offered(prompter, /^Field/).choices!.find((c) => c.value === 'title')?.disabled).toBe('already NOT NULL');
    const [fill] = prompter.validations;
    expect(fill!('')).toBe('a value is needed: the field has no default');
    expect(fill!('many')).toBe('--fill "many" is not a whole number for PositiveIntegerField pages');
    expect(readFileSync(path.join(dir, 'library', 'models', 'books.py'), 'utf8')).toContain('pages = models.PositiveIntegerField(blank=True, default=0)');
  });
});

describe('remove-index in a terminal', () => {
  it("lists the model's own field indexes (a ForeignKey's disabled, with why) and its Meta indexes in one list", async () => {
    const dir = project('zoo');
    const prompter = new ScriptedPrompter(['stock', 'Rack', 'name:stock_rack_site_height_idx', true]);
    const { code } = await runMain(['remove-index', '--project', dir, '--no-django'], terminal(prompter));
    expect(code).toBe(0);
    expect(offered(prompter, /^Index to remove/).choices!.map((c) => [c.name, c.disabled])).toEqual([
      ['site (db_index=True)', "a ForeignKey's own index"],
      ['stock_rack_site_height_idx (Meta.indexes)', undefined],
    ]);
    expect(readFileSync(path.join(dir, 'inventory', 'models.py'), 'utf8')).not.toContain('stock_rack_site_height_idx');
  });
});

describe('rename-model in a terminal', () => {
  it('offers keep-table and move-table; move-table is disabled, with why, for a table Meta names', async () => {
    const dir = project('zoo');
    const prompter = new ScriptedPrompter(['stock', 'Site', 'Location', 'keep-table', true]);
    const { code, stderr } = await runMain(['rename-model', '--project', dir, '--no-django'], terminal(prompter));
    expect(code, stderr).toBe(0);
    const table = offered(prompter, /^The table/);
    expect(table.default).toBe('keep-table');
    expect(table.choices!.map((choice) => [choice.value, choice.disabled ?? null])).toEqual([
      ['keep-table', null],
      ['move-table', 'Meta.db_table names its table (inventory_site): it keeps that name (--strategy keep-table)'],
    ]);
  });

  it('moves the table when asked to', async () => {
    const dir = project('zoo');
    const prompter = new ScriptedPrompter(['library', 'Author', 'Writer', 'move-table', true]);
    const { code, stderr } = await runMain(['rename-model', '--project', dir, '--no-django'], terminal(prompter));
    expect(code, stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'library/migrations/0004_rename_author_writer.py'), 'utf8')).toContain('\'ALTER TABLE "library_author" RENAME TO "library_writer"\'');
  });
});
