/**
 * `python manage.py bg_scaffold_backfill`: the command that works background backfills
 * (`--backfill background`) lives in the runtime copy beside an app's migrations; Django finds
 * commands only in `<app>/management/commands/`, so a one-line module there points at it.
 */
import { posix } from 'node:path';
import { RUNTIME_MODULE } from './runtime.js';

export const BACKFILL_COMMAND_NAME = 'bg_scaffold_backfill';

export interface CommandFile {
  /** Relative posix path from the project root. */
  path: string;
  content: string;
  /** Written only when no file is there yet (the packages' `__init__.py`, and the command once per app). */
  onlyWhenMissing: true;
}

/** The files that make `manage.py bg_scaffold_backfill` run the runtime's command, for the app whose migrations are in `migrationsDir`. */
export function backfillCommandFiles(migrationsDir: string): CommandFile[] {
  const appDir = posix.dirname(migrationsDir);
  const commands = posix.join(appDir, 'management', 'commands');
  const command = [
    `# Written by bg-scaffold: \`python manage.py ${BACKFILL_COMMAND_NAME}\` works the background backfills`,
    '# that migrations registered (--backfill background), in batches, resumable, several workers at once.',
    '# The command is the runtime copy beside the migrations; this module only lets Django find it.',
    `from ...migrations.${RUNTIME_MODULE} import BackfillCommand as Command`,
    '',
    '__all__ = ["Command"]',
    '',
  ].join('\n');
  return [
    { path: posix.join(appDir, 'management', '__init__.py'), content: '', onlyWhenMissing: true },
    { path: posix.join(commands, '__init__.py'), content: '', onlyWhenMissing: true },
    { path: posix.join(commands, `${BACKFILL_COMMAND_NAME}.py`), content: command, onlyWhenMissing: true },
  ];
}
