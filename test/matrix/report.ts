/** Runs the whole matrix and renders its table (used by the test and by `npm run matrix`). */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PgServer } from '../harness/postgres.js';
import { DJANGO_LINES, ensureDjangoEnv, type DjangoEnv, type DjangoLine } from '../harness/python-env.js';
import { buildStartingDatabase, inThisRun, runScenario, SHOP_ORDER, type Cell, type MatrixTarget, type Scenario, type StartingDatabase } from './matrix.js';

/**
 * Scenarios run at a time. Each runs two Python servers, PostgreSQL and the bg-scaffold CLI, mostly one
 * after the other (one request at a time), so a scenario keeps about one core busy: two lanes on a
 * 2-core machine.
 */
const MATRIX_LANES = 2;

/** Lanes: BG_MATRIX_LANES, else MATRIX_LANES. */
function lanes(): number {
  const wanted = Number(process.env.BG_MATRIX_LANES);
  return Number.isInteger(wanted) && wanted > 0 ? wanted : MATRIX_LANES;
}

export interface MatrixResult {
  cells: Cell[];
  /** Per scenario and Django version: did anything fail? */
  runs: Array<{ scenario: Scenario; django: string; failed: number; phases: number; seconds: number; timings: Record<string, number> }>;
  /** Wall-clock seconds of the whole matrix. */
  seconds: number;
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
  const started = Date.now();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-matrix-'));
  // Longest first (most phases), so that the last lane does not start a long scenario alone.
  const jobs = envs
    .flatMap((env) => scenarios.filter(inThisRun).filter((s) => !s.djangoLines || process.env.BG_MATRIX_ALL_LINES === '1' || s.djangoLines.includes(env.line)).map((scenario) => ({ env, scenario })))
    .sort((a, b) => b.scenario.codeField.length - a.scenario.codeField.length);
  // The starting database of each Django version (and starting field), built once, copied per scenario.
  const starts = new Map<string, Promise<StartingDatabase>>();
  const startingDatabase = (env: DjangoEnv, field: string, target: MatrixTarget) => {
    const key = `${env.line}:${target.example}:${target.model}:${field}`;
    if (!starts.has(key)) {
      starts.set(key, buildStartingDatabase(env, server, root, field, target).then((start) => {
        options.log?.(`[matrix] starting database of ${target.model} for Django ${env.django}: ${start.seconds.toFixed(0)} s`);
        return start;
      }));
    }
    return starts.get(key)!;
  };
  try {
    const runs = await pool(jobs, options.parallel ?? lanes(), async ({ env, scenario }) => {
      const began = Date.now();
      const dir = path.join(root, `${scenario.name.replace(/[^a-z0-9]+/gi, '-')}-${env.django}`);
      const start = await startingDatabase(env, scenario.codeField[0]!, scenario.target ?? SHOP_ORDER);
      const run = await runScenario(scenario, env, server, dir, { start });
      const failed = run.cells.filter((c) => c.status === 'failed').length;
      const seconds = (Date.now() - began) / 1000;
      options.log?.(`[matrix] ${scenario.name} on Django ${env.django}: ${run.cells.length} cells, ${failed} failed (${seconds.toFixed(0)} s)`);
      return { scenario, django: env.django, failed, phases: run.phases, cells: run.cells, seconds, timings: run.timings };
    });
    // Input order in the report, whatever order they ran in.
    runs.sort((a, b) => scenarios.indexOf(a.scenario) - scenarios.indexOf(b.scenario) || envs.findIndex((e) => e.django === a.django) - envs.findIndex((e) => e.django === b.django));
    return { cells: runs.flatMap((r) => r.cells), runs: runs.map(({ cells: _cells, ...rest }) => rest), seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const start of await Promise.allSettled(starts.values())) {
      if (start.status === 'fulfilled' && start.value.name) await server.dropDatabase(start.value.name).catch(() => {});
    }
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

/**
 * Where the time went: each kind of step's wall-clock seconds summed over every scenario run (runs
 * overlap, so the sum exceeds the matrix's own time), and its share of all scenario time.
 */
export function renderTimings(result: MatrixResult): string {
  const totals = new Map<string, number>();
  for (const run of result.runs) for (const [step, ms] of Object.entries(run.timings)) totals.set(step, (totals.get(step) ?? 0) + ms / 1000);
  const scenarioSeconds = result.runs.reduce((n, r) => n + r.seconds, 0);
  const phases = result.runs.reduce((n, r) => n + r.phases, 0);
  const measured = [...totals.values()].reduce((n, s) => n + s, 0);
  const rows = [...totals.entries()].sort((a, b) => b[1] - a[1]);
  rows.push(['(other: databases, files)', Math.max(0, scenarioSeconds - measured)]);
  return [
    `matrix: ${result.seconds.toFixed(0)} s wall clock; ${result.runs.length} scenario runs, ${phases} phases, ${scenarioSeconds.toFixed(0)} s of scenario time (${(scenarioSeconds / Math.max(phases, 1)).toFixed(1)} s a phase)`,
    '| step | seconds | share |',
    '| --- | --- | --- |',
    ...rows.map(([step, seconds]) => `| ${step} | ${seconds.toFixed(1)} | ${((seconds / Math.max(scenarioSeconds, 1e-9)) * 100).toFixed(0)}% |`),
  ].join('\n');
}

export async function writeReport(result: MatrixResult, file: string): Promise<void> {
  const ok = result.cells.filter((c) => c.status !== 'failed').length;
  const text = `# Blue-green matrix\n\n${ok}/${result.cells.length} cells pass or fail as expected per scenario.\n\n${renderTable(result.cells)}\n\n## Where the time goes\n\n${renderTimings(result)}\n`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
  await fs.writeFile(file.replace(/\.md$/, '.json'), JSON.stringify(result, null, 2));
}
