/**
 * Asks Django: runs python/bg_scaffold_introspect.py with the project's own interpreter and
 * settings, and caches its report under `.bg-scaffold/.cache/`, keyed by the hash of every project
 * file Django imported, so that a run on an unchanged project starts no Python.
 *
 * Nothing here decides what the facts mean (see from-django.ts); this is the I/O edge.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../package-root.js';

// ---- the report's shape (python/bg_scaffold_introspect.py, FORMAT 1) ----------------------------

export interface SerializedValue {
  source?: string;
  imports?: string[];
  error?: string;
}

export interface FieldDefinition {
  callee?: string;
  args?: string[];
  kwargs?: Array<[string, string]>;
  imports?: string[];
  error?: string;
}

export interface DeclaredIn {
  class: string;
  /** True when the model's own class body writes the field. */
  model: boolean;
  file: string;
  line: number;
}

export interface RegistryRelation {
  model: string;
  table: string;
  relatedName: string | null;
  relatedQueryName: string | null;
  dbConstraint: boolean;
  onDelete?: string | null;
  toField?: string | null;
  column?: string;
  through?: string;
  throughTable?: string;
  throughAutoCreated?: boolean;
}

export interface RegistryField {
  name: string;
  class: string;
  classPath: string;
  declaredIn: DeclaredIn | null;
  kind: 'column' | 'many-to-many' | 'generic';
  /** A GenericForeignKey's content type and object id fields. */
  ctField?: string;
  fkField?: string;
  attname?: string;
  column: string | null;
  internalType?: string;
  null?: boolean;
  blank?: boolean;
  unique?: boolean;
  primaryKey?: boolean;
  dbIndex?: boolean;
  autoCreated?: boolean;
  parentLink?: boolean;
  maxLength?: number | null;
  hasDefault?: boolean;
  default?: SerializedValue | null;
  dbDefault?: SerializedValue | null;
  dbType?: string | null;
  pgType?: string | null;
  relation?: RegistryRelation | null;
  definition?: FieldDefinition;
}

export interface RegistryMeta {
  file: string | null;
  line: number | null;
  ordering: string[];
  uniqueTogether: string[][];
  indexTogether: string[][];
  indexes: Array<{ name: string; fields: string[]; expressions: string[]; condition: string | null; definition: SerializedValue }>;
  constraints: Array<{ name: string; type: string; fields: string[]; condition: string | null; definition: SerializedValue }>;
  getLatestBy: string | string[] | null;
  orderWithRespectTo: string | null;
  /** The options AlterModelOptions carries, serialized as the migration state holds them. */
  alterOptions?: Record<string, SerializedValue> | { error: string };
}

export interface RegistryModel {
  name: string;
  module: string;
  file: string | null;
  line: number | null;
  dbTable: string;
  proxy: boolean;
  managed: boolean;
  concreteModel: string;
  parents: string[];
  bases: string[];
  pk: string | null;
  ownSave: boolean;
  managers: Array<{ name: string; class: string; default: boolean }>;
  meta: RegistryMeta;
  fields: RegistryField[];
}

export interface RegistryApp {
  label: string;
  name: string;
  path: string | null;
  inProject: boolean;
  models: RegistryModel[];
}

export interface DjangoRegistry {
  ok: true;
  django: string;
  python: string;
  executable: string;
  settings: string;
  database: { alias: string; engine: string | null; vendor: string | null; error: string | null };
  apps: RegistryApp[];
  /** Project files (relative) Django imported: the cache key. */
  files: string[];
  /** Environment variables the settings read, and their values (null: unset): the cache key too. */
  environment: Record<string, string | null>;
  /** The interpreter's site-packages folders: a package installed, removed or upgraded changes them. */
  packageDirs?: string[];
  /** The project's folders the template engines load from (relative, posix): DIRS, and the apps' with APP_DIRS. */
  templateDirs?: string[];
}

// ---- choosing the interpreter and the settings --------------------------------------------------

export interface DjangoRuntimeChoice {
  /** `--python`, `BG_PYTHON`, the config's `python`, a virtualenv of the project, else `python3`. */
  python?: string;
  /** `--settings`, the config's `settings`, `DJANGO_SETTINGS_MODULE`, else manage.py's default. */
  settings?: string;
}

export interface DjangoRuntime {
  python: string;
  /** Why that interpreter: `--python`, `BG_PYTHON`, `.venv/bin/python`, `python3 on PATH`. */
  pythonSource: string;
  settings: string | null;
  settingsSource: string;
}

const VENV_DIRS = ['.venv', 'venv', 'env', '.env'];

