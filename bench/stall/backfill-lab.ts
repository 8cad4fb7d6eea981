/**
 * The backfill lab (issue 20): on the table of add-column's backfill phase (2/2: fill `priority`
 * with `quantity * 2`), in one run, the table's own limits (anchors) beside the generated
 * backfill and prototypes of other batching loops (bench/stall/backfill_lab.py). Each arm is
 * run on a fresh copy of the same template, rounds alternating the arms, so that every ratio
 * compares figures of the same run. Pure: the arms, the summary and the table.
 */
import { RUNTIME_VERSION } from '../../src/runtime/runtime.js';
import { median, round } from './metrics.js';

export interface LabArm {
  id: string;
  /** What it does, for the table. */
  what: string;
  /** Whether the serving load (the benchmark's rate) writes meanwhile. */
  load: boolean;
  /** backfill_lab.py's arguments (after --table, --set, --where); null: the generated migration. */
  lab: string[] | null;
}

/** The anchor every throughput is divided by: one UPDATE, no load. */
export const SINGLE_UPDATE = 'update-all';
export const GENERATED_ARM = 'generated +load';

const keyset = ['--strategy', 'keyset', '--batch-size', '10000'];
const ctid = (ms: number, ...more: string[]) => ['--strategy', 'ctid', '--adapt', 'duration', '--target-ms', String(ms), ...more];

/** In the order a round runs them (reversed every other round): the anchors and the generated phase first. */
export const LAB_ARMS: readonly LabArm[] = [
  { id: SINGLE_UPDATE, what: 'one `UPDATE … WHERE priority IS NULL` over the table, no load', load: false, lab: ['--strategy', 'update-all'] },
  // The runtime this bg-scaffold generates migrations with: the arm measures whatever it does now.
  { id: GENERATED_ARM, what: `bg-scaffold's BackfillInBatches (runtime v${RUNTIME_VERSION}), the generated phase`, load: true, lab: null },
  { id: 'ctid 20ms 1-stmt +load', what: 'heap pages in physical order, batches aimed at 20 ms, each one autocommitted statement', load: true, lab: ctid(20, '--one-statement') },
  { id: 'ctid-do 20ms +load', what: 'heap pages, 20 ms batches, the loop on the server: a DO block per second of batches, COMMIT after each', load: true, lab: ['--strategy', 'ctid-do', '--target-ms', '20'] },
  // Issue 21's background form: RegisterBackfill, then the worker (manage.py bg_scaffold_backfill) while the load serves.
  { id: 'background +load', what: `bg-scaffold's RegisterBackfill, then its worker BackfillCommand (runtime v${RUNTIME_VERSION}) at full speed, no throttle (--sleep-ratio 0; its other options at their defaults)`, load: true, lab: ['--strategy', 'background', '--runtime', `_bg_scaffold_v${RUNTIME_VERSION}`] },
  { id: 'keyset +load', what: 'hand-written keyset loop, 10,000 keys a batch', load: true, lab: keyset },
  { id: 'keyset', what: 'hand-written keyset loop, 10,000 keys a batch, no load', load: false, lab: keyset },
  { id: 'keyset 50ms +load', what: "keyset loop, batches aimed at 50 ms (the runtime's rule) without its FOR UPDATE subselect", load: true, lab: ['--strategy', 'keyset', '--adapt', 'duration', '--target-ms', '50'] },
  { id: 'ctid', what: 'heap pages in physical order (TID Range Scan), batches aimed at 50 ms, no load', load: false, lab: ctid(50) },
  { id: 'ctid 50ms +load', what: 'heap pages in physical order, batches aimed at 50 ms', load: true, lab: ctid(50) },
  { id: 'ctid 20ms +load', what: 'heap pages in physical order, batches aimed at 20 ms', load: true, lab: ctid(20) },
  { id: 'ctid 10ms +load', what: 'heap pages in physical order, batches aimed at 10 ms', load: true, lab: ctid(10) },
  { id: 'ctid 20ms 1-stmt pause +load', what: 'as ctid 20ms 1-stmt, sleeping as long as each batch took after it (half the duty)', load: true, lab: ctid(20, '--one-statement', '--pause', '1') },
  { id: 'ctid-lockwait 50ms +load', what: 'heap pages, 50 ms, halved after a batch a writer waited for', load: true, lab: ['--strategy', 'ctid', '--adapt', 'lockwait', '--target-ms', '50'] },
  { id: 'ctid-skip-locked 20ms +load', what: 'heap pages, 20 ms, rows a writer holds skipped (SKIP LOCKED) and revisited', load: true, lab: ['--strategy', 'ctid-skip-locked', '--adapt', 'duration', '--target-ms', '20'] },
  { id: 'ctid-skip-locked 20ms 1-stmt +load', what: 'as ctid-skip-locked 20ms, each batch one autocommitted statement', load: true, lab: ['--strategy', 'ctid-skip-locked', '--adapt', 'duration', '--target-ms', '20', '--one-statement'] },
];

