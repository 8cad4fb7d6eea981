/** `bg-scaffold add-column`: flags, or questions for what the flags did not give. */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { AddColumnRequest } from '../operations/add-column/operation.js';
import type { CommonOptions } from '../commands/types.js';
import { BgScaffoldError, fail } from '../errors.js';
import {
  ADD_COLUMN_STRATEGIES,
  ADD_COLUMN_TYPES,
  type AddColumnStrategy,
  type AddColumnType,
  isVolatileDefault,
  ON_DELETE_CHOICES,
} from '../operations/add-column/plan.js';
import { validateNewFieldName } from '../operations/shared/names.js';
import { appsWithInstalled, discoverProject, findApp, findModel } from '../project/discover.js';
import { addCommonOptions, type CommonFlags, positiveInteger } from './common-options.js';
import type { Prompter } from './interactive.js';
import { stageWithGenerator } from './generators.js';
import { type CommandContext, runStagingCommand } from './run-command.js';

const TYPES = Object.keys(ADD_COLUMN_TYPES) as AddColumnType[];
const STRATEGIES = Object.keys(ADD_COLUMN_STRATEGIES) as AddColumnStrategy[];

interface AddColumnFlags extends CommonFlags {
  app?: string;
  model?: string;
  name?: string;
  type?: string;
  maxLength?: number;
  maxDigits?: number;
  decimalPlaces?: number;
  to?: string;
  onDelete?: string;
  relatedName?: string;
  null?: boolean;
  default?: string;
  dbIndex?: boolean;
  unique?: boolean;
  backfillSql?: string;
  strategy?: AddColumnStrategy;
  changeId?: string;
}

/** The answers an added column needs, with the words used when one is missing. */
const REQUIRED: Array<{ key: 'app' | 'model' | 'name' | 'type'; what: string }> = [
  { key: 'app', what: 'the app label' },
  { key: 'model', what: 'the model class' },
  { key: 'name', what: 'the new field name' },
  { key: 'type', what: 'the field type' },
];

function wholeNumber(value: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value)) throw new InvalidArgumentError('Expected a whole number.');
  return Number(value);
}

export function addColumnCommand(context: CommandContext): Command {
  const command = new Command('add-column')
    .description('add a model field and its column without breaking the release that is still serving')
    .option('--app <label>', 'app label of the model, e.g. shop')
    .option('--model <name>', 'model class, e.g. Order')
    .option('--name <name>', 'the new field, e.g. priority')
    .option('--type <class>', `field class: ${TYPES.join(', ')}`)
    .addOption(new Option('--max-length <n>', 'CharField: the most characters it holds').argParser(positiveInteger))
    .addOption(new Option('--max-digits <n>', 'DecimalField: digits in all').argParser(positiveInteger))
    .addOption(new Option('--decimal-places <n>', 'DecimalField: digits after the point').argParser(wholeNumber))
    .option('--to <model>', 'ForeignKey: the model it points at, e.g. Customer or billing.Account')
    .addOption(new Option('--on-delete <handler>', 'ForeignKey: what deleting the target does').choices([...ON_DELETE_CHOICES]))
    .option('--related-name <name>', 'ForeignKey: the reverse accessor on the target model')
    .option('--null', 'the column is nullable (one release)')
    .option('--default <value>', 'a constant the column gets in the database, for existing rows and the previous release (one release)')
    .option('--db-index', 'index the column (built CONCURRENTLY on PostgreSQL)')
    .option('--unique', 'a unique constraint (its index built CONCURRENTLY on PostgreSQL)')
    .option('--backfill-sql <expr>', 'NOT NULL without a default: SQL over the row that fills existing rows, e.g. "quantity * 2"')
    .addOption(new Option('--strategy <name>', 'phased (default) or single-release').choices(STRATEGIES))
    .option('--change-id <id>', 'name of the change record (default: <model>-add-<name>)');
  addCommonOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Plans:',
      '  --null                 one release: the column is added nullable',
      '  --default VALUE        one release: the column keeps VALUE as its database default',
      '                         (db_default on Django 5.0+, RunSQL before)',
      '  neither                two releases: added nullable while the code starts writing it,',
      '                         then filled (--backfill-sql, or a function you complete) and NOT NULL',
      '  --strategy single-release   all in one atomic migration: the previous release cannot insert',
      '',
      'Examples:',
      '  bg-scaffold add-column --app shop --model Order --name gift_note --type TextField --null',
      '  bg-scaffold add-column --app shop --model Order --name priority --type IntegerField --default 0',
      '  bg-scaffold add-column --app shop --model Order --name priority --type IntegerField --backfill-sql "quantity * 2"',
      '  bg-scaffold add-column --app shop --model Order --name referred_by --type ForeignKey --to Customer --on-delete SET_NULL --null',
    ].join('\n'),
  );
  return command.action(async (flags: AddColumnFlags) => {
    await runStagingCommand(context, flags, async (common, prompter, hint) => {
      const request = prompter ? await askAddColumn(flags, common, prompter) : requireFlags(flags, common, hint);
      return stageWithGenerator('add-column', request);
    });
  });
}

