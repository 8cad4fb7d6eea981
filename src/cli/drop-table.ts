/** `bg-scaffold drop-table`: flags, or questions for what the flags did not give. */
import { Command } from 'commander';
import type { DropTableRequest } from '../operations/drop-table/operation.js';
import type { CommonOptions } from '../commands/types.js';
import { fail } from '../errors.js';
import { incomingRelations } from '../operations/shared/relations.js';
import { appsWithInstalled, discoverProject, findApp, findModel } from '../project/discover.js';
import { addCommonOptions, type CommonFlags } from './common-options.js';
import type { Prompter } from './interactive.js';
import { stageWithGenerator } from './generators.js';
import { type CommandContext, runStagingCommand } from './run-command.js';

interface DropTableFlags extends CommonFlags {
  app?: string;
  model?: string;
  changeId?: string;
}

const REQUIRED: Array<{ key: 'app' | 'model'; what: string }> = [
  { key: 'app', what: 'the app label' },
  { key: 'model', what: 'the model class to delete' },
];

export function dropTableCommand(context: CommandContext): Command {
  const command = new Command('drop-table')
    .description('delete a model and its table without breaking the release that is still serving')
    .option('--app <label>', 'app label of the model, e.g. shop')
    .option('--model <name>', 'model class to delete, e.g. Shipment')
    .option('--change-id <id>', 'name of the change record (default: drop-<model>)');
  addCommonOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Two releases: the model leaves the code (its foreign keys become database-level ones that do',
      'what its on_delete did), then its table is dropped. Models that point at it go first, through',
      'remove-column.',
      '',
      'Example:',
      '  bg-scaffold drop-table --app shop --model Shipment --dry-run',
    ].join('\n'),
  );
  return command.action(async (flags: DropTableFlags) => {
    await runStagingCommand(context, flags, async (common, prompter, hint) => {
      const request = prompter ? await askDropTable(flags, common, prompter) : requireFlags(flags, common, hint);
      return stageWithGenerator('drop-table', request);
    });
  });
}

function requireFlags(flags: DropTableFlags, common: CommonOptions, hint: string): DropTableRequest {
  const missing = REQUIRED.filter(({ key }) => !flags[key]);
  if (missing.length > 0) {
    const names = missing.map(({ key, what }) => `--${key} (${what})`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(' and ')}`;
    fail(`missing ${list}; ${names.length === 1 ? hint : hint.replace('pass it', 'pass them')}`);
  }
  return { ...common, app: flags.app!, model: flags.model!, changeId: flags.changeId };
}

/** Asks for the app and the model; models that others still point at are shown but cannot be picked. */
export async function askDropTable(flags: DropTableFlags, common: CommonOptions, prompter: Prompter): Promise<DropTableRequest> {
  const facts = await discoverProject(common.projectDir, common);
  let appLabel = flags.app;
  if (!appLabel) {
    const apps = facts.apps.filter((app) => app.models.some((model) => !model.abstract));
    if (apps.length === 0) fail(`no app with models found in ${facts.root}; pass --app`);
    appLabel = await prompter.select({ message: 'App', choices: apps.map((app) => ({ name: app.label, value: app.label, description: app.dir })) });
  }
  const app = findApp(facts, appLabel);
  let modelName = flags.model;
  if (!modelName) {
    const models = app.models.filter((model) => !model.abstract);
    if (models.length === 0) fail(`app "${app.label}" has no concrete models; pass --app`);
    modelName = await prompter.select({
      message: 'Model to delete',
      choices: models.map((model) => {
        const incoming = incomingRelations(model, app.label, appsWithInstalled(facts));
        const disabled = incoming.length > 0 ? `referenced by ${incoming.map((r) => `${r.model.name}.${r.field.name}`).join(', ')}` : undefined;
        return { name: model.name, value: model.name, description: model.file, disabled };
      }),
    });
  }
  return { ...common, app: app.label, model: findModel(app, modelName).name, changeId: flags.changeId };
}
