/**
 * The project's own bg-scaffold settings: template packs, lock/batch defaults, how Django is asked,
 * and how strict `check` is. Read-only.
 *
 * They live in one of three files in the project folder (the one with manage.py). The first of
 * these that has bg-scaffold settings is used, and the others are ignored (settings are never
 * merged across files):
 *   1. `bg-scaffold.config.json`  `{ "packs": [...], "lockTimeout": "2s", "check": { "strict": true }, ... }`
 *   2. `pyproject.toml`           `[tool.bg-scaffold]` with `packs = [...]`, `lock_timeout = "2s"`, ...,
 *                                 and `[tool.bg-scaffold.check]` with `strict = true`
 *   3. `package.json`             `"bg-scaffold": { "packs": [...], "lockTimeout": "2s", "check": { "strict": true }, ... }`
 * A file of its own is the most explicit statement, so it comes first; pyproject.toml is the
 * Python project's home, so it comes before package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../errors.js';
import { parseToml, TomlError, type TomlTable, type TomlValue } from './toml.js';

export interface ProjectConfig {
  /** Where the settings came from, e.g. `pyproject.toml [tool.bg-scaffold]`; null when no file has any. */
  source: string | null;
  /** Template packs, in order: folders (relative to the project folder) or npm package names. */
  packs: string[];
  /** Defaults for --lock-timeout, --lock-retries and --batch-size; flags win. */
  lockTimeout?: string;
  lockRetries?: number;
  batchSize?: number;
  /** The interpreter and settings module Django is asked with (relative paths from the project folder). */
  python?: string;
  settings?: string;
  /** `check.strict`: possible references (the receiver is unknown) fail `check` too, as `--strict` does. */
  checkStrict?: boolean;
}

/** The settings of one file, keyed as that file spells them. */
interface Dialect {
  file: string;
  /** How messages name the settings: `pyproject.toml [tool.bg-scaffold]`. */
  where: string;
  keys: { packs: string; lockTimeout: string; lockRetries: string; batchSize: string; python: string; settings: string; check: string };
  /** The bg-scaffold settings of the file's text, or undefined when it has none. */
  section(text: string): unknown;
}

const CAMEL_KEYS = { packs: 'packs', lockTimeout: 'lockTimeout', lockRetries: 'lockRetries', batchSize: 'batchSize', python: 'python', settings: 'settings', check: 'check' };

export const CONFIG_FILES: readonly Dialect[] = [
  {
    file: 'bg-scaffold.config.json',
    where: 'bg-scaffold.config.json',
    keys: CAMEL_KEYS,
    section: (text) => parseJson(text, 'bg-scaffold.config.json'),
  },
  {
    file: 'pyproject.toml',
    where: 'pyproject.toml [tool.bg-scaffold]',
    keys: { packs: 'packs', lockTimeout: 'lock_timeout', lockRetries: 'lock_retries', batchSize: 'batch_size', python: 'python', settings: 'settings', check: 'check' },
    section: (text) => {
      // A TOML feature this reader does not know must not block projects that never configure us.
      if (!text.includes('bg-scaffold')) return undefined;
      let document: TomlTable;
      try {
        document = parseToml(text);
      } catch (error) {
        if (error instanceof TomlError) fail(`pyproject.toml: ${error.message}; fix it, or move the bg-scaffold settings to bg-scaffold.config.json`);
        throw error;
      }
      const tool = document.tool;
      return tool && typeof tool === 'object' && !Array.isArray(tool) ? (tool as TomlTable)['bg-scaffold'] : undefined;
    },
  },
  {
    file: 'package.json',
    where: 'package.json "bg-scaffold"',
    keys: CAMEL_KEYS,
    section: (text) => {
      const json = parseJson(text, 'package.json');
      return json && typeof json === 'object' ? (json as Record<string, unknown>)['bg-scaffold'] : undefined;
    },
  },
];

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    fail(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Reads the settings of the first config file in `projectDir` that has bg-scaffold settings. */
export function readProjectConfig(projectDir: string): ProjectConfig {
  for (const dialect of CONFIG_FILES) {
    const path = join(projectDir, dialect.file);
    if (!existsSync(path)) continue;
    const section = dialect.section(readFileSync(path, 'utf8'));
    if (section !== undefined) return projectConfigFrom(section, dialect);
  }
  return { source: null, packs: [] };
}

/** Config files in `projectDir` that have bg-scaffold settings, in precedence order (for `templates list`). */
export function configFilesWithSettings(projectDir: string): string[] {
  return CONFIG_FILES.filter((dialect) => {
    const path = join(projectDir, dialect.file);
    try {
      return existsSync(path) && dialect.section(readFileSync(path, 'utf8')) !== undefined;
    } catch {
      return false;
    }
  }).map((dialect) => dialect.where);
}

/** Checks one file's settings; every problem names the file and the key. */
export function projectConfigFrom(section: unknown, dialect: Dialect): ProjectConfig {
  const { where, keys } = dialect;
  if (!section || typeof section !== 'object' || Array.isArray(section)) fail(`${where} must be a table of settings`);
  const settings = section as Record<string, TomlValue | unknown>;
  const known = Object.values(keys);
  for (const key of Object.keys(settings)) {
    if (!known.includes(key)) fail(`${where}: unknown setting "${key}"; bg-scaffold reads ${known.join(', ')}`);
  }
  const config: ProjectConfig = { source: where, packs: [] };

  const packs = settings[keys.packs];
  if (packs !== undefined) {
    if (!Array.isArray(packs) || packs.some((pack) => typeof pack !== 'string' || pack.trim() === '')) {
      fail(`${where}: "${keys.packs}" must be a list of folders or npm package names, e.g. ["./bg-templates"]`);
    }
    config.packs = packs as string[];
  }
  const lockTimeout = settings[keys.lockTimeout];
  if (lockTimeout !== undefined) {
    if (typeof lockTimeout !== 'string' || !/^[1-9][0-9]*(ms|s|min)?$/.test(lockTimeout)) {
      fail(`${where}: "${keys.lockTimeout}" must be an interval like "1s", "500ms" or "2min"`);
    }
    config.lockTimeout = lockTimeout;
  }
  const python = settings[keys.python];
  if (python !== undefined) {
    if (typeof python !== 'string' || python.trim() === '') fail(`${where}: "${keys.python}" must be the path of a Python interpreter, e.g. ".venv/bin/python"`);
    config.python = python;
  }
  const settingsModule = settings[keys.settings];
  if (settingsModule !== undefined) {
    if (typeof settingsModule !== 'string' || !/^[A-Za-z_][\w.]*$/.test(settingsModule)) fail(`${where}: "${keys.settings}" must be a dotted settings module, e.g. "config.settings"`);
    config.settings = settingsModule;
  }
  const check = settings[keys.check];
  if (check !== undefined) {
    if (!check || typeof check !== 'object' || Array.isArray(check)) fail(`${where}: "${keys.check}" must be a table of settings, e.g. { "strict": true }`);
    for (const [key, value] of Object.entries(check as Record<string, unknown>)) {
      if (key !== 'strict') fail(`${where}: unknown setting "${keys.check}.${key}"; bg-scaffold reads ${keys.check}.strict`);
      if (typeof value !== 'boolean') fail(`${where}: "${keys.check}.strict" must be true or false`);
      config.checkStrict = value;
    }
  }
  for (const name of ['lockRetries', 'batchSize'] as const) {
    const value = settings[keys[name]];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`${where}: "${keys[name]}" must be a whole number of at least 1`);
    config[name] = value;
  }
  return config;
}
