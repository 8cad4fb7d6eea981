import { promises as fs } from 'node:fs';
import path from 'node:path';
import { harnessLog } from './repo.js';
import { processAlive, sleep } from './process.js';

export interface FileLockOptions {
  /** What is being waited for, for the "waiting" message. */
  label?: string;
  /** Give up after this long (a pip install of Django takes about a minute; default 30 min). */
  waitMs?: number;
  /** A lock without an owner file older than this is taken to be left over from a crash. */
  orphanMs?: number;
}

interface LockOwner {
  pid: number;
  since: number;
}

/**
 * Runs `work` while holding a cross-process lock. vitest runs test files in separate processes, so an
 * in-process promise is not enough: `mkdir` is atomic, so whoever creates the directory holds the lock.
 * A lock whose owner process has died is broken and taken over.
 */
export async function withFileLock<T>(lockDir: string, work: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const waitMs = options.waitMs ?? 30 * 60_000;
  const deadline = Date.now() + waitMs;
  let announced = false;
  await fs.mkdir(path.dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await breakIfAbandoned(lockDir, options.orphanMs ?? 30_000)) continue;
    if (!announced) {
      harnessLog(`waiting for ${options.label ?? 'a lock'}: another test process holds ${lockDir}`);
      announced = true;
    }
    if (Date.now() > deadline) {
      throw new Error(`test harness: gave up after ${Math.round(waitMs / 1000)} s waiting for lock ${lockDir}; remove it if no test run is active`);
    }
    await sleep(200);
  }
  const owner: LockOwner = { pid: process.pid, since: Date.now() };
  await fs.writeFile(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
  try {
    return await work();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}

/** Removes the lock when its owner is gone; true when it did. */
async function breakIfAbandoned(lockDir: string, orphanMs: number): Promise<boolean> {
  const owner = await readOwner(lockDir);
  if (owner === 'missing-lock') return true;
  if (owner === undefined) {
    // mkdir happened but owner.json is not written yet: fresh unless it has stayed like that for long.
    const stat = await fs.stat(lockDir).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs < orphanMs) return false;
  } else if (processAlive(owner.pid)) {
    return false;
  }
  // Move it aside first, then check that what we moved is still the abandoned lock: another waiter may
  // have broken it and taken a fresh one in between, which we must put back rather than delete.
  const aside = `${lockDir}.broken-${process.pid}-${Date.now()}`;
  try {
    await fs.rename(lockDir, aside);
  } catch {
    return true; // somebody else moved it; just try again
  }
  const moved = await readOwner(aside);
  const stillAbandoned =
    owner === undefined
      ? moved === undefined
      : typeof moved === 'object' && moved.pid === owner.pid && moved.since === owner.since;
  if (!stillAbandoned) {
    await fs.rename(aside, lockDir).catch(() => undefined);
    return false;
  }
  harnessLog(`broke abandoned lock ${lockDir}`);
  await fs.rm(aside, { recursive: true, force: true });
  return true;
}

async function readOwner(lockDir: string): Promise<LockOwner | undefined | 'missing-lock'> {
  try {
    return JSON.parse(await fs.readFile(path.join(lockDir, 'owner.json'), 'utf8')) as LockOwner;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      const exists = await fs.stat(lockDir).then(() => true, () => false);
      return exists ? undefined : 'missing-lock';
    }
    return undefined; // half-written owner file: treat like a fresh lock
  }
}
