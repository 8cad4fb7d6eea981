/**
 * add-column: the release plans of DESIGN §2 for adding a model field and its column while the
 * previous release, which does not know the field, keeps serving. Pure: (request, facts) → ChangePlan.
 *
 * The previous release inserts rows without the column, so the column must accept them: it is
 * nullable, or has a database default, or (NOT NULL without one) it starts nullable and becomes
 * NOT NULL a release later, once every serving release writes it and a backfill filled the rest.
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import {
  djangoIndexesOf,
  postgresColumnType,
  primaryKeyColumn,
  requireOwnTable,
} from '../shared/django-fields.js';
import { BACKGROUND_VERIFIED_IN_MATRIX, backgroundBackfill, backgroundBackfillName, inMigrateWarning, type BackfillMode, backfillCommand, refuseBackground, registerBackfillStep, requireBackfillFinishedStep } from '../shared/background-backfill.js';
import { supportsDbDefault } from '../shared/django-version.js';
import { deriveChangeId, validateChangeId, validateNewFieldName } from '../shared/names.js';
import { pythonString } from '../shared/python-literals.js';
import { onDeleteSql } from '../shared/relations.js';
import { addColumnSql, columnsNamedIn, dropColumnSql, q, sqlString, statementTimeoutSql } from '../shared/sql.js';
import type { ChangePlan, CodeBlock, LockSettings, MigrationOperation, ModelEdit, Phase, StateOperation } from '../shared/types.js';
import { verifiedOn } from '../shared/verified-on.js';
import { sqliteWarning } from '../shared/warnings.js';

/** The field types `--type` offers, with what they hold. */
export const ADD_COLUMN_TYPES = {
  CharField: 'text up to --max-length characters',
  TextField: 'text of any length',
  IntegerField: 'whole number, 32 bits',
  BigIntegerField: 'whole number, 64 bits',
  BooleanField: 'true or false',
  DateTimeField: 'date and time, with time zone',
  UUIDField: 'UUID',
  JSONField: 'JSON document',
  DecimalField: 'fixed-point number (--max-digits, --decimal-places)',
  ForeignKey: 'reference to another model (--to, --on-delete)',
} as const;
export type AddColumnType = keyof typeof ADD_COLUMN_TYPES;

/** `on_delete` handlers `--on-delete` offers (SET_DEFAULT needs a default, which a new foreign key does not get). */
export const ON_DELETE_CHOICES = ['CASCADE', 'PROTECT', 'RESTRICT', 'SET_NULL', 'DO_NOTHING'] as const;
export type OnDelete = (typeof ON_DELETE_CHOICES)[number];

export type AddColumnStrategy = 'phased' | 'single-release';
export const ADD_COLUMN_STRATEGIES: Record<AddColumnStrategy, string> = {
  phased: 'one release when the column is nullable or has a default; else two: add nullable, then backfill and NOT NULL',
  'single-release': "NOT NULL without a default in one atomic migration: breaks the previous release's inserts",
};

/** The plan variants, as plan.strategy names them. */
export type AddColumnVariant = 'nullable' | 'db-default' | 'runsql-default' | 'backfill' | 'single-release';

export interface AddColumnInput {
  /** Every app of the project: `--to` may name a model of another app. */
  apps: DjangoApp[];
  app: DjangoApp;
  model: DjangoModel;
  name: string;
  type: string;
  maxLength?: number;
  maxDigits?: number;
  decimalPlaces?: number;
  to?: string;
  onDelete?: string;
  relatedName?: string;
  null: boolean;
  /** `--default` as typed: `0`, `true`, `normal`, `{}`. */
  default?: string;
  dbIndex: boolean;
  unique: boolean;
  /** SQL expression over the row's columns that fills existing rows: `quantity * 2`. */
  backfillSql?: string;
  strategy?: AddColumnStrategy;
  /** `--backfill`: in migrate (default) or registered for `manage.py bg_scaffold_backfill`. */
  backfill?: BackfillMode;
  /** The table's rows (pg_class.reltuples) when a database was read at generation, for PLAN.md's advice. */
  rowsEstimate?: number | null;
  database: Database;
  /** `major.minor`, from --django-version or the project's files; null when unknown. */
  djangoVersion: string | null;
  /** DEFAULT_AUTO_FIELD per app label (AppConfig.default_auto_field, else settings); null when it could not be read. */
  defaultAutoFields: Record<string, string | null>;
  lock: LockSettings;
  batchSize: number;
  changeId?: string;
}

/** One keyword argument of the new field, as models.py and as a migration write it. */
interface Kwarg {
  name: string;
  model: string;
  migration: string;
}

/** The default, as each place needs it. */
interface DefaultValue {
  /** `default=` in models.py and migrations: `0`, `"normal"`, `dict`. */
  python: string;
  /** `db_default=`: `0`, `"normal"`, `{}`. */
  pythonDb: string;
  /** The literal after `DEFAULT` in SQL, per database. */
  sql: Record<Database, string>;
}

interface Target {
  app: DjangoApp;
  model: DjangoModel;
  table: string;
  column: string;
  /** PostgreSQL type of the target's primary key, which the new column takes. */
  pgType: string;
  /** A note when the type had to be assumed. */
  note: string | null;
}

/** Everything the phase builders share, worked out once. */
interface NewColumn {
  change: string;
  appLabel: string;
  model: DjangoModel;
  modelName: string;
  name: string;
  type: AddColumnType;
  column: string;
  table: string;
  pk: string;
  database: Database;
  /** The field's own kwargs (not null, not defaults), in models.py order. */
  kwargs: Kwarg[];
  /** Positional source in models.py (the target of a ForeignKey). */
  positional: string[];
  target: Target | null;
  onDelete: OnDelete | null;
  defaultValue: DefaultValue | null;
  /** Django >= 5.0: the default becomes `db_default` (else the RunSQL form). */
  dbDefault: boolean;
  nullable: boolean;
  /** Stands in for the finished field where django-fields.ts helpers want a DjangoField. */
  draft: DjangoField;
  /** `models.` as the models file spells it. */
  prefix: string;
  backfillSql: string | null;
  lock: LockSettings;
}

// ---------------------------------------------------------------------------------------------
// Input checks.

const VOLATILE_CALLS = new Set([
  'now', 'random', 'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'uuidv4', 'uuidv7',
  'clock_timestamp', 'statement_timestamp', 'transaction_timestamp', 'timeofday', 'nextval', 'setseed',
  'current_timestamp', 'current_time', 'current_date', 'localtimestamp', 'localtime',
  'timezone.now', 'django.utils.timezone.now', 'datetime.now', 'datetime.utcnow', 'datetime.today',
  'datetime.datetime.now', 'datetime.datetime.utcnow', 'datetime.datetime.today', 'date.today', 'datetime.date.today',
  'uuid.uuid1', 'uuid.uuid4', 'uuid.uuid7', 'uuid1', 'uuid4', 'uuid7', 'random.random', 'random.randint', 'secrets.token_hex',
]);
/** PostgreSQL's special timestamp inputs: taken when the statement runs, not once. */
const VOLATILE_WORDS = new Set(['now', 'today', 'tomorrow', 'yesterday']);

