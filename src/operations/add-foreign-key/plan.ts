/**
 * add-foreign-key on an existing column (DESIGN §2 "Further operations"): a plain integer column
 * that holds another model's keys (`customer_id = models.IntegerField()`) becomes a ForeignKey on
 * the same column (`customer = models.ForeignKey(Customer, ...)`: its attname `customer_id` is the
 * old attribute, so code that reads or filters by `customer_id` keeps working), or an existing
 * ForeignKey with `db_constraint=False` gets its constraint. The column never changes: the index
 * Django gives a foreign key is built CONCURRENTLY, the constraint added NOT VALID under
 * lock_timeout and validated in its own transaction, its orphans counted first. One release.
 * Pure: request → ChangePlan.
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import { isRelation, migrationFieldExpression, requireConcreteColumn, requireTable } from '../shared/django-fields.js';
import { deriveChangeId, validateChangeId } from '../shared/names.js';
import { pythonString } from '../shared/python-literals.js';
import { type DatabaseOnDelete, hasDatabaseConstraint, onDeleteOf, onDeleteSql, resolveRelationTarget } from '../shared/relations.js';
import { singleReleasePlan } from '../shared/single-release.js';
import type { ChangePlan, LockSettings, MigrationOperation, ModelEdit, StateOperation } from '../shared/types.js';

export const ON_DELETE_HANDLERS = ['CASCADE', 'PROTECT', 'RESTRICT', 'SET_NULL', 'DO_NOTHING'] as const;

export interface AddForeignKeyInput {
  app: DjangoApp;
  apps: DjangoApp[];
  model: DjangoModel;
  field: DjangoField;
  /** For an integer column: the model it points at (`Customer`, `billing.Account`). */
  to?: string;
  onDelete?: string;
  relatedName?: string;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

const INTEGER = /^(?:Positive)?(?:Big|Small)?IntegerField$/;

const WHY = [
  'ADD CONSTRAINT … FOREIGN KEY checks every row under a lock that stops writes to both tables.',
  'Here the index is built CONCURRENTLY, the constraint added NOT VALID (new writes are checked',
  'from then on) and validated in its own transaction, under locks writers pass. Rows that point',
  'at nothing are counted first: the migration stops, naming them, before any lock.',
];

export function addForeignKeyPlan(input: AddForeignKeyInput): ChangePlan {
  const { model, field } = input;
  requireTable(model, 'add the foreign key');
  requireConcreteColumn(model, field, '--field', 'change');
  if (input.database !== 'postgresql') {
    fail(`add-foreign-key is planned for PostgreSQL only (${input.database === 'sqlite' ? 'SQLite rebuilds the table for a new constraint' : 'MySQL checks every row under a lock'}): let makemigrations write it for ${input.database}`);
  }
  return isRelation(field) ? constraintPlan(input, field) : integerPlan(input, field);
}

/** An existing ForeignKey with db_constraint=False: only the constraint is new. */
function constraintPlan(input: AddForeignKeyInput, field: DjangoField): ChangePlan {
  const { app, model } = input;
  if (input.to !== undefined || input.onDelete !== undefined) fail(`${model.name}.${field.name} is a ForeignKey already: --to and --on-delete are its own; leave them out`);
  if (hasDatabaseConstraint(field)) fail(`${model.name}.${field.name} has its foreign key constraint already (no db_constraint=False)`);
  const target = resolveRelationTarget(field, model, app.label, input.apps);
  const handler = onDeleteOf(field);
  const change = input.changeId ?? deriveChangeId([model.name, field.name, 'constraint']);
  validateChangeId(change);
  const stateField = migrationFieldExpression(field, app.label, { remove: ['db_constraint'] });
  const alter: StateOperation = { kind: 'AlterField', modelName: model.name.toLowerCase(), name: field.name, field: stateField.source };
  return plan(input, {
    change,
    field: field.name,
    column: field.column,
    target,
    handler,
    indexed: true,
    stateOperations: [alter],
    imports: stateField.imports,
    modelEdits: [{ kind: 'edit-field', model: model.name, field: field.name, rename: null, setKwargs: {}, removeKwargs: ['db_constraint'], note: 'constraint added' }],
    title: `Add the foreign key constraint of ${model.name}.${field.name}`,
    state: `\`${field.name}\` loses \`db_constraint=False\`.`,
  });
}

