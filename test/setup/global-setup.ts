import { requireRealStack } from '../harness/availability.js';
import { DJANGO_LINES, ensureDjangoEnv } from '../harness/python-env.js';
import { harnessLog } from '../harness/repo.js';
import { beginTestRun } from '../harness/shared.js';

/**
 * Runs once in vitest's main process, before any test file.
 * - Prepares the run's meeting point: the PostgreSQL server starts when the first test file asks for it
 *   (sharedPostgres), so runs without database tests start none; it is stopped here at the end.
 * - Under CI=true, checks the real stack and builds the Django virtualenvs up front, so that a missing
 *   piece fails the run at once with what to install, and no test's time goes into pip. Locally the
 *   virtualenvs are built on first use instead (test/harness/python-env.ts).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const run = await beginTestRun();
  try {
    if (process.env.CI === 'true' && requireRealStack() === 'run') {
      const started = Date.now();
      await Promise.all(DJANGO_LINES.map((line) => ensureDjangoEnv(line)));
      harnessLog(`Django virtualenvs ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } catch (error) {
    await run.end();
    throw error;
  }
  return () => run.end();
}
