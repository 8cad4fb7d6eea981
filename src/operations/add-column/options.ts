/** What `add-column` asks for: each input once, as a flag and as the question a terminal asks without it. */
import { appsWithInstalled } from '../../project/discover.js';
import type { DjangoModel } from '../../project/types.js';
import { type AskContext, oneOf, text, toggle, wholeNumber } from '../options.js';
import { backfillOption, rowEstimateOption } from '../shared/background-backfill.js';
import { validateNewFieldName } from '../shared/names.js';
import { appOption, changeIdOption, modelOption, refusal } from '../shared/target-options.js';
import { ADD_COLUMN_STRATEGIES, ADD_COLUMN_TYPES, type AddColumnStrategy, type AddColumnType, isVolatileDefault, ON_DELETE_CHOICES, parseDefault, type Sizes } from './plan.js';

const TYPES = Object.keys(ADD_COLUMN_TYPES) as AddColumnType[];
const STRATEGIES = Object.keys(ADD_COLUMN_STRATEGIES) as AddColumnStrategy[];

/** A question for a size, asked only for the type that has it. */
function sizeQuestion(type: AddColumnType, message: string, min: number) {
  return async ({ prompter, answers }: AskContext) =>
    answers.type !== type
      ? undefined
      : Number(await prompter.input({ message, validate: (value) => (/^\d+$/.test(value) && Number(value) >= min ? true : `a whole number of at least ${min}`) }));
}

export const ADD_COLUMN_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Order', required: 'the model class', message: 'Model' }),
  name: text({
    flag: '--name <name>',
    description: 'the new field, e.g. priority',
    required: 'the new field name',
    ask: async (context: AskContext) => {
      const [app, model] = [context.app(), context.model()];
      return context.prompter.input({
        message: `Name of the new field on ${model.name}`,
        validate: (value) => refusal(() => validateNewFieldName(value, model, 'name', { appLabel: app.label, apps: appsWithInstalled(context.facts) })) ?? true,
      });
    },
  }),
  type: text({
    flag: '--type <class>',
    description: `field class: ${TYPES.join(', ')}`,
    required: 'the field type',
    ask: async ({ prompter }: AskContext) =>
      prompter.select<AddColumnType>({ message: 'Type', choices: TYPES.map((t) => ({ name: `${t.padEnd(16)}  ${ADD_COLUMN_TYPES[t]}`, value: t, short: t })) }),
  }),
  maxLength: wholeNumber(1, { flag: '--max-length <n>', description: 'CharField: the most characters it holds', ask: sizeQuestion('CharField', 'Max length (characters)', 1) }),
  maxDigits: wholeNumber(1, { flag: '--max-digits <n>', description: 'DecimalField: digits in all', ask: sizeQuestion('DecimalField', 'Max digits', 1) }),
  decimalPlaces: wholeNumber(0, { flag: '--decimal-places <n>', description: 'DecimalField: digits after the point', ask: sizeQuestion('DecimalField', 'Decimal places', 0) }),
  to: text({
    flag: '--to <model>',
    description: 'ForeignKey: the model it points at, e.g. Customer or billing.Account',
    ask: async (context: AskContext) => {
      if (context.answers.type !== 'ForeignKey') return undefined;
      const app = context.app();
      const targets = context.facts.apps.flatMap((a) => a.models.filter((m) => !m.abstract).map((m) => ({ app: a, model: m })));
      return context.prompter.search({
        message: 'Points at (type to filter)',
        choices: targets.map(({ app: a, model: m }) => ({ name: `${a.label}.${m.name}`, value: a.label === app.label ? m.name : `${a.label}.${m.name}`, description: m.file })),
      });
    },
  }),
  onDelete: oneOf(ON_DELETE_CHOICES, {
    flag: '--on-delete <handler>',
    description: 'ForeignKey: what deleting the target does',
    ask: async ({ prompter, answers }: AskContext) =>
      answers.type !== 'ForeignKey'
        ? undefined
        : prompter.select({ message: 'On delete of the target', choices: ON_DELETE_CHOICES.map((h) => ({ name: h, value: h })), default: 'PROTECT' as const }),
  }),
  relatedName: text({
    flag: '--related-name <name>',
    description: 'ForeignKey: the reverse accessor on the target model',
    flagOnly: "Django's default accessor (<model>_set) suits most foreign keys; one that needs another passes it",
  }),
  null: toggle({
    flag: '--null',
    description: 'the column is nullable (one release)',
    askTogether: {
      keys: ['default', 'backfillSql'],
      ask: async ({ prompter, answers, model }: AskContext) => {
        // A single-release plan fills nothing: it is NOT NULL at once.
        if (answers.strategy === 'single-release') return {};
        const noDefault = answers.type === 'ForeignKey' || answers.type === 'DateTimeField' || answers.type === 'UUIDField';
        const fill = await prompter.select<'null' | 'default' | 'backfill'>({
          message: 'Existing rows, and rows the previous release inserts, get',
          choices: [
            { name: 'NULL: a nullable column (one release)', value: 'null', short: 'NULL' },
            ...(noDefault ? [] : [{ name: 'a default value kept in the database (one release)', value: 'default' as const, short: 'a default' }]),
            { name: 'a value you fill: NOT NULL after a backfill (two releases)', value: 'backfill', short: 'a backfill' },
          ],
          default: 'null',
        });
        if (fill === 'null') return { null: true };
        if (fill === 'default') {
          // Checked as it is typed, as --default is: for the type and size given above.
          const sizes = { maxLength: answers.maxLength, maxDigits: answers.maxDigits, decimalPlaces: answers.decimalPlaces } as Sizes;
          const value = await prompter.input({
            message: 'Default value (a constant)',
            validate: (text) =>
              isVolatileDefault(text)
                ? `${text} is volatile (computed per row): choose the backfill instead`
                : (refusal(() => parseDefault(text, answers.type as AddColumnType, sizes)) ?? true),
          });
          return { default: value };
        }
        const sql = (await prompter.input({ message: `SQL that fills existing rows, e.g. ${backfillExample(model())} (empty: write a Python function)` })).trim();
        return sql ? { backfillSql: sql } : {};
      },
    },
  }),
  default: text({
    flag: '--default <value>',
    description: 'a constant the column gets in the database, for existing rows and the previous release (one release)',
    flagOnly: 'asked with --null, as one question: what existing rows get',
  }),
  backfillSql: text({
    flag: '--backfill-sql <expr>',
    description: 'NOT NULL without a default: SQL over the row that fills existing rows, e.g. "quantity * 2"',
    flagOnly: 'asked with --null, as one question: what existing rows get',
  }),
  dbIndex: toggle({
    flag: '--db-index',
    description: 'index the column (built CONCURRENTLY on PostgreSQL)',
    askTogether: {
      keys: ['unique'],
      ask: async ({ prompter, answers }: AskContext) => {
        // A foreign key gets Django's index of its own.
        if (answers.type === 'ForeignKey') return {};
        const index = await prompter.select<'none' | 'index' | 'unique'>({
          message: 'Index',
          choices: [
            { name: 'none', value: 'none' },
            { name: 'an index (db_index), built CONCURRENTLY on PostgreSQL', value: 'index', short: 'index' },
            { name: 'unique, built CONCURRENTLY on PostgreSQL', value: 'unique', short: 'unique' },
          ],
          default: 'none',
        });
        return index === 'index' ? { dbIndex: true } : index === 'unique' ? { unique: true } : {};
      },
    },
  }),
  unique: toggle({ flag: '--unique', description: 'a unique constraint (its index built CONCURRENTLY on PostgreSQL)', flagOnly: 'asked with --db-index, as one question: the index' }),
  // Offered for the plan that fills with SQL on PostgreSQL: the only one the command can work.
  backfill: backfillOption(
    ({ database, answers }) => database === 'postgresql' && typeof answers.backfillSql === 'string' && answers.strategy !== 'single-release',
  ),
  strategy: oneOf(STRATEGIES, {
    flag: '--strategy <name>',
    description: 'phased (default) or single-release',
    flagOnly: 'single-release breaks the previous release: a terminal never offers it, a script must ask for it by name',
  }),
  databaseUrl: rowEstimateOption(),
  changeId: changeIdOption('<model>-add-<name>'),
};

