/**
 * The options every command shares, and their checks that need no project: enums, numbers,
 * intervals. What depends on the project (apps, fields, versions) is checked by the operations.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CommonOptions } from '../commands/types.js';
import { fail } from '../errors.js';
import type { Database } from '../project/types.js';
import { packSpec } from '../render/pack-spec.js';
import type { PromptFlags } from './interactive.js';

export const DATABASES: Database[] = ['postgresql', 'mysql', 'sqlite'];

/** How a run ends, beyond what the command layer needs. */
export interface RunOptions extends PromptFlags {
  dryRun: boolean;
  json: boolean;
}

/** Option values as commander hands them over (camelCased long names). */
export interface CommonFlags {
  project?: string;
  dryRun?: boolean;
  yes?: boolean;
  interactive?: boolean;
  json?: boolean;
  database?: Database;
  djangoVersion?: string;
  pack?: string[];
  lockTimeout?: string;
  lockRetries?: number;
  batchSize?: number;
  python?: string;
  settings?: string;
  django?: boolean;
}

export function addCommonOptions(command: Command): Command {
  return command
    .option('--project <dir>', 'the Django project, the folder with manage.py (default: the current directory)')
    .option('--dry-run', 'print the diff of every file it would write, and write nothing')
    .option('-y, --yes', 'do not ask; every missing answer is an error naming its flag')
    .option('--no-interactive', 'same as --yes')
    .option('--json', 'print a machine-readable summary on stdout (never asks)')
    .addOption(new Option('--database <name>', 'the database the migrations run on (default: read from settings)').choices(DATABASES))
    .addOption(
      new Option('--django-version <x.y>', 'the Django version to generate for (default: read from requirements)').argParser(
        parseDjangoVersion,
      ),
    )
    .option('--pack <dir|package>', 'a template pack (folder or npm package) overriding the built-in templates (repeatable; first wins)', collect)
    .addOption(new Option('--lock-timeout <interval>', 'lock_timeout of every DDL step, e.g. 1s or 500ms (default: the project config, else 1s)').argParser(parseInterval))
    .addOption(new Option('--lock-retries <n>', 'tries of a DDL step before the migration fails (default: the project config, else 10)').argParser(positiveInteger))
    .addOption(new Option('--batch-size <n>', 'rows per backfill batch (default: the project config, else 10000)').argParser(positiveInteger))
    .option('--python <path>', "the project's Python, with Django installed, to read the project through Django (default: BG_PYTHON, the config's python, the project's .venv or venv, else python3)")
    .option('--settings <module>', "the Django settings module (default: the config's settings, DJANGO_SETTINGS_MODULE, else manage.py's)")
    .option('--no-django', 'read models.py files statically instead of asking Django');
}

/** Splits commander's values into the command layer's options and the CLI's own. */
export function readCommonOptions(flags: CommonFlags, cwd: string): { common: CommonOptions; run: RunOptions } {
  const projectDir = path.resolve(cwd, flags.project ?? '.');
  requireDirectory(projectDir, `--project ${flags.project ?? '.'}`);
  const common: CommonOptions = {
    projectDir,
    database: flags.database,
    djangoVersion: flags.djangoVersion,
    // Folders resolve from where the command runs; npm package names from the project (src/render/pack-sources.ts).
    packs: flags.pack?.map((spec) => packSpec(spec, cwd)),
    lockTimeout: flags.lockTimeout,
    lockRetries: flags.lockRetries,
    batchSize: flags.batchSize,
    python: flags.python,
    settings: flags.settings,
    static: flags.django === false,
  };
  const run: RunOptions = {
    dryRun: flags.dryRun === true,
    json: flags.json === true,
    yes: flags.yes === true,
    interactive: flags.interactive,
  };
  return { common, run };
}

function requireDirectory(dir: string, what: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') fail(`${what}: permission denied (${dir})`);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') fail(`${what}: ${(error as Error).message}`);
  }
  if (!isDirectory) fail(`${what}: no such directory (${dir})`);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function positiveInteger(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidArgumentError('Expected a whole number of at least 1.');
  return Number(value);
}

/** A PostgreSQL interval for `SET LOCAL lock_timeout`: a number with ms, s or min (ms when bare). */
export function parseInterval(value: string): string {
  if (!/^[1-9][0-9]*(ms|s|min)?$/.test(value)) throw new InvalidArgumentError('Expected an interval like 1s, 500ms or 2min.');
  return value;
}

export function parseDjangoVersion(value: string): string {
  if (!/^[1-9][0-9]*\.[0-9]+$/.test(value)) throw new InvalidArgumentError('Expected major.minor, e.g. 5.2.');
  return value;
}
