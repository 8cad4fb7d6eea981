/** The write-stall report: its JSON shape, the goals, and the table. Pure. */
import { labMarkdown, type LabReport } from './backfill-lab.js';
import { median, round } from './metrics.js';

/** The goals of issue 7, stated here once; a missed goal is reported, never tuned away. */
export const GOALS = {
  /** Every generated phase's maximum write latency, as a multiple of the baseline maximum. */
  maxLatencyRatio: 2,
  backfillRowsPerSecond: 150_000,
  backfillMaxStallMs: 100,
} as const;

export type GoalStatus = 'met' | 'missed' | 'n/a';

/** One run of one scenario. */
export interface RunMeasurement {
  maxLatencyMs: number;
  /** The run's own steady state before the migration: how noisy the machine was just then. */
  steadyMaxLatencyMs: number;
  secondsBelowHalf: number;
  migrationSeconds: number;
  /**
   * maxInsertMs and maxUpdateMs: the slowest of each of the load's two scripts scheduled during the
   * batches. An insert never meets a batch's row locks, an update may: the two tell waiting for a
   * batch from waiting for the machine.
   */
  backfill: { rows: number; seconds: number; rowsPerSecond: number; maxLatencyMs: number; maxInsertMs?: number; maxUpdateMs?: number } | null;
  transactions: number;
  /** Errors that stopped the serving release's writes (e.g. a column it names is gone). */
  writeErrors: string[];
  /** Set when migrate failed (every attempt), or the run could not be measured. */
  migrateError: string | null;
  /** Why each earlier attempt of migrate failed, when it had to be run again (as an operator would). */
  migrateReruns: string[];
  /** bg-scaffold's steps, in order, with their durations (s). */
  steps: Array<{ op: string; describe: string; seconds: number; rows: number | null }>;
  /** 1-minute load average at the end of the run. */
  loadAverage: number;
}

export interface ScenarioResult {
  id: string;
  operation: string;
  kind: 'generated' | 'naive';
  /** `1/2` for a generated phase; null for the naive migration. */
  phase: string | null;
  lockQueue: boolean;
  /** Medians over the runs (of each run's maximum, for latencies). */
  maxLatencyMs: number;
  ratio: number;
  secondsBelowHalf: number;
  migrationSeconds: number;
  backfillRowsPerSecond: number | null;
  backfillMaxLatencyMs: number | null;
  writeErrors: string[];
  /** Runs in which migrate failed and had to be run again, and why (distinct reasons). */
  rerunRuns: number;
  rerunReasons: string[];
  goals: { latency: GoalStatus; backfill: GoalStatus };
  runs: RunMeasurement[];
}

export interface TriggerOverhead {
  /** Closed loop, median over the runs. */
  maxTpsWithTrigger: number;
  maxTpsWithoutTrigger: number;
  /** 1 - with/without, in percent. */
  throughputCostPercent: number;
  /** Open loop at the benchmark's rate. */
  meanLatencyMsWithTrigger: number;
  meanLatencyMsWithoutTrigger: number;
  runs: number;
  seconds: number;
}

export interface StallReport {
  benchmark: 'write-stall';
  /** False in the reports written while the run goes on. */
  complete: boolean;
  startedAt: string;
  finishedAt: string;
  settings: {
    rows: number;
    quick: boolean;
    runs: number;
    clients: number;
    threads: number;
    /** pgbench -M (absent in reports written before the option: prepared). */
    protocol?: string;
    maxTps: number;
    rateShare: number;
    rate: number;
    preSeconds: number;
    tailSeconds: number;
    baselineSeconds: number;
    readerSeconds: number;
    lockTimeout: string;
    lockRetries: string;
    batchSize: string;
  };
  environment: {
    postgres: string;
    pgbench: string;
    django: string;
    python: string;
    node: string;
    cpus: number;
    postgresSettings: Record<string, string>;
    /** 1-minute load averages sampled through the run: how busy the shared machine was. */
    loadAverage: { min: number; median: number; max: number };
    /** Seconds the fill of shop_order took. */
    fillSeconds: number;
  };
  baseline: { maxLatencyMs: number; runs: number[]; steadyMeanLatencyMs: number[] };
  scenarios: ScenarioResult[];
  triggerOverhead: TriggerOverhead | null;
  /** The backfill lab's arms, when the run was one (`--lab`). */
  backfillLab?: LabReport;
  /** Operations with no command yet in this checkout, left out. */
  notYetAvailable: string[];
  goals: { definitions: typeof GOALS; missed: string[]; met: number };
  /** Findings outside the goals: migrations that failed and had to be run again. */
  notes: string[];
}

