/**
 * What `verify` writes in each release of each operation's plans: the field whose values both
 * releases' code must see (null: any plain field both have), and what each release sets on every
 * row it creates. The plans come from the operations on the example shop, as a user's would.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verificationOf } from '../../../src/operations/verification.js';
import { newestOfMajor } from '../../../src/verify/postgres-major.js';
import { readChangeRecord } from '../../../src/record/change-record.js';
import { runMain } from '../../cli/in-process.js';
import { shopExampleDir } from '../../harness/repo.js';

const work = mkdtempSync(join(tmpdir(), 'bg-verification-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function planOf(name: string, args: string[]) {
  const project = join(work, name);
  cpSync(shopExampleDir(), project, { recursive: true });
  const result = await runMain([...args, '--project', project, '--yes', '--json', '--no-django']);
  expect(result.code, result.stderr).toBe(0);
  const { change } = JSON.parse(result.stdout) as { change: string };
  return readChangeRecord(project, change).plan;
}

const rename = (strategy: string, ...more: string[]) => ['rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', strategy, ...more];

describe('what verify writes in each release', () => {
  it.each([
    ['rename-column db-column', rename('db-column'), ['quantity', 'qty']],
    ['rename-column trigger', rename('trigger'), ['quantity', 'qty', 'qty']],
    // The copy plan's release 1 adds qty but still reads quantity (and writes both).
    ['rename-column copy', rename('copy'), ['quantity', 'quantity', 'qty', 'qty', 'qty']],
    ['rename-column copy --phases 3', rename('copy', '--phases', '3'), ['quantity', 'quantity', 'qty', 'qty']],
  ])('%s: the name each release uses', async (name, args, fields) => {
    const verification = verificationOf(await planOf(name.replace(/\W+/g, '-'), args));
    expect(fields.map((_, release) => verification.release(release).field)).toEqual(fields);
    expect(verification.target).toBe('shop.Order');
  });

  it('rename-column copy --phases 3: the plan stamps stale reads in phase 2, and verify accepts them there only', async () => {
    const verification = verificationOf(await planOf('stale', rename('copy', '--phases', '3')));
    expect([1, 2, 3].map((k) => verification.staleReadsDeclared(k))).toEqual([false, true, false]);
  });

  it('add-column: from release 1 on, every row created sets the new field; it is never the checked field', async () => {
    const verification = verificationOf(await planOf('add', ['add-column', '--app', 'shop', '--model', 'Order', '--name', 'weight', '--type', 'BigIntegerField', '--backfill-sql', 'quantity::bigint * 2']));
    expect([0, 1, 2].map((r) => verification.release(r))).toEqual([
      { field: null, fills: [] },
      { field: null, fills: ['weight'] },
      { field: null, fills: ['weight'] },
    ]);
    expect(verification.avoid).toEqual(['weight']);
  });

  it('remove-column: every release that still has the field keeps writing it (the null-first release too)', async () => {
    const verification = verificationOf(await planOf('remove', ['remove-column', '--app', 'shop', '--model', 'Order', '--field', 'product']));
    expect(verification.release(1)).toEqual({ field: null, fills: ['product'] });
    expect(verification.avoid).toEqual(['product']);
  });

  it('drop-table: the dropped model is the one checked (the new release has none: its checks are skipped)', async () => {
    const verification = verificationOf(await planOf('drop', ['drop-table', '--app', 'shop', '--model', 'Shipment']));
    expect(verification.target).toBe('shop.Shipment');
    expect(verification.release(1)).toEqual({ field: null, fills: [] });
  });
});

describe('--postgres: the newest server package of a major', () => {
  it('compares versions as numbers, prereleases included', () => {
    const versions = ['16.9.0-beta.17', '16.14.0-beta.16', '16.14.0-beta.17', '17.10.0-beta.17', '1.0.0'];
    expect(newestOfMajor(versions, '16')).toBe('16.14.0-beta.17');
    expect(newestOfMajor(versions, '17')).toBe('17.10.0-beta.17');
    expect(newestOfMajor(versions, '12')).toBeUndefined();
  });
});
