/**
 * add-index: a field's own index (`db_index=True`) or a Meta index (fields, descending, a
 * condition), built CONCURRENTLY under Django's own name in a non-atomic migration, so that writes
 * never wait for the build (DESIGN §2 "Further operations"). One release: an index changes no
 * row, and the previous release's code runs the same on either schema. Pure: request → ChangePlan.
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import { djangoIndexesOf, migrationFieldExpression, requireConcreteColumn, requireTable } from '../shared/django-fields.js';
import { conditionExpression, djangoIndexName, type IndexField, parseIndexFields, requireFreeName } from '../shared/indexes.js';
import { extrasGiven, type MetaEntryRequest, metaEntryExtras, metaEntrySource } from '../shared/meta-entries.js';
import { deriveChangeId, validateChangeId } from '../shared/names.js';
import { portableLocking, singleReleasePlan } from '../shared/single-release.js';
import type { ChangePlan, LockSettings, MigrationOperation } from '../shared/types.js';

export interface AddIndexInput {
  app: DjangoApp;
  /** Every app of the project: index names are unique per schema. */
  apps: DjangoApp[];
  model: DjangoModel;
  /** `--field`: the field's own index. */
  field?: DjangoField;
  /** `--fields a,-b`: a Meta index. */
  fields?: string;
  name?: string;
  condition?: string;
  /** Expressions, covering fields, operator classes (a Meta index). */
  extras?: MetaEntryRequest;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

const BUILD_WHY = [
  'A plain CREATE INDEX holds a lock that stops every write to the table until the build ends',
  '(minutes on a large table). CONCURRENTLY builds while writers go on; it cannot run in a',
  "transaction, so this migration is not atomic. A build that fails leaves an INVALID index: it",
  'is dropped and built again when migrate runs again.',
];

export function addIndexPlan(input: AddIndexInput): ChangePlan {
  const { model } = input;
  requireTable(model, 'add the index');
  const given = [input.field, input.fields, input.extras?.expressions].filter((answer) => answer !== undefined).length;
  if (given !== 1) fail('give one of --field (the field\'s own index), --fields (a Meta index on one or more fields) or --expressions (a Meta index on expressions)');
  return input.field ? fieldIndexPlan(input, input.field) : metaIndexPlan(input, input.fields ?? null);
}

function fieldIndexPlan(input: AddIndexInput, field: DjangoField): ChangePlan {
  const { app, model, database } = input;
  requireConcreteColumn(model, field, '--field', 'change');
  if (input.name !== undefined || input.condition !== undefined || Object.keys(extrasGiven(input.extras)).length > 0) fail('--name, --condition, --include and --opclasses are for a Meta index: give --fields instead of --field');
  if (field.unique) fail(`${model.name}.${field.name} is unique, and its unique constraint is its index already`);
  if (field.dbIndex) fail(`${model.name}.${field.name} has its index already (db_index=True${field.relatedModel ? ', as every ForeignKey has' : ''}); bg-scaffold remove-index takes it away`);
  const change = input.changeId ?? deriveChangeId([model.name, field.name, 'index']);
  validateChangeId(change);
  const indexed = { ...field, dbIndex: true };
  const stateField = migrationFieldExpression(field, app.label, { set: { db_index: 'True' } });
  const alter = { kind: 'AlterField' as const, modelName: model.name.toLowerCase(), name: field.name, field: stateField.source };
  const postgres = database === 'postgresql';
  const builds: MigrationOperation[] = djangoIndexesOf(indexed).map((index) => ({
    kind: 'create-index',
    comment: index.suffix === '_like' ? `Django's second index for LIKE lookups on text (${index.opclass}), CONCURRENTLY.` : `${field.name}'s index under Django's own name, CONCURRENTLY: writers go on.`,
    table: model.dbTable,
    column: field.column,
    suffix: index.suffix,
    opclass: index.opclass,
    unique: false,
  }));
  const operations: MigrationOperation[] = postgres
    ? [...builds, { kind: 'state-only', comment: `Django's state: ${field.name} has db_index=True; the indexes are built above.`, operations: [alter] }]
    : [{ kind: 'django', comment: `Django's AlterField: ${portableLocking(database)}.`, operation: alter }];
  return singleReleasePlan({
    op: 'add-index',
    change,
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, field: field.name, fields: null, name: null, condition: null, database },
    strategy: 'concurrently',
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    name: 'index',
    title: `Index ${model.name}.${field.name}`,
    state: `\`${field.name}\` gets \`db_index=True\`.`,
    migrationDoes: postgres ? `CREATE INDEX CONCURRENTLY under Django's name${builds.length > 1 ? ', and the LIKE index Django adds for text' : ''}: writes go on during the build.` : `Django's AlterField: ${portableLocking(database)}.`,
    previousRelease: null,
    risks: postgres ? [] : [`${portableLocking(database)}.`],
    slug: `${model.name.toLowerCase()}_${field.name}_index`,
    why: postgres ? BUILD_WHY : [`Django's own AlterField: ${portableLocking(database)}.`],
    operations,
    imports: stateField.imports,
    modelEdits: [{ kind: 'edit-field', model: model.name, field: field.name, rename: null, setKwargs: { db_index: 'True' }, removeKwargs: [], note: 'indexed' }],
  });
}

