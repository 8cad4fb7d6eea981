/**
 * The blue-green matrix: for every scenario and phase, apply the phase to a real PostgreSQL
 * through a real Django while the previous release's code writes, then drive the previous and
 * the new release's code (each from its own copy of the tree) against the new schema.
 *
 * A cell is one check of one phase on one Django version: `ok`, `failed` (with the error), or
 * `stale (declared)` where the plan itself stamps the risk of stale reads.
 */
import { promises as fs, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { copyProject, runManage, type ManageResult } from '../harness/django-project.js';
import type { PgServer } from '../harness/postgres.js';
import { uniqueDatabaseName } from '../harness/postgres.js';
import { runCommand, sleep } from '../harness/process.js';
import type { DjangoEnv, DjangoLine } from '../harness/python-env.js';
import { repoRoot, shopExampleDir } from '../harness/repo.js';

export type CellStatus = 'ok' | 'failed' | 'stale (declared)';

export interface Cell {
  scenario: string;
  django: string;
  /** `1/2`, or `setup`. */
  phase: string;
  /** What ran: `migrate`, `previous code`, `new code`, ... */
  check: string;
  status: CellStatus;
  detail: string;
}

export interface Scenario {
  name: string;
  /** bg-scaffold arguments that generate the change (phase 1); later phases come from `advance`. */
  cli?: string[];
  /** Arguments for every bg-scaffold run of the scenario, generation and `advance` (e.g. `--pack`). */
  everyRun?: string[];
  /** A check of the scenario's own after each phase's migrate: `check` names the cell; a problem fails it. */
  verify?: { check: string; run: (tree: string, phase: number, env: DjangoEnv) => Promise<string | null> };
  /** Instead of bg-scaffold: a hand-made one-release change (negative controls). */
  naive?: (project: string) => Promise<void>;
  /** The field name each release's code uses; index 0 is the code before the change. */
  codeField: string[];
  /**
   * Fields each release's code sets on every order it creates (index = release), as `--set`
   * arguments of the driver: e.g. a column that release adds.
   */
  sets?: Array<Record<string, unknown>>;
  /** Phases in which the previous release may read values the new one no longer writes (declared in the plan). */
  staleReadsDeclared?: number[];
  /** A negative control: the harness must report failures. */
  expectBroken?: boolean;
  /**
   * The developer's part of release `release` beyond renames: e.g. taking out the uses of a field
   * or model that leaves the code (admin, services), as a real release would.
   */
  developer?: (project: string, release: number) => Promise<void>;
  /** Operations of the new release's writer per phase (default 1500): fewer for quick metadata-only phases. */
  loadOps?: number;
  /**
   * Django lines to run on (default: all). A scenario that repeats another's plan shape with a
   * different input may run on one line only, to keep the suite's time.
   */
  djangoLines?: readonly DjangoLine[];
}

const DRIVER = path.join(repoRoot(), 'test', 'matrix', 'driver.py');
const CLI = path.join(repoRoot(), 'bin', 'bg-scaffold.js');

interface DriverResult {
  ops?: number;
  written?: Record<string, number>;
  errors: Array<{ op: string; error: string }>;
  mismatchCount?: number;
  mismatches?: Array<{ pk: number; expected: unknown; got: unknown }>;
  checked?: number;
}

function childEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', DATABASE_URL: databaseUrl };
  delete env.DJANGO_SETTINGS_MODULE;
  return env;
}

async function driver(env: DjangoEnv, tree: string, field: string, databaseUrl: string, args: string[], sets: Record<string, unknown> = {}): Promise<DriverResult> {
  const setArgs = Object.entries(sets).flatMap(([name, value]) => ['--set', `${name}=${JSON.stringify(value)}`]);
  const result = await runCommand(env.python, [DRIVER, '--project', tree, '--field', field, ...setArgs, ...args], {
    cwd: tree,
    env: childEnv(databaseUrl),
    timeoutMs: 600_000,
  });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as DriverResult;
  } catch {
    return { errors: [{ op: args[0] ?? 'driver', error: `driver crashed (exit ${result.code}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}` }] };
  }
}

