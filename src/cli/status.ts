/** `bg-scaffold status`: every change in flight, its phase, what comes next and how long it has waited. */
import { Command } from 'commander';
import { projectStatus, type ChangeStatus, type StatusReport } from '../check/status.js';
import { describeBackfill } from '../check/backfills.js';
import { parseEnvironment } from '../check/environments.js';
import { chooseDjangoRuntime } from '../project/introspect.js';
import { progressIndicator, projectRoot } from './check.js';
import type { CommandContext } from './run-command.js';

interface StatusFlags {
  project?: string;
  json?: boolean;
  databaseUrl: string[];
  python?: string;
}

export function statusCommand(context: CommandContext): Command {
  const command = new Command('status')
    .description('list every change in the project: its phase, what the next phase does, and how long it has waited')
    .option('--project <dir>', 'the Django project, the folder with manage.py (default: the current directory)')
    .option('--json', 'print the changes as JSON on stdout')
    .option(
      '--database-url <[name=]url>',
      "an environment's database (postgres:// or sqlite:///PATH): say which phases its django_migrations has applied; repeat for each environment",
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option('--python <path>', "with --database-url, the Python that reads SQLite files and servers when psql is missing (default: as for generation)");
  command.addHelpText(
    'after',
    [
      '',
      'Changes are read from .bg-scaffold/*/plan.json and from the markers bg-scaffold stamps into code and',
      'migrations. The wait is counted from the git commit of the current phase\'s migration, or, outside',
      'git or before that commit, from the date the phase was applied.',
      '',
      'A phase is generated into the tree; it is applied where its migration has run. With --database-url',
      "status reads each environment's django_migrations and says which phases ran there:",
      '  bg-scaffold status --database-url staging=postgres://... --database-url production=postgres://...',
    ].join('\n'),
  );
  return command.action(async (flags: StatusFlags) => {
    const dir = projectRoot(flags.project, context.cwd);
    const environments = flags.databaseUrl.map(parseEnvironment);
    const python = environments.length > 0 ? chooseDjangoRuntime(dir, { python: flags.python }).python : undefined;
    const report = await projectStatus(dir, { now: new Date(), onProgress: progressIndicator(context.io, 'status'), environments, python });
    context.io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
  });
}

export function formatStatus(report: StatusReport): string {
  if (report.changes.length === 0) return 'no changes: .bg-scaffold/ holds no change records and no markers were found\n';
  return `${report.changes.map(formatChange).join('\n')}\n`;
}

function formatChange(change: ChangeStatus): string {
  const how = [change.op, change.strategy].filter(Boolean).join(', ');
  // Generated, not applied: which databases have run a phase's migration, only they know.
  const state = change.complete ? (change.phases === 1 ? 'its 1 phase generated' : `all ${change.phases} phases generated`) : `phase ${change.phase}/${change.phases} generated`;
  const lines = [`${change.change} (${how}): ${state}`];
  if (change.app && change.model) lines.push(`  model: ${change.app}.${change.model}`);
  if (!change.recorded) lines.push(`  no record: only markers in the code name this change (bg-scaffold check reports them)`);
  for (const where of change.environments ?? []) {
    lines.push(`  ${where.environment}: ${appliedIn(where.applied, change.phases)}`);
    for (const backfill of where.backfills ?? []) lines.push(`    background backfill ${describeBackfill(backfill)}`);
  }
  if (change.next) lines.push(`  next: phase ${change.next.phase}/${change.phases}, ${change.next.title}`, `        ${change.next.command}`);
  if (change.waitingSince && !change.complete) {
    const source = change.dateSource === 'git' ? 'git commit' : 'record';
    lines.push(`  waiting: ${days(change.waitedDays ?? 0)} (since ${change.waitingSince.slice(0, 10)}, ${source})`);
  } else if (change.waitingSince) {
    lines.push(`  last phase generated: ${change.waitingSince.slice(0, 10)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `phase 1/2 applied`, `no phase applied yet`, or the phases when they do not follow each other. */
function appliedIn(phases: number[], total: number): string {
  if (phases.length === 0) return 'no phase applied yet';
  const inOrder = phases.every((phase, i) => phase === i + 1);
  return inOrder ? `phase ${phases.length}/${total} applied` : `phases ${phases.join(', ')} of ${total} applied (not in order: check its migrations)`;
}

function days(count: number): string {
  return count === 1 ? '1 day' : `${count} days`;
}
