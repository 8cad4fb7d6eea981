/** `bg-scaffold status` from the command line: text for people, JSON for programs. */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageAdvance } from '../../src/commands/advance.js';
import { stageRenameColumn } from '../../src/operations/rename-column/operation.js';
import { runMain } from './in-process.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
let work: string;
let inFlight: string;
const savedEpoch = process.env.SOURCE_DATE_EPOCH;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bg-cli-status-'));
  // Applied long ago, so that the wait is the same whenever the test runs: at least 1,000 days.
  process.env.SOURCE_DATE_EPOCH = '1600000000';
  inFlight = join(work, 'in-flight');
  cpSync(example, inFlight, { recursive: true });
  await (await stageRenameColumn({ projectDir: inFlight, app: 'shop', model: 'Order', field: 'quantity', to: 'qty', strategy: 'copy' })).stage.commit();
  await (await stageAdvance({ projectDir: inFlight, change: 'order-quantity-to-qty' })).stage.commit();
  await (await stageRenameColumn({ projectDir: inFlight, app: 'shop', model: 'Order', field: 'note', to: 'memo', strategy: 'db-column' })).stage.commit();
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  if (savedEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
  else process.env.SOURCE_DATE_EPOCH = savedEpoch;
});

describe('bg-scaffold status', () => {
  it('lists every change: the phases generated (written into the tree, not known to be applied), the next phase and its command, and how long it has waited', async () => {
    const { code, stdout, stderr } = await runMain(['status', '--project', inFlight]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.replace(/waiting: \d+ days/, 'waiting: N days')).toBe(
      [
        'order-note-to-memo (rename-column, db-column): its 1 phase generated',
        '  model: shop.Order',
        '  last phase generated: 2020-09-13',
        '',
        'order-quantity-to-qty (rename-column, copy): phase 2/4 generated',
        '  model: shop.Order',
        '  next: phase 3/4, Retire quantity: it leaves the model and becomes nullable',
        '        bg-scaffold advance order-quantity-to-qty',
        '  waiting: N days (since 2020-09-13, record)',
        '',
        '',
      ].join('\n'),
    );
    expect(Number(/waiting: (\d+) days/.exec(stdout)![1])).toBeGreaterThan(1000);
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await runMain(['status', '--project', inFlight, '--json']);
    expect(code).toBe(0);
    const { changes } = JSON.parse(stdout);
    expect(changes.map((c: { change: string; phase: number; phases: number; next: { phase: number } | null }) => [c.change, c.phase, c.phases, c.next?.phase ?? null])).toEqual([
      ['order-note-to-memo', 1, 1, null],
      ['order-quantity-to-qty', 2, 4, 3],
    ]);
    expect(changes[1]).toMatchObject({ waitingSince: '2020-09-13T12:26:40.000Z', dateSource: 'record', recorded: true });
  });

  it('says so when the project has no changes', async () => {
    const empty = join(work, 'empty');
    cpSync(example, empty, { recursive: true });
    const { code, stdout } = await runMain(['status', '--project', empty]);
    expect(code).toBe(0);
    expect(stdout).toBe('no changes: .bg-scaffold/ holds no change records and no markers were found\n');
  });
});
