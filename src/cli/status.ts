/** `bg-scaffold status`: every change in flight, its phase, what comes next and how long it has waited. */
import { Command } from 'commander';
import { projectStatus, type ChangeStatus, type StatusReport } from '../check/status.js';
import { progressIndicator, projectRoot } from './check.js';
import type { CommandContext } from './run-command.js';

interface StatusFlags {
  project?: string;
  json?: boolean;
}

export function statusCommand(context: CommandContext): Command {
  const command = new Command('status')
    .description('list every change in the project: its phase, what the next phase does, and how long it has waited')
    .option('--project <dir>', 'the Django project, the folder with manage.py (default: the current directory)')
    .option('--json', 'print the changes as JSON on stdout');
  command.addHelpText(
    'after',
    [
      '',
      'Changes are read from .bg-scaffold/*/plan.json and from the markers bg-scaffold stamps into code and',
      'migrations. The wait is counted from the git commit of the current phase\'s migration, or, outside',
      'git or before that commit, from the date the phase was applied.',
    ].join('\n'),
  );
  return command.action(async (flags: StatusFlags) => {
    const dir = projectRoot(flags.project, context.cwd);
    const report = await projectStatus(dir, { now: new Date(), onProgress: progressIndicator(context.io, 'status') });
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
  if (change.next) lines.push(`  next: phase ${change.next.phase}/${change.phases}, ${change.next.title}`, `        ${change.next.command}`);
  if (change.waitingSince && !change.complete) {
    const source = change.dateSource === 'git' ? 'git commit' : 'record';
    lines.push(`  waiting: ${days(change.waitedDays ?? 0)} (since ${change.waitingSince.slice(0, 10)}, ${source})`);
  } else if (change.waitingSince) {
    lines.push(`  last phase generated: ${change.waitingSince.slice(0, 10)}`);
  }
  return `${lines.join('\n')}\n`;
}

function days(count: number): string {
  return count === 1 ? '1 day' : `${count} days`;
}
