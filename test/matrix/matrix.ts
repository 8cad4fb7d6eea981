/**
 * The blue-green matrix: for every scenario and phase, apply the phase to a real PostgreSQL
 * through a real Django while the previous release's code writes, then drive the previous and
 * the new release's code (each from its own copy of the tree) against the new schema.
 *
 * Each phase is checked by the engine of `bg-scaffold verify` (src/verify/engine.ts), one server
 * per release tree (src/verify/release-server.ts), Django started once per release. What the
 * matrix adds: it writes the releases itself (generation, `advance`, the developer's part of each
 * release, the hand-made negative controls), carries one database through every phase, runs on
 * both Django lines, and drives the shop with its own checks (shop_extension.py).
 *
 * A cell is one check of one phase on one Django version: `ok`, `failed` (with the error), or
 * `stale (declared)` where the plan itself stamps the risk of stale reads.
 */
import { promises as fs, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { copyProject } from '../harness/django-project.js';
import type { PgServer } from '../harness/postgres.js';
import { uniqueDatabaseName } from '../harness/postgres.js';
import type { DjangoEnv, DjangoLine } from '../harness/python-env.js';
import { repoRoot } from '../harness/repo.js';
import { runMain } from '../cli/in-process.js';
import { manageDetail, summarize, verifyPhase, type CellStatus, type PhaseCell } from '../../src/verify/engine.js';
import { ReleaseServer, type DriverResult, type ManageResult } from '../../src/verify/release-server.js';

export type { CellStatus };

export interface Cell extends PhaseCell {
  scenario: string;
  django: string;
}

/**
 * The model a scenario's releases write, and the project it lives in. The shop's Order comes with
 * customers, products and shipments whose cascades the driver checks too; the rows of any other
 * model are filled by the driver from what its fields require.
 */
export interface MatrixTarget {
  /** The example project, a folder of `examples/`. */
  example: string;
  /** `app_label.Model`. */
  model: string;
  /** The app's folder, where it differs from its label (migrations and application code live there). */
  appDir?: string;
}

export const SHOP_ORDER: MatrixTarget = { example: 'shop', model: 'shop.Order' };

const appLabel = (target: MatrixTarget) => target.model.split('.')[0]!;
const appDir = (target: MatrixTarget) => target.appDir ?? appLabel(target);
const exampleDir = (target: MatrixTarget) => path.join(repoRoot(), 'examples', target.example);

/** The shop's own checks (its cascades, its seed); other examples are driven as any project is. */
const SHOP_EXTENSION = path.join(repoRoot(), 'test', 'matrix', 'shop_extension.py');

/** A release's server for a tree of the matrix: the target's model, the shop's checks on the shop. */
function releaseServer(env: DjangoEnv, tree: string, databaseUrl: string, target: MatrixTarget, integerRange?: string): ReleaseServer {
  const extension = target.example === SHOP_ORDER.example ? SHOP_EXTENSION : undefined;
  return new ReleaseServer({ python: env.python, tree, databaseUrl, target: target.model, settings: null, extension, integerRange });
}

export interface Scenario {
  name: string;
  /** The model the releases write (default: the shop's Order). */
  target?: MatrixTarget;
  /** bg-scaffold arguments that generate the change (phase 1); later phases come from `advance`. */
  cli?: string[];
  /** Arguments for every bg-scaffold run of the scenario, generation and `advance` (e.g. `--pack`). */
  everyRun?: string[];
  /** A check of the scenario's own after each phase's migrate: `check` names the cell; a problem fails it. */
  verify?: {
    check: string;
    /**
     * `sql` runs a query on the scenario's database and returns what psql prints; `databaseUrl`
     * is that database, for Django code run in a release's tree (`tree` is phase `phase`'s, the
     * previous release's is beside it, `release-<phase - 1>`).
     */
    run: (tree: string, phase: number, env: DjangoEnv, sql: (query: string) => Promise<string>, databaseUrl: string) => Promise<string | null>;
  };
  /** A check of the scenario's own once a phase has been migrated backwards (what the rollback rebuilt). */
  verifyAfterRollback?: { check: string; run: (phase: number, sql: (query: string) => Promise<string>) => Promise<string | null> };
  /** Instead of bg-scaffold: a hand-made one-release change (negative controls). */
  naive?: (project: string) => Promise<void>;
  /** The field name each release's code uses; index 0 is the code before the change. */
  codeField: string[];
  /**
   * The developer's hook (`developer`) switches the application code to the new name itself,
   * where renaming every word would hit something else (a method of the same name).
   */
  renamesByHand?: boolean;
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
  /** `low:high`: integers every release writes stay within it, a quarter near its ends (a type change's old range). */
  integerRange?: string;
  /** Operations of each release's writer per phase (default 160): fewer for quick metadata-only phases. */
  loadOps?: number;
  /**
   * Django lines `npm test` runs it on (default: both). Most scenarios name one, alternating, so
   * that each line still runs every operation and strategy while the suite stays within its time;
   * a few (rename-column trigger, add-column's backfill and database default) run on both.
   * BG_MATRIX_ALL_LINES=1 runs every scenario on both lines.
   */
  djangoLines?: readonly DjangoLine[];
  /**
   * Run only by `BG_MATRIX_ALL_LINES=1 npm run matrix`, not in `npm test`: a plan shape whose risk
   * another scenario of the suite covers, kept out of the suite's time.
   */
  extended?: boolean;
}

/** The scenarios this run takes: all with BG_MATRIX_ALL_LINES=1, else those the suite runs. */
export function inThisRun(scenario: Scenario): boolean {
  return !scenario.extended || process.env.BG_MATRIX_ALL_LINES === '1';
}

/** The newest migration of an app in a tree: what `migrate <app> <name>` rolls back to. */
function leafMigration(tree: string, target: MatrixTarget): string {
  const names = readdirSync(path.join(tree, appDir(target), 'migrations'))
    .filter((name) => /^\d{4}_.*\.py$/.test(name))
    .sort();
  return names[names.length - 1]!.replace(/\.py$/, '');
}

async function snapshot(project: string, dest: string): Promise<void> {
  await fs.rm(dest, { recursive: true, force: true });
  await copyProject(project, dest);
}

/**
 * bg-scaffold's `main()` in this process, as `bin/bg-scaffold.js` runs it: a Node start per phase
 * was a quarter of the matrix's time. The bin itself is tested in test/cli/bin.test.ts.
 */
async function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  const result = await runMain(args, { env: process.env });
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
 * The starting schema and data every scenario of a Django version and target begins with: 1,000
 * rows of the target (orders with edge values, for the shop), as release 0 writes them, migrated
 * and seeded once; each scenario gets a copy (CREATE DATABASE ... TEMPLATE).
 */
export interface StartingDatabase {
  /** The template database; null when it could not be built (the cells say why). */
  name: string | null;
  migrate: ManageResult;
  seed: DriverResult;
  /** Seconds it took to build (once per Django version and field). */
  seconds: number;
}

/** Builds the starting database for `env`: release 0's migrate and seed, through release 0's server. */
export async function buildStartingDatabase(
  env: DjangoEnv,
  server: PgServer,
  workDir: string,
  field: string,
  target: MatrixTarget = SHOP_ORDER,
): Promise<StartingDatabase> {
  const started = Date.now();
  const name = uniqueDatabaseName(`matrix_start_${env.line}`);
  await server.createDatabase(name);
  const tree = path.join(workDir, `start-${env.line}-${target.model}-${field}`);
  await copyProject(exampleDir(target), tree);
  const release0 = releaseServer(env, tree, server.url(name), target);
  const failedSeed = (why: string): DriverResult => ({ errors: [{ op: 'seed', error: why }] });
  let migrate: ManageResult;
  let seed: DriverResult = failedSeed('not run: the migration failed');
  try {
    migrate = await release0.manage(['migrate', '--no-input']);
    if (migrate.code === 0) seed = await release0.request('seed', { field, rows: 1000 });
  } finally {
    await release0.close(); // no session may stay on a template database
  }
  const ok = migrate.code === 0 && seed.errors.length === 0;
  if (!ok) await server.dropDatabase(name);
  return { name: ok ? name : null, migrate, seed, seconds: (Date.now() - started) / 1000 };
}

/**
 * Runs one scenario on one Django version. `workDir` is private to this run; `server` gives it a
 * database of its own, a copy of `start` (built here when not given).
 */
export async function runScenario(
  scenario: Scenario,
  env: DjangoEnv,
  server: PgServer,
  workDir: string,
  options: { loadOps?: number; start?: StartingDatabase } = {},
): Promise<ScenarioRun> {
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
  const loadOps = options.loadOps ?? scenario.loadOps ?? 160;
  await fs.mkdir(workDir, { recursive: true });

  // The starting schema and data, migrated and seeded once per Django version by release 0.
  const target = scenario.target ?? SHOP_ORDER;
  const start =
    options.start ?? (await timed('setup: starting database', buildStartingDatabase(env, server, workDir, scenario.codeField[0]!, target)));
  const shared = options.start ? ' (a copy of the starting database)' : '';
  if (!record('setup', 'migrate to the starting schema', start.migrate.code === 0, manageDetail(start.migrate) + shared)) return { cells, phases: 0, timings };
  const seedSummary = summarize(start.seed);
  if (!record('setup', 'seed 1,000 rows', seedSummary.ok && start.name !== null, seedSummary.detail + shared)) return { cells, phases: 0, timings };
  const dbName = uniqueDatabaseName('matrix');
  await timed('setup: copy the starting database', server.query('postgres', `CREATE DATABASE "${dbName}" TEMPLATE "${start.name}"`));
  const url = server.url(dbName);

  // One server per release tree, started when the tree is written and ended after its last phase
  // (release k is the new code of phase k and the previous code of phase k + 1).
  const servers = new Map<number, ReleaseServer>();
  try {
    const trees = path.join(workDir, 'trees');
    const project = path.join(workDir, 'project');
    await fs.mkdir(trees, { recursive: true });
    await copyProject(exampleDir(target), project);
    const tree = (release: number) => path.join(trees, `release-${release}`);
    const release = (k: number): ReleaseServer => servers.get(k)!;
    const startRelease = (k: number) => servers.set(k, releaseServer(env, tree(k), url, target, scenario.integerRange));
    await snapshot(project, tree(0));
    startRelease(0);
    // The concurrent writers share 300 rows the seed names (of the shop's, not the first 100
    // orders: those have shipments, and the exercise deletes them to prove deletes cascade).
    const sharedPks = start.seed.shared ?? [];

    // Phase 1 comes from generation; later phases from `advance`. On the zoo, bg-scaffold asks the
    // release's Django about the project (the venv's Python), as a run with the project's Python
    // does (Meta is read only through Django); the shop's scenarios read models.py without Django,
    // as a run without it does. Both ways of knowing the project go through every phase.
    const askDjango = target.example !== SHOP_ORDER.example;
    const everyRun = [...(scenario.everyRun ?? []), ...(askDjango ? ['--python', env.python] : [])];
    let change = '';
    let phases = 1;
    if (scenario.cli) {
      const generated = await timed('bg-scaffold', runCli([...scenario.cli, ...everyRun, '--project', project, '--yes', '--json']));
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
        const advanced = await timed('bg-scaffold', runCli(['advance', change, ...everyRun, '--project', project, '--yes']));
        if (!record(label, 'bg-scaffold advance', advanced.code === 0, advanced.output.split('\n')[0] ?? '')) break;
      }
      const [previousField, nextField] = [scenario.codeField[k - 1]!, scenario.codeField[k]!];
      // The developer's part of the release: application code switches to the name this release uses.
      if (previousField !== nextField && !scenario.renamesByHand) await switchCodeReferences(path.join(project, appDir(target)), previousField, nextField);
      await scenario.developer?.(project, k);
      await timed('copy trees', snapshot(project, tree(k)));
      startRelease(k); // Django starts while the previous release begins to write
      const [previous, next] = [tree(k - 1), tree(k)];
      const [blueServer, greenServer] = [release(k - 1), release(k)];
      const sql = (query: string) => server.query(dbName, query);
      const outcome = await verifyPhase({
        label,
        previous: { server: blueServer, writes: { field: previousField, sets: scenario.sets?.[k - 1] } },
        next: { server: greenServer, writes: { field: nextField, sets: scenario.sets?.[k] } },
        sharedPks,
        rowsBefore: start.seed.before,
        app: appLabel(target),
        backTo: leafMigration(previous, target),
        irreversible: readIrreversible(next, k),
        staleReadsDeclared: scenario.staleReadsDeclared?.includes(k) ?? false,
        loadOps,
        seed: k,
        afterMigrate: scenario.verify && { check: scenario.verify.check, run: () => scenario.verify!.run(next, k, env, sql, url) },
        afterRollback: scenario.verifyAfterRollback && { check: scenario.verifyAfterRollback.check, run: () => scenario.verifyAfterRollback!.run(k, sql) },
        timed,
      });
      for (const cell of outcome.cells) cells.push({ scenario: scenario.name, django, ...cell });
      // The previous release has served its last phase: it exits in the background (awaited below).
      void blueServer.close();
      if (!outcome.migrated) break;
    }
    return { cells, phases, timings };
  } finally {
    await timed('servers stop', Promise.all([...servers.values()].map((s) => s.close())));
    await server.dropDatabase(dbName);
    if (!options.start && start.name) await server.dropDatabase(start.name);
  }
}

/**
 * Renames references to a field in the application code of an app (views, admin, services,
 * templates), as the developer does in the release that switches names. Models (models.py or a
 * models/ package) and migrations are bg-scaffold's.
 */
async function switchCodeReferences(app: string, from: string, to: string): Promise<void> {
  const files = readdirSync(app, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(py|html)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => {
      const inside = path.relative(app, file).split(path.sep);
      return !inside.includes('migrations') && inside[0] !== 'models' && inside[0] !== 'models.py';
    });
  // The name as a word, or after a lookup's "__" (search_fields = ["author__last_name"]).
  const pattern = new RegExp(`(?:\\b|(?<=__))${from}\\b`, 'g');
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