/** The interpreter and settings module to introspect `root` with (pure but for file existence). */
export function chooseDjangoRuntime(root: string, choice: DjangoRuntimeChoice, env: NodeJS.ProcessEnv = process.env): DjangoRuntime {
  let python: string;
  let pythonSource: string;
  if (choice.python) {
    // A path is the project's (`.venv/bin/python`); a bare name is looked up on PATH (`python3.12`).
    python = choice.python.includes('/') ? path.resolve(root, choice.python) : choice.python;
    pythonSource = '--python';
  } else if (env.BG_PYTHON) {
    python = env.BG_PYTHON;
    pythonSource = 'BG_PYTHON';
  } else {
    const venv = findProjectVenv(root, env);
    python = venv?.python ?? 'python3';
    pythonSource = venv?.source ?? 'python3 on PATH';
  }
  let settings: string | null = null;
  let settingsSource = 'none found';
  if (choice.settings) {
    settings = choice.settings;
    settingsSource = '--settings';
  } else if (env.DJANGO_SETTINGS_MODULE) {
    settings = env.DJANGO_SETTINGS_MODULE;
    settingsSource = 'DJANGO_SETTINGS_MODULE';
  } else {
    const fromManage = settingsFromManagePy(root);
    if (fromManage) {
      settings = fromManage;
      settingsSource = 'manage.py';
    }
  }
  return { python, pythonSource, settings, settingsSource };
}

function findProjectVenv(root: string, env: NodeJS.ProcessEnv): { python: string; source: string } | null {
  let dir = path.resolve(root);
  for (let level = 0; level < 4; level += 1) {
    for (const name of VENV_DIRS) {
      const python = path.join(dir, name, 'bin', 'python');
      if (existsSync(path.join(dir, name, 'pyvenv.cfg')) && existsSync(python)) {
        return { python, source: path.relative(root, python) || python };
      }
    }
    const parent = path.dirname(dir);
    if (existsSync(path.join(dir, '.git')) || parent === dir) break;
    dir = parent;
  }
  if (env.VIRTUAL_ENV && existsSync(path.join(env.VIRTUAL_ENV, 'bin', 'python'))) {
    return { python: path.join(env.VIRTUAL_ENV, 'bin', 'python'), source: 'VIRTUAL_ENV' };
  }
  return null;
}

/** `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")` in manage.py. */
export function settingsFromManagePySource(text: string): string | null {
  return /DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']/.exec(text)?.[1] ?? null;
}

function settingsFromManagePy(root: string): string | null {
  try {
    return settingsFromManagePySource(readFileSync(path.join(root, 'manage.py'), 'utf8'));
  } catch {
    return null;
  }
}

// ---- running it, with the cache ------------------------------------------------------------------

export type IntrospectionOutcome =
  | { ok: true; registry: DjangoRegistry; cached: boolean; runtime: DjangoRuntime }
  | { ok: false; reason: string; runtime: DjangoRuntime };

export const INTROSPECT_SCRIPT = 'python/bg_scaffold_introspect.py';
export const CACHE_FILE = '.bg-scaffold/.cache/django-introspection.json';
/** Long enough for a large project on a busy machine; a hung settings import must not hang the CLI. */
const INTROSPECT_TIMEOUT_MS = 120_000;

/**
 * A report and what it depends on: the interpreter and settings (`key`), the hash of every project
 * file Django imported, and every environment variable the settings read.
 */
interface CacheDocument {
  key: string;
  files: Record<string, string>;
  /** Modification times of the site-packages folders. */
  packages: Record<string, number>;
  registry: DjangoRegistry;
}

async function packageTimes(dirs: string[]): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  for (const dir of dirs) {
    try {
      times[dir] = (await stat(dir)).mtimeMs;
    } catch {
      times[dir] = -1;
    }
  }
  return times;
}

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

function cacheKey(runtime: DjangoRuntime): string {
  const script = readFileSync(path.join(packageRoot(), INTROSPECT_SCRIPT));
  return sha256(JSON.stringify({ script: sha256(script), python: runtime.python, settings: runtime.settings }));
}

async function fileHashes(root: string, files: string[]): Promise<Record<string, string> | null> {
  const hashes: Record<string, string> = {};
  for (const file of files) {
    try {
      hashes[file] = sha256(await readFile(path.join(root, file)));
    } catch {
      return null;
    }
  }
  return hashes;
}

/** The document's report, when nothing it depends on has changed since. */
async function stillValid(document: CacheDocument | null, root: string, key: string, env: NodeJS.ProcessEnv): Promise<DjangoRegistry | null> {
  if (!document || document.key !== key || !document.registry?.ok) return null;
  const environment = document.registry.environment ?? {};
  const changed = ([name, value]: [string, string | null]) => !SET_BY_US.has(name) && (env[name] ?? null) !== value;
  if (Object.entries(environment).some(changed)) return null;
  const now = await fileHashes(root, Object.keys(document.files));
  if (!now || Object.entries(document.files).some(([file, hash]) => now[file] !== hash)) return null;
  const packages = await packageTimes(Object.keys(document.packages ?? {}));
  if (Object.entries(document.packages ?? {}).some(([dir, time]) => packages[dir] !== time)) return null;
  return document.registry;
}

