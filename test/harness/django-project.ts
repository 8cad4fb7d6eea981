import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DjangoEnv } from './python-env.js';
import { REAL_STACK_TIMEOUT_MS, runCommand, type CommandResult } from './process.js';
import { shopExampleDir } from './repo.js';

export interface ManageResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ManageOptions {
  /** DATABASE_URL for the project; omitted means the project's SQLite fallback (db.sqlite3 beside manage.py). */
  databaseUrl?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Default REAL_STACK_TIMEOUT_MS (30 minutes: only a hang should reach it). */
  timeoutMs?: number;
}

/** Files that belong to a run, not to a project: never copied. */
const NOT_COPIED = new Set(['__pycache__', 'db.sqlite3', '.pytest_cache', '.ruff_cache', '.mypy_cache']);

/** Copies a Django project (e.g. examples/shop) to `dest`, leaving out caches and SQLite databases. */
export async function copyProject(src: string, dest: string): Promise<void> {
  await fs.cp(src, dest, {
    recursive: true,
    filter: (source) => {
      const name = path.basename(source);
      return !NOT_COPIED.has(name) && !name.endsWith('.pyc');
    },
  });
}

/** A fresh copy of examples/shop in a temp directory; `remove()` deletes it. */
export async function tempShopProject(label = 'shop'): Promise<{ dir: string; remove(): Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `bg-scaffold-${label}-`));
  const dir = path.join(root, 'shop');
  await copyProject(shopExampleDir(), dir);
  return { dir, remove: () => fs.rm(root, { recursive: true, force: true }) };
}

/** `<venv python> manage.py <args>` in `projectDir`, never writing bytecode next to the sources. */
export async function runManage(
  env: DjangoEnv,
  projectDir: string,
  args: readonly string[],
  options: ManageOptions = {},
): Promise<ManageResult> {
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  // An inherited DATABASE_URL must not leak into a run that asked for SQLite, nor another project's settings.
  delete inherited.DATABASE_URL;
  delete inherited.DJANGO_SETTINGS_MODULE;
  const childEnv: NodeJS.ProcessEnv = { ...inherited, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...options.env };
  if (options.databaseUrl !== undefined) childEnv.DATABASE_URL = options.databaseUrl;
  const result: CommandResult = await runCommand(env.python, ['manage.py', ...args], {
    cwd: projectDir,
    env: childEnv,
    timeoutMs: options.timeoutMs ?? REAL_STACK_TIMEOUT_MS,
  });
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

/** Throws with manage.py's output unless it exited 0; returns stdout. */
export async function runManageChecked(
  env: DjangoEnv,
  projectDir: string,
  args: readonly string[],
  options: ManageOptions = {},
): Promise<string> {
  const result = await runManage(env, projectDir, args, options);
  if (result.code !== 0) {
    throw new Error(`manage.py ${args.join(' ')} failed on Django ${env.django} (exit ${result.code}):\n${result.stderr || result.stdout}`);
  }
  return result.stdout;
}
