import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { realStackDecision } from '../../harness/availability.js';
import { withFileLock } from '../../harness/lock.js';
import { newestFirst, uniqueDatabaseName } from '../../harness/postgres.js';
import { pickInterpreter, type PythonInterpreter } from '../../harness/python-env.js';
import { sleep } from '../../harness/process.js';

const python = (version: string, source: string): PythonInterpreter => ({
  path: `/opt/python/${version}/bin/python3`,
  version,
  source,
});

describe('choosing a Python interpreter per Django line', () => {
  const found = [python('3.11.7', 'python3 on PATH'), python('3.13.0', 'pyenv 3.13.0'), python('3.12.1', 'pyenv 3.12.1')];

  it('uses python3 for Django 5.2 when it is 3.10 or newer', () => {
    expect(pickInterpreter('5.2', undefined, () => found)).toEqual({ ok: true, interpreter: found[0] });
  });

  it('uses the newest Python >= 3.12 for the newest Django', () => {
    expect(pickInterpreter('latest', undefined, () => found)).toEqual({ ok: true, interpreter: found[1] });
  });

  it('falls back to another interpreter for Django 5.2 when python3 is too old', () => {
    const old = [python('3.9.18', 'python3 on PATH'), python('3.10.13', 'pyenv 3.10.13')];
    expect(pickInterpreter('5.2', undefined, () => old)).toEqual({ ok: true, interpreter: old[1] });
  });

  it('says what to install when no Python is new enough for Django 6', () => {
    const choice = pickInterpreter('latest', undefined, () => [python('3.11.7', 'python3 on PATH')]);
    expect(choice.ok).toBe(false);
    expect(!choice.ok && choice.problem).toMatch(/Python >= 3\.12.*BG_PYTHON/);
  });

  it('rejects a BG_PYTHON that is not a Python interpreter instead of guessing another', () => {
    const choice = pickInterpreter('5.2', '/nonexistent/python3', () => found);
    expect(choice).toEqual({ ok: false, problem: 'BG_PYTHON=/nonexistent/python3 does not run as a Python interpreter.' });
  });
});

describe('deciding whether real-stack tests run', () => {
  it('runs when nothing is missing', () => {
    expect(realStackDecision([], true)).toBe('run');
  });

  it('fails under CI with what to install', () => {
    expect(() => realStackDecision(['PostgreSQL: apt-get install postgresql'], true)).toThrow(/CI=true.*\n.*apt-get install postgresql/);
  });

  it('skips locally, saying what to install', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(realStackDecision(['PostgreSQL: apt-get install postgresql'], false)).toBe('skip');
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('apt-get install postgresql'));
    } finally {
      warn.mockRestore();
    }
  });
});

describe('PostgreSQL helpers', () => {
  it('orders PostgreSQL version directories newest first', () => {
    expect(newestFirst(['9.6', '15', 'common', '16', '13'])).toEqual(['16', '15', '13', '9.6']);
  });

  it('makes distinct, valid database names', () => {
    const names = [uniqueDatabaseName('Shop-5.2'), uniqueDatabaseName('Shop-5.2'), uniqueDatabaseName('x'.repeat(80))];
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(/^[a-z_][a-z0-9_]{0,62}$/);
  });
});

describe('the cross-process file lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-lock-test-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('lets one holder in at a time', async () => {
    const lock = path.join(dir, 'venv.lock');
    const events: string[] = [];
    const hold = (name: string) =>
      withFileLock(lock, async () => {
        events.push(`${name} in`);
        await sleep(50);
        events.push(`${name} out`);
      });
    await Promise.all([hold('a'), hold('b')]);
    expect(events).toHaveLength(4);
    expect(events[0].replace(' in', '')).toBe(events[1].replace(' out', ''));
    expect(events[2].replace(' in', '')).toBe(events[3].replace(' out', ''));
  });

  it('releases the lock when the work throws', async () => {
    const lock = path.join(dir, 'venv.lock');
    await expect(withFileLock(lock, async () => Promise.reject(new Error('pip failed')))).rejects.toThrow('pip failed');
    await expect(fs.stat(lock)).rejects.toThrow();
  });

  it('takes over a lock whose owner process has died', async () => {
    const lock = path.join(dir, 'venv.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    await fs.mkdir(lock);
    await fs.writeFile(path.join(lock, 'owner.json'), JSON.stringify({ pid: dead, since: Date.now() }));
    await expect(withFileLock(lock, async () => 'done', { waitMs: 5_000 })).resolves.toBe('done');
  });
});
