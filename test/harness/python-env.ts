import { existsSync, readdirSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withFileLock } from './lock.js';
import { probe, runChecked } from './process.js';
import { cacheDir, harnessLog, repoRoot } from './repo.js';

/** The Django release lines the tests run against: the 5.2 LTS and whatever is newest on the index. */
export type DjangoLine = '5.2' | 'latest';
export const DJANGO_LINES: readonly DjangoLine[] = ['5.2', 'latest'];

export interface DjangoEnv {
  line: DjangoLine;
  /** Exact installed Django version, e.g. "5.2.8". */
  django: string;
  /** The virtualenv's python: run manage.py with it. */
  python: string;
  pythonVersion: string;
  venvDir: string;
  /** The base interpreter the virtualenv was created from. */
  interpreter: string;
}

export interface PythonInterpreter {
  /** sys.executable of the interpreter (pyenv shims resolved). */
  path: string;
  version: string;
  /** Why it was chosen: "BG_PYTHON", "python3 on PATH", "pyenv 3.13.0", ... */
  source: string;
}

export type InterpreterChoice = { ok: true; interpreter: PythonInterpreter } | { ok: false; problem: string };

interface LineSpec {
  requirements: readonly string[];
  minPython: readonly [number, number];
  label: string;
}

/**
 * ruff rides along in the 5.2 env: tests use it to check generated Python. django-safemigrate
 * (requires Django >= 4.2, no upper bound) is imported by migrations rendered with the example
 * pack examples/packs/safemigrate, which the matrix runs. django-migration-linter
 * (`lintmigrations`) and squawk-cli (squawk's binary wheel) are the migration linters teams run:
 * tests run them on the generated migrations.
 */
export const DJANGO_LINE_SPECS: Readonly<Record<DjangoLine, LineSpec>> = {
  '5.2': {
    requirements: ['Django>=5.2,<5.3', 'psycopg[binary]>=3.1', 'ruff', 'django-safemigrate', 'django-migration-linter', 'squawk-cli'],
    minPython: [3, 10],
    label: 'Django 5.2 LTS',
  },
  latest: { requirements: ['Django', 'psycopg[binary]>=3.1', 'django-safemigrate'], minPython: [3, 12], label: 'the newest Django' },
};

/** Generous: a cold install downloads Django, psycopg and ruff wheels. */
export const PROVISION_TIMEOUT_MS = 20 * 60_000;

const MARKER = 'bg-scaffold-env.json';

interface EnvMarker {
  requirements: string[];
  interpreter: string;
  django: string;
  pythonVersion: string;
}

const provisioned = new Map<DjangoLine, Promise<DjangoEnv>>();

/**
 * A project-local virtualenv (`.cache/venvs/django-<line>`) with Django, psycopg (and ruff for 5.2).
 * The first call in a checkout installs it (a minute or so); later calls read a marker file and return
 * at once. Safe when several test processes ask at the same time.
 */
export function ensureDjangoEnv(line: DjangoLine): Promise<DjangoEnv> {
  let pending = provisioned.get(line);
  if (!pending) {
    pending = provisionDjangoEnv(line);
    pending.catch(() => provisioned.delete(line));
    provisioned.set(line, pending);
  }
  return pending;
}

/** ruff from the 5.2 env, for tests that check the formatting of generated Python. */
export async function ruffBinary(): Promise<string> {
  const env = await ensureDjangoEnv('5.2');
  return path.join(env.venvDir, 'bin', 'ruff');
}

/** squawk from the 5.2 env (the squawk-cli wheel), for tests that lint what sqlmigrate prints. */
export async function squawkBinary(): Promise<string> {
  const env = await ensureDjangoEnv('5.2');
  const squawk = path.join(env.venvDir, 'bin', 'squawk');
  if (!existsSync(squawk)) throw new Error(`${squawk} is missing: the ${DJANGO_LINE_SPECS['5.2'].label} virtualenv should have squawk-cli; delete ${env.venvDir} to rebuild it.`);
  return squawk;
}

export function venvDirFor(line: DjangoLine): string {
  return path.join(cacheDir(), 'venvs', `django-${line}`);
}

