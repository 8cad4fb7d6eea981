/**
 * The runtime every generated PostgreSQL migration imports (`<app>/migrations/_bg_scaffold_v<N>.py`,
 * copied from python/runtime/; src/runtime/runtime.ts and test/unit/runtime/ hold it to its version).
 * Its behaviour is tested in Python, against real Django and PostgreSQL (test/python/test_bg_scaffold_ops.py: the
 * migration steps; test/python/test_bg_scaffold_background.py: background backfills, their worker command and guard);
 * this file writes the copy a migrations folder receives and runs both suites on each Django line, in one process.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DJANGO_LINES,
  ensureDjangoEnv,
  POSTGRES_FOR_DJANGO,
  postgresMajorBinDir,
  PROVISION_TIMEOUT_MS,
  repoRoot,
  requireRealStack,
  startPostgres,
  uniqueDatabaseName,
} from '../../harness/index.js';
import { REAL_STACK_TIMEOUT_MS, runCommand, tail } from '../../harness/process.js';
import { OPS_MODULE } from '../../../src/render/migration.js';
import { RUNTIME_VERSION, runtimeCopy } from '../../../src/runtime/runtime.js';

describe('the runtime module', () => {
  it('is written as <app>/migrations/_bg_scaffold_v<version>.py, a name Django’s migration loader skips', () => {
    const written = runtimeCopy('shop/migrations');
    expect(written.path).toBe(`shop/migrations/_bg_scaffold_v${RUNTIME_VERSION}.py`);
    expect(OPS_MODULE).toBe(`_bg_scaffold_v${RUNTIME_VERSION}`);
    expect(OPS_MODULE.startsWith('_')).toBe(true);
  });
});

const stack = requireRealStack();

describe.skipIf(stack === 'skip')('the runtime on real Django and PostgreSQL', () => {
  let scratch: string;
  let modulePath: string;

  beforeAll(async () => {
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-scaffold-ops-'));
    const rendered = runtimeCopy(scratch);
    modulePath = rendered.path;
    await fs.writeFile(modulePath, rendered.content);
  }, PROVISION_TIMEOUT_MS);

  afterAll(async () => {
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  });

  // Each Django line on the PostgreSQL at an end of the range it supports: the oldest for 5.2 (14),
  // the newest for the newest Django (18). The matrix and the other tests run on the shared server.
  // The two lines run at once, each on its own server: the suites mostly wait (lock timeouts, the
  // workers they start and kill, throttle sleeps), so one after the other doubled the file's time.
  it.concurrent.each(DJANGO_LINES.map((line) => [line, POSTGRES_FOR_DJANGO[line]] as const))(
    'passes test/python/test_bg_scaffold_*.py on Django %s and PostgreSQL %s (every operation forwards, backwards, twice, under lock contention, in sqlmigrate; background backfills killed, resumed, run twice at once, throttled, guarded)',
    async (line, major) => {
      const [env, binDir] = await Promise.all([ensureDjangoEnv(line), postgresMajorBinDir(major)]);
      const pg = await startPostgres({ binDir });
      const db = uniqueDatabaseName(`ops_${line}`);
      await pg.createDatabase(db);
      try {
        if (!process.env.BG_TEST_DATABASE_URL) expect(await pg.query(db, 'SHOW server_version_num')).toMatch(new RegExp(`^${major}\\d{4}`));
        const result = await runCommand(
          env.python,
          ['-m', 'unittest', 'discover', '-s', 'test/python', '-p', 'test_bg_scaffold_*.py', '-v'],
          {
            cwd: repoRoot(),
            env: {
              ...process.env,
              PYTHONDONTWRITEBYTECODE: '1',
              BG_OPS_DATABASE_URL: pg.url(db),
              BG_OPS_MODULE: modulePath,
            },
            timeoutMs: REAL_STACK_TIMEOUT_MS,
          },
        );
        // unittest reports on stderr: "Ran 55 tests in 12.3s" then "OK" or "FAILED (...)".
        const report = `Django ${env.django}, exit ${result.code}:\n${tail(result.stderr, 80)}`;
        expect(result.code, report).toBe(0);
        const ran = Number(/^Ran (\d+) tests?/m.exec(result.stderr)?.[1] ?? 0);
        expect(ran, report).toBeGreaterThanOrEqual(50);
        // Both suites ran (-v names each test's module): the pattern must not lose one.
        for (const suite of ['test_bg_scaffold_ops', 'test_bg_scaffold_background']) {
          const passed = new RegExp(`^test_\\w+ \\(${suite}\\.\\w+(\\.test_\\w+)?\\) \\.\\.\\. ok$`, 'm');
          expect(result.stderr, `${suite} did not run\n${report}`).toMatch(passed);
        }
        // Only the ruff check may skip (ruff rides along in the 5.2 env only).
        const skipped = Number(/skipped=(\d+)/.exec(result.stderr)?.[1] ?? 0);
        expect(skipped, report).toBeLessThanOrEqual(line === '5.2' ? 0 : 1);
      } finally {
        await pg.dropDatabase(db);
        await pg.stop();
      }
    },
    REAL_STACK_TIMEOUT_MS,
  );
});
