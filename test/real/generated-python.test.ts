/**
 * Generated Python, checked by the real tools: `ruff format --check` and `ruff check` from PyPI,
 * and Django's `sqlmigrate` for the claim that the db-column strategy runs no SQL.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageAdvance } from '../../src/commands/advance.js';
import { stageRenameColumn } from '../../src/operations/rename-column/operation.js';
import type { RenameColumnRequest } from '../../src/commands/types.js';
import { requireRealStack } from '../harness/availability.js';
import { runManage } from '../harness/django-project.js';
import { uniqueDatabaseName } from '../harness/postgres.js';
import { REAL_STACK_TIMEOUT_MS, runCommand } from '../harness/process.js';
import { ensureDjangoEnv, ruffBinary } from '../harness/python-env.js';
import { shopExampleDir } from '../harness/repo.js';
import { sharedPostgres } from '../harness/shared.js';

const decision = requireRealStack({ django: ['5.2'] });
const work = mkdtempSync(join(tmpdir(), 'bg-generated-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Generates a change and advances it to its last phase; returns the project directory. */
async function generateAll(name: string, request: Omit<RenameColumnRequest, 'projectDir'>): Promise<string> {
  const project = join(work, name);
  cpSync(shopExampleDir(), project, { recursive: true });
  let staged = await stageRenameColumn({ ...request, projectDir: project });
  await staged.stage.commit();
  for (let phase = 2; phase <= staged.plan.phases.length; phase++) {
    staged = await stageAdvance({ projectDir: project, change: staged.plan.change });
    await staged.stage.commit();
  }
  return project;
}

function generatedPython(project: string): string[] {
  const example = new Set(readdirSync(join(shopExampleDir(), 'shop', 'migrations')));
  const migrations = readdirSync(join(project, 'shop', 'migrations'))
    .filter((name) => name.endsWith('.py') && !example.has(name))
    .map((name) => join('shop', 'migrations', name));
  const review = readdirSync(join(project, '.bg-scaffold'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.py'))
    .map((entry) => relative(project, join(entry.parentPath, entry.name)));
  return [...migrations, ...review].sort();
}

const request = { app: 'shop', model: 'Order', field: 'quantity', to: 'qty' } as const;

describe.skipIf(decision === 'skip')('generated Python on the real tools', () => {
  let ruff: string;
  const projects: Record<string, string> = {};
  beforeAll(async () => {
    ruff = await ruffBinary();
    projects.trigger = await generateAll('trigger', { ...request, strategy: 'trigger' });
    projects.copy = await generateAll('copy', { ...request, strategy: 'copy' });
    projects.copySqlite = await generateAll('copy-sqlite', { ...request, strategy: 'copy', database: 'sqlite' });
    projects.dbColumn = await generateAll('db-column', { ...request, strategy: 'db-column' });
    projects.unique = await generateAll('unique', { app: 'shop', model: 'Order', field: 'reference', to: 'code' });
  }, REAL_STACK_TIMEOUT_MS);

  it('is formatted exactly as `ruff format` formats it, and passes `ruff check`', async () => {
    for (const project of Object.values(projects)) {
      const files = generatedPython(project);
      expect(files.length).toBeGreaterThan(0);
      const format = await runCommand(ruff, ['format', '--check', '--no-cache', ...files], { cwd: project });
      expect(format.code, `${project}: ${format.stdout}${format.stderr}`).toBe(0);
      // Ruff's classic defaults (pyflakes, pycodestyle errors): newer defaults add RUF012, which
      // flags `dependencies = [...]` in every migration Django itself writes.
      const lint = await runCommand(ruff, ['check', '--no-cache', '--isolated', '--select', 'E4,E7,E9,F', ...files], { cwd: project });
      expect(lint.code, `${project}: ${lint.stdout}${lint.stderr}`).toBe(0);
    }
  });

  it('runs no SQL for the db-column strategy (sqlmigrate prints only the transaction)', async () => {
    const env = await ensureDjangoEnv('5.2');
    const server = await sharedPostgres();
    const db = uniqueDatabaseName('sqlmigrate');
    await server.createDatabase(db);
    const result = await runManage(env, projects.dbColumn!, ['sqlmigrate', 'shop', '0004', '--skip-checks'], { databaseUrl: server.url(db) });
    expect(result.code, result.stderr).toBe(0);
    const statements = result.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('--') && line !== 'BEGIN;' && line !== 'COMMIT;');
    expect(statements).toEqual([]);
    await server.dropDatabase(db);
  });

  it('shows the trigger migration’s SQL in sqlmigrate, lock_timeout included, without running it', async () => {
    const env = await ensureDjangoEnv('5.2');
    const server = await sharedPostgres();
    const db = uniqueDatabaseName('sqlmigrate');
    await server.createDatabase(db);
    const result = await runManage(env, projects.trigger!, ['sqlmigrate', 'shop', '0004', '--skip-checks'], { databaseUrl: server.url(db) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('ADD COLUMN IF NOT EXISTS "qty" integer NULL');
    expect(result.stdout).toMatch(/lock_timeout/i);
    expect(result.stdout).toContain('CREATE TRIGGER');
    await server.dropDatabase(db);
  });
});