/** True for a default that is computed per row or per call (`now()`, `uuid.uuid4`, `'now'`). */
export function isVolatileDefault(value: string): boolean {
  const text = value.trim().replace(/^(['"])(.*)\1$/s, '$2').trim();
  if (VOLATILE_WORDS.has(text.toLowerCase())) return true;
  const call = /^([A-Za-z_][\w.]*)\s*(?:\(.*\))?$/s.exec(text);
  return call !== null && VOLATILE_CALLS.has(call[1]!.toLowerCase());
}

function requireWholeNumber(value: number | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min || value > max) fail(`${flag} must be a whole number from ${min} to ${max}`);
  return value;
}

const INTEGER_RANGE: Partial<Record<AddColumnType, [bigint, bigint]>> = {
  IntegerField: [-(2n ** 31n), 2n ** 31n - 1n],
  BigIntegerField: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** The default as Python and SQL literals, or a one-line refusal that says what to do instead. */
export function parseDefault(raw: string, type: AddColumnType, sizes: Sizes): DefaultValue {
  const same = (python: string, sql: string, sqlOthers = sql): DefaultValue => ({
    python,
    pythonDb: python,
    sql: { postgresql: sql, mysql: sqlOthers, sqlite: sqlOthers },
  });
  if (isVolatileDefault(raw)) {
    fail(
      `--default ${raw} is volatile: PostgreSQL computes it for every existing row, so ADD COLUMN would rewrite the whole table ` +
        `under an ACCESS EXCLUSIVE lock (and Python's default would differ from the database's). Use the backfill plan instead: ` +
        `leave out --default (the column is added nullable, then filled in batches with --backfill-sql "${raw.replace(/"/g, '\\"')}" ` +
        `and made NOT NULL a release later), or add it with --null`,
    );
  }
  if (/[\r\n\0]/.test(raw)) fail('--default must be one line of text');
  switch (type) {
    case 'IntegerField':
    case 'BigIntegerField': {
      if (!/^[+-]?\d+$/.test(raw.trim())) fail(`--default for ${type} must be a whole number, not "${raw}"`);
      const value = BigInt(raw.trim());
      const [min, max] = INTEGER_RANGE[type]!;
      if (value < min || value > max) fail(`--default ${raw} does not fit a ${type} (${min} to ${max})`);
      return same(value.toString(), value.toString());
    }
    case 'BooleanField': {
      const word = raw.trim().toLowerCase();
      if (word !== 'true' && word !== 'false') fail(`--default for BooleanField must be true or false, not "${raw}"`);
      return same(word === 'true' ? 'True' : 'False', word, word === 'true' ? '1' : '0');
    }
    case 'CharField':
    case 'TextField': {
      if (type === 'CharField' && sizes.maxLength !== undefined && [...raw].length > sizes.maxLength) {
        fail(`--default "${raw}" is longer than --max-length ${sizes.maxLength}`);
      }
      const value = { python: pythonString(raw), pythonDb: pythonString(raw), sql: { postgresql: sqlString(raw), mysql: sqlString(raw), sqlite: sqlString(raw) } };
      // MySQL takes a TEXT column's default only as an expression.
      if (type === 'TextField') value.sql.mysql = `(${sqlString(raw)})`;
      return value;
    }
    case 'DecimalField': {
      const match = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(raw.trim());
      if (!match) fail(`--default for DecimalField must be a number like 9.99, not "${raw}"`);
      const [, sign, whole, fraction = ''] = match;
      const wholeDigits = whole!.replace(/^0+(?=\d)/, '');
      const places = sizes.decimalPlaces ?? 0;
      if (fraction.length > places || (wholeDigits === '0' ? 0 : wholeDigits.length) > (sizes.maxDigits ?? 0) - places) {
        fail(`--default ${raw} does not fit --max-digits ${sizes.maxDigits} --decimal-places ${places}`);
      }
      const text = `${sign === '-' ? '-' : ''}${wholeDigits}${places > 0 ? `.${fraction.padEnd(places, '0')}` : ''}`;
      // A string keeps the value exact in Python; Django converts it to Decimal.
      return { python: pythonString(text), pythonDb: pythonString(text), sql: { postgresql: text, mysql: text, sqlite: text } };
    }
    case 'JSONField': {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        fail(`--default for JSONField must be JSON ({}, [], a number, a "string", true or false), not ${raw}`);
      }
      const json = JSON.stringify(value);
      const sql = { postgresql: `${sqlString(json)}::jsonb`, mysql: `(${sqlString(json)})`, sqlite: sqlString(json) };
      // A mutable default must be a callable in Python, or every instance would share it.
      if (json === '{}') return { python: 'dict', pythonDb: '{}', sql };
      if (json === '[]') return { python: 'list', pythonDb: '[]', sql };
      if (value === null) fail('--default null for JSONField is ambiguous (JSON null or SQL NULL); use --null for a nullable column');
      if (typeof value === 'object') fail('--default for JSONField must be {}, [] or a single value; fill other documents with the backfill plan (--backfill-sql)');
      const python = typeof value === 'string' ? pythonString(value) : typeof value === 'boolean' ? (value ? 'True' : 'False') : json;
      return { python, pythonDb: python, sql };
    }
    case 'DateTimeField':
    case 'UUIDField':
      return fail(
        `bg-scaffold does not write a fixed ${type} default (it would be the same ${type === 'UUIDField' ? 'UUID' : 'moment'} for every row); ` +
          `use --null, or leave out --default and fill existing rows with --backfill-sql`,
      );
    case 'ForeignKey':
      return fail(`a foreign key gets no --default (it would point every existing row at one row); use --null, or fill it with --backfill-sql`);
  }
}

/** The type of a primary key field, on PostgreSQL. */
function pgKeyType(fieldClass: string, field: DjangoField | null): string | null {
  switch (fieldClass) {
    case 'AutoField':
      return 'integer';
    case 'BigAutoField':
      return 'bigint';
    case 'SmallAutoField':
      return 'smallint';
    default:
      return field ? postgresColumnType(field) : null;
  }
}

function resolveTarget(input: AddColumnInput, to: string): Target {
  const dotted = /^([A-Za-z_]\w*)\.([A-Za-z_]\w*)$/.exec(to);
  const [label, modelName] = dotted ? [dotted[1]!, dotted[2]!] : [null, to];
  const candidates = input.apps
    .filter((app) => (label ? app.label === label : true))
    .flatMap((app) => app.models.filter((model) => model.name === modelName).map((model) => ({ app, model })));
  // A bare name means the model's own app first, as Django reads "Customer".
  const found = candidates.find((c) => c.app.label === input.app.label) ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (!found) {
    const known = input.apps.flatMap((app) => app.models.filter((m) => !m.abstract).map((m) => `${app.label}.${m.name}`));
    fail(`--to "${to}" is not a model bg-scaffold found in this project; models: ${known.join(', ') || '(none)'}`);
  }
  if (found.model.abstract) fail(`--to ${to} is abstract and has no table; point the foreign key at a concrete model`);
  const pkField = found.model.fields.find((f) => f.primaryKey) ?? null;
  if (pkField) {
    const pgType = pgKeyType(pkField.fieldClass, pkField);
    if (pgType === null) fail(`bg-scaffold does not know the column type of ${found.model.name}.${pkField.name} (${pkField.fieldClass}), the primary key --to points at`);
    return { ...found, table: found.model.dbTable, column: pkField.column, pgType, note: null };
  }
  const autoPk = found.model.django?.autoPk;
  if (autoPk?.postgresType) return { ...found, table: found.model.dbTable, column: autoPk.column, pgType: autoPk.postgresType, note: null };
  const autoField = input.defaultAutoFields[found.app.label] ?? null;
  const autoClass = autoField ? autoField.split('.').pop()! : null;
  const pgType = autoClass ? pgKeyType(autoClass, null) : null;
  if (pgType !== null) return { ...found, table: found.model.dbTable, column: 'id', pgType, note: null };
  return {
    ...found,
    table: found.model.dbTable,
    column: 'id',
    pgType: 'bigint',
    note: `${found.model.name}'s primary key type comes from DEFAULT_AUTO_FIELD, which bg-scaffold could not read${autoField ? ` ("${autoField}" is not an auto field it knows)` : ''}: it assumed BigAutoField (bigint). If the project uses AutoField, change "bigint" to "integer" in the migration`,
  };
}

/** `models.` as the file spells field classes (`models.CharField`), from the model's own fields. */
function modelsPrefix(model: DjangoModel): string {
  const dotted = model.fields.map((f) => f.callee).find((callee) => callee.includes('.'));
  return dotted ? dotted.slice(0, dotted.lastIndexOf('.') + 1) : 'models.';
}

function requireNotGiven(given: unknown, flag: string, applies: string): void {
  if (given !== undefined) fail(`${flag} applies to ${applies} only`);
}

/** The sizes --type takes, which a default must fit. */
export interface Sizes {
  maxLength?: number;
  maxDigits?: number;
  decimalPlaces?: number;
}

/** The size kwargs of the types that take them (max_length; max_digits, decimal_places); refused on the others. */
function sizeKwargs(input: AddColumnInput, type: AddColumnType): { kwargs: Kwarg[]; sizes: Sizes } {
  const kwargs: Kwarg[] = [];
  const plain = (kwarg: string, value: string) => kwargs.push({ name: kwarg, model: value, migration: value });
  const maxLength = requireWholeNumber(input.maxLength, '--max-length', 1, 10_485_760);
  const maxDigits = requireWholeNumber(input.maxDigits, '--max-digits', 1, 1000);
  const decimalPlaces = requireWholeNumber(input.decimalPlaces, '--decimal-places', 0, 1000);
  if (type === 'CharField') {
    if (maxLength === undefined) fail('--type CharField needs --max-length (the most characters it holds), e.g. --max-length 100');
    plain('max_length', String(maxLength));
  } else {
    requireNotGiven(maxLength, '--max-length', '--type CharField');
  }
  if (type === 'DecimalField') {
    if (maxDigits === undefined || decimalPlaces === undefined) {
      fail('--type DecimalField needs --max-digits and --decimal-places, e.g. --max-digits 10 --decimal-places 2');
    }
    if (decimalPlaces > maxDigits) fail(`--decimal-places ${decimalPlaces} is more than --max-digits ${maxDigits}`);
    plain('max_digits', String(maxDigits));
    plain('decimal_places', String(decimalPlaces));
  } else {
    requireNotGiven(maxDigits, '--max-digits', '--type DecimalField');
    requireNotGiven(decimalPlaces, '--decimal-places', '--type DecimalField');
  }
  return { kwargs, sizes: { maxLength, maxDigits, decimalPlaces } };
}

/** A foreign key's target and on_delete, and the arguments that name them: `"Customer"`, on_delete, related_name. */
interface ForeignKeyParts {
  target: Target | null;
  onDelete: OnDelete | null;
  positional: string[];
  kwargs: Kwarg[];
}

function foreignKeyParts(input: AddColumnInput, type: AddColumnType, prefix: string): ForeignKeyParts {
  const { model } = input;
  if (type !== 'ForeignKey') {
    requireNotGiven(input.to, '--to', '--type ForeignKey');
    requireNotGiven(input.onDelete, '--on-delete', '--type ForeignKey');
    requireNotGiven(input.relatedName, '--related-name', '--type ForeignKey');
    return { target: null, onDelete: null, positional: [], kwargs: [] };
  }
  if (!input.to) fail('--type ForeignKey needs --to (the model it points at), e.g. --to Customer');
  if (!input.onDelete) fail(`--type ForeignKey needs --on-delete (${ON_DELETE_CHOICES.join(', ')})`);
  const handler = input.onDelete.replace(/^models\./, '');
  if (!(ON_DELETE_CHOICES as readonly string[]).includes(handler)) {
    fail(`unknown --on-delete "${input.onDelete}"; choose one of: ${ON_DELETE_CHOICES.join(', ')}`);
  }
  const onDelete = handler as OnDelete;
  if (onDelete === 'SET_NULL' && !input.null) fail('--on-delete SET_NULL needs --null: the column must accept the NULL it sets');
  if (input.unique) fail('a unique foreign key is a one-to-one relation; bg-scaffold adds ForeignKey only, without --unique');
  const target = resolveTarget(input, input.to);
  const sameApp = target.app.label === input.app.label;
  const positional = [pythonString(sameApp ? target.model.name : `${target.app.label}.${target.model.name}`)];
  const kwargs: Kwarg[] = [{ name: 'on_delete', model: `${prefix}${onDelete}`, migration: `django.db.models.deletion.${onDelete}` }];
  if (input.relatedName !== undefined) {
    if (!/^(?:\+|[A-Za-z_]\w*\+?)$/.test(input.relatedName)) fail(`--related-name "${input.relatedName}" is not a valid Python identifier (or "+")`);
    const relatedName = pythonString(input.relatedName);
    kwargs.push({ name: 'related_name', model: relatedName, migration: relatedName });
  } else {
    const clash = model.fields.find(
      (f) => f.fieldClass === 'ForeignKey' && !('related_name' in f.kwargs) && f.relatedModel !== null && f.relatedModel.replace(/['"]/g, '').split('.').pop() === target.model.name,
    );
    if (clash) {
      fail(`${model.name}.${clash.name} already points at ${target.model.name} without a related_name, so both would be ${target.model.name}.${model.name.toLowerCase()}_set; pass --related-name`);
    }
  }
  return { target, onDelete, positional, kwargs };
}

function buildColumn(input: AddColumnInput, change: string): NewColumn {
  const { model, name, database } = input;
  if (!(input.type in ADD_COLUMN_TYPES)) {
    fail(`unknown --type "${input.type}"; choose one of: ${Object.keys(ADD_COLUMN_TYPES).join(', ')}`);
  }
  const type = input.type as AddColumnType;
  const prefix = modelsPrefix(model);
  const sized = sizeKwargs(input, type);
  const { target, onDelete, positional, kwargs: relationKwargs } = foreignKeyParts(input, type, prefix);
  const kwargs: Kwarg[] = [...sized.kwargs, ...relationKwargs];

  const column = type === 'ForeignKey' ? `${name}_id` : name;
  if (column !== name) {
    const taken = model.fields.find((f) => f.column === column || f.name === column);
    if (taken) fail(`--name "${name}" gives the column "${column}", which ${model.name}.${taken.name} already has; choose another name`);
  }

  let defaultValue: DefaultValue | null = null;
  if (input.default !== undefined) {
    defaultValue = parseDefault(input.default, type, sized.sizes);
  }
  if (input.unique && defaultValue) {
    fail('--unique with --default would give every existing row the same value, which the unique constraint refuses; use --null without --default, or the backfill plan (no --default) with --backfill-sql producing distinct values');
  }
  if (input.dbIndex && type !== 'ForeignKey') kwargs.push({ name: 'db_index', model: 'True', migration: 'True' });
  if (input.unique) kwargs.push({ name: 'unique', model: 'True', migration: 'True' });

  const dbDefault = supportsDbDefault(input.djangoVersion);
  const draftKwargs: Record<string, string> = Object.fromEntries(kwargs.map((k) => [k.name, k.model]));
  if (input.null) draftKwargs['null'] = 'True';
  const draft: DjangoField = {
    name,
    fieldClass: type,
    callee: `${prefix}${type}`,
    column,
    args: positional,
    kwargs: draftKwargs,
    nullable: input.null,
    unique: input.unique,
    primaryKey: false,
    dbIndex: input.dbIndex || type === 'ForeignKey',
    defaultSource: defaultValue?.python ?? null,
    dbDefaultSource: defaultValue && dbDefault ? defaultValue.pythonDb : null,
    relatedModel: target ? positional[0]! : null,
    onDelete,
    range: { start: 0, end: 0 },
    line: 0,
    endLine: 0,
  };
  return {
    change,
    appLabel: input.app.label,
    model,
    modelName: model.name.toLowerCase(),
    name,
    type,
    column,
    table: model.dbTable,
    pk: primaryKeyColumn(model),
    database,
    kwargs,
    positional,
    target,
    onDelete,
    defaultValue,
    dbDefault,
    nullable: input.null,
    draft,
    prefix,
    backfillSql: input.backfillSql ?? null,
    lock: input.lock,
  };
}

// ---------------------------------------------------------------------------------------------
// The field and column, written out.

/** The field's keyword arguments for models.py or a migration: its own, then null, then defaults. */
function fieldArguments(c: NewColumn, where: 'model' | 'migration', nullable: boolean): string[] {
  const parts = c.kwargs.map((k) => `${k.name}=${where === 'model' ? k.model : k.migration}`);
  if (c.target && where === 'migration') parts.push(`to=${pythonString(`${c.target.app.label}.${c.target.model.name.toLowerCase()}`)}`);
  if (nullable) parts.push('null=True');
  if (c.defaultValue) {
    parts.push(`default=${c.defaultValue.python}`);
    if (c.dbDefault) parts.push(`db_default=${c.defaultValue.pythonDb}`);
  }
  return parts;
}

/** `models.IntegerField(null=True)` as models.py gets it. */
function modelCall(c: NewColumn, nullable: boolean): string {
  return `${c.prefix}${c.type}(${[...c.positional, ...fieldArguments(c, 'model', nullable)].join(', ')})`;
}

/** The field as a migration writes it: relation targets as `"app.model"`, handlers by full path. */
function migrationField(c: NewColumn, nullable: boolean): string {
  return `models.${c.type}(${fieldArguments(c, 'migration', nullable).join(', ')})`;
}

function migrationImports(c: NewColumn): string[] {
  return c.onDelete ? ['import django.db.models.deletion'] : [];
}

function columnType(c: NewColumn, database: Database): string {
  if (database === 'postgresql') {
    if (c.target) return c.target.pgType;
    const type = postgresColumnType(c.draft);
    if (type === null) throw new Error(`no PostgreSQL type for ${c.type}`);
    return type;
  }
  // Only the pre-5.0 default form writes SQL outside PostgreSQL: the types that take a default.
  const draftType = postgresColumnType(c.draft) ?? '';
  const mysql = database === 'mysql';
  switch (c.type) {
    case 'TextField':
      return mysql ? 'longtext' : 'text';
    case 'BooleanField':
      return 'bool';
    case 'JSONField':
      return mysql ? 'json' : 'text';
    case 'DecimalField':
      return mysql ? draftType : 'decimal';
    default:
      return draftType;
  }
}

/** The new column's ADD COLUMN on `database`, with its default when `withDefault`. */
function addNewColumnSql(c: NewColumn, database: Database, options: { nullable: boolean; withDefault: boolean; ifNotExists: boolean }): string {
  const defaultSql = options.withDefault && c.defaultValue ? c.defaultValue.sql[database] : null;
  return addColumnSql(c.table, c.column, columnType(c, database), { nullable: options.nullable, default: defaultSql, ifNotExists: options.ifNotExists, database });
}

// ---------------------------------------------------------------------------------------------
// Migration steps.

/** PostgreSQL: ADD COLUMN under lock_timeout, then its foreign key and indexes, none blocking traffic for long. */
function pgExpandSteps(c: NewColumn, options: { nullable: boolean; withDefault: boolean }): MigrationOperation[] {
  const defaultNote = c.defaultValue && options.withDefault
    ? `With a constant DEFAULT, PostgreSQL 11+ adds it without rewriting the table (metadata only); the previous release's inserts get ${c.defaultValue.sql.postgresql}.`
    : 'Nullable, so the previous release, which does not know it, can still insert rows.';
  const steps: MigrationOperation[] = [
    {
      kind: 'ddl',
      comment: defaultNote,
      sql: [addNewColumnSql(c, 'postgresql', { ...options, ifNotExists: true })],
      reverseSql: [dropColumnSql(c.table, c.column)],
    },
  ];
  if (c.target && c.onDelete) {
    const dbOnDelete = onDeleteSql(c.onDelete) ?? 'NO ACTION';
    const why =
      dbOnDelete === 'NO ACTION'
        ? `Django's own constraint (it emulates ${c.onDelete} in Python).`
        : `ON DELETE ${dbOnDelete} in the database, as ${c.onDelete} does in this release's Python: the previous release does not know ${c.name}, and its deletes of ${c.target.model.name} would otherwise fail at COMMIT.`;
    steps.push({
      kind: 'add-foreign-key',
      comment: `Added NOT VALID (a brief lock), then validated without blocking writes. ${why}`,
      table: c.table,
      column: c.column,
      toTable: c.target.table,
      toColumn: c.target.column,
      onDelete: dbOnDelete,
    });
  }
  for (const index of djangoIndexesOf(c.draft)) {
    const what = index.unique ? 'unique constraint' : index.suffix === '_like' ? 'LIKE pattern index' : 'index';
    steps.push({
      kind: 'create-index',
      comment: `The ${what}, built CONCURRENTLY under Django's own name. It waits for open transactions, blocking nobody.`,
      table: c.table,
      column: c.column,
      suffix: index.suffix,
      opclass: index.opclass,
      unique: index.unique,
      ...(index.unique
        ? { onPurpose: { does: ['add-unique'], because: `"${c.column}" is new: the previous release does not know it and leaves it NULL, which a unique index lets repeat; only this release writes values there.` } }
        : {}),
    });
  }
  return steps;
}

/** The release that adds the column: rolling it back drops the column, with what was written to it. */
function rollbackLoses(c: NewColumn): string {
  return `Migrating backwards drops "${c.column}": the values written to it are lost.`;
}

function addFieldState(c: NewColumn, nullable: boolean): StateOperation {
  return { kind: 'AddField', modelName: c.modelName, name: c.name, field: migrationField(c, nullable) };
}

function backfillFunctionName(c: NewColumn): string {
  return `fill_${c.modelName}_${c.name}`;
}

/** The backfill: `--backfill-sql` in batches, or a function the user completes. */
function backfillStep(c: NewColumn, phase: { number: number; of: number }, oneTransaction = false): MigrationOperation {
  const batches = oneTransaction ? "in batches, inside this migration's one transaction" : 'in batches, each its own transaction';
  if (c.backfillSql === null) {
    return {
      kind: 'backfill-function',
      comment: `Fills the rows that still have no ${c.name}, ${batches}. COMPLETE ${c.name}_for() above first: until then it raises NotImplementedError.`,
      modelName: c.model.name,
      field: c.name,
      functionName: backfillFunctionName(c),
      valueFunction: `${c.name}_for`,
      marker: { change: c.change, phase: phase.number, of: phase.of },
    };
  }
  if (c.database === 'postgresql') {
    return {
      kind: 'backfill',
      comment: `Fills the rows that still have no ${c.name} (those the previous release inserted), ${batches}; a re-run skips filled rows.`,
      table: c.table,
      pk: c.pk,
      set: `${q(c.column)} = (${c.backfillSql})`,
      where: `${q(c.column)} IS NULL`,
    };
  }
  return {
    kind: 'backfill-sql-portable',
    comment: `Fills the rows that still have no ${c.name}, ${batches}.`,
    functionName: backfillFunctionName(c),
    table: c.table,
    pk: c.pk,
    column: c.column,
    expression: c.backfillSql,
  };
}

function enforceSteps(c: NewColumn, phase: { number: number; of: number }, background = false): MigrationOperation[] {
  const final = migrationField(c, false);
  if (background) {
    // The guard takes the backfill's place: the command filled the rows while releases 1 and 2 served.
    const [, setNotNull, state] = enforceSteps(c, phase) as [MigrationOperation, Extract<MigrationOperation, { kind: 'set-not-null' }>, MigrationOperation];
    const because = `Releases 1 and 2 write ${c.name} in every insert and update (the marked write paths), and the guard above found the background backfill finished.`;
    return [requireBackfillFinishedStep(c.change, [backgroundName(c)]), { ...setNotNull, onPurpose: { does: ['set-not-null'], because } }, state];
  }
  if (c.database === 'postgresql') {
    return [
      backfillStep(c, phase),
      {
        kind: 'set-not-null',
        comment: 'NOT NULL without a long lock: CHECK NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK.',
        table: c.table,
        column: c.column,
        onPurpose: {
          does: ['set-not-null'],
          because: `Release ${phase.number - 1}, the previous release, writes ${c.name} in every insert and update (its marked write paths), and the backfill above filled the rows before it.`,
        },
      },
      { kind: 'state-only', comment: `Django's state: ${c.name} is NOT NULL; the database change is above.`, operations: [{ kind: 'AlterField', modelName: c.modelName, name: c.name, field: final }] },
    ];
  }
  return [
    backfillStep(c, phase),
    { kind: 'django', comment: `${c.name} becomes NOT NULL.`, operation: { kind: 'AlterField', modelName: c.modelName, name: c.name, field: final } },
  ];
}

// ---------------------------------------------------------------------------------------------
// Phases.

const WRITE_PATHS = ['save()', 'create()', 'bulk_create()', 'update()'];

function insertEdit(c: NewColumn, nullable: boolean, note: string): ModelEdit {
  return { kind: 'insert-field', model: c.model.name, after: null, name: c.name, call: modelCall(c, nullable), note };
}

function describeExtras(c: NewColumn, pg: boolean): string {
  const indexes = djangoIndexesOf(c.draft).map((i) => (i.unique ? 'unique constraint' : i.suffix === '_like' ? 'LIKE pattern index' : 'index'));
  if (!pg) {
    const built = [...(c.target ? [`foreign key to ${c.target.model.name}`] : []), ...indexes];
    return built.length > 0 ? `, with its ${built.join(' and ')} (built by Django)` : '';
  }
  const extras: string[] = [];
  if (c.target) extras.push(`its foreign key to ${c.target.model.name} (NOT VALID, then validated)`);
  if (indexes.length > 0) extras.push(`builds its ${indexes.join(' and ')} CONCURRENTLY`);
  return extras.length > 0 ? `; ${extras.join('; ')}` : '';
}

function onePhase(c: NewColumn, spec: {
  title: string;
  state: string;
  database: string;
  code: string;
  afterSwitch: string[];
  why: string[];
  operations: MigrationOperation[];
  atomic: boolean;
  nullable: boolean;
  note: string;
  risks: string[];
}): Phase {
  return {
    number: 1,
    of: 1,
    name: 'add',
    title: spec.title,
    state: spec.state,
    database: spec.database,
    code: spec.code,
    serving: { duringMigration: `the previous release (does not know \`${c.name}\`)`, afterSwitch: spec.afterSwitch },
    beforeNext: ['Nothing: the change is complete once this release is rolled out.'],
    risks: spec.risks,
    migration: {
      slug: `${c.modelName}_${c.name}_add`.slice(0, 60),
      atomic: spec.atomic,
      why: spec.why,
      imports: migrationImports(c),
      irreversible: null,
      rollbackLoses: rollbackLoses(c),
      operations: spec.operations,
    },
    modelEdits: [insertEdit(c, spec.nullable, spec.note)],
    codeBlocks: [],
  };
}

function nullablePhases(c: NewColumn): Phase[] {
  const pg = c.database === 'postgresql';
  const operations: MigrationOperation[] = pg
    ? [
        ...pgExpandSteps(c, { nullable: true, withDefault: false }),
        { kind: 'state-only', comment: `Django's state gains ${c.name}; the database changes are above.`, operations: [addFieldState(c, true)] },
      ]
    : [{ kind: 'django', comment: 'Nullable, so the previous release, which does not know it, can still insert rows.', operation: addFieldState(c, true) }];
  return [
    onePhase(c, {
      title: `Add ${c.model.name}.${c.name} (nullable)`,
      state: `Gains \`${c.name}\` (\`null=True\`).`,
      database: `Adds the nullable column "${c.column}"${pg ? ' (metadata only)' : ''}${describeExtras(c, pg)}.`,
      code: `May read and write \`${c.name}\`. Rows the previous release inserts have it NULL.`,
      afterSwitch: [`the previous release, inserting rows with "${c.column}" NULL`, `this release, reading and writing \`${c.name}\``],
      why: [
        `Adds "${c.column}" as a nullable column: the previous release does not know it and`,
        'inserts rows without it. Migrating backwards drops the column and its values.',
      ],
      operations,
      atomic: atomicFor(operations),
      nullable: true,
      note: 'added',
      risks: [],
    }),
  ];
}

/** PostgreSQL steps commit on their own; CONCURRENTLY needs it. Django's own operations run in one transaction. */
function atomicFor(operations: MigrationOperation[]): boolean {
  return !operations.some((op) => op.kind === 'ddl' || op.kind === 'create-index' || op.kind === 'add-foreign-key');
}

function defaultPhases(c: NewColumn): Phase[] {
  const pg = c.database === 'postgresql';
  const value = c.defaultValue!;
  const sqlValue = value.sql[c.database];
  let operations: MigrationOperation[];
  let why: string[];
  if (c.dbDefault) {
    operations = pg
      ? [
          ...pgExpandSteps(c, { nullable: c.nullable, withDefault: true }),
          {
            kind: 'state-only',
            comment: `Django's state gains ${c.name} with db_default (kept in the database) and default (for new Python objects).`,
            operations: [addFieldState(c, c.nullable)],
          },
        ]
      : [
          {
            kind: 'django',
            comment: `db_default stays in the database, so the previous release's inserts get ${sqlValue}; default= gives new Python objects the same value.`,
            operation: addFieldState(c, c.nullable),
          },
        ];
    why = [
      `Adds "${c.column}" with the database default ${sqlValue}: the previous release does not know`,
      `the column and inserts rows without it. Not AddField(default=...): Django drops that default again`,
      `in the same migration, and the previous release's inserts would fail.`,
    ];
  } else {
    // Django < 5.0 has no db_default: the seed's RunSQL form keeps the default in the database.
    // The RunSQL is the whole migration, in one transaction: SET LOCAL lasts until it commits.
    const lockStep = pg ? [`SET LOCAL lock_timeout = ${sqlString(c.lock.lockTimeout)}`, statementTimeoutSql(c.lock.lockTimeout)] : [];
    operations = [
      {
        kind: 'run-sql',
        comment: `The column keeps DEFAULT ${sqlValue} in the database (Django < 5.0 has no db_default, and AddField(default=...) drops the default again).`,
        sql: [...lockStep, addNewColumnSql(c, c.database, { nullable: c.nullable, withDefault: true, ifNotExists: false })],
        reverseSql: [...lockStep, dropColumnSql(c.table, c.column, { ifExists: false, database: c.database })],
        stateOperations: [addFieldState(c, c.nullable)],
        ...(pg ? { onPurpose: { does: ['drop-column-backwards'], because: `Only when migrating backwards, once this release's code has stopped: the reverse drops "${c.column}", which this migration adds and the previous release never knew.` } } : {}),
      },
    ];
    why = [
      `Adds "${c.column}" with DEFAULT ${sqlValue} kept in the database, so the previous release's inserts`,
      `work. Django < 5.0 has no db_default and AddField(default=...) drops the default again, hence RunSQL`,
      `with state_operations.${pg ? ' The lock_timeout is set for this migration\'s transaction; there are no retries: if it times out, run migrate again.' : ''}`,
    ];
  }
  const atomic = c.dbDefault ? atomicFor(operations) : true;
  return [
    onePhase(c, {
      title: `Add ${c.model.name}.${c.name} with the database default ${sqlValue}`,
      state: `Gains \`${c.name}\` (\`default=${value.python}\`${c.dbDefault ? `, \`db_default=${value.pythonDb}\`` : ''}${c.nullable ? ', `null=True`' : ''}).`,
      database: `Adds "${c.column}" with DEFAULT ${sqlValue}${c.nullable ? '' : ' NOT NULL'}${pg ? ' (metadata only on PostgreSQL 11+)' : ''}${describeExtras(c, pg)}.`,
      code: `Reads and writes \`${c.name}\`. Rows the previous release inserts get ${sqlValue} from the database.`,
      afterSwitch: [`the previous release, whose inserts get ${sqlValue}`, `this release, reading and writing \`${c.name}\``],
      why,
      operations,
      atomic,
      nullable: c.nullable,
      note: 'added',
      risks: [],
    }),
  ];
}

function todoBlock(c: NewColumn): CodeBlock {
  return {
    role: 'todo',
    model: c.model.name,
    anchor: 'class-body-end',
    method: null,
    template: 'snippets/add-column-write-todo',
    data: { change: c.change, model: c.model.name, field: c.name, column: c.column, writePaths: WRITE_PATHS },
  };
}

function backfillRisk(c: NewColumn, migrationPhase: number): string | null {
  if (c.backfillSql !== null) return null;
  return `The backfill is yours to write: complete ${c.name}_for() in release ${migrationPhase}'s migration (the marked TODO). Until then that migration raises NotImplementedError, so it cannot run empty.`;
}

function backfillPhases(c: NewColumn): Phase[] {
  const pg = c.database === 'postgresql';
  const expand: MigrationOperation[] = pg
    ? [
        ...pgExpandSteps(c, { nullable: true, withDefault: false }),
        { kind: 'state-only', comment: `Django's state gains ${c.name}, nullable until release 2 fills it.`, operations: [addFieldState(c, true)] },
      ]
    : [{ kind: 'django', comment: 'Nullable until release 2 fills it: the previous release inserts rows without it.', operation: addFieldState(c, true) }];
  const enforce = enforceSteps(c, { number: 2, of: 2 });
  const risk = backfillRisk(c, 2);
  const fill = c.backfillSql !== null ? `with \`${c.backfillSql}\`` : `with ${c.name}_for() (yours to complete)`;
  return [
    {
      number: 1,
      of: 2,
      name: 'expand',
      title: `Add ${c.model.name}.${c.name} nullable; code writes it on every insert and update`,
      state: `Gains \`${c.name}\` with \`null=True\` (until release 2).`,
      database: `Adds the nullable column "${c.column}"${pg ? ' (metadata only)' : ''}${describeExtras(c, pg)}.`,
      code: `Writes \`${c.name}\` on every insert and update (${WRITE_PATHS.join(', ')}: the marked TODO in models.py), and reads NULL as "not yet filled".`,
      serving: {
        duringMigration: `the previous release (does not know \`${c.name}\`)`,
        afterSwitch: [`the previous release, inserting rows with "${c.column}" NULL`, `this release, writing \`${c.name}\` on every insert and update`],
      },
      beforeNext: [
        `Every write path sets \`${c.name}\`, save() of rows read before the fill included (the TODO in models.py is done; release 2 removes it).`,
        'This release is fully rolled out: no instance of the previous release inserts rows without the column any more.',
      ],
      risks: [],
      migration: {
        slug: `${c.modelName}_${c.name}_expand`.slice(0, 60),
        atomic: atomicFor(expand),
        why: [
          `Adds "${c.column}" nullable: the previous release inserts rows without it. This release writes it;`,
          'release 2 fills the rest and makes it NOT NULL, once no serving release leaves it empty.',
        ],
        imports: migrationImports(c),
        irreversible: null,
        rollbackLoses: rollbackLoses(c),
        operations: expand,
      },
      modelEdits: [insertEdit(c, true, 'added, nullable until release 2 fills it')],
      codeBlocks: [todoBlock(c)],
    },
    {
      number: 2,
      of: 2,
      name: 'enforce',
      title: `Fill ${c.model.name}.${c.name} and make it NOT NULL`,
      state: `\`${c.name}\` loses \`null=True\`.`,
      database: `Fills the rows where "${c.column}" is NULL ${fill}, in batches; then NOT NULL${pg ? ' through a validated CHECK' : ' (Django AlterField)'}.`,
      code: `Writes \`${c.name}\` as in release 1; the TODO block is gone.`,
      serving: {
        duringMigration: `release 1 (writes \`${c.name}\`)`,
        afterSwitch: [`release 1 and this release, both writing \`${c.name}\``],
      },
      beforeNext: ['Nothing: the change is complete.'],
      risks: risk ? [risk] : [],
      migration: {
        slug: `${c.modelName}_${c.name}_enforce`.slice(0, 60),
        atomic: false,
        why: [
          `Every serving release writes "${c.column}" now, so the rows the backfill fills stay filled. Not`,
          'atomic: the backfill commits batch by batch. Every step is safe to run again. Migrating backwards',
          'makes the column nullable again; the filled values stay.',
        ],
        imports: migrationImports(c),
        irreversible: null,
        operations: enforce,
      },
      // The change is complete: the field loses null=True and, like every marker of the change, its marker.
      modelEdits: [
        { kind: 'edit-field', model: c.model.name, field: c.name, rename: null, setKwargs: {}, removeKwargs: ['null'], note: 'NOT NULL' },
        { kind: 'unmark', model: c.model.name },
      ],
      codeBlocks: [],
    },
  ];
}

function backgroundName(c: NewColumn): string {
  return backgroundBackfillName(c.change, c.table, c.column);
}

/**
 * --backfill background: release 2's migration only registers the fill (every serving release writes
 * the column by then, so what the command fills stays filled); the command works it while releases 1
 * and 2 serve; NOT NULL, which needs every row filled, waits for release 3, whose migration begins
 * with the guard. One release more than the in-migrate form.
 */
function backgroundPhases(c: NewColumn): Phase[] {
  const [expand, enforce] = backfillPhases(c) as [Phase, Phase];
  const fill = backfillStep(c, { number: 2, of: 3 });
  if (fill.kind !== 'backfill') throw new Error('a background backfill needs --backfill-sql on PostgreSQL');
  const command = backfillCommand(c.change);
  return [
    {
      ...expand,
      of: 3,
      migration: {
        ...expand.migration!,
        why: [
          `Adds "${c.column}" nullable: the previous release inserts rows without it. This release writes it;`,
          'release 2 registers a background fill of the rest, once no serving release leaves it empty, and',
          'release 3 makes it NOT NULL once that fill has finished.',
        ],
      },
      modelEdits: [insertEdit(c, true, 'added, nullable until release 3')],
    },
    {
      number: 2,
      of: 3,
      name: 'fill',
      title: `Fill ${c.model.name}.${c.name} in the background`,
      state: `Unchanged: \`${c.name}\` keeps \`null=True\` until release 3.`,
      database: `Registers the fill of the rows where "${c.column}" is NULL with \`${c.backfillSql}\` and returns at once; \`${command}\` works it in batches while releases 1 and 2 serve.`,
      code: `Writes \`${c.name}\` as in release 1; the TODO block is gone.`,
      serving: {
        duringMigration: `release 1 (writes \`${c.name}\`)`,
        afterSwitch: [`release 1 and this release, both writing \`${c.name}\`, while the command fills the rest`],
      },
      beforeNext: [
        `The background backfill has finished: \`${command}\` ran to the end (\`bg-scaffold status --database-url ...\` or \`python manage.py bg_scaffold_backfill --status\` says finished). Release 3's migration checks it and stops until then.`,
      ],
      risks: [],
      migration: {
        slug: `${c.modelName}_${c.name}_fill`.slice(0, 60),
        atomic: false,
        why: [
          `Every serving release writes "${c.column}" now, so the rows the command fills stay filled. This`,
          `migration only registers the fill and returns: ${command} does it,`,
          'in batches, while this release serves. Migrating backwards removes the registration.',
        ],
        imports: [],
        irreversible: null,
        operations: [
          registerBackfillStep(
            fill,
            c.change,
            backgroundName(c),
            `Registers the fill of the rows that still have no ${c.name} (those the previous release inserted), for ${command}; migrate does not wait for it.`,
          ),
        ],
      },
      modelEdits: [],
      codeBlocks: [],
    },
    {
      ...enforce,
      number: 3,
      of: 3,
      title: `Make ${c.model.name}.${c.name} NOT NULL once the background fill has finished`,
      database: `Checks that the background backfill has finished (else stops, naming ${command}); then NOT NULL through a validated CHECK.`,
      code: `Writes \`${c.name}\` as in releases 1 and 2.`,
      serving: {
        duringMigration: `release 2 (writes \`${c.name}\`)`,
        afterSwitch: [`release 2 and this release, both writing \`${c.name}\``],
      },
      migration: {
        ...enforce.migration!,
        why: [
          `The background backfill registered by release 2 has filled "${c.column}" (the guard below stops`,
          'migrate until it has); every serving release writes it. Not atomic: each step commits on its own',
          'and is safe to run again. Migrating backwards makes the column nullable again; the values stay.',
        ],
        operations: enforceSteps(c, { number: 3, of: 3 }, true),
      },
    },
  ];
}

function singleReleasePhases(c: NewColumn, warning: string): Phase[] {
  const pg = c.database === 'postgresql';
  const phase = { number: 1, of: 1 };
  const operations: MigrationOperation[] = pg
    ? [
        {
          kind: 'ddl',
          comment: 'Nullable first, so the backfill can fill it. From here the table stays locked until the migration commits.',
          sql: [addNewColumnSql(c, 'postgresql', { nullable: true, withDefault: false, ifNotExists: true })],
          reverseSql: [dropColumnSql(c.table, c.column)],
        },
        backfillStep(c, phase, true),
        { kind: 'set-not-null', comment: 'NOT NULL, in the same transaction.', table: c.table, column: c.column },
        { kind: 'state-only', comment: `Django's state gains ${c.name}, NOT NULL.`, operations: [addFieldState(c, false)] },
      ]
    : [
        { kind: 'django', comment: 'Nullable first, so the backfill can fill it.', operation: addFieldState(c, true) },
        backfillStep(c, phase, true),
        { kind: 'django', comment: `${c.name} becomes NOT NULL.`, operation: { kind: 'AlterField', modelName: c.modelName, name: c.name, field: migrationField(c, false) } },
      ];
  const risk = backfillRisk(c, 1);
  return [
    {
      ...onePhase(c, {
        title: `Add ${c.model.name}.${c.name} NOT NULL in one release (single-release)`,
        state: `Gains \`${c.name}\`, NOT NULL.`,
        database: `Adds "${c.column}" nullable, fills it ${c.backfillSql !== null ? `with \`${c.backfillSql}\`` : `with ${c.name}_for() (yours to complete)`}, sets NOT NULL: one transaction.`,
        code: `Writes \`${c.name}\` on every insert.`,
        afterSwitch: [`the previous release, whose inserts FAIL (no value for the NOT NULL "${c.column}")`, `this release, writing \`${c.name}\``],
        why: [
          'Adds the column, fills it and sets NOT NULL in one atomic migration (--strategy single-release):',
          'read the RISK below before shipping it.',
        ],
        operations,
        atomic: true,
        nullable: false,
        note: 'added (single-release)',
        risks: [warning, ...(risk ? [risk] : [])],
      }),
    },
  ];
}

// ---------------------------------------------------------------------------------------------

export function addColumnPlan(input: AddColumnInput): ChangePlan {
  const { app, model, name, database } = input;
  requireOwnTable(model);
  if (model.abstract) fail(`${model.name} is abstract and has no table; add the field to the abstract model by hand and run makemigrations`);
  validateNewFieldName(name, model, '--name', { appLabel: app.label, apps: input.apps, column: input.type === 'ForeignKey' ? `${name}_id` : name });

  const change = input.changeId ?? deriveChangeId([model.name, 'add', name]);
  validateChangeId(change);
  const c = buildColumn(input, change);
  const strategy = input.strategy ?? 'phased';

  refuseStrategyInputs(input, c, strategy);
  const variant = chooseVariant(c, strategy);
  const background = input.backfill === 'background';
  if (background) refuseBackgroundInput(c, variant);
  const singleReleaseWarning =
    `--strategy single-release: the previous release does not write ${c.name}, so from the moment this migration commits ` +
    `its inserts into ${c.table} FAIL (NOT NULL without a default) until it is retired; and the table stays locked ` +
    `(ACCESS EXCLUSIVE) for the whole backfill. Ship it only when the previous release does not insert ${model.name} rows, or take the downtime.`;
  const warnings = addColumnWarnings(input, c, variant, singleReleaseWarning);
  const large = variant === 'backfill' && !background ? inMigrateWarning(c.table, input.rowsEstimate) : null;
  if (large) warnings.push(large);

  let phases: Phase[];
  switch (variant) {
    case 'nullable':
      phases = nullablePhases(c);
      break;
    case 'db-default':
    case 'runsql-default':
      phases = defaultPhases(c);
      break;
    case 'backfill':
      phases = background ? backgroundPhases(c) : backfillPhases(c);
      break;
    case 'single-release':
      phases = singleReleasePhases(c, singleReleaseWarning);
      break;
  }

  return {
    schemaVersion: 1,
    change,
    op: 'add-column',
    app: app.label,
    model: model.name,
    inputs: {
      app: app.label,
      model: model.name,
      name,
      type: c.type,
      maxLength: input.maxLength ?? null,
      maxDigits: input.maxDigits ?? null,
      decimalPlaces: input.decimalPlaces ?? null,
      to: c.target ? `${c.target.app.label}.${c.target.model.name}` : null,
      onDelete: c.onDelete,
      relatedName: input.relatedName ?? null,
      null: input.null,
      default: input.default ?? null,
      dbIndex: input.dbIndex,
      unique: input.unique,
      backfillSql: input.backfillSql ?? null,
      strategy,
      // Recorded only when asked for: an in-migrate plan.json stays as it was before --backfill.
      ...(background ? { backfill: 'background' } : {}),
      database,
      djangoVersion: input.djangoVersion,
    },
    strategy: variant,
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    phases,
    warnings,
    verifiedOn: background
      ? [BACKGROUND_VERIFIED_IN_MATRIX]
      : addColumnVerifiedOn(c, variant),
    ...(background
      ? {
          background: backgroundBackfill({
            change,
            table: c.table,
            registeredIn: 2,
            guardedIn: 3,
            names: [backgroundName(c)],
            moved: 'NOT NULL, which needs every row filled, moved from release 2 (where the in-migrate form sets it right after its backfill) to release 3: one release more than the in-migrate form.',
            remainingSql: `SELECT count(*) FROM ${q(c.table)} WHERE ${q(c.column)} IS NULL`,
            rowsEstimate: input.rowsEstimate ?? null,
          }),
        }
      : {}),
  };
}

/** --backfill background works an SQL backfill on PostgreSQL: the two-release NOT NULL plan with --backfill-sql. */
function refuseBackgroundInput(c: NewColumn, variant: AddColumnVariant): void {
  refuseBackground({
    database: c.database,
    backfills: variant === 'backfill',
    nothingToFill: variant === 'single-release' ? '--strategy single-release fills the column inside its one transaction' : `a column added with ${c.defaultValue ? '--default' : '--null'} needs no backfill`,
  });
  if (c.backfillSql === null) fail('--backfill background runs an SQL backfill: give --backfill-sql EXPR (the Python function you complete runs in migrate only)');
}

/** Refuses --backfill-sql and --strategy single-release where they cannot work, and a pre-5.0 default with an index. */
function refuseStrategyInputs(input: AddColumnInput, c: NewColumn, strategy: AddColumnStrategy): void {
  const { model, database } = input;
  if (input.backfillSql !== undefined) {
    if (input.null || input.default !== undefined) fail('--backfill-sql fills a NOT NULL column without a default; leave it out with --null or --default');
    if (!input.backfillSql.trim()) fail('--backfill-sql is empty; give an SQL expression over the row, e.g. --backfill-sql "quantity * 2"');
    if (input.backfillSql.includes(';')) fail('--backfill-sql must be one SQL expression (no ";"), e.g. --backfill-sql "quantity * 2"');
    // Batches are ranges of the primary key.
    const pkField = model.fields.find((f) => f.primaryKey);
    if (pkField && !/^(?:Big|Small)?(?:Auto|Integer)Field$|^Positive(?:Big|Small)?IntegerField$/.test(pkField.fieldClass)) {
      fail(`--backfill-sql works in ranges of an integer primary key, and ${model.name}.${pkField.name} is a ${pkField.fieldClass}; leave out --backfill-sql to complete a Python backfill instead`);
    }
  }
  if (strategy === 'single-release') {
    if (input.null || input.default !== undefined) {
      fail('--strategy single-release is for a NOT NULL column without a default; a nullable column or one with --default takes one release anyway');
    }
    if (database === 'mysql') fail('--strategy single-release needs transactional DDL, which MySQL does not have; use the default two-release plan');
    if (database === 'postgresql' && (input.dbIndex || input.unique || c.target)) {
      fail('--strategy single-release runs in one transaction, where indexes cannot be built CONCURRENTLY; leave out --db-index/--unique (and foreign keys), or use the default two-release plan');
    }
  }
  if (c.defaultValue && !c.dbDefault && database === 'postgresql' && djangoIndexesOf(c.draft).length > 0) {
    fail(`on Django ${input.djangoVersion} the default is added with RunSQL in one transaction, where the index cannot be built CONCURRENTLY; leave out --db-index/--unique, or generate for Django 5.0+ (--django-version)`);
  }
}

/** The plan variant: what the previous release's inserts need decides it (DESIGN §2). */
function chooseVariant(c: NewColumn, strategy: AddColumnStrategy): AddColumnVariant {
  if (strategy === 'single-release') return 'single-release';
  if (c.defaultValue) return c.dbDefault ? 'db-default' : 'runsql-default';
  return c.nullable ? 'nullable' : 'backfill';
}

function addColumnWarnings(input: AddColumnInput, c: NewColumn, variant: AddColumnVariant, singleReleaseWarning: string): string[] {
  const warnings: string[] = [];
  if (variant === 'single-release') warnings.push(singleReleaseWarning);
  const risk = backfillRisk(c, variant === 'single-release' ? 1 : 2);
  if (risk && (variant === 'backfill' || variant === 'single-release')) {
    warnings.push(`Without --backfill-sql: ${risk} To fill existing rows with SQL instead, generate the change with --backfill-sql EXPR.`);
  }
  if (c.backfillSql !== null) {
    // The expression runs in the next release's migration: a name the table has not fails it there.
    // The primary key is a column too, declared or Django's own `id`.
    const columns = [...new Set([c.pk, ...c.model.fields.filter((field) => field.fieldClass !== 'ManyToManyField').map((field) => field.column)])];
    const known = new Set([...columns, ...columns.map((column) => column.toLowerCase())]);
    const unknown = columnsNamedIn(c.backfillSql).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      warnings.push(
        `--backfill-sql "${c.backfillSql}" names ${unknown.map((name) => `"${name}"`).join(', ')}, which ${c.table} has no column of as ${c.model.name} declares it (its columns: ${columns.join(', ')}): the backfill fails at migrate unless it is a function or word of SQL; fix the expression and generate again`,
      );
    }
  }
  if (c.target?.note) warnings.push(c.target.note);
  if (c.defaultValue && input.djangoVersion === null) {
    warnings.push('the Django version was not found in requirements, pyproject.toml or lock files: generated db_default (Django 5.0+); on an older Django pass --django-version 4.2 for the RunSQL form');
  }
  if (input.database === 'sqlite') warnings.push(sqliteWarning());
  return warnings;
}