function requireFlags(flags: AddColumnFlags, common: CommonOptions, hint: string): AddColumnRequest {
  const missing = REQUIRED.filter(({ key }) => !flags[key]);
  if (missing.length > 0) {
    const names = missing.map(({ key, what }) => `--${key} (${what})`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    fail(`missing ${list}; ${names.length === 1 ? hint : hint.replace('pass it', 'pass them')}`);
  }
  return toRequest(flags, common, {});
}

function toRequest(flags: AddColumnFlags, common: CommonOptions, answers: Partial<AddColumnRequest>): AddColumnRequest {
  return {
    ...common,
    app: flags.app!,
    model: flags.model!,
    name: flags.name!,
    type: flags.type!,
    maxLength: flags.maxLength,
    maxDigits: flags.maxDigits,
    decimalPlaces: flags.decimalPlaces,
    to: flags.to,
    onDelete: flags.onDelete,
    relatedName: flags.relatedName,
    null: flags.null === true,
    default: flags.default,
    dbIndex: flags.dbIndex === true,
    unique: flags.unique === true,
    backfillSql: flags.backfillSql,
    strategy: flags.strategy,
    changeId: flags.changeId,
    ...answers,
  };
}

type Fill = 'null' | 'default' | 'backfill';

/**
 * Asks, in order, for what the flags did not give: app → model → name → type → its options
 * (length, digits, target) → what existing rows get (NULL, a default, a backfill) → index.
 */
export async function askAddColumn(flags: AddColumnFlags, common: CommonOptions, prompter: Prompter): Promise<AddColumnRequest> {
  const facts = await discoverProject(common.projectDir, common);
  const answers: Partial<AddColumnRequest> = {};

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
  answers.app = app.label;

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
  answers.model = model.name;

  answers.name =
    flags.name ??
    (await prompter.input({
      message: `Name of the new field on ${model.name}`,
      validate: (value) => refusal(() => validateNewFieldName(value, model, 'name', { appLabel: app.label, apps: appsWithInstalled(facts) })) ?? true,
    }));

  const type =
    flags.type ??
    (await prompter.select<AddColumnType>({
      message: 'Type',
      choices: TYPES.map((t) => ({ name: `${t.padEnd(16)}  ${ADD_COLUMN_TYPES[t]}`, value: t, short: t })),
    }));
  answers.type = type;

  const number = async (message: string, min: number) =>
    Number(
      await prompter.input({
        message,
        validate: (value) => (/^\d+$/.test(value) && Number(value) >= min ? true : `a whole number of at least ${min}`),
      }),
    );
  if (type === 'CharField' && flags.maxLength === undefined) answers.maxLength = await number('Max length (characters)', 1);
  if (type === 'DecimalField') {
    if (flags.maxDigits === undefined) answers.maxDigits = await number('Max digits', 1);
    if (flags.decimalPlaces === undefined) answers.decimalPlaces = await number('Decimal places', 0);
  }
  if (type === 'ForeignKey') {
    if (!flags.to) {
      const targets = facts.apps.flatMap((a) => a.models.filter((m) => !m.abstract).map((m) => ({ app: a, model: m })));
      answers.to = await prompter.search({
        message: 'Points at (type to filter)',
        choices: targets.map(({ app: a, model: m }) => {
          const value = a.label === app.label ? m.name : `${a.label}.${m.name}`;
          return { name: `${a.label}.${m.name}`, value, description: m.file };
        }),
      });
    }
    if (!flags.onDelete) {
      answers.onDelete = await prompter.select({
        message: 'On delete of the target',
        choices: ON_DELETE_CHOICES.map((h) => ({ name: h, value: h })),
        default: 'PROTECT',
      });
    }
  }

  if (!flags.null && flags.default === undefined && flags.backfillSql === undefined && flags.strategy !== 'single-release') {
    const noDefault = type === 'ForeignKey' || type === 'DateTimeField' || type === 'UUIDField';
    const fill = await prompter.select<Fill>({
      message: 'Existing rows, and rows the previous release inserts, get',
      choices: [
        { name: 'NULL: a nullable column (one release)', value: 'null', short: 'NULL' },
        ...(noDefault ? [] : [{ name: 'a default value kept in the database (one release)', value: 'default' as const, short: 'a default' }]),
        { name: 'a value you fill: NOT NULL after a backfill (two releases)', value: 'backfill', short: 'a backfill' },
      ],
      default: 'null',
    });
    if (fill === 'null') answers.null = true;
    if (fill === 'default') {
      answers.default = await prompter.input({
        message: 'Default value (a constant)',
        validate: (value) => (isVolatileDefault(value) ? `${value} is volatile (computed per row): choose the backfill instead` : true),
      });
    }
    if (fill === 'backfill') {
      const sql = await prompter.input({ message: 'SQL that fills existing rows, e.g. quantity * 2 (empty: write a Python function)' });
      if (sql.trim()) answers.backfillSql = sql.trim();
    }
  }

  if (!flags.dbIndex && !flags.unique && type !== 'ForeignKey') {
    const index = await prompter.select<'none' | 'index' | 'unique'>({
      message: 'Index',
      choices: [
        { name: 'none', value: 'none' },
        { name: 'an index (db_index), built CONCURRENTLY on PostgreSQL', value: 'index', short: 'index' },
        { name: 'unique, built CONCURRENTLY on PostgreSQL', value: 'unique', short: 'unique' },
      ],
      default: 'none',
    });
    answers.dbIndex = index === 'index';
    answers.unique = index === 'unique';
  }
  return toRequest(flags, common, answers);
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
