/**
 * `bg-scaffold change-column-type` in a terminal: it offers the field (the key Django adds too),
 * then only the types that make sense from the field's, each with what PostgreSQL will do (metadata
 * only or a column swap), before anything is written. Runs in-process on a copy of examples/shop,
 * read statically.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMain } from './in-process.js';
import { asked, ScriptedPrompter, terminal } from './scripted-prompter.js';

const example = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
let project: string;

beforeEach(() => {
  project = mkdtempSync(path.join(tmpdir(), 'bg-change-type-cli-'));
  cpSync(example, project, { recursive: true });
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

const offered = (prompter: ScriptedPrompter, message: RegExp) => prompter.asked.find((q) => message.test(q.message))!.choices!;

describe('change-column-type in a terminal', () => {
  it('asks app → model → field → type → size, says per type whether it is metadata only or a column swap, then confirms', async () => {
    const prompter = new ScriptedPrompter(['shop', 'Order', 'reference', 'CharField', '40', true]);
    const { code } = await runMain(['change-column-type', '--project', project, '--no-django'], terminal(prompter));
    expect(code).toBe(0);
    expect(asked(prompter)).toEqual([
      'select App',
      'select Model',
      'search Field to change (type to filter)',
      'select New type for Order.reference (varchar(20))',
      'input Max length (characters)',
      'confirm Write these 7 files?',
    ]);
    // A relation's type follows its target's key: offered, but disabled with the reason.
    const fields = offered(prompter, /^Field to change/);
    expect(fields.find((choice) => choice.value === 'product')?.disabled).toBe("a relation's type follows its target's key");
    const types = offered(prompter, /^New type/).map((choice) => choice.name.replace(/\s+/g, ' '));
    expect(types).toContain('CharField metadata only if longer (1 release), else column swap (3)');
    expect(types).toContain('TextField metadata only: 1 release');
    expect(types).toContain('IntegerField column swap: 3 releases');
    expect(readFileSync(path.join(project, 'shop', 'models.py'), 'utf8')).toContain(
      '    reference = models.CharField(max_length=40, unique=True)  # bg-scaffold: order-reference-to-char 1/1 varchar(20) to varchar(40)\n',
    );
  });

  it('an integer is offered the other integer types as column swaps, and nothing is written when declined', async () => {
    const prompter = new ScriptedPrompter(['shop', 'Order', 'quantity', 'BigIntegerField', 'in-migrate', false]);
    const { code } = await runMain(['change-column-type', '--project', project, '--no-django'], terminal(prompter));
    expect(code).toBe(0);
    const types = offered(prompter, /^New type/).map((choice) => choice.name.replace(/\s+/g, ' '));
    expect(types).toContain('BigIntegerField column swap: 3 releases');
    // A column swap fills its new column: where it runs is asked (a metadata-only change, above, is not asked).
    expect(offered(prompter, /^The backfill runs/).map((choice) => choice.value)).toEqual(['in-migrate', 'background']);
    expect(types).not.toContain(expect.stringMatching(/^BigAutoField/));
    expect(readFileSync(path.join(project, 'shop', 'models.py'), 'utf8')).toBe(readFileSync(path.join(example, 'shop', 'models.py'), 'utf8'));
  });
});