/** Migrations that failed in some runs and finished when run again: not a stall goal, but an operator's page. */
export function rerunNotes(scenarios: readonly ScenarioResult[]): string[] {
  return scenarios
    .filter((s) => s.rerunRuns > 0)
    .map((s) => `${s.id}: migrate failed and was run again in ${s.rerunRuns} of ${s.runs.length} runs: ${s.rerunReasons[0]}`);
}

export function summarizeScenario(
  base: Pick<ScenarioResult, 'id' | 'operation' | 'kind' | 'phase' | 'lockQueue'>,
  runs: RunMeasurement[],
  baselineMaxMs: number,
): ScenarioResult {
  // A run that could not be measured (its error is in the report) has no figures to take the median of.
  const measured = runs.filter((r) => Number.isFinite(r.maxLatencyMs));
  const maxLatencyMs = round(median(measured.map((r) => r.maxLatencyMs)), 1);
  const backfills = measured.map((r) => r.backfill).filter((b) => b !== null);
  const backfillRowsPerSecond = backfills.length > 0 ? Math.round(median(backfills.map((b) => b.rowsPerSecond))) : null;
  const backfillMaxLatencyMs = backfills.length > 0 ? round(median(backfills.map((b) => b.maxLatencyMs)), 1) : null;
  const ratio = round(maxLatencyMs / baselineMaxMs, 2);
  const generated = base.kind === 'generated';
  const writeErrors = [...new Set(runs.flatMap((r) => r.writeErrors))];
  const failed = runs.some((r) => r.migrateError !== null) || (generated && writeErrors.length > 0);
  return {
    ...base,
    maxLatencyMs,
    ratio,
    secondsBelowHalf: round(median(measured.map((r) => r.secondsBelowHalf)), 1),
    migrationSeconds: round(median(measured.map((r) => r.migrationSeconds)), 2),
    backfillRowsPerSecond,
    backfillMaxLatencyMs,
    writeErrors,
    rerunRuns: runs.filter((r) => r.migrateReruns.length > 0).length,
    rerunReasons: [...new Set(runs.flatMap((r) => r.migrateReruns))],
    goals: {
      latency: !generated ? 'n/a' : !failed && ratio <= GOALS.maxLatencyRatio ? 'met' : 'missed',
      backfill:
        !generated || backfillRowsPerSecond === null
          ? 'n/a'
          : backfillRowsPerSecond >= GOALS.backfillRowsPerSecond && backfillMaxLatencyMs! <= GOALS.backfillMaxStallMs
            ? 'met'
            : 'missed',
    },
    runs,
  };
}

/** One line per missed goal, saying by how much. */
export function missedGoals(scenarios: readonly ScenarioResult[]): string[] {
  const missed: string[] = [];
  for (const s of scenarios) {
    if (s.goals.latency === 'missed') {
      const why = s.runs.find((r) => r.migrateError)?.migrateError ?? (s.writeErrors.length > 0 ? `the serving release's writes failed: ${s.writeErrors[0]}` : null);
      missed.push(`${s.id}: max write latency ${s.maxLatencyMs} ms = ${s.ratio}× baseline (goal ≤ ${GOALS.maxLatencyRatio}×)${why ? `; ${why}` : ''}`);
    }
    if (s.goals.backfill === 'missed') {
      missed.push(
        `${s.id}: backfill ${s.backfillRowsPerSecond!.toLocaleString('en-US')} rows/s (goal ≥ ${GOALS.backfillRowsPerSecond.toLocaleString('en-US')}), max stall during it ${s.backfillMaxLatencyMs} ms (goal ≤ ${GOALS.backfillMaxStallMs})`,
      );
    }
  }
  return missed;
}

const HEADERS = [
  'scenario',
  'migrate',
  'max write latency ms',
  '× baseline',
  's below 50% tps',
  'migration s',
  'backfill rows/s',
  'backfill max ms',
  'serving writes',
  'goal',
];

