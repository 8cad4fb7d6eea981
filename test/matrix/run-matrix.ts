/** `npm run matrix`: the blue-green matrix on its own, with its table printed and written to test-results/. */
import path from 'node:path';
import { startPostgres } from '../harness/postgres.js';
import { repoRoot } from '../harness/repo.js';
import { renderTable, renderTimings, runMatrix, writeReport } from './report.js';
import { NEGATIVE_CONTROLS, POSITIVE_SCENARIOS as SCENARIOS } from './all-scenarios.js';

const only = process.argv.slice(2);
const scenarios = [...SCENARIOS, ...NEGATIVE_CONTROLS].filter((s) => only.length === 0 || only.some((o) => s.name.includes(o)));
const server = await startPostgres();
try {
  const result = await runMatrix(scenarios, server, { log: (line) => console.error(line) });
  const file = path.join(repoRoot(), 'test-results', 'matrix.md');
  await writeReport(result, file);
  console.log(renderTable(result.cells));
  console.log(`\n${renderTimings(result)}`);
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
  const unexpected = result.runs.filter((r) => (r.scenario.expectBroken ? r.failed === 0 : r.failed > 0));
  process.exitCode = unexpected.length > 0 ? 1 : 0;
} finally {
  await server.stop();
}
