/**
 * remove-column: the release plans of DESIGN §2 for removing a model field and its column while
 * the previous release keeps serving. Pure: (request, project facts) → ChangePlan.
 *
 * Once the field leaves the model, the new release inserts rows without it, and the previous
 * release still reads them. What it reads there decides the plan:
 * - with-default (2 releases): the column gets a database default, so it reads a valid value;
 * - null-first (3 releases): no value makes sense, so the release before the removal learns to
 *   read NULL (every NOT NULL foreign key goes this way);
 * - nullable (2 releases): the field already allows NULL.
 */
import { BgScaffoldError, fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import { addCheckSql, columnCheck, validateCheckOnRollback } from '../shared/column-checks.js';
import { defaultFromFill, defaultOfField, type ColumnDefault } from '../shared/column-defaults.js';
import {
  djangoIndexesOf,
  type FieldExpression,
  isRelation,
  migrationFieldExpression,
  postgresColumnType,
  primaryKeyColumn,
  requireConcreteColumn,
  requireOwnTable,
} from '../shared/django-fields.js';
import { indexColumnsSql, indexesRemovedWithField, refuseRelatedMetaReferences } from '../shared/meta-references.js';
import { supportsDbDefault } from '../shared/django-version.js';
import { deriveChangeId, validateChangeId } from '../shared/names.js';
import { databaseOnDelete, hasDatabaseConstraint, requireNotRelationKey, resolveRelationTarget, type DatabaseOnDelete, type RelationTarget } from '../shared/relations.js';
import {
  addColumnSql,
  createIndexConcurrentlySql,
  dropColumnSql,
  dropIndexConcurrentlySql,
  q,
  setColumnDefaultSql,
  sqlString,
} from '../shared/sql.js';
import type { OnPurpose } from '../shared/linters.js';
import type { ChangePlan, LockSettings, MigrationOperation, MigrationSpec, ModelEdit, Phase, StateOperation } from '../shared/types.js';
import { verifiedOn } from '../shared/verified-on.js';
import { sqliteWarning } from '../shared/warnings.js';

export type RemoveColumnStrategy = 'with-default' | 'null-first' | 'nullable';

export const REMOVE_COLUMN_STRATEGIES: Record<RemoveColumnStrategy, string> = {
  'with-default': 'two releases: the column gets a database default and the field leaves the model; then the column is dropped',
  'null-first': 'three releases: the field becomes nullable; then it leaves the model; then the column is dropped',
  nullable: 'two releases: the nullable field leaves the model; then the column is dropped',
};

export interface RemoveColumnInput {
  app: DjangoApp;
  /** Every app of the project: a foreign key's target may live in another one. */
  apps: DjangoApp[];
  model: DjangoModel;
  field: DjangoField;
  /** `--fill VALUE`: the database default that rows inserted without the field get. */
  fill: string | undefined;
  database: Database;
  /** `major.minor`, when known: other databases need `db_default` (Django 5.0+) for the default. */
  djangoVersion: string | null;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

/** A foreign key being removed: what its constraint points at and what ON DELETE must do. */
interface Relation {
  target: RelationTarget;
  onDelete: DatabaseOnDelete;
  /** False for `db_constraint=False`: Django made no constraint, so none is replaced. */
  constraint: boolean;
}

/** Everything the phase builders share, worked out once. */
interface Removal {
  change: string;
  appLabel: string;
  model: DjangoModel;
  modelName: string;
  field: DjangoField;
  table: string;
  column: string;
  pk: string;
  database: Database;
  /** The column's PostgreSQL type, for the rollback's re-add; null when unknown. */
  columnType: string | null;
  relation: Relation | null;
  /** The database default of the with-default plan. */
  columnDefault: ColumnDefault | null;
  /** Meta.indexes entries that name the field: they leave Meta with it and are dropped before the column. */
  indexes: IndexOnColumns[];
}

/** A Meta index as SQL writes it: its name and `"site_id", "u_height" DESC`. */
interface IndexOnColumns {
  name: string;
  columns: string;
}

export function changeIdForRemoveColumn(model: string, field: string): string {
  return deriveChangeId(['remove', model, field]);
}

/** The plan a field gets without --fill, from what the previous release reads in rows inserted without it. */
export function strategyWithoutFill(field: DjangoField): RemoveColumnStrategy {
  if (field.nullable) return 'nullable';
  if (isRelation(field) || field.unique) return 'null-first';
  return defaultOfField(field) ? 'with-default' : 'null-first';
}

/** Why --fill cannot apply to the field, or undefined when it can. */
export function fillRefusal(model: DjangoModel, field: DjangoField): string | undefined {
  if (isRelation(field)) {
    return `--fill does not apply to the foreign key ${model.name}.${field.name}: no one value is right for every new row; drop --fill (a NOT NULL foreign key is removed in three releases, nullable first)`;
  }
  if (field.unique) return `--fill would give every new row the same value, which the unique column "${field.column}" refuses; drop --fill (the plan then makes it nullable first)`;
  return undefined;
}

export function removeColumnPlan(input: RemoveColumnInput): ChangePlan {
  const { app, model, field, database } = input;
  requireOwnTable(model);
  if (model.abstract) fail(`${model.name} is abstract and has no table; remove the field from the abstract model by hand and run makemigrations`);
  if (field.fieldClass.endsWith('ManyToManyField')) {
    fail(`${model.name}.${field.name} is a many-to-many field: it has no column but a table of its own, which remove-column does not handle yet; remove it by hand`);
  }
  requireConcreteColumn(model, field, '--field', 'remove');
  if (field.primaryKey) fail(`${model.name}.${field.name} is the primary key; it cannot be removed`);
  // On PostgreSQL a plain index goes explicitly, CONCURRENTLY; elsewhere every Meta reference is refused.
  const metaIndexes = indexesRemovedWithField(model, field, database === 'postgresql');
  refuseRelatedMetaReferences(model, field, app.label, input.apps, 'remove');
  requireNotRelationKey(model, field, app.label, input.apps, 'removed');

  const change = input.changeId ?? changeIdForRemoveColumn(model.name, field.name);
  validateChangeId(change);

  const relation: Relation | null = isRelation(field)
    ? { target: resolveRelationTarget(field, model, app.label, input.apps), onDelete: databaseOnDelete(field, model), constraint: hasDatabaseConstraint(field) }
    : null;
  const warnings: string[] = [];

  const { strategy, columnDefault } = chooseStrategy(input, relation, warnings);

  if (relation && !relation.constraint) {
    warnings.push(
      `${model.name}.${field.name} has db_constraint=False, so the database enforces nothing and none is added: once the field leaves the model, deleting a ${relation.target.modelName} leaves rows that the previous release reads as missing`,
    );
  }
  if (database === 'sqlite') warnings.push(sqliteWarning());

  const removal: Removal = {
    change,
    appLabel: app.label,
    model,
    modelName: model.name.toLowerCase(),
    field,
    table: model.dbTable,
    column: field.column,
    pk: primaryKeyColumn(model),
    database,
    columnType: postgresColumnType(field),
    relation,
    columnDefault,
    indexes: metaIndexes.map((index) => ({ name: index.name, columns: indexColumnsSql(model, index) })),
  };

  if (relation && relation.constraint && database !== 'postgresql') {
    fail(
      `removing the foreign key ${model.name}.${field.name} on ${database} needs its constraint replaced by one the database enforces on delete, which bg-scaffold generates for PostgreSQL only; remove it by hand`,
    );
  }

  const phases =
    strategy === 'with-default' ? withDefaultPhases(removal) : strategy === 'nullable' ? nullablePhases(removal) : nullFirstPhases(removal);

  return {
    schemaVersion: 1,
    change,
    op: 'remove-column',
    app: app.label,
    model: model.name,
    inputs: {
      app: app.label,
      model: model.name,
      field: field.name,
      fill: input.fill ?? null,
      database,
      modelsFile: model.file,
    },
    strategy,
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    phases,
    warnings,
    verifiedOn: verifiedOn('remove-column', strategy, database),
  };
}

/**
 * What the previous release will read in rows inserted without the field decides the plan: a
 * database default it can write (with-default), NULL the field allows (nullable), or NULL it learns
 * to read first (null-first). Outside PostgreSQL the default takes `db_default` (Django 5.0+).
 */
function chooseStrategy(input: RemoveColumnInput, relation: Relation | null, warnings: string[]): { strategy: RemoveColumnStrategy; columnDefault: ColumnDefault | null } {
  const { model, field, database } = input;
  let strategy: RemoveColumnStrategy;
  let columnDefault: ColumnDefault | null = null;
  if (input.fill !== undefined) {
    const refused = fillRefusal(model, field);
    if (refused) fail(refused);
    columnDefault = defaultFromFill(input.fill, field);
    strategy = 'with-default';
  } else {
    strategy = strategyWithoutFill(field);
    if (strategy === 'with-default') columnDefault = defaultOfField(field);
    const given = field.dbDefaultSource ?? field.defaultSource;
    if (strategy === 'null-first' && !relation && !field.unique && given !== null) {
      warnings.push(
        `${model.name}.${field.name} has ${field.dbDefaultSource !== null ? 'db_default' : 'default'}=${given}, which bg-scaffold cannot write as a database default: the plan takes three releases (nullable first); pass --fill VALUE for the two-release plan`,
      );
    }
  }
  if (strategy !== 'with-default' || database === 'postgresql') return { strategy, columnDefault };

  const withoutDefault = field.nullable ? 'nullable' : 'null-first';
  if (columnDefault?.python == null) {
    warnings.push(`on ${database} bg-scaffold cannot write ${columnDefault?.describe ?? 'that value'} as a db_default of ${field.fieldClass}: the plan takes three releases (nullable first) instead`);
    return { strategy: withoutDefault, columnDefault: null };
  }
  if (!supportsDbDefault(input.djangoVersion)) {
    warnings.push(`Django ${input.djangoVersion} has no db_default (5.0+), and ${database} gets no hand-written SQL: the plan takes three releases (nullable first) instead`);
    return { strategy: withoutDefault, columnDefault: null };
  }
  if (input.djangoVersion === null && field.dbDefaultSource === null) {
    warnings.push('bg-scaffold could not tell the Django version: this plan uses db_default, which needs Django 5.0 or later (pass --django-version to be sure)');
  }
  return { strategy, columnDefault };
}

// ---------------------------------------------------------------------------------------------
// Operations the plans share.

/** The field as a migration writes it, with kwargs changed; a message that fits remove-column when it cannot. */
function fieldExpression(r: Removal, change: { set?: Record<string, string>; remove?: string[] } = {}): FieldExpression {
  try {
    return migrationFieldExpression(r.field, r.appLabel, change);
  } catch (error) {
    if (!(error instanceof BgScaffoldError)) throw error;
    fail(`${r.model.name}.${r.field.name}: ${error.message.replace(/; use --strategy db-column.*$/, '')}; simplify the field definition first, or remove the field by hand`);
  }
}

function replaceForeignKey(r: Removal, comment: string): MigrationOperation[] {
  const relation = r.relation;
  if (!relation || !relation.constraint) return [];
  return [
    {
      kind: 'replace-foreign-key',
      comment,
      table: r.table,
      column: r.column,
      toTable: relation.target.table,
      toColumn: relation.target.column,
      onDelete: relation.onDelete,
    },
  ];
}

/** `ADD COLUMN ... NULL` for the rollback; a foreign key takes the type of the column it points at. */
function reAddColumn(r: Removal): string | null {
  if (r.relation) {
    const target = r.relation.target;
    const typeOf =
      `SELECT format_type(atttypid, atttypmod) FROM pg_attribute ` +
      `WHERE attrelid = ${sqlString(q(target.table))}::regclass AND attname = ${sqlString(target.column)}`;
    return [
      `-- The type of ${q(target.table)}.${q(target.column)}, read from the catalog.`,
      'DO $bg$',
      'BEGIN',
      `    EXECUTE format(${sqlString(addColumnSql(r.table, r.column, '%s'))}, (${typeOf}));`,
      'END',
      '$bg$',
    ].join('\n');
  }
  return r.columnType === null ? null : addColumnSql(r.table, r.column, r.columnType);
}

/** `the index "stock_rack_site_height_idx"`, or `the indexes "a" and "b"`. */
function metaIndexNames(r: Removal): string {
  const names = r.indexes.map((index) => `"${index.name}"`);
  return `the ${names.length > 1 ? 'indexes' : 'index'} ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]}`;
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function metaIndexWhy(r: Removal): string[] {
  if (r.indexes.length === 0) return [];
  return [
    `${capitalized(metaIndexNames(r))} of Meta.indexes names ${r.field.name}, so it leaves Meta and Django's state too;`,
    `it stays in the database, serving the previous release, until the next release drops it before the column.`,
  ];
}

/**
 * Each Meta index on the column, dropped CONCURRENTLY before the column (DROP COLUMN would drop it
 * too, silently, under its ACCESS EXCLUSIVE lock); the rollback rebuilds it CONCURRENTLY once the
 * column is back. First in the migration, so that backwards it runs last.
 */
function metaIndexDrops(r: Removal): MigrationOperation[] {
  return r.indexes.map((index) => ({
    kind: 'run-sql',
    comment: `The index ${index.name} (Meta.indexes) includes "${r.column}": it goes explicitly and CONCURRENTLY, not silently with the column under DROP COLUMN's lock. Backwards, it is rebuilt CONCURRENTLY once the column is back.`,
    sql: [dropIndexConcurrentlySql(index.name)],
    reverseSql: createIndexConcurrentlySql(r.table, index.name, index.columns),
    stateOperations: [],
  }));
}

function indexRebuilds(r: Removal): MigrationOperation[] {
  return djangoIndexesOf(r.field).map((index) => ({
    kind: 'backwards-only',
    comment: `Rollback only: rebuilds ${r.field.name}'s ${index.unique ? 'unique constraint' : index.suffix === '_like' ? 'LIKE pattern index' : 'index'} under Django's name, CONCURRENTLY.`,
    operation: { kind: 'create-index', comment: '', table: r.table, column: r.column, suffix: index.suffix, opclass: index.opclass, unique: index.unique },
  }));
}

/** How the last release's migration drops the column, and what migrating it backwards does. */
interface ColumnDrop {
  operations: MigrationOperation[];
  irreversible: string | null;
  /** For the migration's header: what the rollback brings back, and what it cannot. */
  rollback: string;
}

/** The column goes. On PostgreSQL, migrating backwards re-adds what it can; elsewhere, nothing. */
function columnDrop(r: Removal): ColumnDrop {
  if (r.database !== 'postgresql') {
    return {
      operations: [{ kind: 'drop-column-portable', comment: `No serving code selects "${r.column}" any more.`, table: r.table, column: r.column, reverseAddField: null }],
      irreversible: `the column and its data are dropped; on ${r.database} bg-scaffold does not generate the re-add (add it back by hand before migrating backwards)`,
      rollback: 'This migration cannot be reversed.',
    };
  }
  const reAdd = reAddColumn(r);
  if (reAdd === null) {
    return {
      operations: [{ kind: 'ddl', comment: `No serving code selects "${r.column}" any more.`, sql: [dropColumnSql(r.table, r.column)], reverseSql: null, onPurpose: columnDropped(r) }],
      irreversible: `bg-scaffold does not know the PostgreSQL type of ${r.field.fieldClass}, so it cannot re-add "${r.column}"; add it back by hand before migrating backwards`,
      rollback: 'This migration cannot be reversed.',
    };
  }
  return { operations: reversibleDropSteps(r, reAdd), irreversible: null, rollback: rollbackSummary(r) };
}

/** A NOT NULL column comes back filled with its default, so that NOT NULL can come back too. */
function rollbackRefill(r: Removal): ColumnDefault | null {
  return r.columnDefault !== null && !r.field.nullable ? r.columnDefault : null;
}

/**
 * PostgreSQL: the Meta indexes go CONCURRENTLY, then the column. The steps between run only when
 * migrating backwards, once the column is back: they restore what the drop took.
 */
function reversibleDropSteps(r: Removal, reAdd: string): MigrationOperation[] {
  const d = r.columnDefault;
  const refill = rollbackRefill(r);
  const operations: MigrationOperation[] = [...metaIndexDrops(r), ...indexRebuilds(r)];
  if (r.relation?.constraint) {
    operations.push({
      kind: 'backwards-only',
      comment: `Rollback only: the re-added column gets the database-level foreign key back.`,
      operation: replaceForeignKey(r, '')[0]!,
    });
  }
  if (refill) {
    operations.push(
      { kind: 'backwards-only', comment: 'Rollback only: NOT NULL again, once every row is filled.', operation: { kind: 'set-not-null', comment: '', table: r.table, column: r.column } },
      {
        kind: 'backwards-only',
        comment: `Rollback only: fills the re-added column with its default, in batches.`,
        operation: { kind: 'backfill', comment: '', table: r.table, pk: r.pk, set: `${q(r.column)} = ${refill.sql}`, where: `${q(r.column)} IS NULL` },
      },
    );
  }
  // Django's CHECK for the column's type (Positive*IntegerField) comes back with it.
  const check = columnCheck(r.field, r.table, r.column);
  if (check) operations.push(validateCheckOnRollback(check));
  const reverse = [reAdd, ...(d ? [setColumnDefaultSql(r.table, r.column, d.sql)] : []), ...(check ? [addCheckSql(check)] : [])];
  operations.push({
    kind: 'ddl',
    comment: `No serving code selects "${r.column}" any more: the release that stopped using it is fully rolled out.`,
    sql: [dropColumnSql(r.table, r.column)],
    reverseSql: reverse,
    onPurpose: columnDropped(r),
  });
  return operations;
}

/** Why the drop is safe: what linters flag in general is the point of this release. */
function columnDropped(r: Removal): OnPurpose {
  return {
    does: ['drop-column'],
    because: `${r.field.name} left the model in the previous release, and the release before it is retired: nothing that serves selects "${r.column}".`,
  };
}

/** `Migrating backwards re-adds "note" with its default '', ...: the previous schema comes back, but ...`. */
function rollbackSummary(r: Removal): string {
  const d = r.columnDefault;
  const refill = rollbackRefill(r);
  const extras = [
    ...(djangoIndexesOf(r.field).length > 0 ? ['rebuilds its indexes'] : []),
    ...(r.indexes.length > 0 ? [`rebuilds ${metaIndexNames(r)}`] : []),
    ...(r.relation?.constraint ? ['restores its foreign key'] : []),
  ];
  const how = refill
    ? [`re-adds "${r.column}" with its default ${refill.sql}`, 'fills every row with it', 'sets NOT NULL again', ...extras]
    : [`re-adds "${r.column}" as nullable${d ? ` with its default ${d.sql}` : ''}`, ...extras];
  const list = how.length === 1 ? how[0] : `${how.slice(0, -1).join(', ')} and ${how.at(-1)}`;
  return (
    `Migrating backwards ${list}: the previous schema comes back, but the values the column held are gone for good` +
    (refill ? ` (every row holds ${refill.sql}).` : ' (every row reads NULL).')
  );
}

/** The last release: the column goes. Its rollback re-adds what it can, and says what it cannot. */
function dropPhase(r: Removal, number: number, of: number): Phase {
  const { operations, irreversible, rollback } = columnDrop(r);
  return {
    number,
    of,
    name: 'drop',
    title: `Drop the column "${r.column}"`,
    state: 'Unchanged.',
    database: `${r.indexes.length > 0 ? `Drops ${metaIndexNames(r)} (CONCURRENTLY), then ` : 'Drops '}"${r.column}"${r.relation?.constraint ? ', its foreign key' : ''}${djangoIndexesOf(r.field).length > 0 ? ' and its indexes' : ''}.`,
    code: `As in release ${number - 1}: no \`${r.field.name}\`.`,
    serving: {
      duringMigration: `release ${number - 1} (no \`${r.field.name}\`)`,
      afterSwitch: [`release ${number - 1} and this release, neither of which has "${r.column}"`],
    },
    beforeNext: ['Nothing: the change is complete.'],
    risks: [`Rolling this release back re-adds "${r.column}" but not its values: keep a backup of the column if they may be needed.`],
    migration: {
      slug: `${r.modelName}_${r.field.name}_drop`,
      atomic: r.database !== 'postgresql',
      why: [`Drops "${r.column}": no serving release selects it any more.`, rollback],
      imports: [],
      irreversible,
      operations,
    },
    modelEdits: [{ kind: 'unmark', model: r.model.name }],
    codeBlocks: [],
  };
}

/** The release whose code no longer has the field: Django's state forgets it, the column stays. */
function removePhase(r: Removal, number: number, of: number, before: MigrationOperation[], database: string, why: string[], readsInNewRows: string): Phase {
  const { field } = r;
  const fk = r.relation?.constraint ? r.relation : null;
  const operations: MigrationOperation[] = [
    ...before,
    ...replaceForeignKey(
      r,
      `Without ${field.name} in its model, this release deletes ${fk?.target.modelName ?? ''} rows without Django's collector: the database must do what on_delete did (${fk?.onDelete ?? ''}).`,
    ),
    {
      kind: 'state-only',
      comment:
        r.indexes.length > 0
          ? `Django's state forgets ${field.name} and ${metaIndexNames(r)}, which names it; the column and the index stay until the next release.`
          : `Django's state forgets ${field.name}; the column stays until the next release.`,
      operations: [
        ...r.indexes.map((index): StateOperation => ({ kind: 'RemoveIndex', modelName: r.modelName, name: index.name })),
        { kind: 'RemoveField', modelName: r.modelName, name: field.name },
      ],
    },
  ];
  const fkWhy = fk
    ? [
        `Django's foreign key on "${r.column}" is replaced by one the database enforces on its own (ON DELETE ${fk.onDelete}):`,
        `this release deletes ${fk.target.modelName} rows without knowing the rows that point at them.`,
      ]
    : [];
  return {
    number,
    of,
    name: 'remove',
    title: `${r.model.name}.${field.name} leaves the model; the column "${r.column}" stays`,
    state: `\`${field.name}\` leaves the model.`,
    database,
    code: `No \`${field.name}\`: no code, template or raw SQL refers to it any more.`,
    serving: {
      duringMigration: `the previous release (has \`${field.name}\`)`,
      afterSwitch: [`the previous release, reading "${r.column}" in every row: in rows this release inserts, ${readsInNewRows}`, `this release, which inserts rows without "${r.column}"`],
    },
    beforeNext: [
      `This release is fully rolled out: no serving code selects "${r.column}" any more.`,
      `No other service, script or raw SQL reads or writes "${r.column}".`,
    ],
    risks: [],
    migration: {
      slug: `${r.modelName}_${field.name}_remove`,
      atomic: false,
      why: [...why, ...fkWhy, ...metaIndexWhy(r)],
      imports: [],
      irreversible: null,
      operations,
    },
    modelEdits: [
      ...r.indexes.map((index): ModelEdit => ({ kind: 'remove-meta-index', model: r.model.name, name: index.name })),
      { kind: 'remove-field', model: r.model.name, field: field.name },
    ],
    codeBlocks: [],
  };
}

// ---------------------------------------------------------------------------------------------
// with-default: two releases.

function withDefaultPhases(r: Removal): Phase[] {
  const d = r.columnDefault!;
  const { field } = r;
  const hasDbDefault = field.dbDefaultSource !== null;
  const pg = r.database === 'postgresql';
  const setDefault: MigrationOperation[] = hasDbDefault
    ? []
    : pg
      ? [
          {
            kind: 'ddl',
            comment: `Rows this release inserts without ${field.name} get ${d.sql}: a valid value for the previous release, which still reads it. Metadata only.`,
            sql: [setColumnDefaultSql(r.table, r.column, d.sql)],
            reverseSql: [`ALTER TABLE ${q(r.table)} ALTER COLUMN ${q(r.column)} DROP DEFAULT`],
          },
        ]
      : [];
  const database = hasDbDefault
    ? `Nothing: "${r.column}" keeps its database default ${d.describe}.`
    : `"${r.column}" gets the database default ${d.sql} (metadata only).`;
  const why = [
    hasDbDefault
      ? `"${r.column}" already has a database default (db_default), so rows this release inserts without it`
      : `"${r.column}" gets the database default ${d.sql}, so rows this release inserts without it`,
    `hold a valid value for the previous release, which still reads it. Then ${field.name} leaves Django's state.`,
  ];
  let remove = removePhase(r, 1, 2, setDefault, database, why, `the column default ${d.sql}`);
  if (!pg && !hasDbDefault) {
    // Other databases: Django's own schema editor sets the default (db_default, Django 5.0+).
    const withDefault = fieldExpression(r, { set: { db_default: d.python! } });
    const imports = [...new Set([...withDefault.imports, ...d.imports])].sort();
    const operations: MigrationOperation[] = [
      {
        kind: 'separate',
        comment: `The column gets the database default ${d.python} (rows this release inserts hold it for the previous release); then Django's state forgets ${field.name}.`,
        databaseOperations: [{ kind: 'AlterField', modelName: r.modelName, name: field.name, field: withDefault.source }],
        stateOperations: [{ kind: 'RemoveField', modelName: r.modelName, name: field.name }],
      },
    ];
    remove = { ...remove, migration: { ...remove.migration!, atomic: true, imports, operations } };
  } else if (!pg) {
    remove = { ...remove, migration: { ...remove.migration!, atomic: true } };
  }
  return [remove, dropPhase(r, 2, 2)];
}

// ---------------------------------------------------------------------------------------------
// nullable: two releases.

function nullablePhases(r: Removal): Phase[] {
  const fk = r.relation?.constraint ? r.relation : null;
  const database = fk
    ? `Django's foreign key on "${r.column}" is replaced by a database-level one with ON DELETE ${fk.onDelete} (NOT VALID, then validated); the column stays.`
    : 'Nothing: the column stays, and it already accepts NULL.';
  const why = [`${r.field.name} is nullable, so rows this release inserts without it read as NULL in the previous release,`, `which allows NULL there. Django's state forgets the field; the column stays.`];
  const remove = removePhase(r, 1, 2, [], database, why, 'NULL, which its model allows');
  return [r.database === 'postgresql' ? remove : { ...remove, migration: { ...remove.migration!, atomic: true } }, dropPhase(r, 2, 2)];
}

// ---------------------------------------------------------------------------------------------
// null-first: three releases.

function nullFirstPhases(r: Removal): Phase[] {
  const { field } = r;
  const pg = r.database === 'postgresql';
  const nullable = fieldExpression(r, { set: { null: 'True' } });
  const operations: MigrationOperation[] = pg
    ? [
        {
          kind: 'drop-not-null',
          comment: `The next release inserts rows without ${field.name}: the column must accept NULL first. Metadata only.`,
          table: r.table,
          column: r.column,
          onPurpose: {
            does: ['drop-not-null'],
            because: `Both serving releases still write ${field.name}; the first rows without it come from the next release, beside this one, whose model has null=True.`,
          },
        },
        { kind: 'state-only', comment: `Django's state: ${field.name} is nullable (the database change is above).`, operations: [{ kind: 'AlterField', modelName: r.modelName, name: field.name, field: nullable.source }] },
      ]
    : [{ kind: 'django', comment: `The next release inserts rows without ${field.name}: the column must accept NULL first.`, operation: { kind: 'AlterField', modelName: r.modelName, name: field.name, field: nullable.source } }];
  const joins = r.relation ? ` With null=True, this release's select_related() joins ${r.relation.target.modelName} with LEFT OUTER JOIN, so rows without one do not vanish.` : '';
  const migration: MigrationSpec = {
    slug: `${r.modelName}_${field.name}_nullable`,
    atomic: !pg,
    why: [
      `${field.name} becomes nullable, in the database and in the model. The next release inserts rows without it,`,
      `and this release, still serving beside it, must read those rows without failing.${joins}`,
      `Migrating backwards sets NOT NULL again${pg ? ' (through a validated check)' : ''}, which fails while any row holds NULL.`,
    ],
    imports: nullable.imports,
    irreversible: null,
    operations,
  };
  const edit: ModelEdit = {
    kind: 'edit-field',
    model: r.model.name,
    field: field.name,
    rename: null,
    setKwargs: { null: 'True' },
    removeKwargs: [],
    note: 'nullable until removed',
  };
  const nullablePhase: Phase = {
    number: 1,
    of: 3,
    name: 'nullable',
    title: `${r.model.name}.${field.name} becomes nullable; code stops depending on it`,
    state: `\`${field.name}\` gets \`null=True\`.`,
    database: `"${r.column}" becomes nullable (DROP NOT NULL, metadata only).`,
    code: `Still reads and writes \`${field.name}\`, but no longer depends on it: the next release inserts rows without it, and this release must handle NULL there.${joins}`,
    serving: {
      duringMigration: `the previous release (\`${field.name}\` NOT NULL)`,
      afterSwitch: ['the previous release, writing the column as before', `this release, writing it too, and reading NULL without failing`],
    },
    beforeNext: [
      `This release is fully rolled out: every serving instance reads NULL in \`${field.name}\` without failing.`,
      `No code, template or raw SQL refers to \`${field.name}\` any more (\`bg-scaffold check\`).`,
    ],
    risks: [],
    migration,
    modelEdits: [edit],
    codeBlocks: [],
  };

  const fk = r.relation?.constraint ? r.relation : null;
  const database = fk
    ? `Django's foreign key on "${r.column}" is replaced by a database-level one with ON DELETE ${fk.onDelete} (NOT VALID, then validated); the column stays.`
    : 'Nothing: the column stays, nullable since the previous release.';
  const why = [
    `${field.name} became nullable in the previous release, which reads NULL in rows this release inserts without failing.`,
    `Django's state forgets the field; the column stays until the next release.`,
  ];
  const remove = removePhase(r, 2, 3, [], database, why, 'NULL, which the previous release handles');
  return [nullablePhase, pg ? remove : { ...remove, migration: { ...remove.migration!, atomic: true } }, dropPhase(r, 3, 3)];
}
