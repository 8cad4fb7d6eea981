/**
 * `npm run bench:cli`: how long bg-scaffold takes to generate a change on the example project,
 * against `python manage.py makemigrations --dry-run` on the same project. Every run is a new
 * process, as a user starts it, and the contenders take turns in one loop so that a busy moment on
 * the machine hits all alike. bg-scaffold runs three ways:
 * - cached: through Django, with the introspection cache of an earlier run in place (the project
 *   has not changed since), so no Python starts. Goal: at most half of makemigrations' time.
 * - first run: through Django with no cache, so it starts Python once. `--dry-run` never writes the
 *   cache (src/cli/outcome.ts), so every run of this arm is a first run. Goal: at most 1.2x.
 * - static (`--no-django`): models.py read without Django; no goal, for comparison with the figures
 *   before this split (python3 on PATH had no Django, so those runs were static too).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CACHE_FILE, flushIntrospectionCache, introspectDjango, withIntrospectionRun } from '../../src/project/introspect.js';
import { copyProject } from '../../test/harness/django-project.js';
import { ensureDjangoEnv } from '../../test/harness/python-env.js';
import { repoRoot, shopExampleDir } from '../../test/harness/repo.js';
import { median, round } from '../stall/metrics.js';

/** bg-scaffold's median over makemigrations' median, at most: by arm (static has none). */
export const GOALS = { cached: 0.5, firstRun: 1.2 } as const;

export interface Timing {
  label: string;
  command: string;
  /** Wall time of each run, in ms. */
  runs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** This arm's median over makemigrations' median. */
  ratio?: number;
  goal?: { ratio: number; status: 'met' | 'missed' };
}

export interface CliSpeedReport {
  benchmark: 'cli-speed';
  at: string;
  rounds: number;
  cached: Timing;
  firstRun: Timing;
  static: Timing;
  makemigrations: Timing;
  environment: { node: string; python: string; django: string; cpus: number; loadAverage: number[]; nodeExtraCaCerts: boolean };
}

interface Contender {
  label: string;
  command: string;
  run(): void;
}