/** `models.Index(fields=[...], name=..., condition=...)` as makemigrations writes it. */
export function indexExpression(fields: IndexField[], name: string, condition: string | null): string {
  return metaEntrySource('Index', { fields: fields.map((f) => (f.descending ? `-${f.field.name}` : f.field.name)), name, condition, extras: null });
}

function metaIndexPlan(input: AddIndexInput, fieldsText: string | null): ChangePlan {
  const { app, model, database } = input;
  const fields = fieldsText !== null ? parseIndexFields(fieldsText, model, '--fields', { descending: true }) : [];
  const written = fields.map((f) => (f.descending ? `-${f.field.name}` : f.field.name));
  const extras = metaEntryExtras(input.extras ?? {}, model, { database, fields: fieldsText !== null ? fields.map((f) => f.field.name) : null, nameGiven: input.name !== undefined, kind: 'index' });
  const condition = input.condition !== undefined ? conditionExpression(input.condition, model) : null;
  const name = input.name ?? djangoIndexName(model.dbTable, fields);
  requireFreeName(name, input.apps, 'index', input.name !== undefined);
  const same = model.django?.meta.indexes.find((index) => index.condition === null && condition === null && extras.expressions === null && extras.include.length === 0 && index.fields.join(',') === written.join(','));
  if (same) fail(`${model.name}'s Meta already has an index on ${fieldsText} ("${same.name}"); a second one would only slow writes`);
  const keyFields = fieldsText !== null ? fields.map((f) => f.field.name) : extras.expressionFields;
  const change = input.changeId ?? (extras.expressions !== null ? deriveChangeId([name]) : deriveChangeId([model.name, ...keyFields, 'index']));
  validateChangeId(change);
  const index = metaEntrySource('Index', { fields: fieldsText !== null ? written : null, name, condition, extras });
  const modelName = model.name.toLowerCase();
  const postgres = database === 'postgresql';
  const operations: MigrationOperation[] = postgres
    ? [{ kind: 'add-index-concurrently', comment: `Django's AddIndex, built CONCURRENTLY from Django's own SQL for it: writers go on.`, modelName, index }]
    : [{ kind: 'django', comment: `Django's AddIndex: ${portableLocking(database)}.`, operation: { kind: 'AddIndex', modelName, index } }];
  const list = fieldsText !== null ? fields.map((f) => f.field.name).join(', ') : input.extras!.expressions!.trim();
  return singleReleasePlan({
    op: 'add-index',
    change,
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, field: null, fields: fieldsText, name, condition: input.condition ?? null, ...extrasGiven(input.extras), database },
    strategy: 'concurrently',
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    name: 'index',
    title: `Index ${model.name} on ${list}${condition ? ' (partial)' : ''}`,
    state: `\`Meta.indexes\` gains \`${name}\`.`,
    migrationDoes: postgres ? `CREATE INDEX CONCURRENTLY "${name}": writes go on during the build.` : `Django's AddIndex: ${portableLocking(database)}.`,
    previousRelease: null,
    risks: postgres ? [] : [`${portableLocking(database)}.`],
    slug: `${modelName}_${keyFields.join('_')}_index`,
    why: postgres ? BUILD_WHY : [`Django's own AddIndex: ${portableLocking(database)}.`],
    operations,
    modelEdits: [{ kind: 'add-meta-entry', model: model.name, list: 'indexes', entry: index, note: 'indexed' }],
  });
}

/** Whether a field can get its own index, for the field list: the reason it cannot, or undefined. */
export function fieldIndexRefusal(field: DjangoField): string | undefined {
  if (field.primaryKey) return 'the primary key (indexed already)';
  if (field.fieldClass === 'ManyToManyField' || field.column === '') return 'no column of its own';
  if (field.unique) return 'unique (indexed already)';
  if (field.dbIndex) return 'indexed already';
  if (field.inheritedFrom) return `declared in ${field.inheritedFrom.className}`;
  return undefined;
}
