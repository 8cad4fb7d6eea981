/**
 * The blue-green check of one phase, shared by `bg-scaffold verify` and the project's own matrix
 * (test/matrix/): the previous release writes while the phase's migration runs; then both releases
 * write side by side, each reads what the other wrote, and every kind of ORM operation runs in
 * each; Django finds no missing migration; the phase migrates backwards (the previous release
 * works again) and forwards, or its irreversibility holds.
 *
 * Each release's code is a long-lived process (release-server.ts); the new release's runs the
 * phase's manage.py commands, as manage.py would; the previous release's writer is a thread of
 * its own server, so it writes from another process while the migration runs.
 */
import type { DriverResult, ManageResult, ReleaseServer } from './release-server.js';

/**
 * `ok`, `failed`, `stale (declared)` where the plan itself stamps the risk of stale reads, or
 * `skipped` where the release's code has no model to check (a change took it out).
 */
export type CellStatus = 'ok' | 'failed' | 'stale (declared)' | 'skipped';

/** One check of one phase. */
export interface PhaseCell {
  /** `1/2`, or `setup`. */
  phase: string;
  /** What ran: `migrate (previous code writing)`, `new code reads what previous code wrote`, ... */
  check: string;
  status: CellStatus;
  /** The first error, or what was checked (`300 ops`, `1000 rows`). */
  detail: string;
}

/** What one release's code writes: the attribute that carries the data, and what it sets on every row. */
export interface ReleaseWrites {
  /** The model field the checks write and read in this release (its own name for the column). */
  field: string;
  /** Values this release's code sets on every row it creates (`{weight: 11}`). */
  sets?: Record<string, unknown>;
  /** Fields this release's code sets on every row it creates, with a value of their type. */
  fills?: string[];
}

export interface PhaseToVerify {
  /** `1/2` */
  label: string;
  previous: { server: ReleaseServer; writes: ReleaseWrites };
  next: { server: ReleaseServer; writes: ReleaseWrites };
  /** The rows the concurrent writers share (the seed names them). */
  sharedPks: Array<string | number>;
  /** Rows written before the phase that no writer touches (edge values, NULLs): the new release reads them back. */
  rowsBefore?: Record<string, unknown>;
  /** The app of the change, and the migration `migrate <app> <backTo>` rolls the phase back to. */
  app: string;
  backTo: string;
  /** Why the plan says the phase cannot be migrated backwards, or null. */
  irreversible: string | null;
  /** The plan stamps that the previous release may read values the new one no longer writes. */
  staleReadsDeclared?: boolean;
  /**
   * Foreign keys of the previous release's model that the new release's code no longer has: the
   * new release deletes a row each points at, and the database must do what on_delete said.
   */
  referencesLeft?: ReferenceLeft[];
  /** Operations of each release's writer during the window (default 300; the previous one writes at least this many, until the new one is done). */
  loadOps?: number;
  /** A check of the caller's own after the migration (the matrix's SQL checks); a problem fails it. */
  afterMigrate?: { check: string; run: () => Promise<string | null> };
  afterRollback?: { check: string; run: () => Promise<string | null> };
  /** A phase in the sequence: seeds the previous writer's choices. */
  seed?: number;
  /** Measures a step (the matrix reports where its time goes). */
  timed?: <T>(step: string, work: Promise<T> | (() => Promise<T>)) => Promise<T>;
  /** Each cell as it is decided (progress). */
  onCell?: (cell: PhaseCell) => void;
}

/** A foreign key as the previous release's model declares it. */
export interface ReferenceLeft {
  field: string;
  table: string;
  column: string;
  /** `app_label.Model` */
  parent: string;
  /** `CASCADE`, `SET_NULL`, `PROTECT`, ... */
  onDelete: string;
}

export interface PhaseOutcome {
  cells: PhaseCell[];
  /** The phase's schema is in place at the end (migrated forwards again): a next phase may follow. */
  migrated: boolean;
}

/** A driver answer as a cell's verdict and detail. */
export function summarize(result: DriverResult & { absent?: boolean; detail?: string }): { ok: boolean; detail: string; verdict: boolean | CellStatus } {
  const verdict = (ok: boolean, detail: string) => ({ ok, detail, verdict: ok });
  if (result.absent) return { ok: true, detail: result.detail ?? 'the model is not in this release', verdict: 'skipped' };
  if (result.errors.length > 0) {
    const first = result.errors[0]!;
    return verdict(false, `${result.errors.length} error(s); first: ${first.op}: ${first.error}`.slice(0, 300));
  }
  if (result.mismatchCount) {
    const m = result.mismatches![0]!;
    return verdict(false, `${result.mismatchCount}/${result.checked} rows differ; e.g. pk ${m.pk}: expected ${m.expected}, got ${m.got}`);
  }
  return verdict(true, result.ops !== undefined ? `${result.ops} ops` : result.checked !== undefined ? `${result.checked} rows` : '');
}

/** The last lines manage.py printed, on one line. */
export function manageDetail(result: ManageResult): string {
  return (result.stderr || result.stdout).trim().split('\n').slice(-2).join(' | ').slice(0, 300);
}

const untimed = <T>(_step: string, work: Promise<T> | (() => Promise<T>)): Promise<T> => (typeof work === 'function' ? work() : work);

/**
 * Verifies one phase on a database at the previous release's schema, with the previous release's
 * server running; the new release's server may still be starting (it is awaited before migrate).
 */