export async function runCliSpeed(rounds: number): Promise<CliSpeedReport> {
  const env = await ensureDjangoEnv('5.2');
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-bench-cli-'));
  try {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', BG_PYTHON: env.python };
    delete childEnv.DATABASE_URL; // the project's SQLite fallback: no server to wait for
    delete childEnv.DJANGO_SETTINGS_MODULE;
    // One copy per arm: the cached arm's copy holds the cache, the first run's never does.
    const projects = { cached: path.join(work, 'cached', 'shop'), firstRun: path.join(work, 'first', 'shop'), static: path.join(work, 'static', 'shop') };
    for (const dir of Object.values(projects)) await copyProject(shopExampleDir(), dir);
    await writeIntrospectionCache(projects.cached, env.python, childEnv);
    const bin = path.join(repoRoot(), 'bin', 'bg-scaffold.js');
    const args = ['rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--dry-run', '--yes'];
    const shown = `node bin/bg-scaffold.js ${args.join(' ')}`;
    const tool = (label: string, project: string, extra: string[], expected: string, read: (stderr: string) => boolean): Contender => ({
      label,
      command: `${shown}${extra.map((a) => ` ${a}`).join('')} --project <copy of examples/shop>`,
      run: () => {
        const result = spawnSync(process.execPath, [bin, ...args, ...extra, '--project', project], { env: childEnv, encoding: 'utf8' });
        check(result, label);
        // An arm that silently became another (no Django, a stale cache) would measure the wrong thing.
        if (!read(String(result.stderr))) throw new Error(`bench:cli: ${label}: expected ${expected}, got:\n${String(result.stderr).slice(0, 2000)}`);
      },
    });
    const contenders: Contender[] = [
      tool('bg-scaffold, cached', projects.cached, [], 'Django read from the cache', (err) => throughDjango(err) && cachedNote(err)),
      tool('bg-scaffold, first run', projects.firstRun, [], 'Django started', (err) => throughDjango(err) && !cachedNote(err)),
      tool('bg-scaffold --no-django', projects.static, ['--no-django'], 'no Django', (err) => !throughDjango(err)),
      {
        label: 'manage.py makemigrations --dry-run',
        command: 'python manage.py makemigrations --dry-run (Django ' + env.django + ')',
        run: () => check(spawnSync(env.python, ['manage.py', 'makemigrations', '--dry-run'], { cwd: projects.static, env: childEnv, encoding: 'utf8' }), 'makemigrations'),
      },
    ];
    for (const c of contenders) c.run(); // warm the file cache and Python's compiled modules
    const times: number[][] = contenders.map(() => []);
    for (let round = 0; round < rounds; round++) {
      // Rotate who goes first.
      for (let k = 0; k < contenders.length; k++) {
        const i = (round + k) % contenders.length;
        const started = process.hrtime.bigint();
        contenders[i]!.run();
        times[i]!.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    if (existsSync(path.join(projects.firstRun, CACHE_FILE))) throw new Error('bench:cli: a --dry-run wrote the introspection cache; the first-run arm was not a first run');
    const [cached, firstRun, statik, django] = contenders.map((c, i) => timing(c, times[i]!)) as [Timing, Timing, Timing, Timing];
    const against = (t: Timing, goal?: number): Timing => {
      const ratio = round(t.medianMs / django.medianMs, 2);
      return { ...t, ratio, ...(goal === undefined ? {} : { goal: { ratio: goal, status: ratio <= goal ? 'met' : 'missed' } }) };
    };
    return {
      benchmark: 'cli-speed',
      at: new Date().toISOString(),
      rounds,
      cached: against(cached, GOALS.cached),
      firstRun: against(firstRun, GOALS.firstRun),
      static: against(statik),
      makemigrations: django,
      environment: {
        node: process.version,
        python: env.pythonVersion,
        django: env.django,
        cpus: os.cpus().length,
        loadAverage: os.loadavg().map((l) => round(l, 2)),
        // Node reads this file at every start (about 50 ms on the development machine).
        nodeExtraCaCerts: Boolean(process.env.NODE_EXTRA_CA_CERTS),
      },
    };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

const throughDjango = (stderr: string) => stderr.includes('note: read the project through Django');
const cachedNote = (stderr: string) => /note: read the project through Django [^\n]*\), cached/.test(stderr);

/** What a run that went through Django leaves behind (a run without --dry-run, say): the introspection cache. */
async function writeIntrospectionCache(project: string, python: string, env: NodeJS.ProcessEnv): Promise<void> {
  await withIntrospectionRun(async () => {
    const outcome = await introspectDjango(project, { python }, env);
    if (!outcome.ok) throw new Error(`bench:cli: Django could not read the example project: ${outcome.reason}`);
    await flushIntrospectionCache();
  });
  if (!existsSync(path.join(project, CACHE_FILE))) throw new Error('bench:cli: the introspection cache was not written');
}

function check(result: ReturnType<typeof spawnSync>, what: string): void {
  if (result.status !== 0) throw new Error(`bench:cli: ${what} failed (exit ${result.status}):\n${String(result.stderr).slice(-2000)}`);
}

function timing(c: Contender, runs: number[]): Timing {
  return {
    label: c.label,
    command: c.command,
    runs: runs.map((ms) => round(ms, 1)),
    medianMs: round(median(runs), 1),
    minMs: round(Math.min(...runs), 1),
    maxMs: round(Math.max(...runs), 1),
  };
}

export function cliSpeedTable(r: CliSpeedReport): string {
  const row = (t: Timing) => `| ${t.label} | ${t.medianMs} | ${t.minMs} | ${t.maxMs} | ${t.ratio === undefined ? '' : `${t.ratio}×`} | ${t.goal ? `≤ ${t.goal.ratio}×: ${t.goal.status}` : ''} |`;
  return [
    `${r.rounds} rotating rounds, one new process per run; 1-min load average at the end ${r.environment.loadAverage[0]} on ${r.environment.cpus} CPUs${r.environment.nodeExtraCaCerts ? '; NODE_EXTRA_CA_CERTS set' : ''}.`,
    '',
    '| command | median ms | min ms | max ms | ratio | goal |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    row(r.cached),
    row(r.firstRun),
    row(r.static),
    row(r.makemigrations),
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const at = argv.indexOf('--rounds');
  const rounds = at >= 0 ? Number(argv[at + 1]) : 15;
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error('bench:cli: --rounds must be a whole number of at least 1');
    return 2;
  }
  const report = await runCliSpeed(rounds);
  const out = path.join(repoRoot(), '.cache', 'bench', 'cli-speed.json');
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`${cliSpeedTable(report)}\nJSON: ${out}`);
  return 0;
}

// Run as a script (not when a test imports the module).
if (process.argv[1] && path.resolve(process.argv[1]).endsWith(path.join('bench', 'cli-speed', 'main.js'))) {
  process.exitCode = await main(process.argv.slice(2));
}