async function provisionDjangoEnv(line: DjangoLine): Promise<DjangoEnv> {
  const choice = chooseInterpreter(line);
  if (!choice.ok) throw new Error(choice.problem);
  const interpreter = choice.interpreter;
  const spec = DJANGO_LINE_SPECS[line];
  const venvDir = venvDirFor(line);
  const env =
    (await readReadyEnv(line, venvDir, spec, interpreter)) ??
    (await withFileLock(
      `${venvDir}.lock`,
      async () =>
        (await readReadyEnv(line, venvDir, spec, interpreter)) ??
        (await topUpEnv(line, venvDir, spec, interpreter)) ??
        (await buildEnv(line, venvDir, spec, interpreter)),
      { label: `the ${spec.label} virtualenv` },
    ));
  harnessLog(
    `Django ${env.django} (${spec.label}) on Python ${env.pythonVersion} from ${interpreter.path} [${interpreter.source}], venv ${path.relative(repoRoot(), venvDir)}`,
  );
  return env;
}

async function readReadyEnv(line: DjangoLine, venvDir: string, spec: LineSpec, interpreter: PythonInterpreter): Promise<DjangoEnv | undefined> {
  let marker: EnvMarker;
  try {
    marker = JSON.parse(await fs.readFile(path.join(venvDir, MARKER), 'utf8')) as EnvMarker;
  } catch {
    return undefined;
  }
  const python = path.join(venvDir, 'bin', 'python');
  const sameSpec = JSON.stringify(marker.requirements) === JSON.stringify(spec.requirements) && marker.interpreter === interpreter.path;
  if (!sameSpec || !existsSync(python)) return undefined;
  return { line, django: marker.django, python, pythonVersion: marker.pythonVersion, venvDir, interpreter: interpreter.path };
}

/**
 * A ready env whose requirements are a subset of the spec's (a requirement was added) gets the new
 * ones installed in place, rather than being rebuilt under the test processes that may be using it.
 */
async function topUpEnv(line: DjangoLine, venvDir: string, spec: LineSpec, interpreter: PythonInterpreter): Promise<DjangoEnv | undefined> {
  let marker: EnvMarker;
  try {
    marker = JSON.parse(await fs.readFile(path.join(venvDir, MARKER), 'utf8')) as EnvMarker;
  } catch {
    return undefined;
  }
  const python = path.join(venvDir, 'bin', 'python');
  const missing = spec.requirements.filter((requirement) => !marker.requirements.includes(requirement));
  const subset = marker.requirements.every((requirement) => spec.requirements.includes(requirement));
  if (!subset || missing.length === 0 || marker.interpreter !== interpreter.path || !existsSync(python)) return undefined;
  harnessLog(`adding ${missing.join(', ')} to ${path.relative(repoRoot(), venvDir)}`);
  const pipEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PYTHONDONTWRITEBYTECODE: '1' };
  await runChecked(python, ['-m', 'pip', 'install', '--progress-bar', 'off', '--quiet', ...missing], { env: pipEnv, timeoutMs: PROVISION_TIMEOUT_MS });
  const updated: EnvMarker = { ...marker, requirements: [...spec.requirements] };
  await fs.writeFile(path.join(venvDir, MARKER), JSON.stringify(updated, null, 2) + '\n');
  return { line, django: marker.django, python, pythonVersion: marker.pythonVersion, venvDir, interpreter: interpreter.path };
}