/** The arms a `--lab` value names: `all`, `anchors` (the anchors and the generated backfill), or arm ids; the single UPDATE always. */
export function labArms(names: readonly string[]): LabArm[] {
  const wanted = new Set<string>([SINGLE_UPDATE]);
  for (const name of names) {
    if (name === 'all') LAB_ARMS.forEach((a) => wanted.add(a.id));
    else if (name === 'anchors') [SINGLE_UPDATE, 'keyset', 'keyset +load', GENERATED_ARM].forEach((id) => wanted.add(id));
    else if (LAB_ARMS.some((a) => a.id === name)) wanted.add(name);
    else throw new Error(`--lab: no arm ${JSON.stringify(name)} (arms: all, anchors, ${LAB_ARMS.map((a) => a.id).join(', ')})`);
  }
  return LAB_ARMS.filter((a) => wanted.has(a.id));
}

/** One run of one arm. */
export interface LabRun {
  round: number;
  /** Rows the backfill updated (the writers filled the others: the load writes `priority`). */
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** The slowest serving write scheduled during the backfill; null without load. */
  maxLatencyMs: number | null;
  /** The slowest insert and the slowest get-and-save of it: an insert never waits for a batch's row locks. */
  maxInsertMs: number | null;
  maxUpdateMs: number | null;
  /** The same run's steady state before the backfill: how noisy the machine was just then. */
  steadyMaxLatencyMs: number | null;
  /** Rows with `priority IS NULL` when the arm ended: must be 0 (null for the generated phase, which sets NOT NULL). */
  leftNull: number | null;
  /** Share of the table's updates in the window that were HOT (backfill and writers together). */
  hotPercent: number | null;
  /** Heap size after / before. */
  heapGrowth: number | null;
  /** What backfill_lab.py reported (batches, their durations, sweep), or the generated phase's steps. */
  detail: Record<string, unknown>;
  writeErrors: string[];
  error: string | null;
  loadAverage: number;
}

export interface LabArmResult {
  id: string;
  what: string;
  load: boolean;
  rowsPerSecond: number;
  /** Median over rounds of (this arm's rows/s ÷ the same round's single UPDATE). */
  throughputRatio: number;
  maxLatencyMs: number | null;
  /** maxLatencyMs over the run's baseline maximum. */
  latencyRatio: number | null;
  runs: LabRun[];
}

export interface LabReport {
  template: string;
  setSql: string;
  whereSql: string;
  goals: { throughputRatio: number; latencyRatio: number };
  arms: LabArmResult[];
}

/** Issue 20's goals: throughput ≥ 0.7× the single UPDATE; max serving write ≤ 2× the baseline maximum. */
export const LAB_GOALS = { throughputRatio: 0.7, latencyRatio: 2 } as const;

