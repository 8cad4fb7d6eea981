/**
 * change-column-type: the release plans of DESIGN §2 "Further operations" for changing a column's
 * type while the previous release keeps serving. Pure: (request, project facts) → ChangePlan.
 *
 * On PostgreSQL a change the server makes without a rewrite (a wider varchar, text, more numeric
 * precision) is one ALTER under lock_timeout. Anything else swaps columns: release 1 adds a column
 * of the new type that a trigger keeps equal to the old one, backfills it and builds every index
 * and constraint on it; release 2 swaps the names in one short transaction (Django's state sees one
 * AlterField); release 3 drops the old column. A primary key takes every foreign key that points at
 * it along. No release's code writes the new column before the swap (the model still maps the old
 * one), so the trigger runs one way; migrating release 2 backwards runs it the other way.
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import { isRelation, migrationFieldExpression, postgresColumnType, primaryKeyColumn, requireOwnTable } from '../shared/django-fields.js';
import { deriveChangeId, pgIdentifier, validateChangeId } from '../shared/names.js';
import { incomingRelations } from '../shared/relations.js';
import { addColumnSql, dropColumnSql, q } from '../shared/sql.js';
import type { ChangePlan, LockSettings, MigrationOperation, ModelEdit, Phase, StateOperation, SwappedColumn } from '../shared/types.js';
import { verifiedOn } from '../shared/verified-on.js';
import { BACKGROUND_VERIFIED_IN_MATRIX, backgroundBackfill, backgroundNotInMatrix, backgroundBackfillName, inMigrateWarning, type BackfillMode, backfillCommand, refuseBackground, registerBackfillStep, requireBackfillFinishedStep } from '../shared/background-backfill.js';
import { sqliteWarning } from '../shared/warnings.js';

/** The field classes a column can change to, and the PostgreSQL type each gives. */
export const COLUMN_TYPES = {
  SmallIntegerField: 'smallint',
  IntegerField: 'integer',
  BigIntegerField: 'bigint',
  PositiveSmallIntegerField: 'smallint',
  PositiveIntegerField: 'integer',
  PositiveBigIntegerField: 'bigint',
  SmallAutoField: 'smallint',
  AutoField: 'integer',
  BigAutoField: 'bigint',
  DecimalField: 'numeric',
  FloatField: 'double precision',
  CharField: 'varchar',
  TextField: 'text',
} as const;

export type ColumnType = keyof typeof COLUMN_TYPES;

const AUTO_FIELDS = new Set<string>(['SmallAutoField', 'AutoField', 'BigAutoField']);
/** The classes whose columns bg-scaffold changes: numbers and text (a date or a JSON document is not cast). */
const CHANGEABLE = new Set<string>([...Object.keys(COLUMN_TYPES), 'SlugField', 'EmailField', 'URLField']);
const INTEGER_RANK: Record<string, number> = { smallint: 1, integer: 2, bigint: 3 };

