/** `bg-scaffold rename-column`: flags, or questions for what the flags did not give. */
import { Command, Option } from 'commander';
import { resolveCommon } from '../commands/options.js';
import type { CommonOptions, RenameColumnRequest } from '../commands/types.js';
import { BgScaffoldError, fail } from '../errors.js';
import { requireConcreteColumn } from '../operations/shared/django-fields.js';
import { validateNewFieldName } from '../operations/shared/names.js';
import { defaultRenameStrategy, RENAME_STRATEGIES } from '../operations/rename-column/plan.js';
import type { RenameStrategy } from '../operations/shared/types.js';
import { appsWithInstalled, discoverProject, findApp, findField, findModel } from '../project/discover.js';
import { addCommonOptions, type CommonFlags } from './common-options.js';
import type { Prompter } from './interactive.js';
import { stageWithGenerator } from './generators.js';
import { type CommandContext, runStagingCommand } from './run-command.js';

const STRATEGIES = Object.keys(RENAME_STRATEGIES) as RenameStrategy[];

interface RenameFlags extends CommonFlags {
  app?: string;
  model?: string;
  field?: string;
  to?: string;
  strategy?: RenameStrategy;
  phases?: '3' | '4';
  changeId?: string;
}

/** The answers a rename needs, with the words used when one is missing. */
const REQUIRED: Array<{ key: 'app' | 'model' | 'field' | 'to'; what: string }> = [
  { key: 'app', what: 'the app label' },
  { key: 'model', what: 'the model class' },
  { key: 'field', what: 'the field to rename' },
  { key: 'to', what: 'the new field name' },
];

export function renameColumnCommand(context: CommandContext): Command {
  const command = new Command('rename-column')
    .description('rename a model field and its column without breaking the release that is still serving')
    .option('--app <label>', 'app label of the model, e.g. shop')
    .option('--model <name>', 'model class, e.g. Order')
    .option('--field <name>', 'field to rename, e.g. quantity')
    .option('--to <name>', 'new field name, e.g. qty')
    .addOption(new Option('--strategy <name>', 'how the column is renamed (default: trigger on PostgreSQL, copy elsewhere)').choices(STRATEGIES))
    .addOption(new Option('--phases <n>', 'copy strategy only: 4 releases, or 3 merging backfill and switch').choices(['3', '4']))
    .option('--change-id <id>', 'name of the change record (default: <model>-<field>-to-<new name>)');
  addCommonOptions(command);
  const width = Math.max(...STRATEGIES.map((s) => s.length));
  command.addHelpText(
    'after',
    [
      '',
      'Strategies:',
      ...STRATEGIES.map((s) => `  ${s.padEnd(width)}  ${RENAME_STRATEGIES[s]}`),
      '',
      'Examples:',
      '  bg-scaffold rename-column --app shop --model Order --field quantity --to qty',
      '  bg-scaffold rename-column --app shop --model Order --field quantity --to qty --strategy copy --phases 3 --dry-run',
    ].join('\n'),
  );
  return command.action(async (flags: RenameFlags) => {
    await runStagingCommand(context, flags, async (common, prompter, hint) => {
      const request = prompter ? await askRenameColumn(flags, common, prompter) : requireFlags(flags, common, hint);
      return stageWithGenerator('rename-column', request);
    });
  });
}

function requireFlags(flags: RenameFlags, common: CommonOptions, hint: string): RenameColumnRequest {
  const missing = REQUIRED.filter(({ key }) => !flags[key]);
  if (missing.length > 0) {
    const names = missing.map(({ key, what }) => `--${key} (${what})`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    fail(`missing ${list}; ${names.length === 1 ? hint : hint.replace('pass it', 'pass them')}`);
  }
  return toRequest(flags, common, { app: flags.app!, model: flags.model!, field: flags.field!, to: flags.to! });
}

function toRequest(
  flags: RenameFlags,
  common: CommonOptions,
  answers: Pick<RenameColumnRequest, 'app' | 'model' | 'field' | 'to'> & Partial<Pick<RenameColumnRequest, 'strategy' | 'phases'>>,
): RenameColumnRequest {
  return {
    ...common,
    ...answers,
    strategy: answers.strategy ?? flags.strategy,
    phases: answers.phases ?? (flags.phases ? (Number(flags.phases) as 3 | 4) : undefined),
    changeId: flags.changeId,
  };
}

/** Asks, in order, for what the flags did not give: app → model → field → new name → strategy → phases. */
export async function askRenameColumn(flags: RenameFlags, common: CommonOptions, prompter: Prompter): Promise<RenameColumnRequest> {
  const facts = await discoverProject(common.projectDir, common);

  let appLabel = flags.app;
  if (!appLabel) {
    const apps = facts.apps.filter((app) => app.models.some((model) => !model.abstract));
    if (apps.length === 0) fail(`no app with models found in ${facts.root}; pass --app`);
    appLabel = await prompter.select({
      message: 'App',
      choices: apps.map((app) => ({ name: app.label, value: app.label, description: app.dir })),
    });
  }
  const app = findApp(facts, appLabel);

  let modelName = flags.model;
  if (!modelName) {
    const models = app.models.filter((model) => !model.abstract);
    if (models.length === 0) fail(`app "${app.label}" has no concrete models; pass --app`);
    modelName = await prompter.select({
      message: 'Model',
      choices: models.map((model) => ({ name: model.name, value: model.name, description: model.file })),
    });
  }
  const model = findModel(app, modelName);

  let fieldName = flags.field;
  if (!fieldName) {
    fieldName = await prompter.search({
      message: 'Field to rename (type to filter)',
      choices: model.fields.map((field) => ({
        name: `${field.name} (${field.fieldClass}, ${field.column || 'no column'})`,
        value: field.name,
        disabled: refusal(() => requireConcreteColumn(model, field, '--field')),
      })),
    });
  }
  const field = findField(model, fieldName, app.label);

  const to =
    flags.to ??
    (await prompter.input({
      message: `New name for ${model.name}.${field.name}`,
      validate: (value) =>
        refusal(() => {
          if (value === field.name) fail(`"${value}" is the field's current name`);
          validateNewFieldName(value, model, 'name', { appLabel: app.label, apps: appsWithInstalled(facts) });
        }) ?? true,
    }));

  // The database the command layer will plan for, so that the offered default is the one it applies.
  const { database } = resolveCommon(common, facts);
  const width = Math.max(...STRATEGIES.map((s) => s.length));
  const strategy =
    flags.strategy ??
    (await prompter.select<RenameStrategy>({
      message: `Strategy (${database})`,
      choices: STRATEGIES.map((s) => ({ name: `${s.padEnd(width)}  ${RENAME_STRATEGIES[s]}`, value: s, short: s })),
      default: defaultRenameStrategy(database),
    }));

  let phases: 3 | 4 | undefined = flags.phases ? (Number(flags.phases) as 3 | 4) : undefined;
  if (strategy === 'copy' && phases === undefined) {
    phases = await prompter.select<3 | 4>({
      message: 'Releases',
      choices: [
        { name: '4  backfill, then switch reads, in separate releases', value: 4, short: '4' },
        { name: '3  backfill and switch reads in one release (blue reads stale values meanwhile)', value: 3, short: '3' },
      ],
      default: 4,
    });
  }
  return toRequest(flags, common, { app: app.label, model: model.name, field: field.name, to, strategy, phases });
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
