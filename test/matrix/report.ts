/** Runs the whole matrix and renders its table (used by the test and by `npm run matrix`). */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PgServer } from '../harness/postgres.js';
import { DJANGO_LINES, ensureDjangoEnv, type DjangoLine } from '../harness/python-env.js';
import { runScenario, type Cell, type Scenario } from './matrix.js';

export interface MatrixResult {
  cells: Cell[];
  /** Per scenario and Django version: did anything fail? */
  runs: Array<{ scenario: Scenario; django: string; failed: number; phases: number }>;
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the input order in the result. */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

export async function runMatrix(
  scenarios: Scenario[],
  server: PgServer,
  options: { lines?: readonly DjangoLine[]; parallel?: number; log?: (line: string) => void } = {},
): Promise<MatrixResult> {
  const lines = options.lines ?? DJANGO_LINES;
  const envs = await Promise.all(lines.map((line) => ensureDjangoEnv(line)));
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-matrix-'));
  const jobs = envs.flatMap((env) => scenarios.filter((s) => !s.djangoLines || s.djangoLines.includes(env.line)).map((scenario) => ({ env, scenario })));
  try {
    const runs = await pool(jobs, options.parallel ?? 2, async ({ env, scenario }, ) => {
      const started = Date.now();
      const dir = path.join(root, `${scenario.name.replace(/[^a-z0-9]+/gi, '-')}-${env.django}`);
      const run = await runScenario(scenario, env, server, dir);
      const failed = run.cells.filter((c) => c.status === 'failed').length;
      options.log?.(`[matrix] ${scenario.name} on Django ${env.django}: ${run.cells.length} cells, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      return { scenario, django: env.django, failed, phases: run.phases, cells: run.cells };
    });
    return { cells: runs.flatMap((r) => r.cells), runs: runs.map(({ cells: _cells, ...rest }) => rest) };
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

export function renderTable(cells: Cell[]): string {
  const header = ['scenario', 'django', 'phase', 'check', 'result'];
  const rows = cells.map((c) => [c.scenario, c.django, c.phase, c.check, c.status === 'ok' ? `ok${c.detail ? ` (${c.detail})` : ''}` : `${c.status}: ${c.detail}`]);
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`),
  ].join('\n');
}

export async function writeReport(result: MatrixResult, file: string): Promise<void> {
  const ok = result.cells.filter((c) => c.status !== 'failed').length;
  const text = `# Blue-green matrix\n\n${ok}/${result.cells.length} cells pass or fail as expected per scenario.\n\n${renderTable(result.cells)}\n`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
  await fs.writeFile(file.replace(/\.md$/, '.json'), JSON.stringify(result, null, 2));
}
