/**
 * add-unique: a field's `unique=True` or a Meta `UniqueConstraint` (fields, a condition), without
 * the lock that stops writes while PostgreSQL checks every row (DESIGN §2): duplicates are counted
 * first and named, the unique index is built CONCURRENTLY, then attached as the constraint
 * (`ADD CONSTRAINT … USING INDEX`, a catalog change) where PostgreSQL allows it; a conditional
 * constraint stays a unique index, as Django itself makes it. One release. Pure: request → ChangePlan.
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import { isRelation, likeIndexOpclass, migrationFieldExpression, requireConcreteColumn, requireTable } from '../shared/django-fields.js';
import { conditionExpression, parseIndexFields, requireFreeName } from '../shared/indexes.js';
import { extrasGiven, type MetaEntryRequest, metaEntryExtras, metaEntrySource } from '../shared/meta-entries.js';
import { deriveChangeId, validateChangeId } from '../shared/names.js';
import { portableLocking, singleReleasePlan } from '../shared/single-release.js';
import type { OnPurpose } from '../shared/linters.js';
import type { ChangePlan, LockSettings, MigrationOperation } from '../shared/types.js';

export interface AddUniqueInput {
  app: DjangoApp;
  apps: DjangoApp[];
  model: DjangoModel;
  /** `--field`: the field gets unique=True. */
  field?: DjangoField;
  /** `--fields a,b`: a Meta UniqueConstraint. */
  fields?: string;
  name?: string;
  condition?: string;
  /** Expressions, covering fields, operator classes, NULLs not distinct (a UniqueConstraint). */
  extras?: MetaEntryRequest;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

const WHY = [
  'ADD CONSTRAINT … UNIQUE builds its index under a lock that stops every write until it ends.',
  'Here duplicates are counted first (the migration stops, naming up to 10, before any lock),',
  'the unique index is built CONCURRENTLY while writers go on, then attached as the constraint',
  'in a catalog-only step under lock_timeout. A failed build is dropped and redone on re-run.',
];

const DUPLICATES = 'Once the index exists, a write of the previous release that duplicates a value fails with an IntegrityError; one that lands during the build fails the build (the migration says so; run it again once the duplicate is gone).';

/** What migration linters flag in every unique constraint added to a serving table, and why it is safe here. */
const UNIQUE_ON_PURPOSE: OnPurpose = {
  does: ['add-unique'],
  because: 'The previous release must not write a duplicate value (PLAN.md says so); values duplicated already are named before anything is built, and one written during the build stops it.',
};

const NULLS_NOT_DISTINCT = 'NULLS NOT DISTINCT needs PostgreSQL 15 or later, and Django 5.0 or later: on an older server the build fails before anything changes, naming the syntax.';

export function addUniquePlan(input: AddUniqueInput): ChangePlan {
  const { model } = input;
  requireTable(model, 'add the constraint');
  const given = [input.field, input.fields, input.extras?.expressions].filter((answer) => answer !== undefined).length;
  if (given !== 1) fail('give one of --field (the field becomes unique=True), --fields (a Meta UniqueConstraint on one or more fields) or --expressions (a UniqueConstraint on expressions)');
  return input.field ? fieldUniquePlan(input, input.field) : constraintPlan(input, input.fields ?? null);
}

function fieldUniquePlan(input: AddUniqueInput, field: DjangoField): ChangePlan {
  const { app, model, database } = input;
  requireConcreteColumn(model, field, '--field', 'change');
  if (input.name !== undefined || input.condition !== undefined || Object.keys(extrasGiven(input.extras)).length > 0) fail('--name, --condition, --include, --opclasses and --nulls-not-distinct are for a Meta UniqueConstraint: give --fields instead of --field');
  if (field.unique) fail(`${model.name}.${field.name} is unique already`);
  if (isRelation(field)) fail(`${model.name}.${field.name} is a ForeignKey: a unique one is a OneToOneField (Django warns, fields.W342); change it to OneToOneField by hand, or use --fields ${field.name} for a UniqueConstraint`);
  const change = input.changeId ?? deriveChangeId([model.name, field.name, 'unique']);
  validateChangeId(change);
  const stateField = migrationFieldExpression(field, app.label, { set: { unique: 'True' } });
  const alter = { kind: 'AlterField' as const, modelName: model.name.toLowerCase(), name: field.name, field: stateField.source };
  const postgres = database === 'postgresql';
  const like = likeIndexOpclass(field);
  const table = model.dbTable;
  const steps: MigrationOperation[] = [
    { kind: 'create-index', comment: `Counts duplicates first; the unique index CONCURRENTLY, then attached as the constraint under Django's name.`, table, column: field.column, suffix: '_uniq', opclass: null, unique: true, onPurpose: UNIQUE_ON_PURPOSE },
    // A field indexed already keeps its LIKE index; a new unique text field gets one, as Django gives it.
    ...(like && !field.dbIndex ? [{ kind: 'create-index', comment: `Django's LIKE index for text (${like}), CONCURRENTLY.`, table, column: field.column, suffix: '_like', opclass: like, unique: false } satisfies MigrationOperation] : []),
    // Django drops a field's plain index once it is unique: the constraint's index serves instead.
    ...(field.dbIndex ? [{ kind: 'drop-index', comment: `The plain index goes, as Django drops it: the unique index serves its lookups.`, table, column: field.column, suffix: '', opclass: null, unique: false } satisfies MigrationOperation] : []),
    { kind: 'state-only', comment: `Django's state: ${field.name} is unique; the database change is above.`, operations: [alter] },
  ];
  return singleReleasePlan({
    op: 'add-unique',
    change,
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, field: field.name, fields: null, name: null, condition: null, database },
    strategy: 'concurrently',
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    name: 'unique',
    title: `Make ${model.name}.${field.name} unique`,
    state: `\`${field.name}\` gets \`unique=True\`.`,
    migrationDoes: postgres ? 'Duplicates counted first; a unique index built CONCURRENTLY and attached as the constraint (catalog only).' : `Django's AlterField: ${portableLocking(database)}.`,
    previousRelease: 'must not write a duplicate value',
    risks: [DUPLICATES],
    slug: `${model.name.toLowerCase()}_${field.name}_unique`,
    why: postgres ? WHY : [`Django's own AlterField: ${portableLocking(database)}.`],
    operations: postgres ? steps : [{ kind: 'django', comment: `Django's AlterField: ${portableLocking(database)}.`, operation: alter }],
    imports: stateField.imports,
    modelEdits: [{ kind: 'edit-field', model: model.name, field: field.name, rename: null, setKwargs: { unique: 'True' }, removeKwargs: [], note: 'unique' }],
  });
}

