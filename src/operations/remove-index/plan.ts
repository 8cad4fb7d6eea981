/**
 * remove-index: a field's own index (`db_index=True` taken away) or a Meta index, dropped
 * CONCURRENTLY so that the drop never queues writers behind it (DESIGN §2). One release: queries
 * of the previous release still run without the index, only slower; PLAN.md says so. Migrating
 * backwards builds it again, CONCURRENTLY. Pure: request → ChangePlan.
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import { djangoIndexesOf, migrationFieldExpression, requireConcreteColumn, requireTable } from '../shared/django-fields.js';
import { metaNamesOf } from '../shared/indexes.js';
import { deriveChangeId, validateChangeId } from '../shared/names.js';
import { portableLocking, singleReleasePlan } from '../shared/single-release.js';
import type { ChangePlan, LockSettings, MigrationOperation } from '../shared/types.js';

export interface RemoveIndexInput {
  app: DjangoApp;
  model: DjangoModel;
  /** `--field`: the field's own index goes (db_index=True taken away). */
  field?: DjangoField;
  /** `--name`: a Meta index goes. */
  name?: string;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

const DROP_WHY = [
  'A plain DROP INDEX takes a lock that queues every read and write of the table behind the',
  'transactions already running on it. DROP INDEX CONCURRENTLY waits for them without blocking',
  'anyone; it cannot run in a transaction, so this migration is not atomic.',
];

const SLOWER = 'Queries that used the index run without it from the moment it is dropped, in the previous release too: check that none needs it (pg_stat_user_indexes.idx_scan) before shipping.';

export function removeIndexPlan(input: RemoveIndexInput): ChangePlan {
  const { model } = input;
  requireTable(model, 'remove the index');
  if ((input.field === undefined) === (input.name === undefined)) fail("give --field (a field's own index) or --name (a Meta index), not both");
  return input.field ? fieldIndexPlan(input, input.field) : metaIndexPlan(input, input.name!);
}

function fieldIndexPlan(input: RemoveIndexInput, field: DjangoField): ChangePlan {
  const { app, model, database } = input;
  requireConcreteColumn(model, field, '--field', 'change');
  if (field.unique) fail(`${model.name}.${field.name}'s index is its unique constraint; bg-scaffold does not remove unique constraints yet`);
  if (!field.dbIndex) fail(`${model.name}.${field.name} has no index of its own (no db_index=True); a Meta index goes with --name`);
  if (field.relatedModel && field.kwargs.db_index === undefined) {
    fail(`${model.name}.${field.name} is a ForeignKey, indexed by default; write db_index=True on it first if you mean to drop that index (joins and deletes of its target read it)`);
  }
  const change = input.changeId ?? deriveChangeId([model.name, field.name, 'no', 'index']);
  validateChangeId(change);
  const stateField = migrationFieldExpression(field, app.label, { remove: ['db_index'] });
  const alter = { kind: 'AlterField' as const, modelName: model.name.toLowerCase(), name: field.name, field: stateField.source };
  const postgres = database === 'postgresql';
  const drops: MigrationOperation[] = djangoIndexesOf(field).map((index) => ({
    kind: 'drop-index',
    comment: `Drops ${field.name}'s ${index.suffix === '_like' ? 'LIKE index' : 'index'} CONCURRENTLY; migrating backwards builds it again.`,
    table: model.dbTable,
    column: field.column,
    suffix: index.suffix,
    opclass: index.opclass,
    unique: false,
  }));
  const operations: MigrationOperation[] = postgres
    ? [...drops, { kind: 'state-only', comment: `Django's state: ${field.name} has no db_index; the indexes are dropped above.`, operations: [alter] }]
    : [{ kind: 'django', comment: `Django's AlterField.`, operation: alter }];
  return singleReleasePlan({
    op: 'remove-index',
    change,
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, field: field.name, name: null, database },
    strategy: 'concurrently',
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    name: 'drop-index',
    title: `Drop the index of ${model.name}.${field.name}`,
    state: `\`${field.name}\` loses \`db_index=True\`.`,
    migrationDoes: postgres ? 'DROP INDEX CONCURRENTLY under Django\'s name: no read or write waits.' : "Django's AlterField.",
    previousRelease: null,
    risks: [SLOWER],
    slug: `${model.name.toLowerCase()}_${field.name}_no_index`,
    why: postgres ? DROP_WHY : [`Django's own AlterField: ${portableLocking(database)}.`],
    operations,
    imports: stateField.imports,
    modelEdits: [{ kind: 'edit-field', model: model.name, field: field.name, rename: null, setKwargs: {}, removeKwargs: ['db_index'], note: 'index dropped' }],
  });
}

function metaIndexPlan(input: RemoveIndexInput, name: string): ChangePlan {
  const { app, model, database } = input;
  const { indexes } = metaNamesOf(model);
  if (!indexes.includes(name)) {
    fail(`${model.name}'s Meta has no index "${name}"${indexes.length > 0 ? `; its indexes: ${indexes.join(', ')}` : ' (it has no Meta.indexes)'}`);
  }
  const change = input.changeId ?? deriveChangeId(['drop', name]);
  validateChangeId(change);
  const modelName = model.name.toLowerCase();
  const postgres = database === 'postgresql';
  const operations: MigrationOperation[] = postgres
    ? [{ kind: 'remove-index-concurrently', comment: `Django's RemoveIndex, dropped CONCURRENTLY; migrating backwards builds it again, CONCURRENTLY.`, modelName, name }]
    : [{ kind: 'django', comment: "Django's RemoveIndex.", operation: { kind: 'RemoveIndex', modelName, name } }];
  return singleReleasePlan({
    op: 'remove-index',
    change,
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, field: null, name, database },
    strategy: 'concurrently',
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    name: 'drop-index',
    title: `Drop the index ${name} of ${model.name}`,
    state: `\`Meta.indexes\` loses \`${name}\`.`,
    migrationDoes: postgres ? `DROP INDEX CONCURRENTLY "${name}": no read or write waits.` : "Django's RemoveIndex.",
    previousRelease: null,
    risks: [SLOWER],
    slug: `drop_${name}`.toLowerCase(),
    why: postgres ? DROP_WHY : ["Django's own RemoveIndex."],
    operations,
    modelEdits: [{ kind: 'remove-meta-entry', model: model.name, list: 'indexes', name }],
  });
}