/** `x_id = IntegerField()` → `x = ForeignKey(To, ...)` on the same column. */
function integerPlan(input: AddForeignKeyInput, field: DjangoField): ChangePlan {
  const { app, model } = input;
  const what = `${model.name}.${field.name}`;
  if (!INTEGER.test(field.fieldClass)) fail(`${what} is a ${field.fieldClass}; a foreign key goes on an integer column that holds another model's keys`);
  if (input.to === undefined) fail(`--to is needed: the model ${what} holds the keys of, e.g. --to Customer`);
  if (input.onDelete === undefined) fail(`--on-delete is needed: what deleting the target does (${ON_DELETE_HANDLERS.join(', ')})`);
  const handler = input.onDelete.replace(/^models\./, '');
  if (!(ON_DELETE_HANDLERS as readonly string[]).includes(handler)) fail(`unknown --on-delete "${input.onDelete}"; choose one of: ${ON_DELETE_HANDLERS.join(', ')}`);
  if (handler === 'SET_NULL' && !field.nullable) fail(`--on-delete SET_NULL needs ${what} to be nullable: set-not-null's opposite, drop-not-null, first`);
  const name = /^(.+)_id$/.exec(field.name)?.[1];
  if (!name || field.column !== field.name) {
    fail(
      `${what} is not named <name>_id on a column of that name: a ForeignKey named <name> keeps the column and the attribute ${field.name} only then; ` +
        'rename the field first (bg-scaffold rename-column --strategy db-column), or add the foreign key by hand',
    );
  }
  if (model.fields.some((f) => f.name === name) || model.otherAttributes.includes(name) || model.methods.includes(name)) fail(`${model.name} has a ${name} already; the foreign key would be named ${name}`);
  // Resolved as a relation field would be: a model of the project, another app's, or contrib's.
  const probe: DjangoField = { ...field, name, fieldClass: "ForeignKey", relatedModel: JSON.stringify(input.to), onDelete: handler, django: undefined };
  const target = resolveRelationTarget(probe, model, app.label, input.apps);
  const targetLabel = target.appLabel === app.label ? target.modelName : `${target.appLabel}.${target.modelName}`;
  const clash = model.fields.find((f) => isRelation(f) && f.relatedModel !== null && resolvesTo(f, model, app, input.apps, target) && !f.kwargs.related_name);
  if (clash && input.relatedName === undefined) {
    fail(`${model.name}.${clash.name} points at ${targetLabel} too, and two reverse accessors would clash (fields.E304); give --related-name, e.g. --related-name ${model.name.toLowerCase()}s_as_${name}`);
  }
  const change = input.changeId ?? deriveChangeId([model.name, name, 'foreign', 'key']);
  validateChangeId(change);
  const kwargs: Record<string, string> = {};
  for (const [key, value] of Object.entries(field.kwargs)) if (!['default', 'db_index'].includes(key)) kwargs[key] = value;
  const relatedName: Record<string, string> = input.relatedName !== undefined ? { related_name: pythonString(input.relatedName) } : {};
  const stateTo = pythonString(`${target.appLabel}.${target.modelName.toLowerCase()}`);
  const stateKwargs = [
    ...Object.entries({ ...kwargs, ...relatedName }).map(([key, value]) => `${key}=${value}`),
    `on_delete=django.db.models.deletion.${handler}`,
    `to=${stateTo}`,
  ].sort();
  const stateOperations: StateOperation[] = [
    { kind: 'RemoveField', modelName: model.name.toLowerCase(), name: field.name },
    { kind: 'AddField', modelName: model.name.toLowerCase(), name, field: `models.ForeignKey(${stateKwargs.join(', ')})` },
  ];
  // The field's statement is written anew, the target first as Django's docs write it; its other
  // arguments (null, blank, help_text, ...) carried over as written.
  const target_ = target.appLabel === app.label ? pythonString(target.modelName) : pythonString(`${target.appLabel}.${target.modelName}`);
  const carried = Object.entries({ ...kwargs, ...relatedName }).map(([key, value]) => `${key}=${value}`);
  const call = `models.ForeignKey(${[target_, `on_delete=models.${handler}`, ...carried].join(', ')})`;
  // In the old statement's place, under the comments that were above it.
  const modelEdits: ModelEdit[] = [
    { kind: 'insert-field', model: model.name, after: field.name, name, call, note: `foreign key to ${targetLabel}, on ${field.column}` },
    { kind: 'remove-field', model: model.name, field: field.name },
  ];
  return plan(input, {
    change,
    field: name,
    column: field.column,
    target,
    handler,
    indexed: field.dbIndex || field.unique,
    stateOperations,
    imports: ['import django.db.models.deletion'],
    modelEdits,
    title: `Make ${what} a foreign key to ${targetLabel}`,
    state: `\`${field.name}\` becomes \`${name} = models.ForeignKey(${targetLabel}, on_delete=models.${handler})\` on the same column: \`${field.name}\` is its attname, so code that reads or filters by it keeps working.`,
  });
}

