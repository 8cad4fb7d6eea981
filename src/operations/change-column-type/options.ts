/** What `change-column-type` asks for: each input once, as a flag and as the question a terminal asks without it. */
import type { DjangoField, DjangoModel } from '../../project/types.js';
import { type AskContext, text, wholeNumber } from '../options.js';
import { backfillOption, rowEstimateOption } from '../shared/background-backfill.js';
import { isRelation, postgresColumnType } from '../shared/django-fields.js';
import { appOption, changeIdOption, modelOption } from '../shared/target-options.js';
import { COLUMN_TYPES, type ColumnType, offeredChange, swapsColumn } from './plan.js';

const TYPES = Object.keys(COLUMN_TYPES) as ColumnType[];
const INTEGERS = ['SmallIntegerField', 'IntegerField', 'BigIntegerField', 'PositiveSmallIntegerField', 'PositiveIntegerField', 'PositiveBigIntegerField'];
const KEYS = ['SmallAutoField', 'AutoField', 'BigAutoField'];

/** The field, or the primary key Django adds, as the options see it: name, class, column type. */
interface Target {
  name: string;
  fieldClass: string;
  primaryKey: boolean;
  postgresType: string | null;
  why?: string;
}

function targetsOf(model: DjangoModel): Target[] {
  const auto = model.django?.autoPk;
  const declared = model.fields.map((field: DjangoField): Target => ({
    name: field.name,
    fieldClass: field.fieldClass,
    primaryKey: field.primaryKey,
    postgresType: postgresColumnType(field),
    why: isRelation(field)
      ? "a relation's type follows its target's key"
      : field.fieldClass === 'ManyToManyField' || field.column === ''
        ? 'no column of its own'
        : field.inheritedFrom
          ? `declared in ${field.inheritedFrom.className}`
          : undefined,
  }));
  return auto ? [{ name: auto.name, fieldClass: 'AutoField (added by Django)', primaryKey: true, postgresType: auto.postgresType }, ...declared] : declared;
}

/** The classes worth offering from a field's current one: numbers to numbers, text to text, keys to keys. */
export function typesFrom(target: Pick<Target, 'fieldClass' | 'primaryKey'>): ColumnType[] {
  if (target.primaryKey) return KEYS.filter((t) => !target.fieldClass.startsWith(t)) as ColumnType[];
  if (INTEGERS.includes(target.fieldClass) || target.fieldClass === 'DecimalField' || target.fieldClass === 'FloatField') {
    return [...INTEGERS, 'DecimalField', 'FloatField', 'CharField', 'TextField'] as ColumnType[];
  }
  if (['CharField', 'TextField', 'SlugField', 'EmailField', 'URLField'].includes(target.fieldClass)) return ['CharField', 'TextField', ...INTEGERS, 'DecimalField'] as ColumnType[];
  return TYPES.filter((t) => !KEYS.includes(t));
}

/** A question for a size, asked only for the type that has it. */
function sizeQuestion(type: ColumnType, message: string, min: number) {
  return async ({ prompter, answers }: AskContext) =>
    answers.type !== type
      ? undefined
      : Number(await prompter.input({ message, validate: (value) => (/^\d+$/.test(value) && Number(value) >= min ? true : `a whole number of at least ${min}`) }));
}

export const CHANGE_COLUMN_TYPE_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Order', required: 'the model class', message: 'Model' }),
  field: text({
    flag: '--field <name>',
    description: 'field whose column changes type, e.g. quantity (or id, the primary key)',
    required: 'the field to change',
    ask: async (context: AskContext) => {
      const model = context.model();
      return context.prompter.search({
        message: 'Field to change (type to filter)',
        choices: targetsOf(model).map((t) => ({ name: `${t.name} (${t.fieldClass}${t.postgresType ? `, ${t.postgresType}` : ''})`, value: t.name, disabled: t.why })),
      });
    },
  }),
  type: text({
    flag: '--type <class>',
    description: `the new field class: ${TYPES.join(', ')}`,
    required: 'the new field type',
    ask: async (context: AskContext) => {
      const model = context.model();
      const target = targetsOf(model).find((t) => t.name === context.answers.field)!;
      // Only the changes that make sense from the current class, each with what PostgreSQL does.
      return context.prompter.select<ColumnType>({
        message: `New type for ${model.name}.${target.name} (${target.postgresType ?? target.fieldClass})`,
        choices: typesFrom(target).map((t) => {
          const how = context.database !== 'postgresql' ? `Django's AlterField: 1 release (${context.database} blocks writes while it runs)` : offeredChange(target.postgresType, t);
          return { name: `${t.padEnd(26)}  ${how}`, value: t, short: t };
        }),
      });
    },
  }),
  maxLength: wholeNumber(1, { flag: '--max-length <n>', description: 'CharField: the most characters it holds', ask: sizeQuestion('CharField', 'Max length (characters)', 1) }),
  maxDigits: wholeNumber(1, { flag: '--max-digits <n>', description: 'DecimalField: digits in all', ask: sizeQuestion('DecimalField', 'Max digits', 1) }),
  decimalPlaces: wholeNumber(0, { flag: '--decimal-places <n>', description: 'DecimalField: digits after the point', ask: sizeQuestion('DecimalField', 'Decimal places', 0) }),
  using: text({
    flag: '--using <sql>',
    description: 'SQL of the new value from the old column, for a cast PostgreSQL cannot do implicitly, e.g. "number::integer"',
    flagOnly: 'needed only for a cast PostgreSQL refuses; the error that asks for it says so',
  }),
  // Offered where PostgreSQL gets a column swap, whose new column is filled; not for a change of metadata only.
  backfill: backfillOption(({ database, answers, model }) => {
    if (database !== 'postgresql') return false;
    const target = targetsOf(model()).find((t) => t.name === answers.field);
    if (target === undefined) return false;
    const kwargs = model().fields.find((f) => f.name === answers.field)?.kwargs ?? {};
    const sizes = { maxLength: answers.maxLength as number | undefined, maxDigits: answers.maxDigits as number | undefined, decimalPlaces: answers.decimalPlaces as number | undefined };
    return swapsColumn(target.postgresType, answers.type as ColumnType, sizes, kwargs, answers.using !== undefined);
  }),
  databaseUrl: rowEstimateOption(),
  changeId: changeIdOption('<model>-<field>-to-<type>'),
};

export const CHANGE_COLUMN_TYPE_HELP = [
  'Plans (PostgreSQL):',
  '  metadata only   one release: a wider varchar, text, more numeric precision (no rewrite)',
  '  column swap     three releases: a new column kept in sync by trigger and backfilled,',
  '                  swapped in by name in one short transaction, then the old one dropped;',
  '                  a primary key takes the foreign keys that point at it along',
  'Other databases: Django\'s AlterField in one release (it blocks writes while it runs).',
  '',
  'Examples:',
  '  bg-scaffold change-column-type --app shop --model Order --field quantity --type BigIntegerField',
  '  bg-scaffold change-column-type --app shop --model Order --field reference --type CharField --max-length 40',
  '  bg-scaffold change-column-type --app accounts --model Account --field id --type BigAutoField',
  '  bg-scaffold change-column-type --app billing --model Invoice --field number --type IntegerField --using "number::integer"',
];