export interface ChangeColumnTypeInput {
  app: DjangoApp;
  /** Every app whose models may point at this one (their foreign keys follow a primary key); [app] when absent. */
  apps?: DjangoApp[];
  model: DjangoModel;
  /** The field, or the primary key Django adds (`field` null, `autoPk` set). */
  field: DjangoField | null;
  fieldName: string;
  type: string;
  maxLength?: number;
  maxDigits?: number;
  decimalPlaces?: number;
  /** SQL of the new value from the old column, when PostgreSQL has no implicit cast. */
  using?: string;
  /** `--backfill`: the new columns filled in migrate (default), or registered for `manage.py bg_scaffold_backfill`. */
  backfill?: BackfillMode;
  /** The table's rows (pg_class.reltuples) when a database was read at generation, for PLAN.md's advice. */
  rowsEstimate?: number | null;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

/** A column the plan changes: the field's own, or a foreign key's that follows a primary key. */
interface ChangedColumn {
  appLabel: string;
  model: DjangoModel;
  table: string;
  column: string;
  pk: string;
  nullable: boolean;
  oldType: string;
  newType: string;
  /** `field.column` for the field, `app.Model.field` for a foreign key that follows it. */
  label: string;
}

/** How PostgreSQL gets from one type to the other. */
export type TypeChangeKind = 'metadata-only' | 'column-swap';

interface TypeChange {
  change: string;
  appLabel: string;
  model: DjangoModel;
  fieldName: string;
  primaryKey: boolean;
  /** Declared in models.py (false: the primary key Django adds). */
  declared: boolean;
  newClass: ColumnType;
  /** The field's keyword arguments the new class sets and drops. */
  setKwargs: Record<string, string>;
  removeKwargs: string[];
  /** The field as the migration's AlterField writes it. */
  stateField: { source: string; imports: string[] };
  columns: ChangedColumn[];
  using: string | null;
  database: Database;
}

/** The field's new keyword arguments: sizes the new class takes, set; the ones it does not, dropped. */
function kwargsFor(input: ChangeColumnTypeInput, field: DjangoField | null): { set: Record<string, string>; remove: string[] } {
  const set: Record<string, string> = {};
  // A size the new class does not take goes, whether models.py writes it or the class implies it
  // (EmailField's max_length): makemigrations would write the field without it.
  const remove: string[] = [];
  const has = (name: string) => field !== null && (name in field.kwargs || (field.django?.migration && 'kwargs' in field.django.migration ? field.django.migration.kwargs.some(([key]) => key === name) : false));
  if (input.type === 'CharField') {
    if (input.maxLength !== undefined) set.max_length = String(input.maxLength);
    else if (!has('max_length')) fail(`--type CharField needs --max-length (the most characters it holds)`);
  } else {
    if (input.maxLength !== undefined) fail(`--max-length applies to --type CharField only`);
    if (has('max_length')) remove.push('max_length');
  }
  if (input.type === 'DecimalField') {
    if (input.maxDigits !== undefined) set.max_digits = String(input.maxDigits);
    else if (!has('max_digits')) fail(`--type DecimalField needs --max-digits and --decimal-places`);
    if (input.decimalPlaces !== undefined) set.decimal_places = String(input.decimalPlaces);
    else if (!has('decimal_places')) fail(`--type DecimalField needs --max-digits and --decimal-places`);
  } else {
    if (input.maxDigits !== undefined || input.decimalPlaces !== undefined) fail(`--max-digits and --decimal-places apply to --type DecimalField only`);
    for (const name of ['max_digits', 'decimal_places']) if (has(name)) remove.push(name);
  }
  return { set, remove };
}

/** The PostgreSQL type of `fieldClass` with the given keyword arguments. */
function postgresTypeOf(fieldClass: ColumnType, kwargs: Record<string, string>): string {
  if (fieldClass === 'CharField') return kwargs.max_length ? `varchar(${kwargs.max_length})` : 'varchar';
  if (fieldClass === 'DecimalField') return `numeric(${kwargs.max_digits}, ${kwargs.decimal_places})`;
  return COLUMN_TYPES[fieldClass];
}

const family = (type: string) =>
  type in INTEGER_RANK ? 'integer' : type.startsWith('numeric') ? 'numeric' : type === 'double precision' || type === 'real' ? 'float' : /^(varchar|character varying|text)/.test(type) ? 'string' : type;

const varcharLength = (type: string): number | null => {
  const match = /^(?:varchar|character varying)\((\d+)\)$/.exec(type);
  return match ? Number(match[1]) : null;
};

const numericSize = (type: string): { precision: number; scale: number } | null => {
  const match = /^numeric\((\d+), ?(\d+)\)$/.exec(type);
  return match ? { precision: Number(match[1]), scale: Number(match[2]) } : null;
};

/** True when PostgreSQL changes `from` to `to` without rewriting or scanning the table. */
export function isMetadataOnly(from: string, to: string): boolean {
  if (family(from) === 'string' && family(to) === 'string') {
    if (to === 'text' || to === 'varchar') return from !== 'text';
    const [a, b] = [varcharLength(from), varcharLength(to)];
    return a !== null && b !== null && b >= a;
  }
  const [a, b] = [numericSize(from), numericSize(to)];
  return a !== null && b !== null && a.scale === b.scale && b.precision >= a.precision;
}

/** True when every value of `from` converts to `to` exactly (the trigger then needs no check). */
function isLossless(from: string, to: string): boolean {
  if (from in INTEGER_RANK && to in INTEGER_RANK) return INTEGER_RANK[to]! >= INTEGER_RANK[from]!;
  if (family(to) === 'string' && (to === 'text' || to === 'varchar')) return true;
  return isMetadataOnly(from, to);
}

/** True when PostgreSQL converts `from` to `to` on assignment (no USING needed). */
function assignable(from: string, to: string): boolean {
  const [a, b] = [family(from), family(to)];
  if (b === 'string') return true;
  return ['integer', 'numeric', 'float'].includes(a) && ['integer', 'numeric', 'float'].includes(b);
}

export function changeColumnTypePlan(input: ChangeColumnTypeInput): ChangePlan {
  const { app, model, database } = input;
  requireOwnTable(model);
  if (model.abstract) fail(`${model.name} is abstract and has no table; change the field on the abstract model by hand and run makemigrations`);
  if (!(input.type in COLUMN_TYPES)) {
    fail(`--type ${input.type} is not a type bg-scaffold changes columns to; choose one of ${Object.keys(COLUMN_TYPES).join(', ')}`);
  }
  const change = input.changeId ?? deriveChangeId([model.name, input.fieldName, 'to', input.type.replace(/Field$/, '').toLowerCase()]);
  validateChangeId(change);
  const typeChange = describeChange(input, change);
  const [own] = typeChange.columns;
  // A key with the foreign keys that follow it is an integer, never changed in place.
  const kind = typeChangeKind(own!.oldType, own!.newType, input.using !== undefined);
  const background = input.backfill === 'background';
  if (background) refuseBackground({ database, backfills: kind === 'column-swap', nothingToFill: `${own!.oldType} to ${own!.newType} is a change of metadata only, which fills nothing` });
  const swap = () => (background ? backgroundSwapPhases(typeChange, input.batchSize) : swapPhases(typeChange, input.batchSize));
  const phases = database !== 'postgresql' ? portablePhases(typeChange) : kind === 'metadata-only' ? metadataOnlyPhases(typeChange) : swap();
  const warnings: string[] = [];
  if (database === 'sqlite') warnings.push(sqliteWarning());
  const large = database === 'postgresql' && kind === 'column-swap' && !background ? inMigrateWarning(own!.table, input.rowsEstimate) : null;
  if (large) warnings.push(large);
  const strategy = database !== 'postgresql' ? 'alter-field' : kind;
  return {
    schemaVersion: 1,
    change,
    op: 'change-column-type',
    app: app.label,
    model: model.name,
    inputs: {
      app: app.label,
      model: model.name,
      field: input.fieldName,
      type: input.type,
      max_length: input.maxLength ?? null,
      max_digits: input.maxDigits ?? null,
      decimal_places: input.decimalPlaces ?? null,
      using: input.using ?? null,
      // Only when asked for: an in-migrate plan.json stays as it was before --backfill.
      ...(background ? { backfill: 'background' } : {}),
      database,
    },
    strategy,
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    phases,
    warnings,
    // The matrix runs the swap of one column (shop Order.quantity), not a key with the foreign keys that follow it.
    verifiedOn: background
      ? [typeChange.primaryKey || typeChange.columns.length > 1 ? backgroundNotInMatrix('of a primary key swapped, with the foreign keys that follow it') : BACKGROUND_VERIFIED_IN_MATRIX]
      : verifiedOn('change-column-type', strategy, database),
    ...otherAppsOf(typeChange),
    ...(background ? { background: swapBackground(typeChange, input.rowsEstimate ?? null) } : {}),
  };
}

/** The background backfill of each new column, as the tracking table names it. */
function backgroundNames(t: TypeChange): string[] {
  return swapNames(t).map((n) => backgroundBackfillName(t.change, n.column.table, n.newColumn));
}

function swapBackground(t: TypeChange, rowsEstimate: number | null): ReturnType<typeof backgroundBackfill> {
  const names = swapNames(t);
  return backgroundBackfill({
    change: t.change,
    table: names[0]!.column.table,
    registeredIn: 1,
    guardedIn: 2,
    names: backgroundNames(t),
    moved:
      "NOT NULL on the new column and its copies of the old column's indexes and constraints, which need every row filled, moved from release 1 to release 2's migration, after the guard and before the swap: " +
      'still three releases, and release 2\'s migration runs longer (VALIDATE, CONCURRENTLY builds) while release 1 serves.',
    remainingSql: names.map((n) => `SELECT count(*) FROM ${q(n.column.table)} WHERE ${q(n.newColumn)} IS DISTINCT FROM (${n.value})`).join('; '),
    rowsEstimate,
  });
}

/**
 * --backfill background: the sync trigger makes every write of either release land in the new
 * column from release 1's migration on, so release 1 registers the fill right after creating it,
 * and the command works it while releases 0 and 1 serve. What needs every row filled (NOT NULL,
 * unique indexes, validated constraints on the new column) moves to release 2's migration, after
 * the guard and before the swap, which needs them. Still three releases.
 */
function backgroundSwapPhases(t: TypeChange, batchSize: number): Phase[] {
  const [expand, swap, contract] = swapPhases(t, batchSize) as [Phase, Phase, Phase];
  const names = backgroundNames(t);
  const command = backfillCommand(t.change);
  const steps = expand.migration!.operations;
  const needFilledRows: MigrationOperation[] = steps.filter((op) => op.kind === 'set-not-null' || op.kind === 'mirror-column');
  const afterGuard = needFilledRows.map((op): MigrationOperation =>
    op.kind === 'set-not-null' && op.onPurpose
      ? { ...op, onPurpose: { ...op.onPurpose, because: op.onPurpose.because.replace('the backfill above filled the rows before', 'the guard above found the background fill of the rows before finished') } }
      : op,
  );
  let index = 0;
  const registered = steps
    .filter((op) => !needFilledRows.includes(op))
    .map((op) =>
      op.kind === 'backfill'
        ? registerBackfillStep(op, t.change, names[index++]!, `${op.comment.split(':')[0]}: registers the fill of existing rows for ${command}; migrate does not wait for it. The trigger above keeps every row written from here on in sync.`)
        : op,
    );
  const [own] = swapNames(t);
  const c = own!.column;
  return [
    {
      ...expand,
      database: `Adds ${swapNames(t).map((n) => `"${n.column.table}"."${n.newColumn}" (${n.column.newType})`).join(', ')}; a trigger copies every write of the old column into the new one${own!.checked ? ` (a value ${c.newType} cannot hold fails the write)` : ''}; registers the fill of existing rows for \`${command}\`, which works it in batches while the releases serve, and returns at once.`,
      beforeNext: [
        'This release is fully rolled out: no instance of the previous release serves.',
        `The background backfill has finished: \`${command}\` ran to the end (\`bg-scaffold status --database-url ...\` or \`python manage.py bg_scaffold_backfill --status\` says finished). Release 2's migration checks it and stops until then.`,
      ],
      migration: {
        ...expand.migration!,
        why: [
          `Changing the type in place would rewrite ${c.table} under ACCESS EXCLUSIVE, stopping every read and`,
          `write for the whole rewrite. Instead a ${c.newType} column grows beside each old one, kept equal by a`,
          `trigger; the existing rows are filled in the background by ${command},`,
          'and release 2 checks that fill finished, builds what needs the filled rows, then swaps the names.',
          'Not atomic: every step commits on its own and is safe to run again.',
        ],
        operations: registered,
      },
    },
    {
      ...swap,
      database: `Checks that the background fill has finished (else stops, naming ${command}); ${needFilledRows.some((op) => op.kind === 'set-not-null') ? 'sets NOT NULL on the new column through a validated CHECK; ' : ''}builds every index and constraint of the old column on the new one (CONCURRENTLY; NOT VALID, then VALIDATE); then ${swap.database.charAt(0).toLowerCase()}${swap.database.slice(1)}`,
      migration: {
        ...swap.migration!,
        why: [
          `Begins with the guard: the fill registered by release 1 must have finished. Then what needs every`,
          'row filled (NOT NULL, the indexes and constraints of the old column, built again on the new one),',
          ...swap.migration!.why.map((line, i) => (i === 0 ? `and the swap. ${line}` : line)),
        ],
        operations: [requireBackfillFinishedStep(t.change, names), ...afterGuard, ...swap.migration!.operations],
      },
    },
    contract,
  ];
}

/** `{ otherApps }` when foreign keys from other apps change with the key. */
function otherAppsOf(t: TypeChange): { otherApps?: string[] } {
  const others = [...new Set(t.columns.map((c) => c.appLabel).filter((label) => label !== t.appLabel))].sort();
  return others.length > 0 ? { otherApps: others } : {};
}

/** What PostgreSQL does to change a `current` column to `type`, before its size is asked: a terminal shows it beside the type. */
export function offeredChange(current: string | null, type: ColumnType): string {
  if (current !== null && type === 'CharField' && family(current) === 'string' && current !== 'text') return 'metadata only if longer (1 release), else column swap (3)';
  if (current !== null && type === 'DecimalField' && family(current) === 'numeric') return 'metadata only with more digits, same places (1 release), else column swap (3)';
  return typeChangeKind(current, COLUMN_TYPES[type], false) === 'metadata-only' ? 'metadata only: 1 release' : 'column swap: 3 releases';
}

/**
 * Whether a request swaps in a new column on PostgreSQL (which is then filled), from what a terminal
 * has answered so far: the sizes given, else the field's own (`kwargs`).
 */
export function swapsColumn(current: string | null, type: ColumnType, sizes: { maxLength?: number; maxDigits?: number; decimalPlaces?: number }, kwargs: Record<string, string>, using: boolean): boolean {
  const given: Record<string, string> = { ...kwargs };
  if (sizes.maxLength !== undefined) given.max_length = String(sizes.maxLength);
  if (sizes.maxDigits !== undefined) given.max_digits = String(sizes.maxDigits);
  if (sizes.decimalPlaces !== undefined) given.decimal_places = String(sizes.decimalPlaces);
  return typeChangeKind(current, postgresTypeOf(type, given), using) === 'column-swap';
}

/** Which kind of change the request is on PostgreSQL, for a terminal to show before anything is written. */
function typeChangeKind(oldType: string | null, newType: string, using: boolean): TypeChangeKind {
  return oldType !== null && !using && isMetadataOnly(oldType, newType) ? 'metadata-only' : 'column-swap';
}

function describeChange(input: ChangeColumnTypeInput, change: string): TypeChange {
  const { app, model, field } = input;
  const autoPk = field === null ? model.django?.autoPk : null;
  if (field === null && (!autoPk || autoPk.name !== input.fieldName)) fail(`unknown field "${input.fieldName}" on ${app.label}.${model.name}`);
  if (field === null && (model.django?.parents.length ?? 0) > 0) {
    fail(`${model.name}.${input.fieldName} links ${model.name} to its parent ${model.django!.parents.join(', ')}: its type follows the parent's key; change that key's type instead`);
  }
  if (field && isRelation(field)) {
    fail(`${model.name}.${field.name} is a relation: its column's type follows the key of the model it points at; change that key's type instead`);
  }
  if (field && (field.fieldClass === 'ManyToManyField' || field.column === '')) fail(`${model.name}.${field.name} has no column of its own; --field must name a concrete field`);
  if (field?.inheritedFrom) fail(`${model.name}.${field.name} is declared in ${field.inheritedFrom.className}, a base class; change it there, for every model that inherits it`);
  const newClass = input.type as ColumnType;
  const currentClass = field ? (field.django?.internalType ?? field.fieldClass) : 'AutoField';
  if (!CHANGEABLE.has(currentClass)) {
    fail(`${model.name}.${input.fieldName} (${field?.fieldClass}) is neither a number nor a text field, the types bg-scaffold changes; change it with makemigrations`);
  }
  const primaryKey = field === null || field.primaryKey;
  if (primaryKey && !AUTO_FIELDS.has(newClass) && field === null) {
    fail(`${model.name}.${input.fieldName} is the primary key Django adds: --type must be SmallAutoField, AutoField or BigAutoField`);
  }
  if (!primaryKey && AUTO_FIELDS.has(newClass)) fail(`--type ${newClass} is for primary keys; ${model.name}.${input.fieldName} is not one (use BigIntegerField)`);
  const { set, remove } = kwargsFor(input, field);
  const newKwargs = { ...(field?.kwargs ?? {}), ...set };
  for (const name of remove) delete newKwargs[name];
  const oldType = field ? postgresColumnType(field) : (autoPk?.postgresType ?? null);
  const newType = postgresTypeOf(newClass, newKwargs);
  if (input.database === 'postgresql' && oldType === null) {
    fail(`bg-scaffold cannot tell the PostgreSQL type of ${model.name}.${input.fieldName} without Django; run it with the project's Python (--python, or BG_PYTHON)`);
  }
  if (oldType !== null && oldType.replace(/, /g, ',') === newType.replace(/, /g, ',') && (field?.fieldClass ?? '') === newClass) {
    fail(`${model.name}.${input.fieldName} is already ${newClass} (${newType}); choose another --type or size`);
  }
  if (input.database === 'postgresql' && input.using === undefined && oldType !== null && !assignable(oldType, newType)) {
    fail(`PostgreSQL has no implicit cast from ${oldType} to ${newType}; pass --using with the SQL of the new value, e.g. --using "${field?.column ?? input.fieldName}::${newType}"`);
  }
  const column = field?.column ?? autoPk!.column;
  const own: ChangedColumn = {
    appLabel: app.label,
    model,
    table: model.dbTable,
    column,
    pk: primaryKeyColumn(model),
    nullable: field?.nullable ?? false,
    oldType: oldType ?? '',
    newType,
    label: `${model.name}.${input.fieldName}`,
  };
  const columns = [own, ...(primaryKey ? followingKeys(input, column, newType) : [])];
  const stateField = field
    ? retyped(migrationFieldExpression(field, app.label, { set, remove }), newClass)
    : { source: `models.${newClass}(primary_key=True, serialize=False)`, imports: [] };
  return {
    change,
    appLabel: app.label,
    model,
    fieldName: input.fieldName,
    primaryKey,
    declared: field !== null,
    newClass,
    setKwargs: set,
    removeKwargs: remove,
    stateField,
    columns,
    using: input.using ?? null,
    database: input.database,
  };
}

/** `models.IntegerField(default=0)` → `models.BigIntegerField(default=0)`. */
function retyped(expression: { source: string; imports: string[] }, newClass: string): { source: string; imports: string[] } {
  return { source: expression.source.replace(/^[\w.]+\(/, `models.${newClass}(`), imports: expression.imports };
}

/**
 * The foreign key columns (in every app) that point at the primary key: their type is the key's, so
 * they change with it. Many-to-many tables are refused: their columns are not yet followed.
 */
function followingKeys(input: ChangeColumnTypeInput, keyColumn: string, newKeyType: string): ChangedColumn[] {
  const { app, model } = input;
  const apps = input.apps ?? [app];
  const own = model.fields.filter((f) => isRelation(f) && f.django?.target?.appLabel === app.label && f.django.target.modelName === model.name).map((field) => ({ appLabel: app.label, model, field }));
  const incoming = [...incomingRelations(model, app.label, apps), ...own];
  const m2m = incoming.filter((r) => r.field.fieldClass === 'ManyToManyField');
  if (m2m.length > 0) {
    const names = m2m.map((r) => `${r.appLabel}.${r.model.name}.${r.field.name}`).join(', ');
    fail(`${names} ${m2m.length > 1 ? 'are many-to-many fields' : 'is a many-to-many field'} to ${model.name}: bg-scaffold does not yet change the key column of a many-to-many table; change the key with makemigrations during a maintenance window`);
  }
  return incoming
    .filter((r) => {
      const target = r.field.django?.target;
      return target ? target.column === keyColumn : true;
    })
    .map(({ appLabel, model: from, field }) => ({
      appLabel,
      model: from,
      table: from.dbTable,
      column: field.column,
      pk: primaryKeyColumn(from),
      nullable: field.nullable,
      oldType: postgresColumnType(field) ?? '',
      newType: newKeyType,
      label: `${appLabel}.${from.name}.${field.name}`,
    }));
}

// ---------------------------------------------------------------------------------------------
// models.py: the field's class and sizes, or an explicit primary key where Django added one.

function fieldEdits(t: TypeChange, note: string): ModelEdit[] {
  if (!t.declared) {
    return [{ kind: 'insert-field', model: t.model.name, after: null, first: true, name: t.fieldName, call: `models.${t.newClass}(primary_key=True)`, note }];
  }
  return [
    {
      kind: 'edit-field',
      model: t.model.name,
      field: t.fieldName,
      rename: null,
      callee: `models.${t.newClass}`,
      setKwargs: t.setKwargs,
      removeKwargs: t.removeKwargs,
      note,
    },
  ];
}

function alterField(t: TypeChange): StateOperation {
  return { kind: 'AlterField', modelName: t.model.name.toLowerCase(), name: t.fieldName, field: t.stateField.source };
}

const slugOf = (t: TypeChange, suffix: string) => `${t.model.name.toLowerCase()}_${t.fieldName}_${suffix}`.slice(0, 60);

function imports(t: TypeChange): string[] {
  return t.stateField.imports.filter((line) => line !== 'from django.db import models' && line !== 'from django.db import migrations');
}

/**
 * Measured in the write-stall benchmark: a statement the server prepared before the column's type
 * changed fails once after it, whichever way the type changes. Django binds on the client unless
 * told otherwise, so only connections that prepare on the server meet it.
 */
function preparedStatementsRisk(c: ChangedColumn): string {
  return `Statements prepared on the server before the change (psycopg's prepare_threshold, a pooler that prepares) fail once after it with "cached plan must not change result type" when they read ${c.table}.${c.column}; Django binds on the client by default and is not affected`;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL, no rewrite: one ALTER under lock_timeout.

function metadataOnlyPhases(t: TypeChange): Phase[] {
  const [c] = t.columns as [ChangedColumn];
  const alter = (type: string) => `ALTER TABLE ${q(c.table)} ALTER COLUMN ${q(c.column)} TYPE ${type}`;
  return [
    {
      number: 1,
      of: 1,
      name: 'alter',
      title: `Change ${c.label} from ${c.oldType} to ${c.newType} (no rewrite)`,
      state: `\`${t.fieldName}\` is a \`${t.newClass}\` (${c.newType}).`,
      database: `One \`ALTER COLUMN … TYPE ${c.newType}\` under lock_timeout: PostgreSQL changes only the catalog (no rewrite, no scan, indexes kept), so the lock lasts milliseconds.`,
      code: `The same code: only the field's declaration changes.`,
      serving: {
        duringMigration: `the previous release (${c.oldType})`,
        afterSwitch: [`the previous release and this one, on the same column, now ${c.newType}`],
      },
      beforeNext: ['Nothing: the change is complete.'],
      risks: [preparedStatementsRisk(c)],
      migration: {
        slug: slugOf(t, 'type'),
        atomic: false,
        why: [
          `PostgreSQL widens ${c.oldType} to ${c.newType} in its catalog only: no row is rewritten or`,
          'read, so the ALTER holds its lock for milliseconds, taken under lock_timeout with retries.',
          `Migrating backwards narrows it again, which reads every row under the lock: a value longer than`,
          `${c.oldType} allows makes it fail, and nothing changes.`,
        ],
        imports: imports(t),
        irreversible: null,
        operations: [
          {
            kind: 'ddl',
            comment: `Metadata only: no rewrite and no scan.`,
            sql: [alter(c.newType)],
            reverseSql: [alter(c.oldType)],
            onPurpose: { does: ['change-column-type'], because: `${c.oldType} to ${c.newType} changes PostgreSQL's catalog only, reading and rewriting no row, and every value the previous release writes fits both.` },
          },
          { kind: 'state-only', comment: `Django's state follows models.py; the database change is above.`, operations: [alterField(t)] },
        ],
      },
      modelEdits: fieldEdits(t, `${c.oldType} to ${c.newType}`),
      codeBlocks: [],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Other databases: Django's own AlterField.

function portablePhases(t: TypeChange): Phase[] {
  const [c] = t.columns as [ChangedColumn];
  const locks =
    t.database === 'mysql'
      ? 'MySQL copies the table for a type change (ALGORITHM=COPY) and blocks writes until the copy ends'
      : 'SQLite rebuilds the table in one transaction, which holds the database\'s write lock until it ends';
  const followers = t.columns.slice(1).map((column) => column.label);
  return [
    {
      number: 1,
      of: 1,
      name: 'alter',
      title: `Change ${c.label} to ${t.newClass}`,
      state: `\`${t.fieldName}\` is a \`${t.newClass}\`.`,
      database: `Django's AlterField${followers.length > 0 ? `, which also changes ${followers.join(', ')}` : ''}. ${locks}.`,
      code: `The same code: only the field's declaration changes.`,
      serving: { duringMigration: `the previous release, whose writes wait while the table is rebuilt`, afterSwitch: [`the previous release and this one, on the changed column`] },
      beforeNext: ['Nothing: the change is complete.'],
      risks: [`${locks}: run it when a pause in writes is acceptable.`],
      migration: {
        slug: slugOf(t, 'type'),
        atomic: true,
        why: [`Django's own AlterField: ${t.database === 'mysql' ? 'MySQL' : 'SQLite'} has no way to change a column's type without blocking writes.`],
        imports: imports(t),
        irreversible: null,
        operations: [{ kind: 'django', comment: `${locks}.`, operation: alterField(t) }],
      },
      modelEdits: fieldEdits(t, `changed to ${t.newClass}`),
      codeBlocks: [],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL, a rewrite: the column swap, in three releases.

interface SwapNames {
  column: ChangedColumn;
  newColumn: string;
  park: string;
  sync: string;
  /** SQL of the new column's value from the row (the field's own: --using, when given). */
  value: string;
  checked: boolean;
}

function swapNames(t: TypeChange): SwapNames[] {
  return t.columns.map((column, index) => {
    const value = index === 0 && t.using !== null ? t.using : q(column.column);
    return {
      column,
      newColumn: pgIdentifier(`${column.column}_bg_new`),
      park: pgIdentifier(`${column.column}_bg_old`),
      sync: pgIdentifier(`bg_sync_${column.table}_${column.column}`),
      value,
      checked: (index === 0 && t.using !== null) || !isLossless(column.oldType, column.newType),
    };
  });
}

/** SQL of a column's value as the old column's type: text for a string (varchar's own check then applies), else as it is. */
function rollbackValue(c: ChangedColumn): string {
  return family(c.oldType) === 'string' ? `${q(c.column)}::text` : q(c.column);
}

function expandSteps(t: TypeChange, names: SwapNames[], batchSize: number): MigrationOperation[] {
  const references: Record<string, Record<string, string>> = {};
  if (t.primaryKey) references[names[0]!.column.table] = { [names[0]!.column.column]: names[0]!.newColumn };
  return [
    ...names.map(
      (n): MigrationOperation => ({
        kind: 'ddl',
        comment: `${n.column.label}: the new column starts empty and nullable, so adding it touches no row.`,
        sql: [addColumnSql(n.column.table, n.newColumn, n.column.newType)],
        reverseSql: [dropColumnSql(n.column.table, n.newColumn)],
      }),
    ),
    ...names.map(
      (n): MigrationOperation => ({
        kind: 'sync-column',
        comment: `From here on every write of "${n.column.column}", by either release, lands in "${n.newColumn}" too${n.checked ? `; a value ${n.column.newType} cannot hold fails the write (never truncated)` : ''}. Before the backfill, so no row escapes it.`,
        table: n.column.table,
        source: n.column.column,
        target: n.newColumn,
        functionName: n.sync,
        valueSql: n.value,
        targetType: n.column.newType,
        checked: n.checked,
        change: t.change,
      }),
    ),
    ...names.map(
      (n): MigrationOperation => ({
        kind: 'backfill',
        comment: `${n.column.label}: existing rows in batches of up to ${batchSize}, each its own transaction; only rows that still differ.`,
        table: n.column.table,
        pk: n.column.pk,
        set: `${q(n.newColumn)} = ${n.value}`,
        where: `${q(n.newColumn)} IS DISTINCT FROM (${n.value})`,
      }),
    ),
    ...names
      .filter((n) => !n.column.nullable)
      .map(
        (n): MigrationOperation => ({
          kind: 'set-not-null',
          comment: `NOT NULL on "${n.newColumn}" without a long lock: CHECK NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK.`,
          table: n.column.table,
          column: n.newColumn,
          onPurpose: { does: ['set-not-null'], because: `No release writes "${n.newColumn}" itself: the sync trigger fills it from "${n.column.column}" in every insert and update, and the backfill above filled the rows before.` },
        }),
      ),
    ...names.map(
      (n, index): MigrationOperation => ({
        kind: 'mirror-column',
        comment:
          index === 0
            ? `Every index and constraint on "${n.column.column}" again on "${n.newColumn}", read from the catalog when this runs: indexes CONCURRENTLY${t.primaryKey ? ' (the primary key as a unique index, which becomes the key in release 2)' : ''}, constraints NOT VALID then validated.`
            : `${n.column.label}: its index, constraints and foreign key again on "${n.newColumn}", the foreign key pointing at "${names[0]!.newColumn}".`,
        table: n.column.table,
        column: n.column.column,
        newColumn: n.newColumn,
        references: index === 0 ? {} : references,
      }),
    ),
  ];
}

function swapPhases(t: TypeChange, batchSize: number): Phase[] {
  const names = swapNames(t);
  const [own] = names as [SwapNames];
  const c = own.column;
  const followers = names.slice(1).map((n) => n.column.label);
  const followersNote = followers.length > 0 ? ` and the foreign keys that point at it (${followers.join(', ')})` : '';
  // Titles go into PLAN.md's timeline, where a colon or a quote would end the entry.
  const columnsNote = names.map((n) => `${n.column.table}.${n.column.column}`).join(', ');
  const plural = names.length > 1;
  const swapped: SwappedColumn[] = names.map((n) => ({
    table: n.column.table,
    column: n.column.column,
    new: n.newColumn,
    park: n.park,
    sync: n.sync,
    pk: n.column.pk,
    not_null: !n.column.nullable,
    rollback: rollbackValue(n.column),
    value: n.value,
    type: n.column.newType,
    checked: n.checked,
  }));
  const sameCode = `The same code as the previous release: the model still declares \`${t.fieldName}\` as before, on the old column.`;
  return [
    {
      number: 1,
      of: 3,
      name: 'expand',
      title: `Add ${plural ? `${c.newType} copies of ${columnsNote}` : `a ${c.newType} copy of ${columnsNote}`}, kept in sync by trigger`,
      state: 'Unchanged: Django does not know the new columns.',
      database: `Adds ${names.map((n) => `"${n.column.table}"."${n.newColumn}" (${n.column.newType})`).join(', ')}; a trigger copies every write of the old column into the new one${own.checked ? ` (a value ${c.newType} cannot hold fails the write)` : ''}; backfills existing rows in batches; ${names.some((n) => !n.column.nullable) ? 'sets NOT NULL through a validated CHECK; ' : ''}builds every index and constraint of the old column on the new one (CONCURRENTLY; NOT VALID, then VALIDATE).`,
      code: sameCode,
      serving: {
        duringMigration: 'the previous release',
        afterSwitch: ['the previous release and this one, both writing the old column (the trigger fills the new one)'],
      },
      beforeNext: [
        'This release is fully rolled out: no instance of the previous release serves.',
        `Every row's new column is filled (the backfill ran to the end: migrate finished).`,
      ],
      risks: [],
      migration: {
        slug: slugOf(t, 'expand'),
        atomic: false,
        why: [
          `Changing the type in place would rewrite ${c.table}${followers.length > 0 ? ' and the tables that point at it' : ''} under ACCESS EXCLUSIVE, stopping every`,
          `read and write for the whole rewrite. Instead a ${c.newType} column grows beside each old one, kept`,
          'equal by a trigger and backfilled in batches; release 2 swaps the names in one short transaction.',
          'Not atomic: the backfill commits batch by batch and indexes are built CONCURRENTLY. Every step',
          'is safe to run again, so after a failure, re-run migrate.',
        ],
        imports: [],
        irreversible: null,
        operations: expandSteps(t, names, batchSize),
      },
      modelEdits: [],
      codeBlocks: [],
    },
    {
      number: 2,
      of: 3,
      name: 'swap',
      title: `Swap in the ${c.newType} column${plural ? 's' : ''}, so that ${t.model.name}.${t.fieldName} becomes ${t.newClass}`,
      state: `\`${t.fieldName}\` is a \`${t.newClass}\` (one AlterField).`,
      database: `In one short transaction under lock_timeout: drops the triggers; ${names.map((n) => `"${n.column.table}"."${n.column.column}" becomes "${n.park}"`).join(', ')}, and each new column takes the old one's name; their indexes and constraints${t.primaryKey ? ' (the primary key and the foreign keys to it included)' : ''} take the old ones' names; ${t.primaryKey ? 'the identity or sequence moves to the new key; ' : 'the default moves; '}the old columns drop NOT NULL.`,
      code: `Declares \`${t.fieldName}\` as \`${t.newClass}\`. The previous release's code, which still says ${c.oldType}, reads and writes the same column.`,
      serving: {
        duringMigration: 'release 1',
        afterSwitch: [`release 1 and this release, both on the ${c.newType} column${names.length > 1 ? 's' : ''}`],
      },
      beforeNext: [
        'This release is fully rolled out, and migrating it backwards is no longer wanted: release 3 drops the old columns that a rollback would refill.',
      ],
      risks: [preparedStatementsRisk(c)],
      migration: {
        slug: slugOf(t, 'swap'),
        atomic: false,
        why: [
          `Puts the ${c.newType} column${names.length > 1 ? 's' : ''} in place: a rename of each column, its indexes and constraints, in`,
          'one transaction that holds its locks for milliseconds. Migrating backwards refills the old',
          'columns from the new ones (a value the old type cannot hold stops it, with the value named),',
          'rebuilds their indexes and constraints, and swaps back.',
        ],
        imports: imports(t),
        irreversible: null,
        operations: [
          { kind: 'swap-columns', comment: `The swap${followersNote}: one transaction under lock_timeout.`, change: t.change, columns: swapped },
          { kind: 'state-only', comment: `Django's state follows models.py; the database change is above.`, operations: [alterField(t)] },
        ],
      },
      modelEdits: fieldEdits(t, `now ${c.newType}`),
      codeBlocks: [],
    },
    {
      number: 3,
      of: 3,
      name: 'contract',
      title: `Drop the old ${c.oldType} column${plural ? 's' : ''}`,
      state: 'Unchanged.',
      database: `Drops ${names.map((n) => `"${n.column.table}"."${n.park}"`).join(', ')}, which nothing reads or writes since release 2.`,
      code: `As in release 2.`,
      serving: { duringMigration: 'release 2', afterSwitch: ['release 2 and this release'] },
      beforeNext: ['Nothing: the change is complete.'],
      risks: [],
      migration: {
        slug: slugOf(t, 'contract'),
        atomic: false,
        why: [
          'Nothing reads or writes the old columns since the swap. Migrating backwards adds them back empty;',
          "migrating release 2 backwards then refills them.",
        ],
        imports: [],
        irreversible: null,
        operations: names.map(
          (n): MigrationOperation => ({
            kind: 'ddl',
            comment: `${n.column.label}: the old ${n.column.oldType} column goes (metadata only, a brief lock).`,
            sql: [dropColumnSql(n.column.table, n.park)],
            reverseSql: [addColumnSql(n.column.table, n.park, n.column.oldType)],
            onPurpose: { does: ['drop-column'], because: `"${n.park}" is the old ${n.column.oldType} column, set aside by the swap in release 2, the previous release: nothing reads or writes it since.` },
          }),
        ),
      },
      modelEdits: [{ kind: 'unmark', model: t.model.name }],
      codeBlocks: [],
    },
  ];
}