/** The report as a Markdown table, with the baseline, the trigger overhead and the missed goals. */
export function markdownReport(report: StallReport): string {
  const rows = report.scenarios.map((s) => [
    s.id,
    s.runs.some((r) => r.migrateError) ? '**failed**' : s.rerunRuns > 0 ? `ok, run again in ${s.rerunRuns}/${s.runs.length}` : 'ok',
    fmt(s.maxLatencyMs),
    `${fmt(s.ratio)}×`,
    fmt(s.secondsBelowHalf),
    fmt(s.migrationSeconds),
    s.backfillRowsPerSecond === null ? '–' : s.backfillRowsPerSecond.toLocaleString('en-US'),
    s.backfillMaxLatencyMs === null ? '–' : fmt(s.backfillMaxLatencyMs),
    s.writeErrors.length > 0 ? `fail: ${s.writeErrors[0]!.replace(/^ERROR:\s*/, '').replace(/\|/g, '/').slice(0, 60)}` : 'ok',
    goalCell(s),
  ]);
  const settings = report.settings;
  const lines = [
    ...(report.complete
      ? []
      : report.backfillLab
        ? [`**Incomplete: the arms measured until ${report.finishedAt}, when the run was still going (or was stopped).**`, '']
        : [`**Incomplete: ${report.scenarios.length} scenarios so far (the run was still going at ${report.finishedAt}).**`, '']),
    `${settings.rows.toLocaleString('en-US')} rows in shop_order, ${settings.runs} runs per scenario (median of per-run maxima); ` +
      `pgbench open loop at ${Math.round(settings.rate).toLocaleString('en-US')} tps = ${Math.round(settings.rateShare * 100)}% of the ${Math.round(settings.maxTps).toLocaleString('en-US')} tps maximum, ${settings.clients} clients, -M ${settings.protocol ?? 'prepared'}; ` +
      `lock_timeout ${settings.lockTimeout}, ${settings.lockRetries} tries.`,
    `Baseline (load, no migration, ${settings.baselineSeconds} s): max write latency ${fmt(report.baseline.maxLatencyMs)} ms (runs: ${report.baseline.runs.map(fmt).join(', ')} ms).`,
    '',
  ];
  // A lab run (--lab) measures the backfill phase among its arms only: no scenario table.
  const lab = report.backfillLab !== undefined && report.scenarios.length === 0;
  if (!lab) {
    lines.push(`| ${HEADERS.join(' | ')} |`, `| ${HEADERS.map((h, i) => (i <= 1 || i >= 8 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`), '');
  }
  if (report.backfillLab) lines.push(labMarkdown(report.backfillLab, report.baseline.maxLatencyMs));
  const t = report.triggerOverhead;
  if (t) {
    lines.push(
      `Sync trigger's write overhead (same load with and without it): max throughput ${Math.round(t.maxTpsWithTrigger).toLocaleString('en-US')} vs ${Math.round(t.maxTpsWithoutTrigger).toLocaleString('en-US')} tps ` +
        `(${t.throughputCostPercent >= 0 ? `${fmt(t.throughputCostPercent)}% less` : `${fmt(-t.throughputCostPercent)}% more: below the machine's noise`}); ` +
        `mean latency at the benchmark rate ${fmt(t.meanLatencyMsWithTrigger)} vs ${fmt(t.meanLatencyMsWithoutTrigger)} ms.`,
      '',
    );
  }
  const env = report.environment;
  lines.push(`Machine: ${env.cpus} CPUs, 1-min load average ${fmt(env.loadAverage.min)}–${fmt(env.loadAverage.max)} (median ${fmt(env.loadAverage.median)}) during the run; PostgreSQL ${env.postgres}, Django ${env.django}.`);
  if (report.notYetAvailable.length > 0) lines.push(`Not measured (no command yet): ${report.notYetAvailable.join(', ')}.`);
  if (!lab) {
    lines.push('', report.goals.missed.length === 0 ? 'Goals: all met.' : `Goals missed (${report.goals.missed.length}):`);
    for (const miss of report.goals.missed) lines.push(`- ${miss}`);
  }
  if (report.notes.length > 0) lines.push('', 'Notes:', ...report.notes.map((note) => `- ${note}`));
  return lines.join('\n') + '\n';
}

function goalCell(s: ScenarioResult): string {
  const parts = [s.goals.latency, s.goals.backfill].filter((g) => g !== 'n/a');
  if (parts.length === 0) return '–';
  return parts.includes('missed') ? '**missed**' : 'met';
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? String(Math.round(value)) : String(round(value, value >= 10 ? 1 : 2));
}