/** Variables the introspection sets for itself (the settings module is part of the key). */
const SET_BY_US = new Set(['DJANGO_SETTINGS_MODULE', 'PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED']);

/**
 * The report the last run that asked Django cached, without checking that it still holds (no file
 * is hashed, no Python started): for what changes only when packages do, the installed apps'
 * models. Null when there is none.
 */
export async function readCachedRegistry(root: string): Promise<DjangoRegistry | null> {
  const document = await readCache(root);
  return document?.registry?.ok ? document.registry : null;
}

async function readCache(root: string): Promise<CacheDocument | null> {
  try {
    return JSON.parse(await readFile(path.join(root, CACHE_FILE), 'utf8')) as CacheDocument;
  } catch {
    return null;
  }
}

/**
 * Cache documents waiting to be written: a run writes its cache only when it ends without a
 * bad-input error, so that a refused run leaves the tree as it found it. Each run of `main()` has
 * its own (`withIntrospectionRun`), so that runs sharing a process (tests, the matrix) never write
 * each other's caches into a tree another run is committing to.
 */
const runs = new AsyncLocalStorage<Map<string, string>>();
const outsideAnyRun = new Map<string, string>();

function pendingCacheWrites(): Map<string, string> {
  return runs.getStore() ?? outsideAnyRun;
}

/** Runs `work` as one run of the tool: the caches it reads are written, or discarded, on their own. */
export function withIntrospectionRun<T>(work: () => Promise<T>): Promise<T> {
  return runs.run(new Map(), work);
}

/** Writes the introspection caches of this run (see `pendingCacheWrites`). Never fails the run. */
export async function flushIntrospectionCache(): Promise<void> {
  for (const [file, text] of pendingCacheWrites()) {
    try {
      await mkdir(path.dirname(file), { recursive: true });
      const ignore = path.join(path.dirname(file), '.gitignore');
      if (!existsSync(ignore)) await writeFile(ignore, '# bg-scaffold cache: safe to delete\n*\n');
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, text);
      await rename(temporary, file);
    } catch {
      // A read-only checkout just runs Python each time.
    }
  }
  endRun();
}

/** Forgets this run's report without caching it (the run was refused). */
export function discardIntrospectionCache(): void {
  endRun();
}

function endRun(): void {
  pendingCacheWrites().clear();
}

/** Reports of this process, by project root: checked like the file cache before each use. */
const reportsThisProcess = new Map<string, CacheDocument>();

interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
  spawnError: string | null;
}

function runScript(python: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const child = spawn(python, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), INTROSPECT_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, spawnError: error.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, spawnError: null });
    });
  });
}

/** The project's registry as Django reports it, from the cache when nothing it read has changed. */
export async function introspectDjango(root: string, choice: DjangoRuntimeChoice, env: NodeJS.ProcessEnv = process.env): Promise<IntrospectionOutcome> {
  const runtime = chooseDjangoRuntime(root, choice, env);
  if (!runtime.settings) return { ok: false, reason: 'no settings module (pass --settings)', runtime };
  const key = cacheKey(runtime);
  // One run may discover twice (the prompts, then the command): the second finds the first's report.
  const remembered = await stillValid(reportsThisProcess.get(root) ?? null, root, key, env);
  if (remembered) return { ok: true, registry: remembered, cached: true, runtime };
  const cached = await stillValid(await readCache(root), root, key, env);
  if (cached) return { ok: true, registry: cached, cached: true, runtime };

  const script = path.join(packageRoot(), INTROSPECT_SCRIPT);
  const childEnv: NodeJS.ProcessEnv = { ...env, DJANGO_SETTINGS_MODULE: runtime.settings, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
  const result = await runScript(runtime.python, [script, '--root', root, '--settings', runtime.settings], root, childEnv);
  if (result.spawnError) return { ok: false, reason: `${runtime.python} (${runtime.pythonSource}) did not start: ${result.spawnError}`, runtime };
  const line = result.stdout.trim().split('\n').pop() ?? '';
  let report: DjangoRegistry | { ok: false; stage: string; error: string };
  try {
    report = JSON.parse(line) as typeof report;
  } catch {
    const why = (result.stderr || result.stdout).trim().split('\n').pop() ?? `exit ${result.code}`;
    return { ok: false, reason: `${runtime.python} (${runtime.pythonSource}) failed: ${why}`, runtime };
  }
  if (!report.ok) return { ok: false, reason: report.error, runtime };
  const files = await fileHashes(root, report.files);
  if (files) {
    const document: CacheDocument = { key, files, packages: await packageTimes(report.packageDirs ?? []), registry: report };
    reportsThisProcess.set(root, document);
    pendingCacheWrites().set(path.join(root, CACHE_FILE), `${JSON.stringify(document)}\n`);
  }
  return { ok: true, registry: report, cached: false, runtime };
}