function resolvesTo(f: DjangoField, model: DjangoModel, app: DjangoApp, apps: DjangoApp[], target: { table: string }): boolean {
  try {
    return resolveRelationTarget(f, model, app.label, apps).table === target.table;
  } catch {
    return false;
  }
}

interface ForeignKeyChange {
  change: string;
  field: string;
  column: string;
  target: { table: string; column: string; modelName: string; appLabel: string };
  handler: string | null;
  /** The column has Django's index already. */
  indexed: boolean;
  stateOperations: StateOperation[];
  imports: string[];
  modelEdits: ModelEdit[];
  title: string;
  state: string;
}

function plan(input: AddForeignKeyInput, c: ForeignKeyChange): ChangePlan {
  const { app, model, database } = input;
  const action: DatabaseOnDelete = onDeleteSql(c.handler) ?? 'NO ACTION';
  const steps: MigrationOperation[] = [
    ...(c.indexed
      ? []
      : [{ kind: 'create-index', comment: `The index Django gives a foreign key, under its name, CONCURRENTLY: writers go on.`, table: model.dbTable, column: c.column, suffix: '', opclass: null, unique: false } satisfies MigrationOperation]),
    {
      kind: 'add-foreign-key',
      comment:
        action === 'NO ACTION'
          ? `Orphans counted first; NOT VALID (a brief lock), then validated. Django's own constraint: it emulates ${c.handler} in Python.`
          : `Orphans counted first; NOT VALID (a brief lock), then validated. ON DELETE ${action} in the database, as ${c.handler} does in this release's Python: the previous release's deletes of ${c.target.modelName} keep working.`,
      table: model.dbTable,
      column: c.column,
      toTable: c.target.table,
      toColumn: c.target.column,
      onDelete: action,
    },
    { kind: 'state-only', comment: `Django's state: ${c.field} is a foreign key; the database change is above.`, operations: c.stateOperations },
  ];
  return singleReleasePlan({
    op: 'add-foreign-key',
    change: c.change,
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, field: input.field.name, to: input.to ?? null, on_delete: input.onDelete ?? null, related_name: input.relatedName ?? null, database },
    strategy: 'not-valid-then-validate',
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    name: 'foreign-key',
    title: c.title,
    state: c.state,
    migrationDoes: `${c.indexed ? '' : 'The index built CONCURRENTLY; '}rows that point at no ${c.target.modelName} counted first; FOREIGN KEY (${c.column}) REFERENCES ${c.target.table} (${c.target.column}) ON DELETE ${action} added NOT VALID, then validated.`,
    previousRelease: `must not write a ${c.column} that points at no ${c.target.modelName}`,
    risks: [
      `Once the constraint is added, a write of the previous release that points ${c.column} at no ${c.target.modelName} fails, and so does its delete of a ${c.target.modelName} still pointed at${action === 'NO ACTION' ? '' : ` (ON DELETE ${action} handles that)`}.`,
    ],
    slug: `${model.name.toLowerCase()}_${c.field}_foreign_key`,
    why: WHY,
    operations: steps,
    imports: c.imports,
    modelEdits: c.modelEdits,
  });
}

/** Whether a field can become a foreign key, for the field list: the reason it cannot, or undefined. */
export function foreignKeyRefusal(field: DjangoField): string | undefined {
  if (field.primaryKey) return 'the primary key';
  if (field.fieldClass === 'ManyToManyField' || field.column === '') return 'no column of its own';
  if (field.inheritedFrom) return `declared in ${field.inheritedFrom.className}`;
  if (isRelation(field)) return hasDatabaseConstraint(field) ? 'a foreign key with its constraint already' : undefined;
  if (!INTEGER.test(field.fieldClass)) return 'not an integer column';
  if (!/_id$/.test(field.name)) return 'not named <name>_id';
  return undefined;
}
