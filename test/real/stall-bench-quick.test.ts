/**
 * The write-stall benchmark (bench/stall/, `npm run bench:stall`) in quick mode with two scenarios,
 * so that it cannot rot: it runs end to end on the real stack and produces a well-formed report.
 * Its figures are not asserted (timings on a shared machine are not a test); what the load and the
 * migrations did is.
 */
import { describe, expect, it } from 'vitest';
import { defaultOptions } from '../../bench/stall/options.js';
import { markdownReport, type StallReport } from '../../bench/stall/report.js';
import { runStallBench, type StallContext } from '../../bench/stall/run.js';
import { realStackDecision } from '../harness/availability.js';
import { findPgBinDir, missingForRealStack, REAL_STACK_TIMEOUT_MS, sharedPostgres } from '../harness/index.js';
import { existsSync } from 'node:fs';
import path from 'node:path';

const binDir = findPgBinDir();
const missing = [
  ...missingForRealStack({ django: ['5.2'] }),
  ...(binDir && !existsSync(path.join(binDir, 'pgbench')) ? [`pgbench: not in ${binDir} (Debian/Ubuntu: apt-get install postgresql-client)`] : []),
];
const stack = realStackDecision(missing, process.env.CI === 'true');

describe.skipIf(stack === 'skip')('the write-stall benchmark, quick mode', () => {
  it(
    'measures a generated phase with a backfill and the naive migration beside it, and reports them as JSON and as a table',
    async () => {
      const options = {
        ...defaultOptions(true),
        runs: 1,
        only: ['rename-column/trigger 1/2', 'rename-column naive'],
        lockQueue: false,
        // Shorter windows than quick mode's: this checks that the report is produced, not its figures.
        preSeconds: 1,
        maxTpsSeconds: 2,
        baselineSeconds: 2,
        overheadSeconds: 1,
      };
      const lines: string[] = [];
      // What the trigger phase left in its database: rows whose two columns differ, and all rows.
      const left = new Map<string, { differing: number; rows: number }>();
      const afterRun: StallContext['afterRun'] = async ({ scenario, server, database }) => {
        if (scenario !== 'rename-column/trigger 1/2') return;
        const [differing, rows] = (await server.query(database, 'SELECT count(*) FILTER (WHERE quantity IS DISTINCT FROM qty), count(*) FROM shop_order')).trim().split('|').map(Number);
        left.set(scenario, { differing: differing!, rows: rows! });
      };
      const report = await runStallBench(options, { server: await sharedPostgres(), log: (line) => lines.push(line), afterRun });

      expect(report.complete).toBe(true);
      expect(report.settings.rows).toBe(100_000);
      expect(report.settings.rate).toBeGreaterThan(0);
      expect(report.baseline.runs).toHaveLength(1);
      expect(report.scenarios.map((s) => s.id)).toEqual(['rename-column/trigger 1/2', 'rename-column naive']);
      for (const s of report.scenarios) {
        expect(s.runs).toHaveLength(1);
        expect(s.runs[0]!.migrateError, s.id).toBeNull();
        expect(Array.isArray(s.runs[0]!.migrateReruns), s.id).toBe(true);
        expect(s.runs[0]!.transactions, s.id).toBeGreaterThan(0);
        for (const figure of [s.maxLatencyMs, s.ratio, s.secondsBelowHalf, s.migrationSeconds]) expect(Number.isFinite(figure), s.id).toBe(true);
      }
      const [phase, naive] = report.scenarios as [StallReport['scenarios'][0], StallReport['scenarios'][0]];
      // The generated phase: every bg-scaffold step timed (the backfill's VACUUM as a step of its own, in
      // the order they started), the backfill over every row, the serving release unharmed.
      expect(phase).toMatchObject({ kind: 'generated', phase: '1/2', writeErrors: [] });
      expect(phase.runs[0]!.steps.map((step) => step.op)).toEqual(['RunDDL', 'RunDDL', 'BackfillInBatches', 'VACUUM (ANALYZE)', 'SetNotNull']);
      // Every row ends with qty equal to quantity. The backfill updates only the rows that still differ:
      // those the load's writes reached first were synced by the trigger, so it updates some, at most all.
      expect(left.get(phase.id), 'the trigger phase left its database to check').toBeDefined();
      const { differing, rows } = left.get(phase.id)!;
      expect(differing, `${differing} of ${rows} rows end with qty != quantity`).toBe(0);
      expect(rows).toBeGreaterThanOrEqual(100_000);
      expect(phase.runs[0]!.backfill!.rows).toBeGreaterThan(0);
      expect(phase.runs[0]!.backfill!.rows).toBeLessThanOrEqual(rows);
      // Backfill rows/s is the batches' rate: the VACUUM's time is not in it.
      const seconds = (op: string) => phase.runs[0]!.steps.find((step) => step.op === op)!.seconds;
      expect(phase.runs[0]!.backfill!.seconds).toBeLessThanOrEqual(seconds('BackfillInBatches') - seconds('VACUUM (ANALYZE)') + 0.01);
      expect(phase.backfillRowsPerSecond).toBeGreaterThan(0);
      expect(['met', 'missed']).toContain(phase.goals.latency);
      expect(['met', 'missed']).toContain(phase.goals.backfill);
      // makemigrations' RenameField: the release still serving names "quantity", and its writes fail.
      expect(naive).toMatchObject({ kind: 'naive', phase: null });
      expect(naive.writeErrors.join('\n')).toMatch(/column "quantity".* does not exist/);
      expect(report.triggerOverhead!.maxTpsWithTrigger).toBeGreaterThan(0);
      expect(report.triggerOverhead!.maxTpsWithoutTrigger).toBeGreaterThan(0);
      expect(report.notYetAvailable).toEqual([]);

      const table = markdownReport(report);
      expect(table).toContain('| scenario | migrate | max write latency ms | × baseline |');
      expect(table).toMatch(/^\| rename-column\/trigger 1\/2 \| ok \| [\d.]+ \| [\d.]+× \|/m);
      expect(table).toMatch(/^\| rename-column naive \| ok \| .* \| fail: column "quantity".* does not exist \|/m);
      expect(JSON.parse(JSON.stringify(report))).toMatchObject({ benchmark: 'write-stall', scenarios: [{ id: phase.id }, { id: naive.id }] });
    },
    REAL_STACK_TIMEOUT_MS,
  );
});