/** Which tests prove this plan's shape (PLAN.md prints it); keep in step with test/matrix/scenarios-add-column.ts. */
function addColumnVerifiedOn(c: NewColumn, variant: AddColumnVariant): string[] {
  const matrix = verifiedOn('add-column', variant, c.database);
  if (c.database !== 'postgresql') return [...matrix, ...notVerifiedOutsidePostgres(c, variant)];
  if (variant === 'runsql-default') {
    return [
      'The RunSQL form for Django < 5.0 is applied, rolled back and read through sqlmigrate on Django 5.2 and PostgreSQL 15 by the test suite; the blue-green matrix does not run Django 4.x.',
    ];
  }
  if (variant === 'single-release') {
    return [`${matrix[0]}, as a negative control: the previous release's inserts fail, as the warning says.`];
  }
  return matrix;
}

/** What PLAN.md must say a non-PostgreSQL plan does not do, beyond "not verified". */
function notVerifiedOutsidePostgres(c: NewColumn, variant: AddColumnVariant): string[] {
  if (c.database === 'postgresql') return [];
  const notes = [
    `These migrations use plain Django operations on ${c.database}: no lock_timeout or retries, and Django's AddField builds indexes${c.target ? ' and the foreign key' : ''} while it holds the table (not CONCURRENTLY${c.target ? ', not NOT VALID' : ''}).`,
  ];
  if (c.database === 'mysql') notes.push('MySQL has no transactional DDL: a migration that fails halfway leaves its finished steps behind; check the table before re-running it.');
  if (variant === 'runsql-default') notes.push(`The RunSQL for ${c.database} was written by bg-scaffold for the types it knows; check its column type against Django's.`);
  return notes;
}
