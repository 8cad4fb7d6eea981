/**
 * `bg-scaffold upgrade-runtime`: the runtime this bg-scaffold ships, written into every migrations
 * folder whose copy is older or edited, all or nothing. Exit 0 done (or nothing to do), 2 bad input.
 */
import { Command } from 'commander';
import { staleRuntimeMessage } from '../check/stale-runtime.js';
import { RUNTIME_MODULE, RUNTIME_VERSION, runtimeFileName } from '../runtime/runtime.js';
import { stageRuntimeUpgrade, type RuntimeWrite } from '../runtime/upgrade.js';
import { fileAction } from '../stage/staged-tree.js';
import { projectRoot } from './check.js';
import type { CommandContext } from './run-command.js';

interface UpgradeRuntimeFlags {
  project?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function upgradeRuntimeCommand(context: CommandContext): Command {
  const command = new Command('upgrade-runtime')
    .description(`write the migrations' runtime this bg-scaffold ships (${runtimeFileName()}) into every migrations folder whose copy is older or edited; older versions stay`)
    .option('--project <dir>', 'the Django project, the folder with manage.py (default: the current directory)')
    .option('--dry-run', 'print the diff of every file it would write, and write nothing')
    .option('--json', 'print a machine-readable summary on stdout');
  command.addHelpText(
    'after',
    [
      '',
      `Generated PostgreSQL migrations import the runtime beside them: from .${RUNTIME_MODULE} import ...`,
      `Its name carries its version. This writes ${runtimeFileName()} beside an older copy (_bg_scaffold_v1.py),`,
      'and puts the shipped file back where the current one was edited. It never changes or deletes an older',
      'version: the migrations already generated import it, and must keep running the code they were tested',
      'with. Migrations generated from now on import the new one. `bg-scaffold check` reports stale copies.',
      '',
      'Examples:',
      '  bg-scaffold upgrade-runtime --dry-run',
      '  bg-scaffold upgrade-runtime --project examples/shop',
    ].join('\n'),
  );
  return command.action(async (flags: UpgradeRuntimeFlags) => {
    const { io } = context;
    const projectDir = projectRoot(flags.project, context.cwd);
    const upgrade = stageRuntimeUpgrade(projectDir);
    const { stage } = upgrade;
    const files = stage.files().map((file) => ({ path: file.path, action: fileAction(file) }));
    const why = (path: string) => describe(upgrade.writes.find((write) => write.path === path)!);
    const newer = upgrade.newer.map((problem) => `${problem.copy.path}: ${staleRuntimeMessage(problem)}`);

    if (flags.json) {
      const diff = flags.dryRun ? stage.diff() : undefined;
      const written = flags.dryRun ? false : (await stage.commit()).length > 0;
      const document = {
        runtime: { version: RUNTIME_VERSION, module: RUNTIME_MODULE },
        files: files.map((file) => ({ ...file, reason: why(file.path) })),
        written,
        warnings: newer,
        ...(diff === undefined ? {} : { diff }),
      };
      io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return;
    }
    newer.forEach((warning) => io.stderr.write(`warning: ${warning}\n`));
    if (files.length === 0) {
      const copies = upgrade.copies === 0 ? 'no migrations folder has a bg-scaffold runtime' : `every migrations folder with a runtime has ${runtimeFileName()} as bg-scaffold ships it`;
      io.stdout.write(`nothing to upgrade: ${copies}\n`);
      return;
    }
    if (flags.dryRun) {
      io.stdout.write(stage.diff());
      io.stderr.write(`dry run: nothing was written (${files.length} ${files.length === 1 ? 'file' : 'files'} would change)\n`);
      return;
    }
    await stage.commit();
    io.stdout.write(files.map((file) => `${file.action} ${file.path} (${why(file.path)})\n`).join(''));
    io.stdout.write(`\nOlder versions stay: the migrations that import them keep the code they were tested with; new migrations import ${RUNTIME_MODULE}.\n`);
  });
}

function describe(write: RuntimeWrite): string {
  return write.reason === 'older' ? `runtime v${RUNTIME_VERSION}, beside ${write.beside!.split('/').pop()}` : `the shipped runtime v${RUNTIME_VERSION}, over an edited copy`;
}
