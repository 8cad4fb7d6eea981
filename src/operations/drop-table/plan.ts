/**
 * drop-table: deleting a model while the previous release keeps serving (DESIGN §2). Pure:
 * (request, project facts) → ChangePlan.
 *
 * Release 1: the model leaves the code and Django's state; its table stays, because the previous
 * release still reads and writes it. Its foreign keys to other tables are replaced by constraints
 * the database enforces on its own: the new release deletes rows of those tables without knowing
 * this model, and the database must do what the model's `on_delete` did.
 * Release 2: the table goes (with its auto-created many-to-many tables).
 */
import { BgScaffoldError, fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import {
  isRelation,
  migrationFieldExpression,
  requireOwnTable,
} from '../shared/django-fields.js';
import { deriveChangeId, validateChangeId } from '../shared/names.js';
import { pythonString } from '../shared/python-literals.js';
import {
  databaseOnDelete,
  hasDatabaseConstraint,
  incomingRelations,
  relationTargetName,
  resolveRelationTarget,
  type DatabaseOnDelete,
} from '../shared/relations.js';
import type { ChangePlan, LockSettings, MigrationOperation, ModelDefinition, Phase } from '../shared/types.js';
import { verifiedOn } from '../shared/verified-on.js';
import { sqliteWarning } from '../shared/warnings.js';

export interface DropTableInput {
  app: DjangoApp;
  /** Every app of the project: who points at the model, and where its own relations point. */
  apps: DjangoApp[];
  model: DjangoModel;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

/** A foreign key from the dropped model's tables to a table that stays. */
interface OutgoingKey {
  /** `order` (a field), or `tags` (the many-to-many table's column to the other side). */
  via: string;
  table: string;
  column: string;
  toTable: string;
  toColumn: string;
  onDelete: DatabaseOnDelete;
  toModel: string;
}

/** PostgreSQL's identifier limit: Django shortens longer table names with a hash. */
const MAX_NAME = 63;

export function changeIdForDropTable(model: string): string {
  return deriveChangeId(['drop', model]);
}

/** The command that removes a relation field: what drop-table asks the user to run first. */
function removeFieldCommand(appLabel: string, model: string, field: DjangoField): string {
  if (field.fieldClass.endsWith('ManyToManyField')) return `${model}.${field.name} (many-to-many: remove it by hand)`;
  return `bg-scaffold remove-column --app ${appLabel} --model ${model} --field ${field.name}`;
}

export function dropTablePlan(input: DropTableInput): ChangePlan {
  const { app, apps, model, database } = input;
  requireOwnTable(model);
  if (model.abstract) fail(`${model.name} is abstract and has no table; remove the class by hand`);

  const incoming = incomingRelations(model, app.label, apps);
  if (incoming.length > 0) {
    const names = incoming.map((r) => `${r.appLabel}.${r.model.name}.${r.field.name}`);
    const commands = incoming.map((r) => removeFieldCommand(r.appLabel, r.model.name, r.field));
    fail(`${model.name} is still referenced by ${names.join(', ')}; remove ${incoming.length === 1 ? 'that field' : 'those fields'} first: ${commands.join('; ')}`);
  }
  const children = apps.flatMap((a) => a.models.filter((m) => !m.abstract && m.bases.some((b) => b.split('.').pop() === model.name)).map((m) => `${a.label}.${m.name}`));
  if (children.length > 0) fail(`${children.join(', ')} inherit${children.length === 1 ? 's' : ''} from ${model.name} (multi-table inheritance); drop-table does not handle that; remove them by hand`);
  const parents = model.bases.filter((base) => apps.some((a) => a.models.some((m) => !m.abstract && m.name === base.split('.').pop())));
  if (parents.length > 0) fail(`${model.name} inherits from ${parents.join(', ')} (multi-table inheritance); drop-table does not handle that; remove it by hand`);

  const change = input.changeId ?? changeIdForDropTable(model.name);
  validateChangeId(change);

  const warnings: string[] = [];
  const outgoing = outgoingKeys(model, app.label, apps, warnings);
  if (database !== 'postgresql' && outgoing.length > 0) {
    fail(
      `dropping ${model.name} on ${database} needs its foreign keys (${outgoing.map((k) => k.via).join(', ')}) replaced by ones the database enforces on delete, which bg-scaffold generates for PostgreSQL only; remove the model by hand`,
    );
  }
  const rollbackModel = createModelFor(model, app.label, apps);
  if (!rollbackModel.model) warnings.push(`the drop in release 2 cannot be reversed: ${rollbackModel.why}`);
  if (database === 'sqlite') warnings.push(sqliteWarning());

  const phases = database === 'postgresql' ? postgresPhases(model, outgoing, rollbackModel) : portablePhases(model);
  return {
    schemaVersion: 1,
    change,
    op: 'drop-table',
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, database, modelsFile: model.file },
    strategy: 'two-releases',
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    phases,
    warnings,
    verifiedOn: verifiedOn('drop-table', 'two-releases', database),
  };
}

/** The name Django gives an auto-created many-to-many table. */
function throughTable(model: DjangoModel, field: DjangoField): string {
  const dbTable = field.kwargs.db_table;
  if (dbTable) return dbTable.trim().replace(/^["']|["']$/g, '');
  return `${model.dbTable}_${field.name}`;
}

function outgoingKeys(model: DjangoModel, appLabel: string, apps: DjangoApp[], warnings: string[]): OutgoingKey[] {
  const keys: OutgoingKey[] = [];
  for (const field of model.fields) {
    if (field.relatedModel === null) continue;
    const target = relationTargetName(field, appLabel, model.name);
    const self = target !== null && target.label === appLabel && target.name.toLowerCase() === model.name.toLowerCase();
    if (self) continue; // points at the table that goes: no one else deletes those rows
    if (isRelation(field)) {
      if (!hasDatabaseConstraint(field)) {
        warnings.push(`${model.name}.${field.name} has db_constraint=False: no constraint to replace, so deleting what it points at leaves rows the previous release reads as missing`);
        continue;
      }
      const resolved = resolveRelationTarget(field, model, appLabel, apps);
      keys.push({ via: field.name, table: model.dbTable, column: field.column, toTable: resolved.table, toColumn: resolved.column, onDelete: databaseOnDelete(field, model), toModel: resolved.modelName });
    } else if (field.fieldClass.endsWith('ManyToManyField')) {
      if (field.kwargs.through) continue; // its own model, which points at this one: refused earlier
      const resolved = resolveRelationTarget(field, model, appLabel, apps);
      const table = throughTable(model, field);
      if (table.length > MAX_NAME) fail(`the many-to-many table of ${model.name}.${field.name} has a name Django shortens (${table}); drop-table does not handle that; remove the field by hand first`);
      // Django's collector deletes these rows with either side: the database must now do it for the other side.
      keys.push({ via: field.name, table, column: `${resolved.modelName.toLowerCase()}_id`, toTable: resolved.table, toColumn: resolved.column, onDelete: 'CASCADE', toModel: resolved.modelName });
    }
  }
  return keys;
}

/** The model as `migrations.CreateModel` writes it, for the rollback of the drop; null with a reason when it cannot be written. */
function createModelFor(model: DjangoModel, appLabel: string, apps: DjangoApp[]): { model: ModelDefinition | null; imports: string[]; why: string } {
  const fields: Array<{ name: string; field: string }> = [];
  const imports = new Set<string>();
  try {
    for (const field of model.fields) {
      let expression;
      if (field.fieldClass.endsWith('ManyToManyField')) {
        const target = resolveRelationTarget(field, model, appLabel, apps);
        const { to: _to, ...kwargs } = field.kwargs;
        const to = pythonString(`${target.appLabel}.${target.modelName.toLowerCase()}`);
        expression = migrationFieldExpression({ ...field, args: [], kwargs: { to, ...kwargs } }, appLabel);
      } else {
        expression = migrationFieldExpression(field, appLabel);
      }
      expression.imports.forEach((i) => imports.add(i));
      fields.push({ name: field.name, field: expression.source });
    }
  } catch (error) {
    if (!(error instanceof BgScaffoldError)) throw error;
    return { model: null, imports: [], why: error.message.replace(/; use --strategy db-column.*$/, '') };
  }
  const defaultTable = `${appLabel}_${model.name.toLowerCase()}`;
  const options: Record<string, string> = model.dbTable === defaultTable ? {} : { db_table: pythonString(model.dbTable) };
  return { model: { name: model.name, fields, options }, imports: [...imports].sort(), why: '' };
}

function replaceKey(key: OutgoingKey, comment: string): MigrationOperation {
  return { kind: 'replace-foreign-key', comment, table: key.table, column: key.column, toTable: key.toTable, toColumn: key.toColumn, onDelete: key.onDelete };
}

/** Release 1: Django's foreign keys to other tables replaced by database-level ones; the model leaves the state. */
function retireSteps(model: DjangoModel, outgoing: OutgoingKey[]): MigrationOperation[] {
  return [
    ...outgoing.map((key) =>
      replaceKey(
        key,
        `This release deletes ${key.toModel} rows without knowing ${model.name}: the database must do what ${key.via}'s on_delete did (${key.onDelete}).`,
      ),
    ),
    { kind: 'state-only', comment: `Django's state forgets ${model.name}; its table stays until the next release.`, operations: [{ kind: 'DeleteModel', name: model.name }] },
  ];
}

/** Release 2: the tables go; migrating backwards recreates them (empty) with release 1's foreign keys. */
function dropSteps(model: DjangoModel, outgoing: OutgoingKey[], rollback: ReturnType<typeof createModelFor>): MigrationOperation[] {
  return [
    ...outgoing.map(
      (key): MigrationOperation => ({
        kind: 'backwards-only',
        comment: `Rollback only: the recreated table gets the database-level foreign key of release 1 back.`,
        operation: replaceKey(key, ''),
      }),
    ),
    {
      kind: 'drop-table',
      comment: `No serving code uses ${model.name} any more.${rollback.model ? ' The model as it was, so that migrating backwards can recreate its tables (empty).' : ''}`,
      table: model.dbTable,
      model: rollback.model,
      onPurpose: { does: ['drop-table'], because: `${model.name} left the code in the previous release, and the release before it is retired: nothing that serves reads or writes "${model.dbTable}".` },
    },
  ];
}

function postgresPhases(model: DjangoModel, outgoing: OutgoingKey[], rollback: ReturnType<typeof createModelFor>): Phase[] {
  const modelName = model.name.toLowerCase();
  const tables = [model.dbTable, ...new Set(outgoing.map((k) => k.table).filter((t) => t !== model.dbTable))];
  const replaced = outgoing.map((k) => `${k.table}.${k.column} → ${k.toTable} (ON DELETE ${k.onDelete})`);
  const retire = retireSteps(model, outgoing);
  const drop = dropSteps(model, outgoing, rollback);
  const retirePhase: Phase = {
    number: 1,
    of: 2,
    name: 'remove',
    title: `${model.name} leaves the code; its table "${model.dbTable}" stays`,
    state: `\`${model.name}\` leaves the model state (\`DeleteModel\`, state only).`,
    database: outgoing.length > 0 ? `Replaces Django's foreign keys ${replaced.join(', ')} by database-level ones (NOT VALID, then validated).` : 'Nothing: the table stays.',
    code: `No \`${model.name}\`: the class is removed from ${model.file}; no code, template or raw SQL refers to it any more.`,
    serving: {
      duringMigration: `the previous release (uses \`${model.name}\`)`,
      afterSwitch: [`the previous release, reading and writing "${model.dbTable}"`, `this release, which does not know the table${outgoing.length > 0 ? '; its deletes reach it through the database-level foreign keys' : ''}`],
    },
    beforeNext: [
      `This release is fully rolled out: no serving code uses ${model.name} any more.`,
      `No other service, script or raw SQL uses ${tables.map((t) => `"${t}"`).join(', ')}.`,
    ],
    risks: [],
    migration: {
      slug: `delete_${modelName}`,
      atomic: false,
      why: [
        `${model.name} leaves Django's state; its table stays, because the previous release still uses it.`,
        ...(outgoing.length > 0
          ? [`Its foreign keys are replaced by ones the database enforces on its own: this release deletes rows they point at without Django's collector.`]
          : []),
      ],
      imports: [],
      irreversible: null,
      operations: retire,
    },
    modelEdits: [{ kind: 'remove-model', model: model.name }],
    codeBlocks: [],
  };
  const rollbackWhy = rollback.model
    ? `Migrating backwards recreates ${tables.length > 1 ? 'the tables' : 'the table'} from the model as it was, with Django's own SQL: empty, for the rows are gone for good. Meta indexes and constraints are not recreated.`
    : `It cannot be reversed: ${rollback.why}.`;
  const dropPhase: Phase = {
    number: 2,
    of: 2,
    name: 'drop',
    title: `Drop the table "${model.dbTable}"`,
    state: 'Unchanged.',
    database: `Drops ${tables.map((t) => `"${t}"`).join(', ')} (their foreign keys to other tables first, each under lock_timeout).`,
    code: `As in release 1: no \`${model.name}\`.`,
    serving: { duringMigration: `release 1 (no \`${model.name}\`)`, afterSwitch: [`release 1 and this release, neither of which uses "${model.dbTable}"`] },
    beforeNext: ['Nothing: the change is complete.'],
    risks: [`The rows of "${model.dbTable}" are gone for good once this migration runs: take a backup of the table if they may be needed.`],
    migration: {
      slug: `${modelName}_drop`,
      atomic: false,
      why: [`Drops the table of ${model.name}: no serving release uses it any more.`, rollbackWhy],
      imports: rollback.imports,
      irreversible: rollback.model ? null : rollback.why,
      operations: drop,
    },
    modelEdits: [],
    codeBlocks: [],
  };
  return [retirePhase, dropPhase];
}

/** Other databases: Django's own operations; the drop is a RunPython through the schema editor. */
function portablePhases(model: DjangoModel): Phase[] {
  const modelName = model.name.toLowerCase();
  const through = model.fields.filter((f) => f.fieldClass.endsWith('ManyToManyField') && !f.kwargs.through).map((f) => throughTable(model, f));
  return [
    {
      number: 1,
      of: 2,
      name: 'remove',
      title: `${model.name} leaves the code; its table "${model.dbTable}" stays`,
      state: `\`${model.name}\` leaves the model state (\`DeleteModel\`, state only).`,
      database: 'Nothing: the table stays.',
      code: `No \`${model.name}\`: the class is removed from ${model.file}.`,
      serving: { duringMigration: `the previous release (uses \`${model.name}\`)`, afterSwitch: [`the previous release, using "${model.dbTable}"`, 'this release, which does not know the table'] },
      beforeNext: [`This release is fully rolled out: no serving code uses ${model.name} any more.`],
      risks: [],
      migration: {
        slug: `delete_${modelName}`,
        atomic: true,
        why: [`${model.name} leaves Django's state; its table stays, because the previous release still uses it.`],
        imports: [],
        irreversible: null,
        operations: [{ kind: 'state-only', comment: `Django's state forgets ${model.name}; its table stays until the next release.`, operations: [{ kind: 'DeleteModel', name: model.name }] }],
      },
      modelEdits: [{ kind: 'remove-model', model: model.name }],
      codeBlocks: [],
    },
    {
      number: 2,
      of: 2,
      name: 'drop',
      title: `Drop the table "${model.dbTable}"`,
      state: 'Unchanged.',
      database: `Drops ${[...through, model.dbTable].map((t) => `"${t}"`).join(', ')}.`,
      code: `As in release 1: no \`${model.name}\`.`,
      serving: { duringMigration: `release 1 (no \`${model.name}\`)`, afterSwitch: [`release 1 and this release, neither of which uses "${model.dbTable}"`] },
      beforeNext: ['Nothing: the change is complete.'],
      risks: [],
      migration: {
        slug: `${modelName}_drop`,
        atomic: true,
        why: [`Drops the table of ${model.name}: no serving release uses it any more.`],
        imports: [],
        irreversible: 'the tables and their rows are dropped; bg-scaffold does not generate their re-creation on this database',
        operations: [{ kind: 'drop-table-portable', comment: `No serving code uses ${model.name} any more.`, tables: [...through, model.dbTable] }],
      },
      modelEdits: [],
      codeBlocks: [],
    },
  ];
}