async function buildEnv(line: DjangoLine, venvDir: string, spec: LineSpec, interpreter: PythonInterpreter): Promise<DjangoEnv> {
  const started = Date.now();
  harnessLog(`creating ${path.relative(repoRoot(), venvDir)} with Python ${interpreter.version} (${interpreter.path}) for ${spec.label}`);
  await fs.rm(venvDir, { recursive: true, force: true });
  await fs.mkdir(path.dirname(venvDir), { recursive: true });
  try {
    await runChecked(interpreter.path, ['-m', 'venv', venvDir], { timeoutMs: PROVISION_TIMEOUT_MS });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nCannot create a virtualenv with ${interpreter.path}: install the venv module (Debian: apt-get install python3-venv) or point BG_PYTHON at another interpreter.`,
    );
  }
  const python = path.join(venvDir, 'bin', 'python');
  const pipEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PYTHONDONTWRITEBYTECODE: '1' };
  await runChecked(python, ['-m', 'pip', 'install', '--progress-bar', 'off', '--quiet', ...spec.requirements], {
    env: pipEnv,
    timeoutMs: PROVISION_TIMEOUT_MS,
  });
  const versions = await runChecked(
    python,
    ['-c', 'import sys, django; print(django.get_version()); print("%d.%d.%d" % sys.version_info[:3])'],
    { env: pipEnv, timeoutMs: PROVISION_TIMEOUT_MS },
  );
  const [django, pythonVersion] = versions.trim().split('\n');
  const marker: EnvMarker = { requirements: [...spec.requirements], interpreter: interpreter.path, django, pythonVersion };
  await fs.writeFile(path.join(venvDir, MARKER), JSON.stringify(marker, null, 2) + '\n');
  harnessLog(`installed ${spec.requirements.join(', ')} → Django ${django} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { line, django, python, pythonVersion, venvDir, interpreter: interpreter.path };
}

const choices = new Map<DjangoLine, InterpreterChoice>();
let discovered: PythonInterpreter[] | undefined;

/**
 * The interpreter for a Django line: BG_PYTHON when set; for the newest Django the newest Python ≥ 3.12
 * found as python3.1x on PATH or under pyenv; for 5.2 `python3` (≥ 3.10), else the newest suitable one.
 */
export function chooseInterpreter(line: DjangoLine): InterpreterChoice {
  let choice = choices.get(line);
  if (!choice) {
    choice = pickInterpreter(line, process.env.BG_PYTHON, () => (discovered ??= discoverInterpreters()));
    choices.set(line, choice);
  }
  return choice;
}

/** Pure choice over a discovery function, so that the rules can be tested without real interpreters. */
export function pickInterpreter(
  line: DjangoLine,
  bgPython: string | undefined,
  discover: () => PythonInterpreter[],
): InterpreterChoice {
  const spec = DJANGO_LINE_SPECS[line];
  const min = spec.minPython.join('.');
  if (bgPython) {
    const forced = inspectInterpreter(bgPython, 'BG_PYTHON');
    if (!forced) return { ok: false, problem: `BG_PYTHON=${bgPython} does not run as a Python interpreter.` };
    if (!atLeast(forced.version, spec.minPython)) {
      return { ok: false, problem: `BG_PYTHON=${bgPython} is Python ${forced.version}; ${spec.label} needs Python >= ${min}.` };
    }
    return { ok: true, interpreter: forced };
  }
  const suitable = discover().filter((candidate) => atLeast(candidate.version, spec.minPython));
  if (line === '5.2') {
    const python3 = suitable.find((candidate) => candidate.source === 'python3 on PATH');
    if (python3) return { ok: true, interpreter: python3 };
  }
  const newest = [...suitable].sort((a, b) => compareVersions(b.version, a.version))[0];
  if (newest) return { ok: true, interpreter: newest };
  return {
    ok: false,
    problem:
      `No Python >= ${min} for ${spec.label}: install one (Debian: apt-get install python3 python3-venv; ` +
      `or pyenv install 3.13) or set BG_PYTHON=/path/to/python${spec.minPython.join('.')}+.`,
  };
}

/** python3, python3.1x on PATH and pyenv's versions, each run once to learn its real path and version. */
function discoverInterpreters(): PythonInterpreter[] {
  const found: PythonInterpreter[] = [];
  const add = (command: string, source: string) => {
    const interpreter = inspectInterpreter(command, source);
    if (interpreter && !found.some((known) => known.path === interpreter.path)) found.push(interpreter);
  };
  const root = pyenvRoot();
  add('python3', 'python3 on PATH');
  for (const minor of [14, 13, 12, 11, 10]) {
    const onPath = whichCommand(`python3.${minor}`);
    // pyenv's shims fail for versions that are not selected; its versions are enumerated below instead.
    if (onPath && !onPath.startsWith(path.join(root, 'shims') + path.sep)) add(onPath, `python3.${minor} on PATH`);
  }
  const versionsDir = path.join(root, 'versions');
  let versions: string[] = [];
  try {
    versions = readdirSync(versionsDir).filter((name) => /^3\.\d+\.\d+$/.test(name));
  } catch {
    // no pyenv
  }
  for (const version of versions.sort((a, b) => compareVersions(b, a))) {
    if (!atLeast(version, [3, 10])) continue;
    const python = path.join(versionsDir, version, 'bin', 'python3');
    if (existsSync(python)) add(python, `pyenv ${version}`);
  }
  return found;
}

function whichCommand(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function pyenvRoot(): string {
  return process.env.PYENV_ROOT || probe('pyenv', ['root'], 5_000)?.trim() || path.join(os.homedir(), '.pyenv');
}

/** Runs the interpreter once; undefined when it does not run (pyenv shims for versions not selected fail). */
function inspectInterpreter(command: string, source: string): PythonInterpreter | undefined {
  const out = probe(command, ['-c', 'import sys; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3])']);
  const [executable, version] = out?.trim().split('\n') ?? [];
  if (!executable || !version) return undefined;
  return { path: executable, version, source };
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function atLeast(version: string, min: readonly [number, number]): boolean {
  return compareVersions(version, min.join('.')) >= 0;
}