export async function verifyPhase(phase: PhaseToVerify): Promise<PhaseOutcome> {
  const cells: PhaseCell[] = [];
  const timed = phase.timed ?? untimed;
  const record = (check: string, ok: boolean | CellStatus, detail: string) => {
    const status: CellStatus = typeof ok === 'string' ? ok : ok ? 'ok' : 'failed';
    const cell = { phase: phase.label, check, status, detail };
    cells.push(cell);
    phase.onCell?.(cell);
    return status !== 'failed';
  };
  const { previous, next } = phase;
  const [blue, green] = [previous.server, next.server];
  const request = (writes: ReleaseWrites) => ({ field: writes.field, sets: writes.sets ?? {}, fills: writes.fills ?? [] });
  const seed = phase.seed ?? 1;

  // The phase window: the previous release keeps writing while the migration runs; the new
  // release starts once it has finished, and both write side by side. The migration starts once
  // the previous release's writer has written.
  const blueStart = await timed(
    'previous writer starts',
    blue.request('load-start', { ...request(previous.writes), writer: 'previous', ops: phase.loadOps ?? 300, pks: phase.sharedPks, seed, warmup: 20 }),
  );
  const migrate = await timed('migrate (previous writing)', async () => {
    await green.ready;
    return green.manage(['migrate', '--no-input']);
  });
  record('migrate (previous code writing)', migrate.code === 0, manageDetail(migrate));
  if (phase.afterMigrate) {
    const problem = await timed('own check', phase.afterMigrate.run());
    record(phase.afterMigrate.check, problem === null, problem ?? '');
  }
  let greenLoad: DriverResult = { errors: [] };
  if (migrate.code === 0) {
    greenLoad = await timed('new writer', green.request('load', { ...request(next.writes), writer: 'new', ops: phase.loadOps ?? 300, pks: phase.sharedPks, seed: 100 + seed }));
  }
  const blueLoad = blueStart.started ? await timed('previous writer stops', blue.request('load-stop')) : blueStart;
  const blueSummary = summarize(blueLoad);
  record('previous code writes during the window', blueSummary.verdict, blueSummary.detail);
  if (migrate.code !== 0) return { cells, migrated: false };
  const greenSummary = summarize(greenLoad);
  record('new code writes during the window', greenSummary.verdict, greenSummary.detail);

  const stale = phase.staleReadsDeclared ?? false;
  for (const [who, server, writes] of [['previous', blue, previous.writes], ['new', green, next.writes]] as const) {
    const audit = summarize(await timed('audit', server.request('verify-audit', request(writes))));
    const status: CellStatus = audit.verdict === 'skipped' ? 'skipped' : audit.ok ? 'ok' : stale && who === 'previous' ? 'stale (declared)' : 'failed';
    record(`${who} code reads the last value written by either`, status, audit.detail);
  }

  // Every kind of ORM operation, by each release, then each reads what the other wrote.
  const previousRun = await timed('exercise', blue.request('exercise', request(previous.writes)));
  const nextRun = await timed('exercise', green.request('exercise', request(next.writes)));
  const p = summarize(previousRun);
  const n = summarize(nextRun);
  record('previous code: create/get/filter/save/update/bulk/delete', p.verdict, p.detail);
  record('new code: create/get/filter/save/update/bulk/delete', n.verdict, n.detail);
  for (const reference of phase.referencesLeft ?? []) {
    const deleted = summarize(await timed('delete referenced', green.request('delete-referenced', { ...reference })));
    record(`new code deletes a ${reference.parent} that ${reference.table}.${reference.column} points at (${reference.onDelete})`, deleted.ok, deleted.detail);
  }
  const readsNew = summarize(await timed('read', blue.request('read', { ...request(previous.writes), expect: nextRun.written ?? {} })));
  record('previous code reads what new code wrote', readsNew.ok ? readsNew.verdict : stale ? 'stale (declared)' : 'failed', readsNew.detail);
  const readsPrevious = summarize(await timed('read', green.request('read', { ...request(next.writes), expect: previousRun.written ?? {} })));
  record('new code reads what previous code wrote', readsPrevious.verdict, readsPrevious.detail);
  if (phase.rowsBefore && Object.keys(phase.rowsBefore).length > 0) {
    const before = summarize(await timed('read', green.request('read', { ...request(next.writes), expect: phase.rowsBefore, allowMissing: true })));
    record('new code reads the rows written before the phase (edge values, NULLs)', before.verdict, before.detail);
  }

  const check = await timed('makemigrations --check', green.manage(['makemigrations', '--check', '--dry-run']));
  record('makemigrations --check finds no changes', check.code === 0, manageDetail(check));

  // Rollback: back to the previous schema (where the previous code must work), then forwards.
  const back = await timed('migrate backwards', green.manage(['migrate', phase.app, phase.backTo, '--no-input']));
  if (phase.irreversible) {
    record('migrate backwards', back.code !== 0 ? 'ok' : 'failed', `plan marks it irreversible: ${phase.irreversible}`);
  } else {
    record(`migrate backwards to ${phase.backTo}`, back.code === 0, manageDetail(back));
    if (back.code === 0) {
      const rolledBack = summarize(await timed('exercise after rollback', blue.request('exercise', request(previous.writes))));
      record('previous code works after the rollback', rolledBack.verdict, rolledBack.detail);
      if (phase.afterRollback) {
        const problem = await timed('own check', phase.afterRollback.run());
        record(phase.afterRollback.check, problem === null, problem ?? '');
      }
    }
  }
  const forward = await timed('migrate forwards', green.manage(['migrate', '--no-input']));
  const migrated = record('migrate forwards again', forward.code === 0, manageDetail(forward));
  return { cells, migrated };
}
