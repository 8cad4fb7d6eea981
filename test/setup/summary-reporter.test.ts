/**
 * The closing line CI reads (`Tests: N passed, N failed, N skipped`) on runs that fail around their
 * tests: a vitest of its own on the fixtures in test/fixtures/summary-reporter/, with this reporter.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../harness/process.js';
import { repoRoot } from '../harness/repo.js';

const FIXTURES = path.join(repoRoot(), 'test', 'fixtures', 'summary-reporter');

async function closingLine(...files: string[]): Promise<{ line: string; code: number | null; output: string }> {
  const vitest = path.join(repoRoot(), 'node_modules', 'vitest', 'vitest.mjs');
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
  // Not this run's worker settings: the child is a vitest run of its own.
  for (const name of Object.keys(env)) if (name.startsWith('VITEST')) delete env[name];
  const result = await runCommand(process.execPath, [vitest, 'run', '--config', path.join(FIXTURES, 'vitest.config.ts'), ...files], { cwd: repoRoot(), env });
  const output = result.stdout + result.stderr;
  const lines = result.stdout.trim().split('\n');
  return { line: lines[lines.length - 1] ?? '', code: result.code, output };
}

describe('the summary reporter', () => {
  it('counts the tests of a suite whose beforeAll timed out as failed, not skipped', async () => {
    const run = await closingLine('hook-times-out');
    expect(run.output).toContain('Hook timed out in 100ms');
    expect(run.line).toBe('Tests: 0 passed, 2 failed, 0 skipped');
    expect(run.code).toBe(1);
  });

  it('counts every way a run fails around its tests, and keeps what was skipped on purpose as skipped', async () => {
    const run = await closingLine();
    // passed: 2 before a failing afterAll, 1 beside a failing beforeAll, 1 that leaves an unhandled rejection, 1 among the skipped.
    // failed: 3 behind a beforeAll that threw, 2 behind one that timed out, the afterAll, the module that
    //         does not load, the unhandled rejection.
    // skipped: it.skip, describe.skipIf, it.todo, context.skip().
    expect(run.line, run.output.slice(-3000)).toBe('Tests: 5 passed, 8 failed, 4 skipped');
    expect(run.code).toBe(1);
  });
});