function summarize(result: DriverResult): { ok: boolean; detail: string } {
  if (result.errors.length > 0) {
    const first = result.errors[0]!;
    return { ok: false, detail: `${result.errors.length} error(s); first: ${first.op}: ${first.error}`.slice(0, 300) };
  }
  if (result.mismatchCount) {
    const m = result.mismatches![0]!;
    return { ok: false, detail: `${result.mismatchCount}/${result.checked} rows differ; e.g. pk ${m.pk}: expected ${m.expected}, got ${m.got}` };
  }
  return { ok: true, detail: result.ops !== undefined ? `${result.ops} ops` : result.checked !== undefined ? `${result.checked} rows` : '' };
}

function manageDetail(result: ManageResult): string {
  return (result.stderr || result.stdout).trim().split('\n').slice(-2).join(' | ').slice(0, 300);
}

/** The newest migration of the shop app in a tree: what `migrate shop <name>` rolls back to. */
function leafMigration(tree: string): string {
  const names = readdirSync(path.join(tree, 'shop', 'migrations'))
    .filter((name) => /^\d{4}_.*\.py$/.test(name))
    .sort();
  return names[names.length - 1]!.replace(/\.py$/, '');
}

async function snapshot(project: string, dest: string): Promise<void> {
  await fs.rm(dest, { recursive: true, force: true });
  await copyProject(project, dest);
}

async function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  const result = await runCommand(process.execPath, [CLI, ...args], { timeoutMs: 120_000 });
  return { code: result.code, output: (result.stderr + result.stdout).trim() };
}

export interface ScenarioRun {
  cells: Cell[];
  /** Phases the scenario went through. */
  phases: number;
  /** Wall-clock milliseconds per kind of step, summed over the phases (where the matrix's time goes). */
  timings: Record<string, number>;
}

/**
 * Runs one scenario on one Django version. `workDir` is private to this run; `server` gives it a
 * database of its own.
 */