export function summarizeLab(arms: readonly LabArm[], runs: ReadonlyMap<string, LabRun[]>, baselineMaxMs: number, base: Omit<LabReport, 'arms' | 'goals'>): LabReport {
  const single = new Map((runs.get(SINGLE_UPDATE) ?? []).filter((r) => !r.error).map((r) => [r.round, r.rowsPerSecond]));
  const results = arms.map((arm): LabArmResult => {
    const all = runs.get(arm.id) ?? [];
    const ok = all.filter((r) => !r.error);
    const ratios = ok.filter((r) => single.has(r.round)).map((r) => r.rowsPerSecond / single.get(r.round)!);
    const latencies = ok.map((r) => r.maxLatencyMs).filter((v): v is number => v !== null);
    const maxLatencyMs = latencies.length > 0 ? round(median(latencies), 1) : null;
    return {
      id: arm.id,
      what: arm.what,
      load: arm.load,
      rowsPerSecond: Math.round(median(ok.map((r) => r.rowsPerSecond))),
      throughputRatio: round(median(ratios), 2),
      maxLatencyMs,
      latencyRatio: maxLatencyMs === null ? null : round(maxLatencyMs / baselineMaxMs, 2),
      runs: all,
    };
  });
  return { ...base, goals: LAB_GOALS, arms: results };
}

/** The lab's table: rows/s, the ratio to the single UPDATE, max serving write and its ratio, per arm. */
export function labMarkdown(lab: LabReport, baselineMaxMs: number): string {
  const headers = ['arm', 'load', 'rows/s (median)', '× single UPDATE', 'max serving write ms', '× baseline', 'per run: rows/s; max ms (insert/save)', 'left NULL', 'HOT %', 'heap ×', 'goals'];
  const rows = lab.arms.filter((a) => a.runs.length > 0).map((a) => {
    const goals = !a.load
      ? '–'
      : a.throughputRatio >= lab.goals.throughputRatio && a.latencyRatio !== null && a.latencyRatio <= lab.goals.latencyRatio
        ? 'met'
        : `**missed** (${[a.throughputRatio < lab.goals.throughputRatio ? 'throughput' : '', a.latencyRatio === null || a.latencyRatio > lab.goals.latencyRatio ? 'stall' : ''].filter(Boolean).join(', ')})`;
    return [
      a.id,
      a.load ? '40%' : 'none',
      a.rowsPerSecond.toLocaleString('en-US'),
      `${a.throughputRatio}×`,
      a.maxLatencyMs === null ? '–' : String(a.maxLatencyMs),
      a.latencyRatio === null ? '–' : `${a.latencyRatio}×`,
      a.runs.map((r) => (r.error ? `failed: ${r.error.slice(0, 60)}` : `${r.rowsPerSecond.toLocaleString('en-US')}${r.maxLatencyMs === null ? '' : `; ${r.maxLatencyMs} (${r.maxInsertMs ?? '?'}/${r.maxUpdateMs ?? '?'})`}`)).join(' / '),
      [...new Set(a.runs.map((r) => (r.leftNull === null ? 'NOT NULL' : String(r.leftNull))))].join(', '),
      a.runs.map((r) => (r.hotPercent === null ? '–' : String(r.hotPercent))).join(', '),
      a.runs.map((r) => (r.heapGrowth === null ? '–' : String(r.heapGrowth))).join(', '),
      goals,
    ];
  });
  return [
    `Backfill lab (issue 20), ${lab.template}: SET ${lab.setSql} WHERE ${lab.whereSql}. Goals: ≥ ${lab.goals.throughputRatio}× the single UPDATE's rows/s, max serving write ≤ ${lab.goals.latencyRatio}× the baseline maximum (${baselineMaxMs} ms).`,
    ...(lab.arms.some((a) => a.runs.length === 0) ? [`Not run (the run was cut short): ${lab.arms.filter((a) => a.runs.length === 0).map((a) => a.id).join(', ')}.`] : []),
    '',
    `| ${headers.join(' | ')} |`,
    `| ${headers.map((_, i) => (i === 0 || i === 1 || i >= 6 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
}
