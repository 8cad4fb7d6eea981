/**
 * The field sweep (test/sweep/sweep.ts) in the suite: every forty-eighth cell of each operation
 * (every hundred-and-twenty-eighth of the index, constraint and NOT NULL ones, on PostgreSQL) over examples/shop,
 * examples/zoo and examples/legacy, to keep `npm test` within its time. `npm run sweep` runs every
 * cell and writes the whole table to test-results/sweep.md.
 */
import { describe, expect, it } from 'vitest';
import { DJANGO_LINES, ensureDjangoEnv, PROVISION_TIMEOUT_MS, requireRealStack } from '../harness/index.js';
import { REAL_STACK_TIMEOUT_MS } from '../harness/process.js';
import { runSweep, sweepCells, type SweepResult } from './sweep.js';

const decision = requireRealStack({ postgres: false });
const ONE_RELEASE = /^(set-not-null|drop-not-null|add-index|remove-index|add-unique|add-check|add-foreign-key)\b/;

describe.skipIf(decision === 'skip')('the field sweep over the example projects', () => {
  it(
    'every cell generates and advances through every phase with Django clean on both lines, or is refused in one line',
    async () => {
      const envs = await Promise.all(DJANGO_LINES.map((line) => ensureDjangoEnv(line)));
      const cells = [...(await sweepCells('shop', envs[0]!.python)), ...(await sweepCells('zoo', envs[0]!.python)), ...(await sweepCells('legacy', envs[0]!.python))];
      // Every forty-eighth cell of each operation: each operation meets fields of several kinds.
      // The one-release index, constraint and NOT NULL plans, every hundred-and-twenty-eighth, on PostgreSQL
      // only (on SQLite they are Django's own operations).
      const seen = new Map<string, number>();
      const sample = cells.filter((cell) => {
        const count = seen.get(cell.operation) ?? 0;
        seen.set(cell.operation, count + 1);
        if (!ONE_RELEASE.test(cell.operation)) return count % 48 === 0;
        return !cell.operation.endsWith('(sqlite)') && count % 128 === 0;
      });
      const results = await runSweep(sample, envs);
      const describe = (r: SweepResult) => `${r.example} ${r.app}.${r.model}.${r.field ?? ''} ${r.operation}: ${r.reason}`;
      expect(results.filter((r) => r.outcome === 'failed').map(describe)).toEqual([]);
      // The sample holds every operation, and plans that go all the way.
      expect(new Set(results.map((r) => r.operation)).size).toBe(24);
      expect(results.filter((r) => r.outcome === 'ok').length).toBeGreaterThan(sample.length / 3);
    },
    REAL_STACK_TIMEOUT_MS + PROVISION_TIMEOUT_MS,
  );
});
