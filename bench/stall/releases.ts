/**
 * The releases of a change, each as its own copy of the project: release 0 is the example as it
 * is; release k has phase k applied (bg-scaffold generates phase 1 and `advance`s the rest, as a
 * user does), or, for the naive form, makemigrations' single migration.
 */
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { OPERATIONS } from '../../src/operations/index.js';
import { copyProject, runManage } from '../../test/harness/django-project.js';
import { runCommand } from '../../test/harness/process.js';
import type { DjangoEnv } from '../../test/harness/python-env.js';
import { repoRoot, shopExampleDir } from '../../test/harness/repo.js';
import { naiveMigration, type BenchChange, type BenchSetup, type NaiveChange, type Operation } from './changes.js';
import type { OrmModel } from './load.js';

export const HELPER = path.join(repoRoot(), 'bench', 'stall', 'django_helper.py');

export interface Release {
  /** The project as this release ships it. */
  tree: string;
  /** The newest migration of the shop app: `migrate shop <leaf>` brings the database to it. */
  leaf: string;
  /** shop.Order as this release's ORM writes it (asked of Django once, when first needed). */
  order(): Promise<OrmModel>;
}

export interface PreparedChange {
  id: string;
  operation: Operation;
  kind: 'generated' | 'naive';
  /** releases[0] is before the change; releases[k] after phase k. */
  releases: Release[];
  /** Columns the change needs that the example lacks: release 0 has them, and so must the database of phase 1. */
  setup?: BenchSetup;
}

/** The operations bg-scaffold has a command for, in this checkout. */
export function availableOperations(): Set<string> {
  return new Set(OPERATIONS.map((operation) => operation.name));
}

export interface Generation {
  env: DjangoEnv;
  /** Any database URL of the server: the ORM needs its vendor to name column types. */
  databaseUrl: string;
  work: string;
  /** --lock-timeout, --lock-retries, --batch-size, when the run sets them. */
  extraArgs: string[];
}

/**
 * The example as it is, or with a change's setup: the release the change starts from (one copy,
 * one Django probe per run).
 */
export async function releaseZero(g: Generation, setup?: BenchSetup): Promise<Release> {
  const tree = path.join(g.work, setup ? `release-0-${setup.id}` : 'release-0');
  if (!existsSync(tree)) {
    await copyReleaseZero(tree, setup);
    // makemigrations finds nothing more to write: the setup's migration is exactly what it would have written.
    if (setup) await checkMakemigrations(g, tree, `setup ${setup.id}`);
  }
  if (!releaseZeros.has(tree)) releaseZeros.set(tree, release(g, tree));
  return releaseZeros.get(tree)!;
}

/** The example, plus the setup's fields and its migration on top of the example's leaf. */
async function copyReleaseZero(dest: string, setup?: BenchSetup): Promise<void> {
  await copyExample(dest);
  if (!setup) return;
  const models = path.join(dest, 'shop', 'models.py');
  await fs.writeFile(models, setup.models(await fs.readFile(models, 'utf8')));
  const leaf = leafMigration(dest);
  const number = String(Number(leaf.slice(0, 4)) + 1).padStart(4, '0');
  await fs.writeFile(path.join(dest, 'shop', 'migrations', `${number}_${setup.name}.py`), naiveMigration({ operations: setup.operations, importsModels: true }, leaf));
}

async function checkMakemigrations(g: Generation, tree: string, what: string): Promise<void> {
  const check = await runManage(g.env, tree, ['makemigrations', 'shop', '--check', '--dry-run', '--skip-checks'], { databaseUrl: g.databaseUrl });
  if (check.code !== 0) throw new Error(`bench: ${what}: makemigrations would write more than the bench's migration:\n${check.stdout}${check.stderr}`);
}

/**
 * The example without its admin: the admin imports every model, so a release that deletes one
 * (drop-table) would fail to start before its application code is switched, and the load does
 * not go through the admin anyway.
 */
async function copyExample(dest: string): Promise<void> {
  await copyProject(shopExampleDir(), dest);
  await fs.writeFile(path.join(dest, 'shop', 'admin.py'), '# Left out of the write-stall benchmark (bench/stall/releases.ts).\n');
}

/** Generates the change with bg-scaffold and advances it phase by phase. */
export async function prepareGenerated(change: BenchChange, g: Generation): Promise<PreparedChange> {
  const base = path.join(g.work, slug(change.id));
  const project = path.join(base, 'project');
  await fs.rm(base, { recursive: true, force: true });
  const zero = await releaseZero(g, change.setup);
  await copyReleaseZero(project, change.setup);
  const generated = await cli([...change.cli, '--project', project, '--yes', '--json', ...g.extraArgs]);
  const { phases } = JSON.parse(generated) as { phases: number };
  const releases = [zero];
  for (let k = 1; k <= phases; k++) {
    if (k > 1) await cli(['advance', JSON.parse(generated).change as string, '--project', project, '--yes', '--json']);
    const tree = path.join(base, `release-${k}`);
    await copyProject(project, tree);
    releases.push(release(g, tree));
  }
  return { id: change.id, operation: change.operation, kind: 'generated', releases, setup: change.setup };
}

/** The example with makemigrations' migration for the same change, checked by makemigrations itself. */
export async function prepareNaive(change: NaiveChange, g: Generation): Promise<PreparedChange> {
  const zero = await releaseZero(g, change.setup);
  const tree = path.join(g.work, slug(change.id));
  await fs.rm(tree, { recursive: true, force: true });
  await copyReleaseZero(tree, change.setup);
  const models = path.join(tree, 'shop', 'models.py');
  await fs.writeFile(models, change.models(await fs.readFile(models, 'utf8')));
  const number = String(Number(zero.leaf.slice(0, 4)) + 1).padStart(4, '0');
  await fs.writeFile(path.join(tree, 'shop', 'migrations', `${number}_${change.name}.py`), naiveMigration(change, zero.leaf));
  // makemigrations finds nothing more to write: the migration is exactly what it would have written.
  await checkMakemigrations(g, tree, change.id);
  return { id: change.id, operation: change.operation, kind: 'naive', releases: [zero, release(g, tree)], setup: change.setup };
}

const releaseZeros = new Map<string, Release>();

function release(g: Generation, tree: string): Release {
  let order: Promise<OrmModel> | undefined;
  return { tree, leaf: leafMigration(tree), order: () => (order ??= ormModel(g, tree)) };
}

async function ormModel(g: Generation, tree: string): Promise<OrmModel> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: g.databaseUrl, PYTHONDONTWRITEBYTECODE: '1' };
  delete env.DJANGO_SETTINGS_MODULE;
  const result = await runCommand(g.env.python, [HELPER, 'columns', '--project', tree, '--model', 'shop.Order'], { cwd: tree, env, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`bench: cannot read shop.Order's columns in ${tree}:\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as OrmModel;
}

function leafMigration(tree: string): string {
  const names = readdirSync(path.join(tree, 'shop', 'migrations'))
    .filter((name) => /^\d{4}_\w+\.py$/.test(name))
    .sort();
  return names[names.length - 1]!.replace(/\.py$/, '');
}

/** bg-scaffold in this process; returns stdout, throws with stderr when it fails. */
async function cli(argv: string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    isTTY: false,
    env: {},
  });
  if (code !== 0) throw new Error(`bench: bg-scaffold ${argv.slice(0, 2).join(' ')} failed (exit ${code}): ${stderr.trim()}`);
  return stdout;
}

function slug(id: string): string {
  return id.replace(/[^a-z0-9]+/gi, '-');
}