export const ADD_COLUMN_HELP = [
  'Plans:',
  '  --null                 one release: the column is added nullable',
  '  --default VALUE        one release: the column keeps VALUE as its database default',
  '                         (db_default on Django 5.0+, RunSQL before)',
  '  neither                two releases: added nullable while the code starts writing it,',
  '                         then filled (--backfill-sql, or a function you complete) and NOT NULL',
  '  --strategy single-release   all in one atomic migration: the previous release cannot insert',
  '  --backfill background  three releases with --backfill-sql: release 2 registers the fill, which',
  '                         manage.py bg_scaffold_backfill works while both releases serve; release 3',
  '                         checks it finished and sets NOT NULL',
  '',
  'Examples:',
  '  bg-scaffold add-column --app shop --model Order --name gift_note --type TextField --null',
  '  bg-scaffold add-column --app shop --model Order --name priority --type IntegerField --default 0',
  '  bg-scaffold add-column --app shop --model Order --name priority --type IntegerField --backfill-sql "quantity * 2"',
  '  bg-scaffold add-column --app shop --model Order --name referred_by --type ForeignKey --to Customer --on-delete SET_NULL --null',
];

/** An example of --backfill-sql over the model's own columns: a number doubled, a text upper-cased. */
export function backfillExample(model: DjangoModel): string {
  const columns = model.fields.filter((field) => !field.primaryKey);
  const number = columns.find((field) => /(?:Integer|Float|Decimal)Field$/.test(field.fieldClass));
  if (number) return `${number.column} * 2`;
  const text = columns.find((field) => /^(?:Char|Text|Slug|Email)Field$/.test(field.fieldClass));
  if (text) return `upper(${text.column})`;
  return columns[0] ? `coalesce(${columns[0].column}, …)` : 'a constant';
}