export async function runScenario(scenario: Scenario, env: DjangoEnv, server: PgServer, workDir: string, options: { loadOps?: number } = {}): Promise<ScenarioRun> {
  const cells: Cell[] = [];
  const django = env.django;
  const timings: Record<string, number> = {};
  const timed = async <T>(step: string, work: Promise<T> | (() => Promise<T>)): Promise<T> => {
    const started = Date.now();
    try {
      return await (typeof work === 'function' ? work() : work);
    } finally {
      timings[step] = (timings[step] ?? 0) + (Date.now() - started);
    }
  };
  const record = (phase: string, check: string, ok: boolean | CellStatus, detail: string) => {
    const status: CellStatus = typeof ok === 'string' ? ok : ok ? 'ok' : 'failed';
    cells.push({ scenario: scenario.name, django, phase, check, status, detail });
    return status !== 'failed';
  };
  // The new release's writes; the previous release writes the whole window, so both together
  // make a couple of thousand operations per phase.
  const loadOps = options.loadOps ?? scenario.loadOps ?? 600;

  const dbName = uniqueDatabaseName('matrix');
  await server.createDatabase(dbName);
  const url = server.url(dbName);
  const trees = path.join(workDir, 'trees');
  const project = path.join(workDir, 'project');
  await fs.mkdir(trees, { recursive: true });
  await copyProject(shopExampleDir(), project);
  const tree = (release: number) => path.join(trees, `release-${release}`);
  await snapshot(project, tree(0));

  // The starting schema and data: 1,000 orders with edge values, as release 0 writes them.
  const migrated = await timed('setup: migrate', runManage(env, tree(0), ['migrate', '--no-input'], { databaseUrl: url }));
  if (!record('setup', 'migrate to the starting schema', migrated.code === 0, manageDetail(migrated))) return { cells, phases: 0, timings };
  const seeded = await timed('setup: seed', driver(env, tree(0), scenario.codeField[0]!, url, ['seed', '--rows', '1000']));
  const seedSummary = summarize(seeded);
  if (!record('setup', 'seed 1,000 rows', seedSummary.ok, seedSummary.detail)) return { cells, phases: 0, timings };
  // The concurrent writers share rows 100–399: the first 100 orders have shipments, and the
  // exercise deletes those to prove deletes cascade.
  const sharedPks = Object.keys(seeded.written ?? {}).map(Number).sort((a, b) => a - b).slice(100, 400);
  const pksFile = path.join(workDir, 'pks.json');
  await fs.writeFile(pksFile, JSON.stringify(sharedPks));

  // Phase 1 comes from generation; later phases from `advance`.
  let change = '';
  let phases = 1;
  if (scenario.cli) {
    const generated = await timed('bg-scaffold', runCli([...scenario.cli, ...(scenario.everyRun ?? []), '--project', project, '--yes', '--json']));
    if (!record('1', 'bg-scaffold generates the change', generated.code === 0, generated.output.split('\n')[0] ?? '')) return { cells, phases: 0, timings };
    const summary = JSON.parse(generated.output.slice(generated.output.indexOf('{'))) as { change: string; phases: number };
    change = summary.change;
    phases = summary.phases;
  } else {
    await scenario.naive!(project);
  }

  for (let k = 1; k <= phases; k++) {
    const label = `${k}/${phases}`;
    if (k > 1) {
      const advanced = await timed('bg-scaffold', runCli(['advance', change, ...(scenario.everyRun ?? []), '--project', project, '--yes']));
      if (!record(label, 'bg-scaffold advance', advanced.code === 0, advanced.output.split('\n')[0] ?? '')) break;
    }
    const [previousField, nextField] = [scenario.codeField[k - 1]!, scenario.codeField[k]!];
    // The developer's part of the release: application code switches to the name this release uses.
    if (previousField !== nextField) await switchCodeReferences(project, previousField, nextField);
    await scenario.developer?.(project, k);
    await timed('copy trees', snapshot(project, tree(k)));
    const [previous, next] = [tree(k - 1), tree(k)];

    // The phase window: the previous release keeps writing while the migration runs; the new
    // release starts once it has finished, and both write side by side.
    const stopFile = path.join(workDir, `stop-${k}`);
    const [previousSets, nextSets] = [scenario.sets?.[k - 1] ?? {}, scenario.sets?.[k] ?? {}];
    const blue = driver(env, previous, previousField, url, ['load', '--writer', 'previous', '--ops', '300', '--pks', pksFile, '--stop-file', stopFile, '--seed', String(k)], previousSets);
    await timed('previous writer starts', sleep(1500));
    const migrate = await timed('migrate (previous writing)', runManage(env, next, ['migrate', '--no-input'], { databaseUrl: url, timeoutMs: 600_000 }));
    record(label, 'migrate (previous code writing)', migrate.code === 0, manageDetail(migrate));
    if (scenario.verify) {
      const problem = await timed('scenario check', scenario.verify.run(next, k, env));
      record(label, scenario.verify.check, problem === null, problem ?? '');
    }
    let green: DriverResult = { errors: [] };
    if (migrate.code === 0) {
      green = await timed('new writer', driver(env, next, nextField, url, ['load', '--writer', 'new', '--ops', String(loadOps), '--pks', pksFile, '--seed', String(100 + k)], nextSets));
    }
    await fs.writeFile(stopFile, '');
    const blueResult = await timed('previous writer stops', blue);
    const blueSummary = summarize(blueResult);
    record(label, 'previous code writes during the window', blueSummary.ok, blueSummary.detail);
    if (migrate.code !== 0) break;
    const greenSummary = summarize(green);
    record(label, 'new code writes during the window', greenSummary.ok, greenSummary.detail);

    const stale = scenario.staleReadsDeclared?.includes(k) ?? false;
    for (const [who, dir, field] of [['previous', previous, previousField], ['new', next, nextField]] as const) {
      const audit = summarize(await timed('verify audit', driver(env, dir, field, url, ['verify-audit'])));
      const status: CellStatus = audit.ok ? 'ok' : stale && who === 'previous' ? 'stale (declared)' : 'failed';
      record(label, `${who} code reads the last value written by either`, status, audit.detail);
    }

    // Every kind of ORM operation, by each release, then each reads what the other wrote.
    const previousRun = await timed('exercise', driver(env, previous, previousField, url, ['exercise'], previousSets));
    const nextRun = await timed('exercise', driver(env, next, nextField, url, ['exercise'], nextSets));
    const p = summarize(previousRun);
    const n = summarize(nextRun);
    record(label, 'previous code: create/get/filter/save/update/bulk/delete', p.ok, p.detail);
    record(label, 'new code: create/get/filter/save/update/bulk/delete', n.ok, n.detail);
    const writtenFile = (who: string, run: DriverResult) => {
      const file = path.join(workDir, `written-${k}-${who}.json`);
      return fs.writeFile(file, JSON.stringify(run.written ?? {})).then(() => file);
    };
    const readsNew = summarize(await timed('read', driver(env, previous, previousField, url, ['read', '--expect', await writtenFile('new', nextRun)])));
    record(label, 'previous code reads what new code wrote', readsNew.ok ? 'ok' : stale ? 'stale (declared)' : 'failed', readsNew.detail);
    const readsPrevious = summarize(await timed('read', driver(env, next, nextField, url, ['read', '--expect', await writtenFile('previous', previousRun)])));
    record(label, 'new code reads what previous code wrote', readsPrevious.ok, readsPrevious.detail);

    const check = await timed('makemigrations --check', runManage(env, next, ['makemigrations', '--check', '--dry-run'], { databaseUrl: url }));
    record(label, 'makemigrations --check finds no changes', check.code === 0, manageDetail(check));

    // Rollback: back to the previous schema (where the previous code must work), then forwards.
    const target = leafMigration(previous);
    const irreversible = readIrreversible(next, k);
    const back = await timed('migrate backwards', runManage(env, next, ['migrate', 'shop', target, '--no-input'], { databaseUrl: url, timeoutMs: 600_000 }));
    if (irreversible) {
      record(label, 'migrate backwards', back.code !== 0 ? 'ok' : 'failed', `plan marks it irreversible: ${irreversible}`);
    } else {
      record(label, `migrate backwards to ${target}`, back.code === 0, manageDetail(back));
      if (back.code === 0) {
        const rolledBack = summarize(await timed('exercise after rollback', driver(env, previous, previousField, url, ['exercise'], previousSets)));
        record(label, 'previous code works after the rollback', rolledBack.ok, rolledBack.detail);
      }
    }
    const forward = await timed('migrate forwards', runManage(env, next, ['migrate', '--no-input'], { databaseUrl: url, timeoutMs: 600_000 }));
    if (!record(label, 'migrate forwards again', forward.code === 0, manageDetail(forward))) break;
  }
  await server.dropDatabase(dbName);
  return { cells, phases, timings };
}

