/**
 * The write-stall benchmark: every phase migration bg-scaffold generates, and beside it the one
 * makemigrations writes, applied to a real PostgreSQL while pgbench writes to shop_order the way
 * the serving release's ORM does. See bench/README.md for the method.
 */
import { spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findPgBinDir, startPostgres, type PgServer } from '../../test/harness/postgres.js';
import { probe, sleep } from '../../test/harness/process.js';
import { ensureDjangoEnv, type DjangoEnv } from '../../test/harness/python-env.js';
import { GENERATED, NAIVE } from './changes.js';
import { cloneDatabase, createBase, migrateTo, rowCounts, sql } from './database.js';
import { maxThroughput, ormScripts, startOpenLoop, type LoadResult, type OrmModel, type PgbenchTarget, type RowCounts } from './load.js';
import { maxLatencyMs, meanLatencyMs, median, round, secondsBelowHalfThroughput, type Span, type Transaction } from './metrics.js';
import type { StallOptions } from './options.js';
import { availableOperations, HELPER, prepareGenerated, prepareNaive, releaseZero, type PreparedChange, type Release } from './releases.js';
import { GOALS, missedGoals, rerunNotes, summarizeScenario, type RunMeasurement, type ScenarioResult, type StallReport, type TriggerOverhead } from './report.js';
import { labArms, summarizeLab, type LabArm, type LabReport, type LabRun } from './backfill-lab.js';

export interface StallContext {
  /** A server to use; by default the benchmark starts (and stops) its own. */
  server?: PgServer;
  log?: (line: string) => void;
  /** Called with the report so far after every scenario (`complete: false`), so a long run that is cut short still leaves its figures. */
  progress?: (report: StallReport) => Promise<void>;
  /**
   * Called after each run's migration and load have ended, before its database is dropped: a test reads
   * the state the run left (e.g. that every row of a renamed column ended equal to its twin).
   */
  afterRun?: (run: { scenario: string; server: PgServer; database: string }) => Promise<void>;
}

/** A migration to measure: apply `release` to a copy of `template` while `load` writes. */
interface Scenario {
  id: string;
  change: PreparedChange;
  /** The phase this scenario applies (1-based); the naive migration is phase 1 of 1. */
  phase: number;
  lockQueue: boolean;
}

interface Bench {
  options: StallOptions;
  server: PgServer;
  env: DjangoEnv;
  pgbench: string;
  psql: string;
  work: string;
  counts: RowCounts;
  rate: number;
  log: (line: string) => void;
  loadSamples: number[];
  afterRun?: StallContext['afterRun'];
}

const PREFIX = `bench_${process.pid}`;
const RUN_DB = `${PREFIX}_run`;

/** The phase the backfill lab measures, and its arms beside it. */
const LAB_SCENARIO = 'add-column/backfill 2/2';

