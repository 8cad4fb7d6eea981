import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withFileLock } from './lock.js';
import {
  attachLocalServer,
  startLocalServer,
  startPostgres,
  stopLocalServer,
  type LocalServerInfo,
  type PgServer,
} from './postgres.js';

/**
 * One PostgreSQL server per test run, started by the first test file that asks for it and stopped by the
 * run's global teardown. vitest runs test files in separate processes: they meet through a run directory
 * that the global setup creates and names in the environment the workers inherit.
 */
const RUN_DIR_ENV = 'BG_HARNESS_RUN_DIR';
const OWNER_PID_ENV = 'BG_HARNESS_OWNER_PID';
const SERVER_FILE = 'postgres.json';

let shared: Promise<PgServer> | undefined;

/**
 * The run's PostgreSQL server: BG_TEST_DATABASE_URL's when set; else one local cluster for the whole run
 * (started lazily, so test runs that need no database start none). Its stop() is a no-op: the run's
 * teardown stops it. Outside a vitest run (no global setup) each process gets its own server.
 */
export function sharedPostgres(): Promise<PgServer> {
  if (!shared) {
    shared = connectShared();
    shared.catch(() => (shared = undefined));
  }
  return shared;
}

async function connectShared(): Promise<PgServer> {
  const runDir = process.env[RUN_DIR_ENV];
  if (process.env.BG_TEST_DATABASE_URL || !runDir) {
    const server = await startPostgres();
    return { ...server, stop: async () => {} };
  }
  const ownerPid = Number(process.env[OWNER_PID_ENV]) || process.pid;
  const infoFile = path.join(runDir, SERVER_FILE);
  const info =
    (await readServerInfo(infoFile)) ??
    (await withFileLock(
      path.join(runDir, 'postgres.lock'),
      async () => {
        const running = await readServerInfo(infoFile);
        if (running) return running;
        const started = await startLocalServer(ownerPid);
        await fs.writeFile(infoFile, JSON.stringify(started));
        return started;
      },
      { label: 'the test run’s PostgreSQL server' },
    ));
  return attachLocalServer(info);
}

async function readServerInfo(file: string): Promise<LocalServerInfo | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as LocalServerInfo;
  } catch {
    return undefined;
  }
}

export interface TestRun {
  runDir: string;
  /** Stops the run's PostgreSQL server (if one was started) and removes the run directory. */
  end(): Promise<void>;
}

/** Called by the global setup, in vitest's main process, before any worker starts. */
export async function beginTestRun(): Promise<TestRun> {
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-scaffold-run-'));
  process.env[RUN_DIR_ENV] = runDir;
  process.env[OWNER_PID_ENV] = String(process.pid);
  return {
    runDir,
    async end() {
      const info = await readServerInfo(path.join(runDir, SERVER_FILE));
      if (info) await stopLocalServer(info);
      await fs.rm(runDir, { recursive: true, force: true });
      delete process.env[RUN_DIR_ENV];
      delete process.env[OWNER_PID_ENV];
    },
  };
}
