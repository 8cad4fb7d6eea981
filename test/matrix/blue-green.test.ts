/**
 * The proof of DESIGN §1's contract on real software: every phase of every rename-column
 * strategy, applied to a real PostgreSQL through Django 5.2 and the newest Django, with the
 * previous and the new release's code both serving. The negative controls must fail.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireRealStack } from '../harness/availability.js';
import { repoRoot } from '../harness/repo.js';
import { sharedPostgres } from '../harness/shared.js';
import { renderTable, renderTimings, runMatrix, writeReport, type MatrixResult } from './report.js';
import { NEGATIVE_CONTROLS, POSITIVE_SCENARIOS as SCENARIOS } from './all-scenarios.js';
import { inThisRun } from './matrix.js';

const decision = requireRealStack();

describe.skipIf(decision === 'skip')('blue-green matrix on real Django and PostgreSQL', () => {
  let result: MatrixResult;

  beforeAll(async () => {
    const server = await sharedPostgres();
    result = await runMatrix([...SCENARIOS, ...NEGATIVE_CONTROLS], server, { log: (line) => console.log(line) });
    await writeReport(result, path.join(repoRoot(), 'test-results', 'matrix.md'));
    console.log(renderTable(result.cells));
    console.log(renderTimings(result));
    // A limit that only stops a hang: the matrix takes minutes on an idle machine and several times that on
    // a busy one; CI's own limit is 90 minutes. A failure here fails every test below (summary-reporter.ts).
  }, 80 * 60_000);

  for (const scenario of SCENARIOS.filter(inThisRun)) {
    it(`${scenario.name}: every cell passes in every phase, on each Django line it runs on`, () => {
      const cells = result.cells.filter((c) => c.scenario === scenario.name);
      const runs = result.runs.filter((r) => r.scenario.name === scenario.name);
      expect(runs.length).toBe(scenario.djangoLines?.length ?? 2);
      for (const run of runs) expect(run.phases, `${scenario.name} on ${run.django} reached its last phase`).toBeGreaterThan(0);
      expect(cells.filter((c) => c.status === 'failed').map((c) => `${c.django} ${c.phase} ${c.check}: ${c.detail}`)).toEqual([]);
      // Every phase ran its full set of checks on both versions.
      expect(cells.length).toBeGreaterThan(10);
    });
  }

  for (const control of NEGATIVE_CONTROLS) {
    it(`${control.name}: the harness catches the previous release breaking`, () => {
      const broken = result.cells.filter((c) => c.scenario === control.name && c.status === 'failed' && /previous code/.test(c.check));
      expect(broken.length, 'the previous release must fail against this schema').toBeGreaterThan(0);
    });
  }
});