export async function runStallBench(options: StallOptions, context: StallContext = {}): Promise<StallReport> {
  if (options.lab.length > 0) {
    labArms(options.lab); // an unknown arm fails before the table is filled
    options = { ...options, only: [LAB_SCENARIO], lockQueue: false, triggerOverhead: false };
  }
  const startedAt = new Date().toISOString();
  const log = context.log ?? ((line: string) => console.log(`[bench:stall] ${line}`));
  const binDir = findPgBinDir();
  const pgbench = binDir && path.join(binDir, 'pgbench');
  if (!binDir || !probe(pgbench!, ['--version'], 5_000)) throw new Error('bench: pgbench not found beside the PostgreSQL binaries (set BG_PG_BINDIR)');
  const server = context.server ?? (await startPostgres());
  const loadSamples: number[] = [];
  const sampler = setInterval(() => loadSamples.push(os.loadavg()[0]!), 2_000);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-bench-stall-'));
  try {
    const env = await ensureDjangoEnv('5.2');
    const bench: Bench = { options, server, env, pgbench: pgbench!, psql: path.join(binDir, 'psql'), work, counts: rowCounts(options.rows), rate: 0, log, loadSamples, afterRun: context.afterRun };
    return await measure(bench, startedAt, context.progress);
  } finally {
    clearInterval(sampler);
    for (const db of await benchDatabases(server)) await server.dropDatabase(db).catch(() => {});
    if (!context.server) await server.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function measure(bench: Bench, startedAt: string, progress?: StallContext['progress']): Promise<StallReport> {
  const { options, server, env, log } = bench;
  const generation = {
    env,
    databaseUrl: server.url('postgres'),
    work: path.join(bench.work, 'projects'),
    extraArgs: [
      ...(options.lockTimeout ? ['--lock-timeout', options.lockTimeout] : []),
      ...(options.lockRetries ? ['--lock-retries', String(options.lockRetries)] : []),
      ...(options.batchSize ? ['--batch-size', String(options.batchSize)] : []),
    ],
  };
  const available = availableOperations();
  const wanted = (id: string) => options.only.length === 0 || options.only.some((f) => id.includes(f.split(' ')[0]!));
  const changes: PreparedChange[] = [];
  for (const change of GENERATED.filter((c) => available.has(c.operation))) {
    const naive = NAIVE.find((n) => n.operation === change.operation);
    if (wanted(change.id)) changes.push(await prepareGenerated(change, generation));
    // The naive form once per operation, beside its first strategy.
    if (naive && wanted(naive.id) && !changes.some((c) => c.id === naive.id)) changes.push(await prepareNaive(naive, generation));
  }
  const notYetAvailable = [...new Set(GENERATED.filter((c) => !available.has(c.operation)).map((c) => c.operation))];
  const scenarios = changes.flatMap((change) => scenariosOf(change, options));
  if (scenarios.length === 0) throw new Error(`bench: no scenario matches --only ${options.only.join(', ')}`);
  log(`${scenarios.length} scenarios × ${options.runs} runs${notYetAvailable.length ? `; no command yet for ${notYetAvailable.join(', ')}` : ''}`);

  const zero = await releaseZero(generation);
  const base = `${PREFIX}_base`;
  log(`filling shop_order with ${options.rows.toLocaleString('en-US')} rows`);
  const fillStarted = Date.now();
  await createBase(server, env, zero.tree, base, options.rows, log);
  const fillSeconds = (Date.now() - fillStarted) / 1000;

  // The rate: a share of what this machine sustains at most with the serving release's writes.
  await freshCopy(bench, base);
  const maxTps = await maxThroughput(target(bench, 'max'), ormScripts(await zero.order(), bench.counts), options.maxTpsSeconds);
  bench.rate = maxTps * options.rateShare;
  log(`maximum ${Math.round(maxTps)} tps; the load runs at ${Math.round(bench.rate)} tps`);

  const baselineRuns: Array<{ max: number; mean: number }> = [];
  for (let run = 1; run <= options.runs; run++) baselineRuns.push(await baselineRun(bench, base, await zero.order()));
  const baselineMax = median(baselineRuns.map((r) => r.max));
  log(`baseline max write latency ${round(baselineMax, 1)} ms (${baselineRuns.map((r) => round(r.max, 1)).join(', ')})`);

  const results: ScenarioResult[] = [];
  let triggerOverhead: TriggerOverhead | null = null;
  let backfillLab: LabReport | null = null;
  const templates = new Templates(bench, base);
  if (options.lab.length > 0) {
    const scenario = scenarios.find((s) => s.id === LAB_SCENARIO);
    if (!scenario) throw new Error(`bench: --lab needs the scenario ${LAB_SCENARIO}`);
    backfillLab = await measureLab(bench, labArms(options.lab), scenario, await templates.before(scenario.change, scenario.phase), baselineMax, async (lab) => {
      backfillLab = lab;
      await progress?.(await assemble(false));
    });
    await templates.drop(scenario.change);
    return assemble(true);
  }
  // Scenarios without a backfill first: if a long run is cut short, most of the table is there.
  const ordered = [...scenarios.filter((s) => !backfills(s)), ...scenarios.filter(backfills)];
  for (const scenario of ordered) {
    const { change } = scenario;
    const runs: RunMeasurement[] = [];
    try {
      const template = await templates.before(change, scenario.phase);
      for (let run = 1; run <= options.runs; run++) runs.push(await scenarioRun(bench, scenario, template).catch(failedRun));
    } catch (error) {
      runs.push(failedRun(error)); // the schema before this phase could not be prepared
    }
    const phase = change.kind === 'generated' ? `${scenario.phase}/${change.releases.length - 1}` : null;
    const result = summarizeScenario({ id: scenario.id, operation: change.operation, kind: change.kind, phase, lockQueue: scenario.lockQueue }, runs, baselineMax);
    results.push(result);
    results.sort((a, b) => scenarios.findIndex((s) => s.id === a.id) - scenarios.findIndex((s) => s.id === b.id));
    log(`${scenario.id}: max ${result.maxLatencyMs} ms (${result.ratio}× baseline), migration ${result.migrationSeconds} s${result.backfillRowsPerSecond ? `, backfill ${result.backfillRowsPerSecond} rows/s` : ''}${result.writeErrors.length ? `, writes failed: ${result.writeErrors[0]}` : ''}`);
    await progress?.(await assemble(false));
    // A change's templates go once none of its scenarios is left (the trigger's stays for the overhead).
    if (!ordered.slice(ordered.indexOf(scenario) + 1).some((s) => s.change === change) && !(options.triggerOverhead && change.id === TRIGGER)) {
      await templates.drop(change);
    }
  }
  const trigger = changes.find((c) => c.id === TRIGGER);
  if (options.triggerOverhead && trigger) {
    triggerOverhead = await measureTriggerOverhead(bench, await templates.before(trigger, 2), trigger).catch((error: Error) => {
      log(`sync trigger overhead not measured: ${error.message}`);
      return null;
    });
    await templates.drop(trigger);
  }

  return assemble(true);

  async function assemble(complete: boolean): Promise<StallReport> {
    const samples = bench.loadSamples.length > 0 ? bench.loadSamples : [os.loadavg()[0]!];
    return {
      benchmark: 'write-stall',
      complete,
      startedAt,
      finishedAt: new Date().toISOString(),
      settings: {
        rows: options.rows,
        quick: options.quick,
        runs: options.runs,
        clients: options.clients,
        threads: options.threads,
        protocol: options.protocol,
        maxTps: Math.round(maxTps),
        rateShare: options.rateShare,
        rate: Math.round(bench.rate),
        preSeconds: options.preSeconds,
        tailSeconds: options.tailSeconds,
        baselineSeconds: options.baselineSeconds,
        readerSeconds: options.readerSeconds,
        lockTimeout: options.lockTimeout ?? '1s (default)',
        lockRetries: String(options.lockRetries ?? '10 (default)'),
        batchSize: String(options.batchSize ?? '10000 (default)'),
      },
      environment: {
        postgres: (await server.query('postgres', 'SHOW server_version')).trim(),
        pgbench: probe(bench.pgbench, ['--version'], 5_000)?.trim() ?? '?',
        django: env.django,
        python: env.pythonVersion,
        node: process.version,
        cpus: os.cpus().length,
        postgresSettings: await postgresSettings(server),
        loadAverage: { min: round(Math.min(...samples), 2), median: round(median(samples), 2), max: round(Math.max(...samples), 2) },
        fillSeconds: round(fillSeconds, 1),
      },
      baseline: { maxLatencyMs: round(baselineMax, 1), runs: baselineRuns.map((r) => round(r.max, 1)), steadyMeanLatencyMs: baselineRuns.map((r) => round(r.mean, 2)) },
      scenarios: results,
      triggerOverhead,
      ...(backfillLab ? { backfillLab } : {}),
      notYetAvailable,
      goals: { definitions: GOALS, missed: missedGoals(results), met: results.filter((s) => s.goals.latency === 'met').length },
      notes: rerunNotes(results),
    };
  }
}

const TRIGGER = 'rename-column/trigger';

/** Whether the scenario's migration backfills (forwards): those take longest, so they run last. */
function backfills(scenario: Scenario): boolean {
  const release = scenario.change.releases[scenario.phase]!;
  const migration = readFileSync(path.join(release.tree, 'shop', 'migrations', `${release.leaf}.py`), 'utf8');
  return /^ {8}BackfillInBatches\(/m.test(migration);
}

/**
 * The databases the phases start from: for phase k, a copy of the base with phases 1..k-1
 * applied (by the releases' own migrations, without load), built once and kept until dropped.
 * A change with a setup starts from a copy of the base with the setup's migration applied and
 * its columns filled, built once per setup and kept to the end.
 */
class Templates {
  private readonly built = new Map<PreparedChange, string[]>();
  private readonly setups = new Map<string, Promise<string>>();
  private count = 0;
  constructor(
    private readonly bench: Bench,
    private readonly base: string,
  ) {}

  async before(change: PreparedChange, phase: number): Promise<string> {
    const chain = this.built.get(change) ?? [change.setup ? await this.setupBase(change) : this.base];
    this.built.set(change, chain);
    for (let k = chain.length; k < phase; k++) {
      const { server, env, log } = this.bench;
      const name = `${PREFIX}_t${++this.count}`;
      log(`${change.id}: preparing the schema after phase ${k}`);
      await cloneDatabase(server, chain[k - 1]!, name);
      // As an operator would: a step that found no lock (autovacuum on the freshly backfilled table,
      // say) fails the migration, and running migrate again finishes the job.
      for (let attempt = 1; ; attempt++) {
        try {
          await migrateTo(server, env, change.releases[k]!.tree, name, change.releases[k]!.leaf);
          break;
        } catch (error) {
          if (attempt === 3) {
            await server.dropDatabase(name);
            throw error;
          }
          log(`${change.id}: migrate failed (${lastLine((error as Error).message)}); running it again`);
        }
      }
      await sql(server, name, 'VACUUM ANALYZE');
      chain.push(name);
    }
    return chain[phase - 1]!;
  }

  private setupBase(change: PreparedChange): Promise<string> {
    const setup = change.setup!;
    if (!this.setups.has(setup.id)) {
      const build = async () => {
        const { server, env, log } = this.bench;
        const name = `${PREFIX}_setup_${setup.id.replace(/\W+/g, '_')}`;
        log(`${setup.id}: preparing the base with the setup's columns (${change.releases[0]!.leaf})`);
        await cloneDatabase(server, this.base, name);
        await migrateTo(server, env, change.releases[0]!.tree, name, change.releases[0]!.leaf);
        await sql(server, name, setup.fill);
        await sql(server, name, 'VACUUM ANALYZE');
        return name;
      };
      const built = build();
      built.catch(() => this.setups.delete(setup.id)); // the next change tries again
      this.setups.set(setup.id, built);
    }
    return this.setups.get(setup.id)!;
  }

  async drop(change: PreparedChange): Promise<void> {
    for (const name of (this.built.get(change) ?? []).slice(1)) await this.bench.server.dropDatabase(name);
    this.built.delete(change);
  }
}

/** The phases of a generated change and its naive twin, each also under the lock queue. */
function scenariosOf(change: PreparedChange, options: StallOptions): Scenario[] {
  const phases = change.releases.length - 1;
  const all: Scenario[] = [];
  for (let phase = 1; phase <= phases; phase++) {
    const id = change.kind === 'generated' ? `${change.id} ${phase}/${phases}` : change.id;
    all.push({ id, change, phase, lockQueue: false });
    if (options.lockQueue) all.push({ id: `${id} +reader`, change, phase, lockQueue: true });
  }
  return all.filter((s) => options.only.length === 0 || options.only.some((f) => s.id.includes(f)));
}

function target(bench: Bench, label: string): PgbenchTarget {
  return { pgbench: bench.pgbench, server: bench.server, db: RUN_DB, dir: path.join(bench.work, `load-${label}`), clients: bench.options.clients, threads: bench.options.threads, protocol: bench.options.protocol };
}

/** A fresh copy of the template as the run's database, after a CHECKPOINT. */
async function freshCopy(bench: Bench, template: string): Promise<void> {
  await cloneDatabase(bench.server, template, RUN_DB);
  await sql(bench.server, RUN_DB, 'CHECKPOINT');
}

async function baselineRun(bench: Bench, base: string, order: OrmModel): Promise<{ max: number; mean: number }> {
  const { options } = bench;
  await freshCopy(bench, base);
  const load = await startOpenLoop(target(bench, 'baseline'), ormScripts(order, bench.counts), bench.rate);
  await sleep((options.preSeconds + options.baselineSeconds + options.tailSeconds) * 1000);
  const { transactions } = await load.stop();
  await bench.server.dropDatabase(RUN_DB);
  const startUs = load.startedUs + options.preSeconds * 1e6;
  const window: Span = { startUs, endUs: startUs + options.baselineSeconds * 1e6 };
  return { max: maxLatencyMs(transactions, window), mean: meanLatencyMs(transactions, window) };
}

interface MigrateOutcome {
  code: number | null;
  output: string;
  startedUs: number;
  endedUs: number;
  migrations: Array<{ name: string; start: number; end: number | null }>;
  /** `batchesEnd`: when a backfill's batches ended and its VACUUM (a step of its own) began. */
  steps: Array<{ op: string; describe: string; start: number; end: number; rows: number | null; batchesEnd?: number }>;
}

/**
 * One run: a fresh copy of the template and the load; migrate starts Django and waits; the steady
 * state; (the reader;) the migration; the tail, while the backlog of any stall drains.
 */
async function scenarioRun(bench: Bench, scenario: Scenario, template: string): Promise<RunMeasurement> {
  const { options } = bench;
  const serving = scenario.change.releases[scenario.phase - 1]!;
  const next = scenario.change.releases[scenario.phase]!;
  await freshCopy(bench, template);
  const load = await startOpenLoop(target(bench, 'run'), ormScripts(await serving.order(), bench.counts), bench.rate);
  let stopped: LoadResult | null = null;
  let reader: { done: Promise<void> } | null = null;
  try {
    const migrate = startMigrate(bench, next);
    await migrate.ready;
    const steadyStartUs = Math.max(Date.now() * 1000, load.startedUs + 1e6); // the first second is pgbench connecting
    await sleep(options.preSeconds * 1000);
    const steadyEndUs = Date.now() * 1000;
    reader = scenario.lockQueue ? await holdTable(bench, 'shop_order', options.readerSeconds) : null;
    let migrated = await migrate.go();
    // As an operator would: every step is safe to run again, so a failed migrate is run again.
    const reruns: string[] = [];
    while (migrated.code !== 0 && reruns.length < MIGRATE_ATTEMPTS - 1) {
      reruns.push(migrateFailure(migrated));
      const again = startMigrate(bench, next);
      await again.ready;
      migrated = joinAttempts(migrated, await again.go());
    }
    await sleep(options.tailSeconds * 1000);
    stopped = await load.stop();
    await bench.afterRun?.({ scenario: scenario.id, server: bench.server, database: RUN_DB });
    return { ...runMeasurement({ startUs: steadyStartUs, endUs: steadyEndUs }, migrated, stopped.transactions, stopped.writeErrors), migrateReruns: reruns };
  } finally {
    if (!stopped) await load.stop().catch(() => null);
    await reader?.done;
    await bench.server.dropDatabase(RUN_DB);
  }
}

/** How often a run's migrate is started before the run counts as failed. */
const MIGRATE_ATTEMPTS = 3;

/**
 * Why migrate failed: the last line of its error (bg-scaffold's own message, for a lock timeout),
 * after the exception's own line when the last one is PostgreSQL's DETAIL or HINT ("deadlock
 * detected … HINT: See server log").
 */
function migrateFailure(m: MigrateOutcome): string {
  const lines = m.output.trim().split('\n').filter((line) => line.trim() && !/^\{"migrations"/.test(line));
  const last = lines.at(-1) ?? '';
  const exception = /^\s*(DETAIL|HINT):/.test(last) ? [...lines].reverse().find((line) => /^[\w.]+(Error|Exception): /.test(line)) : undefined;
  return `exit ${m.code}: ${(exception ? `${exception} | ${last.trim()}` : last).slice(0, 500)}`;
}

/** One migration window over two attempts: from the first's start to the second's end. */
function joinAttempts(first: MigrateOutcome, second: MigrateOutcome): MigrateOutcome {
  return {
    ...second,
    startedUs: first.startedUs,
    migrations: [...first.migrations, ...second.migrations],
    steps: [...first.steps, ...second.steps],
  };
}

/** The first line of an error and its last two (where a failed migrate says why), on one line. */
function lastLine(message: string): string {
  const lines = message.trim().split('\n').filter(Boolean);
  return [...new Set([lines[0], ...lines.slice(-2)])].join(' | ').slice(0, 600);
}

/** A run that could not be measured: the report shows why instead of figures. */
function failedRun(error: unknown): RunMeasurement {
  return {
    maxLatencyMs: Number.NaN,
    steadyMaxLatencyMs: Number.NaN,
    secondsBelowHalf: Number.NaN,
    migrationSeconds: Number.NaN,
    backfill: null,
    transactions: 0,
    writeErrors: [],
    migrateError: `the run failed: ${lastLine((error as Error).message)}`,
    migrateReruns: [],
    steps: [],
    loadAverage: round(os.loadavg()[0]!, 2),
  };
}

function runMeasurement(steady: Span, m: MigrateOutcome, transactions: Transaction[], writeErrors: string[]): RunMeasurement {
  const first = m.migrations[0];
  const last = m.migrations[m.migrations.length - 1];
  // The migration's own span; the process's when it failed before recording one.
  const window: Span = {
    startUs: first ? first.start * 1e6 : m.startedUs,
    endUs: last?.end ? last.end * 1e6 : m.endedUs,
  };
  const backfills = m.steps.filter((s) => s.rows !== null);
  let backfill: RunMeasurement['backfill'] = null;
  if (backfills.length > 0) {
    const rows = backfills.reduce((n, s) => n + (s.rows ?? 0), 0);
    // The batches only: the VACUUM after them is a step of its own, in the phase's figures.
    const seconds = backfills.reduce((n, s) => n + ((s.batchesEnd ?? s.end) - s.start), 0);
    const spans = backfills.map((s) => ({ startUs: s.start * 1e6, endUs: (s.batchesEnd ?? s.end) * 1e6 }));
    const worst = (script?: number) => round(Math.max(...spans.map((span) => maxLatencyMs(script === undefined ? transactions : transactions.filter((t) => t.script === script), span))), 1);
    backfill = { rows, seconds: round(seconds, 2), rowsPerSecond: Math.round(rows / Math.max(seconds, 1e-3)), maxLatencyMs: worst(), maxInsertMs: worst(0), maxUpdateMs: worst(1) };
  }
  return {
    maxLatencyMs: round(maxLatencyMs(transactions, window), 1),
    steadyMaxLatencyMs: round(maxLatencyMs(transactions, steady), 1),
    secondsBelowHalf: secondsBelowHalfThroughput(transactions, steady, { startUs: window.startUs, endUs: window.endUs + 1e6 }),
    migrationSeconds: round((window.endUs - window.startUs) / 1e6, 3),
    backfill,
    transactions: transactions.length,
    writeErrors,
    migrateError: m.code === 0 ? null : `migrate failed ${MIGRATE_ATTEMPTS} times; ${migrateFailure(m)}`,
    migrateReruns: [],
    steps: [...m.steps].sort((a, b) => a.start - b.start).map((s) => ({ op: s.op, describe: s.describe, seconds: round(s.end - s.start, 3), rows: s.rows })),
    loadAverage: round(os.loadavg()[0]!, 2),
  };
}

interface PendingMigrate {
  /** Django has started and imported the migrations. */
  ready: Promise<void>;
  /** Runs the migration; resolves when migrate has exited. */
  go(): Promise<MigrateOutcome>;
}

/** `migrate shop <leaf>` through bench/stall/django_helper.py, which times the migration and its steps. */
function startMigrate(bench: Bench, release: Release): PendingMigrate {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: bench.server.url(RUN_DB), PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
  delete env.DJANGO_SETTINGS_MODULE;
  const child = spawn(bench.env.python, [HELPER, 'migrate', '--project', release.tree, '--app', 'shop', '--target', release.leaf], {
    cwd: release.tree,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let startedUs = 0;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 100_000) stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (/^ready$/m.test(stdout)) resolve();
    });
    void exited.then((code) => reject(new Error(`bench: migrate for ${release.leaf} ended before it was ready (exit ${code}):\n${stderr.slice(-3000)}`)));
  });
  ready.catch(() => {}); // surfaces through go() or the awaiting caller
  return {
    ready,
    async go() {
      startedUs = Date.now() * 1000;
      child.stdin.end('go\n');
      const code = await exited;
      const endedUs = Date.now() * 1000;
      let timeline: Pick<MigrateOutcome, 'migrations' | 'steps'> = { migrations: [], steps: [] };
      try {
        timeline = JSON.parse(stdout.slice(stdout.lastIndexOf('{"migrations"'))) as typeof timeline;
      } catch {
        // no timeline: the process's span stands in
      }
      return { code, output: stdout + stderr, startedUs, endedUs, ...timeline }; // the error ends stderr
    },
  };
}

/** Another session reads `table` and keeps its transaction open (ACCESS SHARE) for `seconds`. */
async function holdTable(bench: Bench, table: string, seconds: number): Promise<{ done: Promise<void> }> {
  const app = `${PREFIX}_reader`;
  const child = spawn(
    bench.psql,
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', bench.server.url(RUN_DB), '-c', 'BEGIN', '-c', `SELECT 1 FROM "${table}" LIMIT 1`, '-c', `SELECT pg_sleep(${seconds})`, '-c', 'COMMIT'],
    { env: { ...process.env, PGAPPNAME: app }, stdio: 'ignore' },
  );
  const done = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const deadline = Date.now() + 10_000;
  const holding = `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.application_name = '${app}' AND l.relation = '"${table}"'::regclass AND l.granted`;
  while ((await bench.server.query(RUN_DB, holding)).trim() === '0') {
    if (Date.now() > deadline) throw new Error(`bench: the reader did not get a lock on ${table} within 10 s`);
    await sleep(20);
  }
  return { done };
}

/**
 * The sync trigger's cost to writers: the same load, with and without the trigger, on the schema
 * after phase 1. The load names both columns with the same value, so it is valid either way.
 */
async function measureTriggerOverhead(bench: Bench, template: string, change: PreparedChange): Promise<TriggerOverhead> {
  const { options, server, log } = bench;
  const [before, after] = [await change.releases[0]!.order(), await change.releases[1]!.order()];
  const both: OrmModel = { ...after, columns: [...after.columns, ...before.columns.filter((c) => !after.columns.some((a) => a.column === c.column))] };
  const scripts = ormScripts(both, bench.counts);
  await freshCopy(bench, template);
  const trigger = (await server.query(RUN_DB, "SELECT tgname || '|' || pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'shop_order'::regclass AND tgname LIKE 'bg_sync_%'")).trim();
  if (!trigger) throw new Error('bench: the trigger strategy left no bg_sync_ trigger on shop_order after phase 1');
  const [name, definition] = [trigger.slice(0, trigger.indexOf('|')), trigger.slice(trigger.indexOf('|') + 1)];
  const measured = { with: { tps: [] as number[], mean: [] as number[] }, without: { tps: [] as number[], mean: [] as number[] } };
  await maxThroughput(target(bench, 'overhead'), scripts, Math.min(2, options.overheadSeconds)); // warms the copy's caches; not counted
  for (let run = 0; run < options.runs; run++) {
    // Alternating which goes first, so that drift on a shared machine hits both alike.
    for (const withTrigger of run % 2 === 0 ? [true, false] : [false, true]) {
      await server.query(RUN_DB, withTrigger ? `DROP TRIGGER IF EXISTS "${name}" ON shop_order; ${definition}` : `DROP TRIGGER IF EXISTS "${name}" ON shop_order`);
      const side = withTrigger ? measured.with : measured.without;
      side.tps.push(await maxThroughput(target(bench, 'overhead'), scripts, options.overheadSeconds));
      const load = await startOpenLoop(target(bench, 'overhead'), scripts, bench.rate);
      await sleep((options.overheadSeconds + 1) * 1000);
      const { transactions } = await load.stop();
      side.mean.push(meanLatencyMs(transactions, { startUs: load.startedUs + 1e6, endUs: Date.now() * 1000 }));
    }
  }
  await server.dropDatabase(RUN_DB);
  const withTps = median(measured.with.tps);
  const withoutTps = median(measured.without.tps);
  const result: TriggerOverhead = {
    maxTpsWithTrigger: Math.round(withTps),
    maxTpsWithoutTrigger: Math.round(withoutTps),
    throughputCostPercent: round((1 - withTps / withoutTps) * 100, 1),
    meanLatencyMsWithTrigger: round(median(measured.with.mean), 2),
    meanLatencyMsWithoutTrigger: round(median(measured.without.mean), 2),
    runs: options.runs,
    seconds: options.overheadSeconds,
  };
  log(`sync trigger: ${result.maxTpsWithTrigger} vs ${result.maxTpsWithoutTrigger} tps (${result.throughputCostPercent}% less)`);
  return result;
}

async function postgresSettings(server: PgServer): Promise<Record<string, string>> {
  const names = ['shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'fsync', 'synchronous_commit', 'full_page_writes', 'autovacuum'];
  const rows = await server.query('postgres', `SELECT name || '=' || current_setting(name) FROM pg_settings WHERE name IN (${names.map((n) => `'${n}'`).join(', ')}) ORDER BY name`);
  return Object.fromEntries(rows.trim().split('\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

async function benchDatabases(server: PgServer): Promise<string[]> {
  const rows = await server.query('postgres', `SELECT datname FROM pg_database WHERE datname LIKE '${PREFIX}%'`).catch(() => '');
  return rows.trim().split('\n').filter(Boolean);
}


/**
 * The backfill lab (issue 20): `rounds` rounds, each running every arm once on a fresh copy of the
 * phase's template (the order reversed every other round, so that a drift of the shared machine
 * hits the arms alike): the anchors and prototypes through bench/stall/backfill_lab.py with the
 * generated migration's own SET and WHERE, the generated phase through migrate as its scenario.
 */
async function measureLab(bench: Bench, arms: LabArm[], scenario: Scenario, template: string, baselineMax: number, progress: (lab: LabReport) => Promise<void>): Promise<LabReport> {
  const { options, log } = bench;
  const release = scenario.change.releases[scenario.phase]!;
  const migration = readFileSync(path.join(release.tree, 'shop', 'migrations', `${release.leaf}.py`), 'utf8');
  const python = (name: string) => {
    const found = new RegExp(`${name}=('|")(.*?)\\1,?\\n`).exec(migration);
    if (!found) throw new Error(`bench: no ${name} in ${release.leaf}.py`);
    return found[2]!;
  };
  const sqls = { table: 'shop_order', set: python('set_sql'), where: python('where_sql') };
  const serving = await scenario.change.releases[scenario.phase - 1]!.order();
  const heapBefore = Number((await bench.server.query(template, "SELECT pg_relation_size('shop_order')")).trim());
  const runs = new Map<string, LabRun[]>();
  const base = { template: `shop_order after ${scenario.change.id} 1/2 (${bench.options.rows.toLocaleString('en-US')} rows)`, setSql: sqls.set, whereSql: sqls.where };
  for (let round = 1; round <= options.runs; round++) {
    for (const arm of round % 2 === 1 ? arms : [...arms].reverse()) {
      log(`lab round ${round}: ${arm.id}`);
      const run = await (arm.lab ? labRun(bench, arm, arm.lab, sqls, template, serving, heapBefore, round) : generatedLabRun(bench, scenario, template, heapBefore, round)).catch(
        (error: Error): LabRun => ({ round, rows: 0, seconds: 0, rowsPerSecond: 0, maxLatencyMs: null, maxInsertMs: null, maxUpdateMs: null, steadyMaxLatencyMs: null, leftNull: null, hotPercent: null, heapGrowth: null, detail: {}, writeErrors: [], error: lastLine(error.message), loadAverage: round2(os.loadavg()[0]!) }),
      );
      runs.set(arm.id, [...(runs.get(arm.id) ?? []), run]);
      log(`lab round ${round}: ${arm.id}: ${run.error ?? `${run.rowsPerSecond} rows/s, max write ${run.maxLatencyMs ?? '–'} ms, left NULL ${run.leftNull ?? '–'}`}`);
      await progress(summarizeLab(arms, runs, baselineMax, base));
    }
  }
  return summarizeLab(arms, runs, baselineMax, base);
}

const round2 = (n: number) => round(n, 2);

/** What the run left in shop_order: rows still NULL, the HOT share of its updates, the heap's size. */
async function tableFacts(server: PgServer, database: string, heapBefore: number): Promise<Pick<LabRun, 'leftNull' | 'hotPercent' | 'heapGrowth'>> {
  await sleep(1_000); // the backends' table statistics are flushed when they end
  const [leftNull, updates, hot, heap] = (
    await server.query(
      database,
      "SELECT (SELECT count(*) FROM shop_order WHERE priority IS NULL), n_tup_upd, n_tup_hot_upd, pg_relation_size('shop_order') FROM pg_stat_user_tables WHERE relid = 'shop_order'::regclass",
    )
  )
    .trim()
    .split('|')
    .map(Number);
  return { leftNull: leftNull!, hotPercent: updates! > 0 ? round((hot! / updates!) * 100, 1) : 0, heapGrowth: round(heap! / heapBefore, 2) };
}

/** The generated phase as its scenario runs it; its backfill's figures. */
async function generatedLabRun(bench: Bench, scenario: Scenario, template: string, heapBefore: number, round: number): Promise<LabRun> {
  let facts: Pick<LabRun, 'leftNull' | 'hotPercent' | 'heapGrowth'> = { leftNull: null, hotPercent: null, heapGrowth: null };
  const saved = bench.afterRun;
  bench.afterRun = async (run) => {
    facts = await tableFacts(run.server, run.database, heapBefore);
    await saved?.(run);
  };
  try {
    const m = await scenarioRun(bench, scenario, template);
    if (m.migrateError || !m.backfill) throw new Error(m.migrateError ?? 'the phase ran no backfill');
    return {
      round,
      rows: m.backfill.rows,
      seconds: m.backfill.seconds,
      rowsPerSecond: m.backfill.rowsPerSecond,
      maxLatencyMs: m.backfill.maxLatencyMs,
      steadyMaxLatencyMs: m.steadyMaxLatencyMs,
      ...facts,
      maxInsertMs: m.backfill.maxInsertMs ?? null,
      maxUpdateMs: m.backfill.maxUpdateMs ?? null,
      detail: { phaseMaxLatencyMs: m.maxLatencyMs, steps: m.steps },
      writeErrors: m.writeErrors,
      error: null,
      loadAverage: m.loadAverage,
    };
  } finally {
    bench.afterRun = saved;
  }
}

/** One arm of backfill_lab.py on a fresh copy of the template, with or without the serving load. */
async function labRun(bench: Bench, arm: LabArm, args: string[], sqls: { table: string; set: string; where: string }, template: string, serving: OrmModel, heapBefore: number, roundNo: number): Promise<LabRun> {
  const { options } = bench;
  await freshCopy(bench, template);
  const load = arm.load ? await startOpenLoop(target(bench, 'lab'), ormScripts(serving, bench.counts), bench.rate) : null;
  let stopped: LoadResult | null = null;
  try {
    const child = startLab(bench, ['--table', sqls.table, '--set', sqls.set, '--where', sqls.where, ...args]);
    await child.ready;
    const steadyStartUs = load ? Math.max(Date.now() * 1000, load.startedUs + 1e6) : 0;
    if (load) await sleep(options.preSeconds * 1000);
    const steady: Span = { startUs: steadyStartUs, endUs: Date.now() * 1000 };
    const out = await child.go();
    const window: Span = { startUs: out.start * 1e6, endUs: out.end * 1e6 };
    if (load) {
      await sleep(options.tailSeconds * 1000);
      stopped = await load.stop();
    }
    const rows = Number(out.rows);
    const seconds = out.end - out.start;
    const { start: _s, end: _e, rows: _r, ...detail } = out;
    return {
      round: roundNo,
      rows,
      seconds: round(seconds, 2),
      rowsPerSecond: Math.round(rows / Math.max(seconds, 1e-3)),
      maxLatencyMs: stopped ? round(maxLatencyMs(stopped.transactions, window), 1) : null,
      maxInsertMs: stopped ? round(maxLatencyMs(stopped.transactions.filter((t) => t.script === 0), window), 1) : null,
      maxUpdateMs: stopped ? round(maxLatencyMs(stopped.transactions.filter((t) => t.script === 1), window), 1) : null,
      steadyMaxLatencyMs: stopped ? round(maxLatencyMs(stopped.transactions, steady), 1) : null,
      ...(await tableFacts(bench.server, RUN_DB, heapBefore)),
      detail,
      writeErrors: stopped?.writeErrors ?? [],
      error: null,
      loadAverage: round(os.loadavg()[0]!, 2),
    };
  } finally {
    if (load && !stopped) await load.stop().catch(() => null);
    await bench.server.dropDatabase(RUN_DB);
  }
}

const LAB = path.join(path.dirname(HELPER), 'backfill_lab.py');

/** backfill_lab.py, connected and waiting; go() starts the backfill and resolves with its JSON line. */
function startLab(bench: Bench, args: string[]): { ready: Promise<void>; go(): Promise<{ start: number; end: number; rows: number } & Record<string, unknown>> } {
  const child = spawn(bench.env.python, [LAB, ...args], { env: { ...process.env, DATABASE_URL: bench.server.url(RUN_DB), PYTHONUNBUFFERED: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (/^ready$/m.test(stdout)) resolve();
    });
    void exited.then((code) => reject(new Error(`bench: backfill_lab.py ended before it was ready (exit ${code}):\n${stderr}`)));
  });
  ready.catch(() => {});
  return {
    ready,
    async go() {
      child.stdin.end('go\n');
      const code = await exited;
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) throw new Error(`bench: backfill_lab.py ${args.join(' ')} failed (exit ${code}):\n${stderr}`);
      return JSON.parse(line) as { start: number; end: number; rows: number } & Record<string, unknown>;
    },
  };
}