/**
 * Renames references to a field in the application code (views, admin, services, templates), as
 * the developer does in the release that switches names. Models and migrations are bg-scaffold's.
 */
async function switchCodeReferences(project: string, from: string, to: string): Promise<void> {
  const app = path.join(project, 'shop');
  const files = readdirSync(app, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(py|html)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => !file.includes(`${path.sep}migrations${path.sep}`) && path.basename(file) !== 'models.py');
  const pattern = new RegExp(`\\b${from}\\b`, 'g');
  for (const file of files) {
    const text = await fs.readFile(file, 'utf8');
    const changed = text.replace(pattern, to);
    if (changed !== text) await fs.writeFile(file, changed);
  }
}

/** The irreversibility reason the change record gives for phase k, if any. */
function readIrreversible(tree: string, phase: number): string | null {
  const root = path.join(tree, '.bg-scaffold');
  if (!existsSync(root)) return null;
  for (const change of readdirSync(root)) {
    const planFile = path.join(root, change, 'plan.json');
    if (!existsSync(planFile)) continue;
    const record = JSON.parse(readFileSync(planFile, 'utf8')) as { plan: { phases: Array<{ number: number; migration: { irreversible: string | null } | null }> } };
    const found = record.plan.phases.find((p) => p.number === phase);
    return found?.migration?.irreversible ?? null;
  }
  return null;
}
