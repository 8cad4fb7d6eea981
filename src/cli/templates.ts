/** `bg-scaffold templates list|eject`: the template packs a run uses, and copies to customise. */
import { Command } from 'commander';
import { listTemplates, stageEject, type TemplateListing } from '../commands/templates.js';
import { fileAction } from '../stage/staged-tree.js';
import { readCommonOptions } from './common-options.js';
import type { CommandContext } from './run-command.js';

interface TemplatesFlags {
  project?: string;
  pack?: string[];
  json?: boolean;
  dryRun?: boolean;
  all?: boolean;
}

const PROJECT_OPTION = ['--project <dir>', 'the Django project, the folder with manage.py (default: the current directory)'] as const;

export function templatesCommand(context: CommandContext): Command {
  const command = new Command('templates').description('list the templates a run uses and the pack each comes from, or copy built-in ones into the project');

  const list = new Command('list')
    .description('every template and the pack it resolves from (first match wins: --pack, project config, .bg-scaffold/templates/, built-in)')
    .option(...PROJECT_OPTION)
    .option('--pack <dir|package>', 'a template pack, as for any other command (repeatable; first wins)', (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option('--json', 'print the packs and templates as JSON on stdout')
    .action((flags: TemplatesFlags) => {
      const { common } = readCommonOptions({ project: flags.project, pack: flags.pack }, context.cwd);
      const listing = listTemplates({ projectDir: common.projectDir, packs: common.packs });
      context.io.stdout.write(flags.json ? `${JSON.stringify(listing, null, 2)}\n` : formatListing(listing));
    });

  const eject = new Command('eject')
    .description('copy built-in templates into .bg-scaffold/templates/ to customise them; never overwrites')
    .argument('[names...]', 'templates (migrations/migration), or folders of them (partials/operations)')
    .option('--all', 'every built-in template')
    .option(...PROJECT_OPTION)
    .option('--dry-run', 'print the diff of every file it would write, and write nothing')
    .option('--json', 'print a machine-readable summary on stdout')
    .addHelpText(
      'after',
      [
        '',
        'The project folder .bg-scaffold/templates/ overrides the built-in templates in every run; packs named',
        'with --pack or in the project config override it in turn. It never runs code: helpers.js there is ignored.',
        '',
        'Example:',
        '  bg-scaffold templates eject migrations/migration partials/operations/ddl',
      ].join('\n'),
    )
    .action(async (names: string[], flags: TemplatesFlags) => {
      const { common } = readCommonOptions({ project: flags.project }, context.cwd);
      const { stage, templates } = stageEject({ projectDir: common.projectDir, names, all: flags.all === true });
      const files = stage.files().map((file) => ({ path: file.path, action: fileAction(file) }));
      const { io } = context;
      if (flags.json) {
        const diff = flags.dryRun ? stage.diff() : undefined;
        if (!flags.dryRun) await stage.commit();
        io.stdout.write(`${JSON.stringify({ templates, files, written: !flags.dryRun, ...(diff === undefined ? {} : { diff }) }, null, 2)}\n`);
        return;
      }
      if (flags.dryRun) {
        io.stdout.write(stage.diff());
        io.stderr.write(`dry run: nothing was written (${files.length} ${files.length === 1 ? 'file' : 'files'} would change)\n`);
        return;
      }
      await stage.commit();
      io.stdout.write(files.map((file) => `${file.action} ${file.path}\n`).join(''));
      io.stdout.write(
        `\nNext steps:\n  - edit them: every run now renders them instead of the built-in ones (bg-scaffold templates list shows which)\n` +
          `  - docs/templates.md in bg-scaffold lists the variables each template receives\n`,
      );
    });

  return command.addCommand(list).addCommand(eject);
}

export function formatListing(listing: TemplateListing): string {
  const lines = ['Template packs, first match wins:'];
  listing.packs.forEach((pack, index) => {
    const details = [pack.origin === 'built-in' ? null : pack.origin, `template API ${pack.templateApi ?? '?'}`];
    if (pack.helpers.length > 0) details.push(`helpers: ${pack.helpers.join(', ')}`);
    if (pack.helpersNotRun) details.push(`${pack.helpersNotRun} not run`);
    lines.push(`  ${index + 1}. ${pack.name} (${details.filter(Boolean).join(', ')})`);
  });
  if (listing.config.source) lines.push(`Project config: ${listing.config.source}`);
  for (const ignored of listing.config.ignored) lines.push(`  ignored: ${ignored} (${listing.config.source} comes first)`);
  lines.push('');
  const width = Math.max(...listing.templates.map((t) => t.name.length), 'TEMPLATE'.length) + 2;
  lines.push(`${'TEMPLATE'.padEnd(width)}PACK`);
  for (const template of listing.templates) {
    const overrides = template.overrides.length > 0 ? ` (overrides ${template.overrides.join(', ')})` : '';
    lines.push(`${template.name.padEnd(width)}${template.pack}${overrides}`);
  }
  return `${lines.join('\n')}\n`;
}
