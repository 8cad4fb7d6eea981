/**
 * `npm run bench:cli`: how long bg-scaffold takes to generate a change on the example project,
 * against `python manage.py makemigrations --dry-run` on the same project. Both run as a user runs
 * them (a new process each time), interleaved in one loop so that a busy moment on the machine
 * hits both alike. Goal: bg-scaffold takes at most half of makemigrations' time.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyProject } from '../../test/harness/django-project.js';
import { ensureDjangoEnv } from '../../test/harness/python-env.js';
import { repoRoot, shopExampleDir } from '../../test/harness/repo.js';
import { median, round } from '../stall/metrics.js';

export const GOAL_RATIO = 0.5;

export interface Timing {
  label: string;
  command: string;
  /** Wall time of each run, in ms. */
  runs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface CliSpeedReport {
  benchmark: 'cli-speed';
  at: string;
  rounds: number;
  bgScaffold: Timing;
  makemigrations: Timing;
  /** bg-scaffold's median over makemigrations' median. */
  ratio: number;
  goal: { ratio: number; status: 'met' | 'missed' };
  environment: { node: string; python: string; django: string; cpus: number; loadAverage: number[] };
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
    const project = path.join(work, 'shop');
    await copyProject(shopExampleDir(), project);
    const bin = path.join(repoRoot(), 'bin', 'bg-scaffold.js');
    const args = ['rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--dry-run', '--yes', '--project', project];
    const childEnv: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
    delete childEnv.DATABASE_URL; // the project's SQLite fallback: no server to wait for
    delete childEnv.DJANGO_SETTINGS_MODULE;
    const contenders: Contender[] = [
      {
        label: 'bg-scaffold rename-column --dry-run',
        command: `node bin/bg-scaffold.js ${args.slice(0, -1).join(' ')} <copy of examples/shop>`,
        run: () => check(spawnSync(process.execPath, [bin, ...args], { env: childEnv, encoding: 'utf8' }), 'bg-scaffold'),
      },
      {
        label: 'manage.py makemigrations --dry-run',
        command: 'python manage.py makemigrations --dry-run (Django ' + env.django + ')',
        run: () => check(spawnSync(env.python, ['manage.py', 'makemigrations', '--dry-run'], { cwd: project, env: childEnv, encoding: 'utf8' }), 'makemigrations'),
      },
    ];
    for (const c of contenders) c.run(); // warm the file cache and Python's compiled modules
    const times: number[][] = contenders.map(() => []);
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first.
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        const started = process.hrtime.bigint();
        contenders[i]!.run();
        times[i]!.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }
    const [tool, django] = contenders.map((c, i) => timing(c, times[i]!)) as [Timing, Timing];
    const ratio = round(tool.medianMs / django.medianMs, 2);
    return {
      benchmark: 'cli-speed',
      at: new Date().toISOString(),
      rounds,
      bgScaffold: tool,
      makemigrations: django,
      ratio,
      goal: { ratio: GOAL_RATIO, status: ratio <= GOAL_RATIO ? 'met' : 'missed' },
      environment: { node: process.version, python: env.pythonVersion, django: env.django, cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => round(l, 2)) },
    };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
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
  const row = (t: Timing) => `| ${t.label} | ${t.medianMs} | ${t.minMs} | ${t.maxMs} |`;
  return [
    `${r.rounds} interleaved rounds, one new process per run; 1-min load average at the end ${r.environment.loadAverage[0]} on ${r.environment.cpus} CPUs.`,
    '',
    '| command | median ms | min ms | max ms |',
    '| --- | ---: | ---: | ---: |',
    row(r.bgScaffold),
    row(r.makemigrations),
    '',
    `Ratio (medians): ${r.ratio}× makemigrations; goal ≤ ${r.goal.ratio}×: **${r.goal.status}**.`,
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
