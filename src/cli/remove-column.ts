/** `bg-scaffold remove-column`: flags, or questions for what the flags did not give. */
import { Command } from 'commander';
import type { RemoveColumnRequest } from '../operations/remove-column/operation.js';
import type { CommonOptions } from '../commands/types.js';
import { BgScaffoldError, fail } from '../errors.js';
import { defaultOfField } from '../operations/shared/column-defaults.js';
import { isRelation, requireConcreteColumn } from '../operations/shared/django-fields.js';
import { REMOVE_COLUMN_STRATEGIES, type RemoveColumnStrategy } from '../operations/remove-column/plan.js';
import { discoverProject, findApp, findField, findModel } from '../project/discover.js';
import { addCommonOptions, type CommonFlags } from './common-options.js';
import type { Prompter } from './interactive.js';
import { stageWithGenerator } from './generators.js';
import { type CommandContext, runStagingCommand } from './run-command.js';

interface RemoveColumnFlags extends CommonFlags {
  app?: string;
  model?: string;
  field?: string;
  fill?: string;
  changeId?: string;
}

/** The answers a removal needs, with the words used when one is missing. */
const REQUIRED: Array<{ key: 'app' | 'model' | 'field'; what: string }> = [
  { key: 'app', what: 'the app label' },
  { key: 'model', what: 'the model class' },
  { key: 'field', what: 'the field to remove' },
];

export function removeColumnCommand(context: CommandContext): Command {
  const command = new Command('remove-column')
    .description('remove a model field and its column without breaking the release that is still serving')
    .option('--app <label>', 'app label of the model, e.g. shop')
    .option('--model <name>', 'model class, e.g. Order')
    .option('--field <name>', 'field to remove, e.g. note')
    .option('--fill <value>', 'database default for rows inserted without the field (two releases instead of three for a NOT NULL field)')
    .option('--change-id <id>', 'name of the change record (default: remove-<model>-<field>)');
  addCommonOptions(command);
  const strategies = Object.keys(REMOVE_COLUMN_STRATEGIES) as RemoveColumnStrategy[];
  const width = Math.max(...strategies.map((s) => s.length));
  command.addHelpText(
    'after',
    [
      '',
      'The plan follows from the field (what the previous release reads in rows inserted without it):',
      ...strategies.map((s) => `  ${s.padEnd(width)}  ${REMOVE_COLUMN_STRATEGIES[s]}`),
      '',
      'Examples:',
      '  bg-scaffold remove-column --app shop --model Order --field note',
      '  bg-scaffold remove-column --app shop --model Product --field price --fill 0 --dry-run',
    ].join('\n'),
  );
  return command.action(async (flags: RemoveColumnFlags) => {
    await runStagingCommand(context, flags, async (common, prompter, hint) => {
      const request = prompter ? await askRemoveColumn(flags, common, prompter) : requireFlags(flags, common, hint);
      return stageWithGenerator('remove-column', request);
    });
  });
}

function requireFlags(flags: RemoveColumnFlags, common: CommonOptions, hint: string): RemoveColumnRequest {
  const missing = REQUIRED.filter(({ key }) => !flags[key]);
  if (missing.length > 0) {
    const names = missing.map(({ key, what }) => `--${key} (${what})`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    fail(`missing ${list}; ${names.length === 1 ? hint : hint.replace('pass it', 'pass them')}`);
  }
  return { ...common, app: flags.app!, model: flags.model!, field: flags.field!, fill: flags.fill, changeId: flags.changeId };
}

/** Asks, in order, for what the flags did not give: app → model → field → (fill, when it would save a release). */
export async function askRemoveColumn(flags: RemoveColumnFlags, common: CommonOptions, prompter: Prompter): Promise<RemoveColumnRequest> {
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
    modelName = await prompter.select({ message: 'Model', choices: models.map((model) => ({ name: model.name, value: model.name, description: model.file })) });
  }
  const model = findModel(app, modelName);

  let fieldName = flags.field;
  if (!fieldName) {
    fieldName = await prompter.search({
      message: 'Field to remove (type to filter)',
      choices: model.fields.map((field) => ({
        name: `${field.name} (${field.fieldClass}, ${field.column || 'no column'})`,
        value: field.name,
        disabled: refusal(() => {
          if (field.fieldClass.endsWith('ManyToManyField')) fail('many-to-many: not handled');
          requireConcreteColumn(model, field, '--field', 'remove');
        }),
      })),
    });
  }
  const field = findField(model, fieldName, app.label);

  // Only a NOT NULL plain field without a usable default gains from a fill value.
  let fill = flags.fill;
  if (fill === undefined && !field.nullable && !field.unique && !isRelation(field) && defaultOfField(field) === null) {
    const answer = await prompter.input({
      message: `Value the previous release reads in rows inserted without ${field.name} (empty: three releases, nullable first)`,
      default: '',
    });
    fill = answer === '' ? undefined : answer;
  }
  return { ...common, app: app.label, model: model.name, field: field.name, fill, changeId: flags.changeId };
}

/** The message of the BgScaffoldError `check` throws, or undefined when it passes. */
function refusal(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof BgScaffoldError) return error.message;
    throw error;
  }
}
