/** The write-stall benchmark's pure parts: what counts as a stall, the ORM-like load, the goals. */
import { describe, expect, it } from 'vitest';
import { NAIVE, naiveMigration } from '../../../bench/stall/changes.js';
import { clientErrors, ormScripts, type OrmModel } from '../../../bench/stall/load.js';
import { failedWrites, maxLatencyMs, median, parsePgbenchLog, secondsBelowHalfThroughput, type Transaction } from '../../../bench/stall/metrics.js';
import { parseStallArgs } from '../../../bench/stall/options.js';
import { rerunNotes, summarizeScenario, type RunMeasurement } from '../../../bench/stall/report.js';

const S = 1_000_000;
/** A transaction scheduled at `at` seconds that took `ms`. */
const tx = (at: number, ms: number, client = 0): Transaction => ({ endUs: at * S + ms * 1000, latencyUs: ms * 1000, client });

describe('the stall metrics', () => {
  it('reads pgbench’s per-transaction log: latency from the scheduled start, end time from the epoch fields', () => {
    const log = '1 1 13488 0 1795497616 165752 1551\n0 1 17172 1 1795497616 169216 86\n\n';
    expect(parsePgbenchLog(log)).toEqual([
      { client: 1, endUs: 1795497616_165752, latencyUs: 13488, script: 0 },
      { client: 0, endUs: 1795497616_169216, latencyUs: 17172, script: 1 },
    ]);
  });

  it('counts a write scheduled during the migration with its whole wait, even when it ends after it', () => {
    const window = { startUs: 10 * S, endUs: 11 * S };
    const writes = [tx(9.9, 500), tx(10.2, 4000), tx(11.5, 9000)];
    expect(maxLatencyMs(writes, window)).toBe(4000);
  });

  it('does not blame the migration for a write that was already running when it started', () => {
    expect(maxLatencyMs([tx(9, 2000)], { startUs: 10 * S, endUs: 11 * S })).toBe(0);
  });

  it('counts a write that failed after a wait from the client’s last logged write to the error', () => {
    const logged = [tx(10, 1, 3), tx(10.001, 1, 3)];
    const failed = failedWrites(logged, [{ client: 3, atUs: 15 * S }], 0);
    expect(failed).toEqual([{ client: 3, endUs: 15 * S, latencyUs: 15 * S - (10.001 * S + 1000), failed: true }]);
  });

  it('gives the seconds of the window in which throughput fell below half the steady median, in 100 ms steps', () => {
    const steady = Array.from({ length: 100 }, (_, i) => tx(i * 0.01, 1)); // 10 per 100 ms
    const afterStall = Array.from({ length: 50 }, (_, i) => tx(1.3 + i * 0.01, 1));
    const seconds = secondsBelowHalfThroughput([...steady, ...afterStall], { startUs: 0, endUs: S }, { startUs: S, endUs: 1.8 * S });
    expect(seconds).toBe(0.3);
  });

  it('takes the median of an even count as the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });
});

const ORDER: OrmModel = {
  table: 'shop_order',
  columns: [
    { name: 'id', column: 'id', dbType: 'bigint', primaryKey: true, unique: true, null: false, relatedTable: null },
    { name: 'customer', column: 'customer_id', dbType: 'bigint', primaryKey: false, unique: false, null: false, relatedTable: 'shop_customer' },
    { name: 'quantity', column: 'quantity', dbType: 'integer', primaryKey: false, unique: false, null: false, relatedTable: null },
    { name: 'reference', column: 'reference', dbType: 'varchar(20)', primaryKey: false, unique: true, null: false, relatedTable: null },
    { name: 'status', column: 'status', dbType: 'varchar(20)', primaryKey: false, unique: false, null: false, relatedTable: null },
    { name: 'placed_at', column: 'placed_at', dbType: 'timestamp with time zone', primaryKey: false, unique: false, null: false, relatedTable: null },
  ],
};

describe('the load', () => {
  const scripts = ormScripts(ORDER, { shop_order: 1000, shop_customer: 10 });

  it('inserts naming every column but the primary key, as Model.objects.create() does', () => {
    expect(scripts.insert).toContain(
      'INSERT INTO "shop_order" ("customer_id", "quantity", "reference", "status", "placed_at") VALUES (:ref_customer_id, :qty, ',
    );
    expect(scripts.insert).toContain('\\set ref_customer_id random(1, 10)');
    expect(scripts.insert).toMatch(/RETURNING "id";\n$/);
  });

  it('selects then updates naming every column, writing back what it does not change, as get() and save() do', () => {
    expect(scripts.update).toContain('SELECT "id", "customer_id", "quantity", "reference", "status", "placed_at" FROM "shop_order" WHERE "id" = :id;');
    expect(scripts.update).toContain(
      'UPDATE "shop_order" SET "customer_id" = "customer_id", "quantity" = :qty, "reference" = "reference", "status" = \'paid\', "placed_at" = "placed_at" WHERE "id" = :id;',
    );
    expect(scripts.update).toContain('\\set id random(1, 1000)');
  });

  it('refuses a column type it has no value for, naming the column', () => {
    const odd: OrmModel = { ...ORDER, columns: [...ORDER.columns, { ...ORDER.columns[2]!, column: 'shape', dbType: 'geometry' }] };
    expect(() => ormScripts(odd, { shop_order: 1, shop_customer: 1 })).toThrow(/column shape of type geometry/);
  });

  it('reports the errors that ended clients, but not the end of the run it caused itself', () => {
    const stderr = [
      'pgbench: error: client 7 script 0 aborted in command 3 query 0: ERROR:  column "note" of relation "shop_order" does not exist at character 79',
      'pgbench: error: client 1 script 1 aborted in command 2 query 0: ERROR:  column "note" of relation "shop_order" does not exist at character 79',
      'pgbench: error: client 2 script 1 aborted in command 2 query 0: FATAL:  terminating connection due to administrator command',
      'pgbench: error: client 3 aborted in command 2 (SQL) of script 1; perhaps the backend died while processing',
    ].join('\n');
    expect(clientErrors(stderr)).toEqual(['ERROR:  column "note" of relation "shop_order" does not exist']);
  });
});

describe('the naive migrations', () => {
  it('are what makemigrations writes, e.g. RenameField on top of the app’s leaf', () => {
    const rename = NAIVE.find((n) => n.id === 'rename-column naive')!;
    expect(naiveMigration(rename, '0003_shipment')).toBe(
      [
        'from django.db import migrations',
        '',
        '',
        'class Migration(migrations.Migration):',
        '    dependencies = [',
        '        ("shop", "0003_shipment"),',
        '    ]',
        '',
        '    operations = [',
        '        migrations.RenameField(',
        '            model_name="order",',
        '            old_name="quantity",',
        '            new_name="qty",',
        '        ),',
        '    ]',
        '',
      ].join('\n'),
    );
  });
});

describe('the goals', () => {
  const run = (maxLatencyMs: number, extra: Partial<RunMeasurement> = {}): RunMeasurement => ({
    maxLatencyMs,
    steadyMaxLatencyMs: 10,
    secondsBelowHalf: 0,
    migrationSeconds: 1,
    backfill: null,
    transactions: 100,
    writeErrors: [],
    migrateError: null,
    migrateReruns: [],
    steps: [],
    loadAverage: 1,
    ...extra,
  });
  const base = { id: 'x 1/2', operation: 'rename-column', kind: 'generated' as const, phase: '1/2', lockQueue: false };

  it('takes the median of the per-run maxima against the baseline maximum: within 2× is met', () => {
    const result = summarizeScenario(base, [run(30), run(10), run(900)], 20);
    expect(result).toMatchObject({ maxLatencyMs: 30, ratio: 1.5, goals: { latency: 'met', backfill: 'n/a' } });
  });

  it('misses when the serving release’s writes failed, whatever the latency', () => {
    const result = summarizeScenario(base, [run(1, { writeErrors: ['ERROR: null value in column "quantity"'] })], 20);
    expect(result.goals.latency).toBe('missed');
  });

  it('holds a backfill to 150,000 rows/s and a 100 ms stall', () => {
    const backfill = (rowsPerSecond: number, maxLatencyMs: number) => run(10, { backfill: { rows: 1, seconds: 1, rowsPerSecond, maxLatencyMs } });
    expect(summarizeScenario(base, [backfill(160_000, 90)], 20).goals.backfill).toBe('met');
    expect(summarizeScenario(base, [backfill(140_000, 90)], 20).goals.backfill).toBe('missed');
    expect(summarizeScenario(base, [backfill(160_000, 120)], 20).goals.backfill).toBe('missed');
  });

  it('notes a migration that failed and finished when run again, with the reason', () => {
    const reason = 'exit 1: _bg_scaffold_v2.StepTimedOut: bg-scaffold: shop_order.qty: add check: no lock within lock_timeout 1s, 10 times.';
    const result = summarizeScenario(base, [run(10, { migrateReruns: [reason] }), run(12), run(11)], 20);
    expect(result).toMatchObject({ rerunRuns: 1, rerunReasons: [reason], goals: { latency: 'met' } });
    expect(rerunNotes([result])).toEqual([`x 1/2: migrate failed and was run again in 1 of 3 runs: ${reason}`]);
  });

  it('sets no goal for the naive migration', () => {
    expect(summarizeScenario({ ...base, kind: 'naive', phase: null }, [run(5000)], 20).goals).toEqual({ latency: 'n/a', backfill: 'n/a' });
  });
});

describe('the command line', () => {
  it('defaults to the method: 10M rows, 3 runs, the lock-queue case; --quick to 100,000 rows', () => {
    expect(parseStallArgs([])).toMatchObject({ rows: 10_000_000, runs: 3, lockQueue: true, rateShare: 0.4, readerSeconds: 6 });
    expect(parseStallArgs(['--quick', '--only', 'trigger 1/2', '--rows', '1_000_000'])).toMatchObject({ quick: true, rows: 1_000_000, only: ['trigger 1/2'] });
    expect(() => parseStallArgs(['--runs', '0'])).toThrow('--runs must be a whole number of at least 1');
    expect(() => parseStallArgs(['--fast'])).toThrow('unknown option --fast');
  });
});