/** `models.UniqueConstraint(fields=[...], condition=..., name=...)` as makemigrations writes it. */
export function uniqueConstraintExpression(fields: string[], name: string, condition: string | null): string {
  return metaEntrySource('UniqueConstraint', { fields, name, condition, extras: null });
}

function constraintPlan(input: AddUniqueInput, fieldsText: string | null): ChangePlan {
  const { app, model, database } = input;
  const fields = fieldsText !== null ? parseIndexFields(fieldsText, model, '--fields', { descending: false }).map((f) => f.field) : [];
  const extras = metaEntryExtras(input.extras ?? {}, model, { database, fields: fieldsText !== null ? fields.map((f) => f.name) : null, nameGiven: input.name !== undefined, kind: 'constraint' });
  const plain = extras.expressions === null && extras.include.length === 0 && extras.opclasses.length === 0 && !extras.nullsNotDistinct;
  const condition = input.condition !== undefined ? conditionExpression(input.condition, model) : null;
  const name = input.name ?? `${model.dbTable}_${fields.map((f) => f.column).join('_')}_uniq`;
  requireFreeName(name, input.apps, 'constraint', input.name !== undefined);
  if (condition === null && plain && fields.length === 1 && fields[0]!.unique) fail(`${model.name}.${fields[0]!.name} is unique already`);
  const same = model.django?.meta.constraints.find((c) => c.type === 'UniqueConstraint' && c.condition === null && condition === null && plain && c.fields.join(',') === fields.map((f) => f.name).join(','));
  if (same) fail(`${model.name}'s Meta already has a UniqueConstraint on ${fieldsText} ("${same.name}")`);
  const keyFields = fieldsText !== null ? fields.map((f) => f.name) : extras.expressionFields;
  const change = input.changeId ?? (extras.expressions !== null ? deriveChangeId([name]) : deriveChangeId([model.name, ...keyFields, 'unique']));
  validateChangeId(change);
  const constraint = metaEntrySource('UniqueConstraint', { fields: fieldsText !== null ? fields.map((f) => f.name) : null, name, condition, extras });
  // Django keeps a UniqueConstraint with a condition, expressions, include or opclasses a unique index.
  const staysIndex = condition !== null || extras.expressions !== null || extras.include.length > 0 || extras.opclasses.length > 0;
  const modelName = model.name.toLowerCase();
  const postgres = database === 'postgresql';
  const operations: MigrationOperation[] = postgres
    ? [{ kind: 'add-constraint-concurrently', comment: `Django's AddConstraint: duplicates counted first, the unique index CONCURRENTLY, then${staysIndex ? ' kept as the index (such a constraint is one in Django too)' : ' attached as the constraint'}.`, modelName, constraint, onPurpose: UNIQUE_ON_PURPOSE }]
    : [{ kind: 'django', comment: `Django's AddConstraint: ${portableLocking(database)}.`, operation: { kind: 'AddConstraint', modelName, constraint } }];
  return singleReleasePlan({
    op: 'add-unique',
    change,
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, field: null, fields: fieldsText, name, condition: input.condition ?? null, ...extrasGiven(input.extras), database },
    strategy: 'concurrently',
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    name: 'unique',
    title: `Make ${model.name} unique on ${fieldsText !== null ? fields.map((f) => f.name).join(', ') : input.extras!.expressions!.trim()}${condition ? ' (conditional)' : ''}`,
    state: `\`Meta.constraints\` gains \`${name}\`.`,
    migrationDoes: postgres ? `Duplicates counted first; a unique index "${name}" built CONCURRENTLY${staysIndex ? '' : ' and attached as the constraint (catalog only)'}.` : `Django's AddConstraint: ${portableLocking(database)}.`,
    previousRelease: 'must not write a duplicate',
    risks: [DUPLICATES, ...(extras.nullsNotDistinct ? [NULLS_NOT_DISTINCT] : [])],
    slug: `${modelName}_${keyFields.join('_')}_unique`,
    why: postgres ? WHY : [`Django's own AddConstraint: ${portableLocking(database)}.`],
    operations,
    modelEdits: [{ kind: 'add-meta-entry', model: model.name, list: 'constraints', entry: constraint, note: 'unique' }],
  });
}

/** Whether a field can become unique, for the field list: the reason it cannot, or undefined. */
export function uniqueRefusal(field: DjangoField): string | undefined {
  if (field.primaryKey) return 'the primary key (unique already)';
  if (field.fieldClass === 'ManyToManyField' || field.column === '') return 'no column of its own';
  if (field.unique) return 'unique already';
  if (isRelation(field)) return 'a ForeignKey (a unique one is a OneToOneField)';
  if (field.inheritedFrom) return `declared in ${field.inheritedFrom.className}`;
  return undefined;
}
