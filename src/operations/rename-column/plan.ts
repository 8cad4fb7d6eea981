/**
 * rename-column: the release plans of DESIGN §2 for renaming a model field's column while the
 * previous release keeps serving. Pure: (request, project facts) → ChangePlan.
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import {
  djangoIndexesOf,
  isRelation,
  migrationFieldExpression,
  postgresColumnType,
  primaryKeyColumn,
  requireConcreteColumn,
  requireOwnTable,
} from '../shared/django-fields.js';
import { definitionOf, indexColumnsSql, metaReferencesToRename, plainIndexOf, refuseRelatedMetaReferences, type MetaReference } from '../shared/meta-references.js';
import { requireNotRelationKey } from '../shared/relations.js';
import { addCheckSql, addCheckStep, columnCheck, type ColumnCheck, validateCheckOnRollback, validateCheckStep } from '../shared/column-checks.js';
import { deriveChangeId, pgIdentifier, validateChangeId, validateNewFieldName } from '../shared/names.js';
import { pythonString } from '../shared/python-literals.js';
import {
  addColumnSql,
  addConstraintUnlessPresent,
  createIndexConcurrentlySql,
  dropColumnSql,
  dropConstraintSql,
  dropIndexConcurrentlySql,
  q,
  sqlString,
} from '../shared/sql.js';
import type { OnPurpose } from '../shared/linters.js';
import { BACKGROUND_VERIFIED_IN_MATRIX, backgroundBackfill, backgroundBackfillName, inMigrateWarning, type BackfillMode, backfillCommand, refuseBackground, registerBackfillStep, requireBackfillFinishedStep } from '../shared/background-backfill.js';
import { verifiedOn } from '../shared/verified-on.js';
import { sqliteWarning } from '../shared/warnings.js';
import type {
  ChangePlan,
  CodeBlock,
  LockSettings,
  MigrationOperation,
  MigrationSpec,
  ModelEdit,
  Phase,
  RenameStrategy,
  StateOperation,
} from '../shared/types.js';

export interface RenameColumnInput {
  app: DjangoApp;
  /** Every app whose models may point at this one (their reverse accessors are names the new one must not take); [app] when absent. */
  apps?: DjangoApp[];
  model: DjangoModel;
  field: DjangoField;
  to: string;
  strategy: RenameStrategy | undefined;
  phases: 3 | 4 | undefined;
  /** `--backfill` (copy strategy): the copy in migrate (default), or registered for `manage.py bg_scaffold_backfill`. */
  backfill?: BackfillMode;
  /** The table's rows (pg_class.reltuples) when a database was read at generation, for PLAN.md's advice. */
  rowsEstimate?: number | null;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

export const RENAME_STRATEGIES: Record<RenameStrategy, string> = {
  'db-column': 'one release: rename the attribute and keep the column name with db_column (no SQL runs)',
  trigger: 'two releases: new column kept in sync by a database trigger, then drop the old one (PostgreSQL)',
  copy: 'three or four releases: new column written by application code (dual write), any database',
};

export function defaultRenameStrategy(database: Database): RenameStrategy {
  return database === 'postgresql' ? 'trigger' : 'copy';
}

/** Everything the phase builders share, worked out once. */
interface Rename {
  change: string;
  appLabel: string;
  model: DjangoModel;
  modelName: string;
  field: DjangoField;
  to: string;
  table: string;
  pk: string;
  oldColumn: string;
  newColumn: string;
  columnType: string | null;
  database: Database;
  /** Where Meta names the field: rewritten in models.py, and in the state by `metaState`. */
  meta: MetaReference[];
  /** AlterModelOptions with the field's new name in ordering / get_latest_by, or null. */
  metaState: { operation: StateOperation; imports: string[] } | null;
  /** Plain Meta indexes on the field, built again on the new column (PostgreSQL, a new column). */
  rebuiltIndexes: RebuiltIndex[];
  /** Django's CHECK for the field's type on the new column and on the old one (PostgreSQL, a new column). */
  checks: { added: ColumnCheck; readded: ColumnCheck } | null;
}

/**
 * A Meta index or unique constraint on the field, on a new column: built CONCURRENTLY as
 * `temporary` beside the old one while both columns serve; when DROP COLUMN takes the old one, the
 * new one takes its name (a unique index becomes the constraint: ADD CONSTRAINT ... USING INDEX).
 */
interface RebuiltIndex {
  name: string;
  unique: boolean;
  temporary: string;
  /** `"author_id", "published" DESC` */
  oldColumns: string;
  newColumns: string;
}

export function renameColumnPlan(input: RenameColumnInput): ChangePlan {
  const { app, model, field, to, database } = input;
  requireConcreteColumn(model, field, '--field');
  requireOwnTable(model);
  if (model.abstract) fail(`${model.name} is abstract and has no table; rename the field on the abstract model by hand and run makemigrations`);
  if (to === field.name) fail(`--to "${to}" is the field's current name; choose a new name`);
  validateNewFieldName(to, model, '--to', { appLabel: app.label, apps: input.apps ?? [app] });
  requireNotRelationKey(model, field, app.label, input.apps ?? [app], 'renamed');

  const strategy = input.strategy ?? defaultRenameStrategy(database);
  refuseStrategyInputs(input, strategy);
  const change = input.changeId ?? deriveChangeId([model.name, field.name, 'to', to]);
  validateChangeId(change);
  const rename = describeRename(input, strategy, change);
  const background = input.backfill === 'background';
  if (background) {
    refuseBackground({
      database,
      backfills: strategy === 'copy',
      nothingToFill:
        strategy === 'db-column'
          ? 'the db-column strategy renames the attribute only and copies nothing'
          : 'the trigger strategy switches the code to the new column in the release that fills it, so its fill cannot wait; use --strategy copy for a background fill',
    });
  }

  const phases =
    strategy === 'db-column'
      ? dbColumnPhases(rename)
      : strategy === 'trigger'
        ? triggerPhases(rename, input.batchSize)
        : copyPhases(rename, input.phases ?? 4, background);

  const warnings: string[] = [];
  if (strategy === 'copy' && input.phases === 3) {
    warnings.push(
      `--phases 3 merges the backfill and the switch: while release 2 rolls out, the previous release reads "${field.name}" values that release 2 no longer writes (stale reads for rows written during the switch)`,
    );
  }
  if (database === 'sqlite') warnings.push(sqliteWarning());
  // The trigger and copy strategies copy every row; the copy strategy can do it in the background.
  const large = strategy !== 'db-column' && !background ? inMigrateWarning(rename.table, input.rowsEstimate) : null;
  if (large) warnings.push(strategy === 'copy' ? large : large.replace('consider --backfill background', 'consider --strategy copy --backfill background'));

  return {
    schemaVersion: 1,
    change,
    op: 'rename-column',
    app: app.label,
    model: model.name,
    inputs: {
      app: app.label,
      model: model.name,
      field: field.name,
      to,
      strategy,
      phases: strategy === 'copy' ? (input.phases ?? 4) : null,
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
    verifiedOn: background ? [BACKGROUND_VERIFIED_IN_MATRIX] : verifiedOn('rename-column', strategy, database),
    ...(background
      ? {
          background: backgroundBackfill({
            change,
            table: rename.table,
            registeredIn: 2,
            guardedIn: 3,
            names: [copyBackgroundName(rename)],
            moved: `What needed the copied rows (NOT NULL and the indexes on "${rename.newColumn}", and the code reading ${rename.to}) moved from release 2, where the in-migrate form copies first, to release 3: one release more than the in-migrate form, whose code writes both columns and still reads "${rename.oldColumn}".`,
            remainingSql: `SELECT count(*) FROM ${q(rename.table)} WHERE ${q(rename.newColumn)} IS DISTINCT FROM ${q(rename.oldColumn)}`,
            rowsEstimate: input.rowsEstimate ?? null,
          }),
        }
      : {}),
  };
}

function copyBackgroundName(r: Rename): string {
  return backgroundBackfillName(r.change, r.table, r.newColumn);
}

/** Refuses what the chosen strategy cannot do with these inputs. */
function refuseStrategyInputs(input: RenameColumnInput, strategy: RenameStrategy): void {
  if (input.phases !== undefined && strategy !== 'copy') {
    fail(`--phases applies to --strategy copy only (the ${strategy} strategy has a fixed number of releases)`);
  }
  const unavailable = strategyUnavailable(strategy, input);
  if (unavailable) fail(`${unavailable.reason}; ${unavailable.fix}`);
}

/**
 * Why `strategy` cannot rename this field on this database, and what to do instead; null when it
 * can. The plan refuses with both; a terminal offers the strategy disabled, with the reason.
 */
export function strategyUnavailable(
  strategy: RenameStrategy,
  target: Pick<RenameColumnInput, 'model' | 'field' | 'database'> & { to?: string },
): { reason: string; fix: string } | null {
  const { model, field, database, to } = target;
  if (strategy === 'trigger' && database !== 'postgresql') {
    return { reason: `--strategy trigger needs PostgreSQL (this project uses ${database})`, fix: 'use --strategy copy or db-column' };
  }
  if (strategy === 'copy' && to === 'objects') {
    return { reason: `--to "objects" would meet the dual-write manager the copy strategy adds as ${model.name}.objects`, fix: 'choose another name, or --strategy db-column' };
  }
  if (strategy === 'db-column') return null;
  // The trigger and copy strategies build a new column under the new name.
  if ('db_column' in field.kwargs) {
    return { reason: `${model.name}.${field.name} sets db_column, so its column keeps its name anyway`, fix: 'use --strategy db-column, or remove db_column first' };
  }
  if (isRelation(field)) {
    return { reason: `renaming the column of relation ${model.name}.${field.name} needs its foreign key rebuilt`, fix: 'use --strategy db-column (no SQL runs)' };
  }
  if (database === 'postgresql' && postgresColumnType(field) === null) {
    return field.django
      ? { reason: `Django reports no PostgreSQL type for ${field.fieldClass} (${model.name}.${field.name})`, fix: 'use --strategy db-column' }
      : {
          reason: `bg-scaffold cannot tell the PostgreSQL type of ${field.fieldClass} (${model.name}.${field.name}) without Django`,
          fix: "run it with the project's Python (--python, or BG_PYTHON)",
        };
  }
  return null;
}

/** The rename as the phase builders need it: columns, Meta references, and what a new column on PostgreSQL gets again. */
function describeRename(input: RenameColumnInput, strategy: RenameStrategy, change: string): Rename {
  const { app, model, field, to, database } = input;
  // A new column on PostgreSQL: a plain index or unique constraint that names the field is rebuilt
  // on it, CONCURRENTLY, and it gets the CHECK Django gives its type.
  const newColumnOnPostgres = strategy !== 'db-column' && database === 'postgresql';
  const meta = metaReferencesToRename(model, field, strategy === 'db-column', newColumnOnPostgres);
  refuseRelatedMetaReferences(model, field, app.label, input.apps ?? [app], 'rename');
  const newColumn = isRelation(field) ? `${to}_id` : to;
  return {
    change,
    appLabel: app.label,
    model,
    modelName: model.name.toLowerCase(),
    field,
    to,
    table: model.dbTable,
    pk: primaryKeyColumn(model),
    oldColumn: field.column,
    newColumn,
    columnType: postgresColumnType(field),
    database,
    meta,
    metaState: renamedModelOptions(model, meta, field.name, to),
    rebuiltIndexes: newColumnOnPostgres ? rebuiltIndexesOf(model, field, meta, newColumn) : [],
    checks: newColumnOnPostgres ? checksOf(field, model.dbTable, newColumn) : null,
  };
}

/** Each plain Meta index or unique constraint that names the field, as rebuilt on the new column. */
function rebuiltIndexesOf(model: DjangoModel, field: DjangoField, meta: MetaReference[], newColumn: string): RebuiltIndex[] {
  return meta.flatMap((reference): RebuiltIndex[] => {
    const index = plainIndexOf(model, reference);
    if (!index) return [];
    return [
      {
        name: index.name,
        unique: index.unique,
        temporary: pgIdentifier(`${index.name}_bg_new`),
        oldColumns: indexColumnsSql(model, index),
        newColumns: indexColumnsSql(model, index, { field: field.name, column: newColumn }),
      },
    ];
  });
}

// ---------------------------------------------------------------------------------------------
// Meta: the field's name in ordering, get_latest_by (AlterModelOptions) and *_together (RenameField).

/** `'-due_back'` → `'-due'` in a serialized option value; other strings stay. */
function renameInOptionSource(source: string, from: string, to: string): string {
  return source.replace(new RegExp(`(['"])([-+?]?)${from}((?:__\\w*)?)\\1`, 'g'), `$1$2${to}$3$1`);
}

/**
 * The AlterModelOptions that makemigrations writes after the rename: every option the state holds,
 * with the field's new name where ordering or get_latest_by named it (an option it leaves out, it
 * drops). Null when neither names the field.
 */
function renamedModelOptions(model: DjangoModel, meta: MetaReference[], from: string, to: string): Rename['metaState'] {
  if (!meta.some((reference) => reference.option === 'ordering' || reference.option === 'get_latest_by')) return null;
  const options = model.django?.meta.alterOptions;
  if (!options || 'error' in options) return null; // refused by metaReferencesToRename
  const entries = Object.entries(options).sort(([a], [b]) => a.localeCompare(b));
  const imports = [...new Set(entries.flatMap(([, value]) => value.imports))].filter((line) => line !== 'from django.db import models' && line !== 'from django.db import migrations').sort();
  return {
    operation: {
      kind: 'AlterModelOptions',
      name: model.name.toLowerCase(),
      options: entries.map(([key, value]) => ({
        key,
        value: key === 'ordering' || key === 'get_latest_by' ? renameInOptionSource(value.source, from, to) : value.source,
      })),
    },
    imports,
  };
}

/** The models.py edit that renames the field where Meta names it, or none. */
function metaEdits(r: Rename, note: string): ModelEdit[] {
  return r.meta.length > 0 ? [{ kind: 'rename-in-meta', model: r.model.name, from: r.field.name, to: r.to, note }] : [];
}

/**
 * Django's state after the rename, beyond RenameField: AlterModelOptions for ordering and
 * get_latest_by, and each index or constraint that names the field removed and added again with
 * the new name (the db-column strategy only: the column, so the database's index, stays).
 */
function metaStateOperations(r: Rename): StateOperation[] {
  const restated = r.meta.flatMap((reference): StateOperation[] => {
    const definition = definitionOf(r.model, reference);
    if (!definition) return [];
    const source = renameInOptionSource(definition.source, r.field.name, r.to);
    return reference.option === 'indexes'
      ? [{ kind: 'RemoveIndex', modelName: r.modelName, name: reference.entry }, { kind: 'AddIndex', modelName: r.modelName, index: source }]
      : [{ kind: 'RemoveConstraint', modelName: r.modelName, name: reference.entry }, { kind: 'AddConstraint', modelName: r.modelName, constraint: source }];
  });
  return [...(r.metaState ? [r.metaState.operation] : []), ...restated];
}

function withMetaImports(r: Rename, imports: string[]): string[] {
  const definitions = r.meta.flatMap((reference) => definitionOf(r.model, reference)?.imports ?? []);
  const extra = [...(r.metaState?.imports ?? []), ...definitions].filter((line) => line !== 'from django.db import models' && line !== 'from django.db import migrations');
  return extra.length > 0 ? [...new Set([...imports, ...extra])].sort() : imports;
}

// ---------------------------------------------------------------------------------------------
// db-column: one release, no SQL.

function dbColumnPhases(r: Rename): Phase[] {
  const { field, to } = r;
  const renamed = migrationFieldExpression(field, r.appLabel, { set: { db_column: pythonString(r.oldColumn) } });
  return [
    {
      number: 1,
      of: 1,
      name: 'rename',
      title: `Rename ${r.model.name}.${field.name} to ${to}, keeping the column "${r.oldColumn}"`,
      state: `The field is called \`${to}\` with \`db_column="${r.oldColumn}"\`.`,
      database: 'Nothing: the column keeps its name, so no SQL runs (check with `sqlmigrate`).',
      code: `Uses \`${to}\`. The previous release keeps using \`${field.name}\` on the same column.`,
      serving: {
        duringMigration: `the previous release (uses \`${field.name}\`)`,
        afterSwitch: [
          `the previous release, as \`${field.name}\` → column "${r.oldColumn}"`,
          `this release, as \`${to}\` → the same column "${r.oldColumn}"`,
        ],
      },
      beforeNext: [`Every reference to \`${field.name}\` in code, templates and raw SQL is renamed to \`${to}\`.`],
      risks: [],
      migration: {
        slug: `${r.modelName}_${field.name}_to_${to}`.slice(0, 60),
        atomic: true,
        why: [
          `Renames the attribute only. The column stays "${r.oldColumn}" (db_column), so the previous`,
          'release and this one read and write the same column, and no SQL runs.',
        ],
        imports: withMetaImports(r, renamed.imports),
        irreversible: null,
        operations: [
          {
            kind: 'state-only',
            comment: `Django's state follows models.py; the database is untouched.`,
            operations: [
              { kind: 'RenameField', modelName: r.modelName, oldName: field.name, newName: to },
              { kind: 'AlterField', modelName: r.modelName, name: to, field: renamed.source },
              ...metaStateOperations(r),
            ],
          },
        ],
      },
      modelEdits: [
        {
          kind: 'edit-field',
          model: r.model.name,
          field: field.name,
          rename: to,
          setKwargs: { db_column: pythonString(r.oldColumn) },
          removeKwargs: [],
          note: `renamed from ${field.name}; column stays "${r.oldColumn}"`,
        },
        ...metaEdits(r, `${field.name} renamed to ${to}`),
      ],
      codeBlocks: [],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// trigger: two releases; PostgreSQL keeps both columns equal, whoever writes.

/** The trigger that keeps both columns equal: the statements that create it and drop it. */
interface SyncTrigger {
  create: string[];
  drop: string[];
  functionName: string;
}

function syncTriggerSql(r: Rename): SyncTrigger {
  const functionName = pgIdentifier(`bg_sync_${r.table}_${r.oldColumn}_${r.newColumn}`);
  const [o, n] = [q(r.oldColumn), q(r.newColumn)];
  const conflict = sqlString(`bg-scaffold ${r.change}: ${r.oldColumn} and ${r.newColumn} were set to different values in one statement`);
  const body = [
    `CREATE OR REPLACE FUNCTION ${q(functionName)}() RETURNS trigger`,
    'LANGUAGE plpgsql AS $bg$',
    'BEGIN',
    `    -- bg-scaffold ${r.change}: the previous release writes ${o}, the new one ${n}.`,
    '    -- BEFORE triggers change the row being written, so there is no second UPDATE and no recursion.',
    "    IF TG_OP = 'INSERT' THEN",
    `        IF NEW.${n} IS NULL THEN`,
    `            NEW.${n} := NEW.${o};`,
    `        ELSIF NEW.${o} IS NULL THEN`,
    `            NEW.${o} := NEW.${n};`,
    `        ELSIF NEW.${n} IS DISTINCT FROM NEW.${o} THEN`,
    `            RAISE EXCEPTION ${conflict} USING ERRCODE = 'check_violation';`,
    '        END IF;',
    '    ELSE',
    "        -- Django's save() lists every column it knows, changed or not: compare with the old row.",
    `        IF NEW.${n} IS DISTINCT FROM OLD.${n} AND NEW.${o} IS NOT DISTINCT FROM OLD.${o} THEN`,
    `            NEW.${o} := NEW.${n};`,
    `        ELSIF NEW.${o} IS DISTINCT FROM OLD.${o} AND NEW.${n} IS NOT DISTINCT FROM OLD.${n} THEN`,
    `            NEW.${n} := NEW.${o};`,
    `        ELSIF NEW.${o} IS DISTINCT FROM OLD.${o} AND NEW.${n} IS DISTINCT FROM NEW.${o} THEN`,
    `            RAISE EXCEPTION ${conflict} USING ERRCODE = 'check_violation';`,
    `        ELSIF NEW.${n} IS DISTINCT FROM NEW.${o} THEN`,
    `            -- A row the backfill has not reached yet: the old column is the truth.`,
    `            NEW.${n} := NEW.${o};`,
    '        END IF;',
    '    END IF;',
    '    RETURN NEW;',
    'END;',
    '$bg$',
  ].join('\n');
  const trigger = q(functionName);
  return {
    functionName,
    create: [
      body,
      `DROP TRIGGER IF EXISTS ${trigger} ON ${q(r.table)}`,
      `CREATE TRIGGER ${trigger} BEFORE INSERT OR UPDATE ON ${q(r.table)} FOR EACH ROW EXECUTE FUNCTION ${q(functionName)}()`,
    ],
    drop: [`DROP TRIGGER IF EXISTS ${trigger} ON ${q(r.table)}`, `DROP FUNCTION IF EXISTS ${q(functionName)}()`],
  };
}

function indexSteps(r: Rename, column: string, why: string, uniqueBecause?: string): MigrationOperation[] {
  return djangoIndexesOf(r.field).map((index) => ({
    kind: 'create-index',
    comment: `${why} (${index.unique ? 'unique constraint' : index.suffix === '_like' ? 'LIKE pattern index' : 'index'}, Django's own name). It waits up to a minute for open transactions, blocking nobody.`,
    table: r.table,
    column,
    suffix: index.suffix,
    opclass: index.opclass,
    unique: index.unique,
    ...(index.unique && uniqueBecause ? { onPurpose: { does: ['add-unique'], because: uniqueBecause } } : {}),
  }));
}

/** Why the new column may be unique while both releases serve: it holds the old one's values. */
function uniqueCopyBecause(r: Rename, keptEqualBy: string): string {
  return `"${r.newColumn}" holds the values of "${r.oldColumn}", which are unique already, and ${keptEqualBy} keeps the two equal.`;
}

/** The CHECK the new column needs and the one the old column needs when a rollback re-adds it. */
function checksOf(field: DjangoField, table: string, newColumn: string): Rename['checks'] {
  const added = columnCheck(field, table, newColumn);
  const readded = columnCheck(field, table, field.column);
  return added && readded ? { added, readded } : null;
}

/** The new column's CHECK, NOT VALID, right after the column is added. */
function newColumnCheck(r: Rename): MigrationOperation[] {
  return r.checks ? [addCheckStep(r.checks.added)] : [];
}

/** The new column's CHECK validated, once the backfill has filled the column. */
function newColumnCheckValidated(r: Rename): MigrationOperation[] {
  return r.checks ? [validateCheckStep(r.checks.added, `Validates the new column's CHECK (${r.checks.added.expression}) now that it is filled; reads the rows without blocking writes.`)] : [];
}

/** In a rollback's re-add of the old column: its CHECK, NOT VALID. */
function oldColumnCheckSql(r: Rename): string[] {
  return r.checks ? [addCheckSql(r.checks.readded)] : [];
}

/** Rollback only: the re-added old column's CHECK validated once it is refilled (placed before the refill, so it runs after). */
function oldColumnCheckValidated(r: Rename): MigrationOperation[] {
  return r.checks ? [validateCheckOnRollback(r.checks.readded)] : [];
}

const what = (index: RebuiltIndex) => (index.unique ? `The unique constraint ${index.name} (Meta.constraints)` : `The index ${index.name} (Meta.indexes)`);

/** `ADD CONSTRAINT name UNIQUE USING INDEX index` (the index takes the constraint's name), unless it is there. */
function uniqueUsingIndex(r: Rename, name: string, index: string): string {
  return addConstraintUnlessPresent(r.table, name, `UNIQUE USING INDEX ${q(index)}`);
}

/** Each rebuilt Meta index or unique constraint on the new column, CONCURRENTLY, under its temporary name. */
function rebuiltIndexBuilds(r: Rename, uniqueBecause: string): MigrationOperation[] {
  return r.rebuiltIndexes.map((index) => ({
    kind: 'run-sql',
    comment: `${what(index)} again, on "${r.newColumn}", CONCURRENTLY: ${index.temporary} until the old column goes and takes ${index.name} with it.`,
    sql: createIndexConcurrentlySql(r.table, index.temporary, index.newColumns, index.unique),
    reverseSql: [dropIndexConcurrentlySql(index.temporary)],
    stateOperations: [],
    ...(index.unique ? { onPurpose: { does: ['add-unique'], because: uniqueBecause } } : {}),
  }));
}

/**
 * The drop of the old column, on purpose: no serving release reads it (and, with the trigger, its
 * sync function goes); a rebuilt unique index becomes its constraint under the old one's name.
 */
function oldColumnDropped(r: Rename, because: string, trigger: boolean): OnPurpose {
  const unique = r.rebuiltIndexes.some((index) => index.unique);
  return {
    does: ['drop-column', ...(trigger ? (['drop-function'] as const) : []), ...(unique ? (['add-unique'] as const) : [])],
    because: unique ? `${because} The unique index built on "${r.newColumn}" beside the old one takes its constraint's name.` : because,
  };
}

/**
 * Rollback only, first in the migration so that it runs last: each rebuilt Meta index on the
 * re-added, refilled old column again, CONCURRENTLY; a unique constraint also its temporary index on
 * the new column (the release before needs both), and the constraint under a brief lock.
 */
function rebuiltIndexRestores(r: Rename): MigrationOperation[] {
  return r.rebuiltIndexes.flatMap((index): MigrationOperation[] => {
    const build: MigrationOperation = {
      kind: 'run-sql',
      comment: `Rollback only: ${index.name} on the re-added "${r.oldColumn}" again, CONCURRENTLY, once it is refilled${index.unique ? `; and ${index.temporary} on "${r.newColumn}", which the constraint took` : ''}.`,
      sql: [],
      reverseSql: [
        ...(index.unique ? createIndexConcurrentlySql(r.table, index.temporary, index.newColumns, true) : []),
        ...createIndexConcurrentlySql(r.table, index.name, index.oldColumns, index.unique),
      ],
      stateOperations: [],
    };
    if (!index.unique) return [build];
    // Listed before the build, so that backwards it runs after it.
    const constraint: MigrationOperation = {
      kind: 'backwards-only',
      comment: `Rollback only: ${index.name} becomes the unique constraint again (a brief lock, under lock_timeout).`,
      operation: { kind: 'ddl', comment: '', sql: [uniqueUsingIndex(r, index.name, index.name)], reverseSql: [] },
    };
    return [constraint, build];
  });
}

/**
 * Beside DROP COLUMN, which takes each old index or constraint: the rebuilt one takes its name (a
 * unique index becomes the constraint); backwards, before the old column returns, the reverse.
 */
function rebuiltIndexRenames(r: Rename): { forward: string[]; backward: string[] } {
  return {
    forward: r.rebuiltIndexes.map((index) =>
      index.unique ? uniqueUsingIndex(r, index.name, index.temporary) : `ALTER INDEX IF EXISTS ${q(index.temporary)} RENAME TO ${q(index.name)}`,
    ),
    backward: r.rebuiltIndexes.map((index) =>
      index.unique
        ? dropConstraintSql(r.table, index.name)
        : `ALTER INDEX IF EXISTS ${q(index.name)} RENAME TO ${q(index.temporary)}`,
    ),
  };
}

/** `; the index "x", rebuilt on "qty", takes its name` for the release that drops the old column. */
function rebuiltIndexNote(r: Rename, builtIn: string): string {
  if (r.rebuiltIndexes.length === 0) return '';
  const names = r.rebuiltIndexes.map((index) => `"${index.name}"`).join(', ');
  const noun = r.rebuiltIndexes.some((index) => index.unique) ? (r.rebuiltIndexes.length > 1 ? 'the indexes and constraints' : 'the constraint') : r.rebuiltIndexes.length > 1 ? 'the indexes' : 'the index';
  return `; ${noun} ${names}, rebuilt on "${r.newColumn}" in ${builtIn}, ${r.rebuiltIndexes.length > 1 ? 'take their names' : 'takes its name'} back`;
}

/** Rollback only: the old column's own indexes again, under Django's names, once it is back. */
function oldColumnIndexRebuilds(r: Rename): MigrationOperation[] {
  return indexSteps(r, r.oldColumn, `Rollback only: rebuilds the old column's index`).map(
    (operation): MigrationOperation => ({ kind: 'backwards-only', comment: operation.comment, operation }),
  );
}

/** Rollback only: the re-added old column filled from the new one. */
function oldColumnRefill(r: Rename): MigrationOperation {
  return { kind: 'backwards-only', comment: `Rollback only: refills the re-added old column from the new one.`, operation: copyStep(r, r.newColumn, r.oldColumn, '') };
}

function copyStep(r: Rename, from: string, to: string, why: string): MigrationOperation {
  return {
    kind: 'backfill',
    comment: why,
    table: r.table,
    pk: r.pk,
    set: `${q(to)} = ${q(from)}`,
    where: `${q(to)} IS DISTINCT FROM ${q(from)}`,
  };
}

/** Release 1: the new column, kept equal to the old one by a trigger, filled and indexed. */
function triggerExpandSteps(r: Rename, sync: SyncTrigger, batchSize: number): MigrationOperation[] {
  const { field, to } = r;
  const [oldCol, newCol] = [r.oldColumn, r.newColumn];
  return [
    {
      kind: 'ddl',
      comment: `The new column starts nullable: the previous release inserts rows without it.`,
      sql: [addColumnSql(r.table, newCol, r.columnType!)],
      reverseSql: [dropColumnSql(r.table, newCol)],
    },
    ...newColumnCheck(r),
    {
      kind: 'ddl',
      comment: `From here on, every write by either release lands in both columns. Created before the backfill, so no row escapes it.`,
      sql: sync.create,
      reverseSql: sync.drop,
    },
    copyStep(r, oldCol, newCol, `Copies existing rows in batches of ${batchSize}, each its own transaction; only rows that still differ.`),
    ...newColumnCheckValidated(r),
    ...(field.nullable
      ? []
      : [
          {
            kind: 'set-not-null',
            comment: `NOT NULL without a long lock: CHECK NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK.`,
            table: r.table,
            column: newCol,
            onPurpose: { does: ['set-not-null'], because: `The previous release inserts rows without "${newCol}", and the sync trigger fills it from "${oldCol}" in every one; the backfill filled the rows before.` },
          } satisfies MigrationOperation,
        ]),
    ...indexSteps(r, newCol, `Rebuilds ${field.name}'s index on the new column, CONCURRENTLY`, uniqueCopyBecause(r, 'the sync trigger')),
    ...rebuiltIndexBuilds(r, uniqueCopyBecause(r, 'the sync trigger')),
    {
      kind: 'state-only',
      comment: `Django now knows the field as ${to} on column "${newCol}"; the database change is above.`,
      operations: [{ kind: 'RenameField', modelName: r.modelName, oldName: field.name, newName: to }, ...metaStateOperations(r)],
    },
  ];
}

/** Release 2: the trigger and the old column go. Migrating backwards brings back both, refilled, with NOT NULL and indexes. */
function triggerContractSteps(r: Rename, sync: SyncTrigger): MigrationOperation[] {
  const oldCol = r.oldColumn;
  const renames = rebuiltIndexRenames(r);
  return [
    ...rebuiltIndexRestores(r),
    ...oldColumnIndexRebuilds(r),
    ...(r.field.nullable
      ? []
      : [
          {
            kind: 'backwards-only',
            comment: `Rollback only: the old column becomes NOT NULL again once it is filled.`,
            operation: { kind: 'set-not-null', comment: '', table: r.table, column: oldCol },
          } satisfies MigrationOperation,
        ]),
    ...oldColumnCheckValidated(r),
    oldColumnRefill(r),
    {
      kind: 'ddl',
      // One transaction: with the trigger gone but the column still NOT NULL, release 1's inserts
      // (which do not name "${oldCol}") would fail (measured in the matrix).
      comment: `No serving code reads or writes "${oldCol}" any more: the trigger, its function and the column go together, in one transaction${rebuiltIndexNote(r, 'release 1')}.`,
      sql: [...sync.drop, dropColumnSql(r.table, oldCol), ...renames.forward],
      reverseSql: [...renames.backward, addColumnSql(r.table, oldCol, r.columnType!), ...oldColumnCheckSql(r), ...sync.create],
      onPurpose: oldColumnDropped(r, `Release 1 moved every read and write to "${r.newColumn}", and the release before it is retired: nothing that serves reads "${oldCol}" or writes through its sync trigger.`, true),
    },
  ];
}

function triggerPhases(r: Rename, batchSize: number): Phase[] {
  const { field, to } = r;
  const sync = syncTriggerSql(r);
  const [oldCol, newCol] = [r.oldColumn, r.newColumn];
  const expand = triggerExpandSteps(r, sync, batchSize);
  const contract = triggerContractSteps(r, sync);
  const renameNote = `renamed from ${field.name}`;
  return [
    {
      number: 1,
      of: 2,
      name: 'expand',
      title: `Add "${newCol}", keep it in sync with "${oldCol}" by trigger, switch the code to ${to}`,
      state: `\`${field.name}\` is renamed to \`${to}\` (column "${newCol}").`,
      database: `Adds "${newCol}" and a trigger that keeps "${oldCol}" and "${newCol}" equal on every INSERT and UPDATE; backfills existing rows in batches; ${field.nullable ? '' : 'sets NOT NULL through a validated CHECK; '}rebuilds indexes and unique constraints CONCURRENTLY.`,
      code: `Uses \`${to}\` everywhere. No dual-write code: the trigger also covers raw SQL, \`QuerySet.update()\` and other services.`,
      serving: {
        duringMigration: `the previous release (uses \`${field.name}\`)`,
        afterSwitch: [
          `the previous release, writing "${oldCol}" (the trigger copies it to "${newCol}")`,
          `this release, writing "${newCol}" (the trigger copies it to "${oldCol}")`,
        ],
      },
      beforeNext: [
        'This release is fully rolled out: no instance of the previous release serves, and it is no longer a rollback target.',
        `No code, template, raw SQL or other service refers to \`${field.name}\` or the column "${oldCol}" (\`bg-scaffold check\`).`,
      ],
      risks: [],
      migration: {
        slug: `${r.modelName}_${to}_expand`,
        atomic: false,
        why: [
          `Adds "${newCol}" beside "${oldCol}" and keeps them equal with a trigger, so the previous`,
          `release (writing "${oldCol}") and this one (writing "${newCol}") can serve side by side.`,
          'Not atomic: the backfill commits batch by batch and indexes are built CONCURRENTLY. Every',
          'step is safe to run again, so after a failure, re-run migrate.',
        ],
        imports: withMetaImports(r, []),
        irreversible: null,
        operations: expand,
      },
      modelEdits: [
        { kind: 'edit-field', model: r.model.name, field: field.name, rename: to, setKwargs: {}, removeKwargs: [], note: renameNote },
        ...metaEdits(r, `${field.name} renamed to ${to}`),
      ],
      codeBlocks: [],
    },
    {
      number: 2,
      of: 2,
      name: 'contract',
      title: `Drop the trigger and the old column "${oldCol}"`,
      state: 'Unchanged.',
      database: `Drops the sync trigger and its function, then the column "${oldCol}" (and its indexes with it)${rebuiltIndexNote(r, 'release 1')}.`,
      code: `Uses \`${to}\`, as in release 1.`,
      serving: {
        duringMigration: `release 1 (uses \`${to}\`)`,
        afterSwitch: [`release 1 and this release, both on "${newCol}" only`],
      },
      beforeNext: ['Nothing: the change is complete.'],
      risks: [],
      migration: {
        slug: `${r.modelName}_${to}_contract`,
        atomic: false,
        why: [
          `Finishes the rename: no serving code reads or writes "${oldCol}" any more.`,
          `Migrating backwards re-adds "${oldCol}", refills it from "${newCol}" and restores the trigger,`,
          `its NOT NULL and its indexes, so release 1 and the release before it work again.`,
        ],
        imports: [],
        irreversible: null,
        operations: contract,
      },
      modelEdits: [{ kind: 'unmark', model: r.model.name }],
      codeBlocks: [],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// copy: application-level dual write, any database.

function dualWriteBlocks(r: Rename, source: string, target: string): CodeBlock[] {
  const className = `${r.model.name}${pascal(r.to)}DualWriteQuerySet`;
  const hasSave = r.model.methods.includes('save');
  const hasCustomManager = r.model.otherAttributes.includes('objects');
  // `objects = BookQuerySet.as_manager()`, the model's only manager: the dual write extends that
  // queryset, and a second `objects` at the end of the class body takes over until the change retires
  // it (with more managers, a later one would become the default manager: left to the developer).
  const managers = r.model.django?.managers.length ?? r.model.otherAttributes.length;
  const extended = hasCustomManager && managers === 1 ? (r.model.objectsQuerySet ?? null) : null;
  const data = {
    change: r.change,
    model: r.model.name,
    source,
    target,
    className,
    baseClass: extended ?? 'models.QuerySet',
    replaces: extended,
    coversQuerySet: !hasCustomManager || extended !== null,
  };
  const blocks: CodeBlock[] = [];
  if (data.coversQuerySet) {
    blocks.push({ role: 'dual-write-queryset', model: r.model.name, anchor: 'before-class', method: null, template: 'snippets/dual-write-queryset', data });
    blocks.push({ role: 'dual-write-manager', model: r.model.name, anchor: 'class-body-end', method: null, template: 'snippets/dual-write-manager', data });
  }
  blocks.push(
    hasSave
      ? { role: 'dual-write', model: r.model.name, anchor: 'method-start', method: 'save', template: 'snippets/dual-write-save-start', data }
      : { role: 'dual-write', model: r.model.name, anchor: 'class-body-end', method: null, template: 'snippets/dual-write-save', data },
  );
  return blocks;
}

function pascal(name: string): string {
  return name
    .split('_')
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** The field as the copy strategy's migrations write it, and the imports they need for it. */
interface CopyFields {
  /** The new field as release 1 adds it: nullable, without its indexes (`unique`, `db_index`). */
  added: string;
  /** The new field once filled: the old one's definition. */
  final: string;
  /** The old field made nullable, as it retires (other databases). */
  oldNullable: string;
  /** `unique` / `db_index` kwargs the new field takes only once filled. */
  indexKwargs: string[];
  imports: string[];
}

function copyFields(r: Rename): CopyFields {
  const indexKwargs = ['unique', 'db_index'].filter((k) => k in r.field.kwargs);
  const added = migrationFieldExpression(r.field, r.appLabel, { set: { null: 'True' }, remove: indexKwargs });
  const final = migrationFieldExpression(r.field, r.appLabel);
  const oldNullable = migrationFieldExpression(r.field, r.appLabel, { set: { null: 'True' } });
  const imports = withMetaImports(r, [...new Set([...added.imports, ...final.imports, ...oldNullable.imports])].sort());
  return { added: added.source, final: final.source, oldNullable: oldNullable.source, indexKwargs, imports };
}

/** Release 1: the new column, nullable; code writes both columns and reads the old one. */
function copyExpandSteps(r: Rename, fields: CopyFields): MigrationOperation[] {
  const addField: StateOperation = { kind: 'AddField', modelName: r.modelName, name: r.to, field: fields.added };
  if (r.database !== 'postgresql') {
    return [{ kind: 'django', comment: 'Nullable: the previous release inserts rows without it.', operation: addField }];
  }
  return [
    {
      kind: 'ddl',
      comment: 'Nullable: the previous release inserts rows without it.',
      sql: [addColumnSql(r.table, r.newColumn, r.columnType!)],
      reverseSql: [dropColumnSql(r.table, r.newColumn)],
    },
    ...newColumnCheck(r),
    { kind: 'state-only', comment: `Django's state gains ${r.to}; the column is added above.`, operations: [addField] },
  ];
}

/** The backfill and NOT NULL on the new column, with its indexes. */
function copyFillSteps(r: Rename, fields: CopyFields, background = false): MigrationOperation[] {
  const { field, to } = r;
  if (background) {
    // The guard takes the copy's place: the command copied while releases 1 and 2 wrote both columns.
    const [, ...rest] = copyFillSteps(r, fields);
    const because = `Releases 1 and 2 write "${r.newColumn}" in every insert and update (their dual write), and the guard above found the background copy finished.`;
    return [
      requireBackfillFinishedStep(r.change, [copyBackgroundName(r)]),
      ...rest.map((op): MigrationOperation => (op.kind === 'set-not-null' && op.onPurpose ? { ...op, onPurpose: { ...op.onPurpose, because } } : op)),
    ];
  }
  const alter: StateOperation = { kind: 'AlterField', modelName: r.modelName, name: to, field: fields.final };
  if (r.database !== 'postgresql') {
    return [
      { kind: 'backfill-orm', comment: 'Copies rows in batches, each its own transaction.', modelName: r.model.name, target: to, source: field.name },
      { kind: 'django', comment: `${to} takes ${field.name}'s definition (NOT NULL, indexes).`, operation: alter },
    ];
  }
  return [
    copyStep(r, r.oldColumn, r.newColumn, `Copies rows in batches of the configured size, each its own transaction; only rows that still differ. Every serving release writes both columns now.`),
    ...newColumnCheckValidated(r),
    ...(field.nullable
      ? []
      : [
          {
            kind: 'set-not-null',
            comment: 'NOT NULL without a long lock: CHECK NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK.',
            table: r.table,
            column: r.newColumn,
            onPurpose: { does: ['set-not-null'], because: `Release 1, the previous release, writes "${r.newColumn}" in every insert and update (its dual write), and the backfill filled the rows before.` },
          } satisfies MigrationOperation,
        ]),
    ...indexSteps(r, r.newColumn, `Rebuilds ${field.name}'s index on the new column, CONCURRENTLY`, uniqueCopyBecause(r, 'the dual write of every serving release')),
    ...rebuiltIndexBuilds(r, uniqueCopyBecause(r, 'the dual write of every serving release')),
    { kind: 'state-only', comment: `Django's state: ${to} takes ${field.name}'s definition.`, operations: [alter] },
  ];
}

/**
 * The old field leaves Django's state; its column must accept the new release's inserts. With
 * `dropNotNull`, why no serving release reads the NULLs they leave there (none with --phases 3:
 * the previous release still reads the old column, the risk that plan stamps, and linters flag).
 */
function copyRetireSteps(r: Rename, fields: CopyFields, dropNotNull: OnPurpose | undefined): MigrationOperation[] {
  const { field } = r;
  const oldCol = r.oldColumn;
  const forget: StateOperation[] = [...metaStateOperations(r), { kind: 'RemoveField', modelName: r.modelName, name: field.name }];
  if (r.database !== 'postgresql') {
    // In this order, so that on rollback Django's state has the field back before the refill
    // (it runs through the model), and the refill runs before NOT NULL comes back.
    return [
      ...(field.nullable
        ? []
        : [
            {
              kind: 'separate',
              comment: `"${oldCol}" becomes nullable in the database: the next release inserts rows without it. Django's state forgets the field below.`,
              databaseOperations: [{ kind: 'AlterField', modelName: r.modelName, name: field.name, field: fields.oldNullable }],
              stateOperations: [],
            } satisfies MigrationOperation,
          ]),
      { kind: 'backfill-orm', comment: `Rollback only: refills ${field.name} for rows this release inserted without it.`, modelName: r.model.name, target: field.name, source: r.to, backwardsOnly: true },
      { kind: 'state-only', comment: `Django forgets ${field.name}; its column stays until the next release.`, operations: forget },
    ];
  }
  return [
    ...(field.nullable
      ? []
      : [{ kind: 'drop-not-null', comment: `The next release inserts rows without "${oldCol}".`, table: r.table, column: oldCol, ...(dropNotNull ? { onPurpose: dropNotNull } : {}) } satisfies MigrationOperation]),
    // Runs before NOT NULL comes back on rollback: this release inserts rows without the old column.
    { kind: 'backwards-only', comment: `Rollback only: refills "${oldCol}" for rows this release inserted without it.`, operation: copyStep(r, r.newColumn, oldCol, '') },
    { kind: 'state-only', comment: `Django forgets ${field.name}; its column stays until the next release.`, operations: forget },
  ];
}

/** The old column goes. On PostgreSQL, migrating backwards re-adds and refills it, with its indexes and CHECK. */
function copyDropSteps(r: Rename, rebuiltIn = 'release 2'): MigrationOperation[] {
  const oldCol = r.oldColumn;
  if (r.database !== 'postgresql') {
    return [{ kind: 'drop-column-portable', comment: `No serving code selects "${oldCol}" any more.`, table: r.table, column: oldCol, reverseAddField: null }];
  }
  const renames = rebuiltIndexRenames(r);
  return [
    ...rebuiltIndexRestores(r),
    ...oldColumnIndexRebuilds(r),
    ...oldColumnCheckValidated(r),
    oldColumnRefill(r),
    {
      kind: 'ddl',
      comment: `No serving code selects "${oldCol}" any more${rebuiltIndexNote(r, rebuiltIn)}.`,
      sql: [dropColumnSql(r.table, oldCol), ...renames.forward],
      reverseSql: [...renames.backward, addColumnSql(r.table, oldCol, r.columnType!), ...oldColumnCheckSql(r)],
      onPurpose: oldColumnDropped(r, `"${r.field.name}" left the model in the previous release, and the release before it is retired: nothing that serves selects "${oldCol}".`, false),
    },
  ];
}

/** The models.py edits of the copy strategy: the new field added, then finalized; the old one removed. */
interface CopyEdits {
  addNew: ModelEdit;
  finalizeNew: ModelEdit;
  /** The old field removed, and Meta switched to the new name. */
  retire: ModelEdit[];
}

function copyEdits(r: Rename, fields: CopyFields): CopyEdits {
  const { field, to } = r;
  return {
    addNew: {
      kind: 'add-field',
      model: r.model.name,
      after: field.name,
      name: to,
      copyOf: field.name,
      setKwargs: { null: 'True' },
      removeKwargs: fields.indexKwargs,
      note: `new column for ${field.name}, nullable until filled`,
    },
    finalizeNew: {
      kind: 'edit-field',
      model: r.model.name,
      field: to,
      rename: null,
      setKwargs: Object.fromEntries(fields.indexKwargs.map((k) => [k, field.kwargs[k]!])),
      removeKwargs: field.nullable ? [] : ['null'],
      note: `replaces ${field.name}`,
    },
    // Meta switches to the new name in the release whose model loses the old one.
    retire: [{ kind: 'remove-field', model: r.model.name, field: field.name }, ...metaEdits(r, `${field.name} replaced by ${to}`)],
  };
}

/** The migration of a release that fills the new column: not atomic. */
function copyFillMigration(operations: MigrationOperation[], slug: string, why: string[], imports: string[]): MigrationSpec {
  return {
    slug,
    atomic: false,
    why: [...why, 'Not atomic: the backfill commits batch by batch. Every step is safe to run again.'],
    imports,
    irreversible: null,
    operations,
  };
}

function copyExpandPhase(r: Rename, count: 3 | 4, fields: CopyFields, edits: CopyEdits): Phase {
  const { field, to } = r;
  const [oldCol, newCol] = [r.oldColumn, r.newColumn];
  return {
    number: 1,
    of: count,
    name: 'expand',
    title: `Add "${newCol}"; code writes both columns and reads "${oldCol}"`,
    state: `Gains \`${to}\`, nullable, beside \`${field.name}\`.`,
    database: `Adds the nullable column "${newCol}".`,
    code: `Writes both \`${field.name}\` and \`${to}\` (the dual-write block in models.py), reads \`${field.name}\`.`,
    serving: {
      duringMigration: `the previous release (only \`${field.name}\`)`,
      afterSwitch: [`the previous release, writing only "${oldCol}"`, `this release, writing both`],
    },
    beforeNext: [
      'This release is fully rolled out: from now on every serving instance writes both columns.',
    ],
    risks: ['Raw SQL and other services that write the table are not covered by the dual write: change them to write both columns too.'],
    migration: {
      slug: `${r.modelName}_${to}_add`,
      atomic: true,
      why: [`Adds "${newCol}" beside "${oldCol}". This release writes both; the previous one only "${oldCol}",`, `which is why the backfill waits for the next release.`],
      imports: fields.imports,
      irreversible: null,
      operations: copyExpandSteps(r, fields),
    },
    modelEdits: [edits.addNew],
    codeBlocks: dualWriteBlocks(r, field.name, to),
  };
}

/**
 * The copy strategy's fill off PostgreSQL, as its migration does it there: a batched RunPython
 * copy, then Django's AlterField (a table rebuild on SQLite, an ALTER TABLE on MySQL).
 */
function copyFillElsewhere(r: Rename, tail: string): string {
  const alter = r.database === 'sqlite' ? "Django's AlterField, for which SQLite rebuilds the table" : "Django's AlterField (MySQL's ALTER TABLE)";
  const definition = r.field.nullable ? "the field's definition and indexes" : "the field's definition (NOT NULL) and indexes";
  return `Copies "${r.oldColumn}" into "${r.newColumn}" in batches, each its own transaction, then gives "${r.newColumn}" ${definition} with ${alter}${tail}.`;
}

/** --phases 3, release 2: fill, switch and retire at once, at the price of stale reads while it rolls out. */
function copySwitchPhase(r: Rename, fields: CopyFields, edits: CopyEdits): Phase {
  const { field, to } = r;
  const [oldCol, newCol] = [r.oldColumn, r.newColumn];
  const risk = `Stale reads during the switch: while this release rolls out, the previous release still reads "${oldCol}", which this release no longer writes. Use --phases 4 if that matters.`;
  return {
    number: 2,
    of: 3,
    name: 'switch',
    title: `Fill "${newCol}", make it authoritative; code uses only ${to}`,
    state: `\`${to}\` takes \`${field.name}\`'s definition; \`${field.name}\` leaves the model.`,
    database:
      r.database === 'postgresql'
        ? `Backfills "${newCol}" in batches${field.nullable ? '' : ', sets NOT NULL through a validated CHECK'}, rebuilds indexes; "${oldCol}" ${field.nullable ? 'stays' : 'becomes nullable'}.`
        : copyFillElsewhere(r, `; "${oldCol}" ${field.nullable ? 'stays' : 'becomes nullable'}`),
    code: `Uses only \`${to}\`.`,
    serving: {
      duringMigration: 'release 1 (writes both)',
      afterSwitch: [`release 1, reading "${oldCol}" (stale for rows this release writes)`, `this release, only "${newCol}"`],
    },
    beforeNext: ['This release is fully rolled out.', `No code refers to \`${field.name}\` (\`bg-scaffold check\`).`],
    risks: [risk],
    migration: copyFillMigration([...copyFillSteps(r, fields), ...copyRetireSteps(r, fields, undefined)], `${r.modelName}_${to}_switch`, [
      `Fills "${newCol}" (release 1 writes both columns, so the copy cannot go stale), makes it`,
      `authoritative, and retires "${oldCol}" from Django's state.`,
      `RISK: ${risk}`,
    ], fields.imports),
    modelEdits: [edits.finalizeNew, ...edits.retire],
    codeBlocks: [],
  };
}

/** --phases 4, release 2: fill the new column and read it; code still writes both. */
function copyFillPhase(r: Rename, fields: CopyFields, edits: CopyEdits): Phase {
  const { field, to } = r;
  const [oldCol, newCol] = [r.oldColumn, r.newColumn];
  return {
    number: 2,
    of: 4,
    name: 'fill',
    title: `Fill "${newCol}"; code reads ${to} and still writes both`,
    state: `\`${to}\` takes \`${field.name}\`'s definition (NOT NULL, indexes).`,
    database:
      r.database === 'postgresql'
        ? `Backfills "${newCol}" in batches${field.nullable ? '' : ', sets NOT NULL through a validated CHECK'}, rebuilds indexes CONCURRENTLY.`
        : copyFillElsewhere(r, ''),
    code: `Reads \`${to}\`, writes both (the dual-write block now copies \`${to}\` into \`${field.name}\`).`,
    serving: {
      duringMigration: 'release 1 (writes both)',
      afterSwitch: ['release 1, reading "' + oldCol + '", writing both', `this release, reading "${newCol}", writing both`],
    },
    beforeNext: ['This release is fully rolled out.', `No code reads \`${field.name}\` any more (\`bg-scaffold check\`).`],
    risks: [],
    migration: copyFillMigration(copyFillSteps(r, fields), `${r.modelName}_${to}_fill`, [
      `Fills "${newCol}" from "${oldCol}". Every serving release writes both columns, so the copy`,
      'cannot go stale.',
    ], fields.imports),
    modelEdits: [edits.finalizeNew],
    codeBlocks: dualWriteBlocks(r, to, field.name),
  };
}

/** --phases 4, release 3: the old field leaves the model; its column stays, nullable. */
function copyRetirePhase(r: Rename, fields: CopyFields, edits: CopyEdits): Phase {
  const { field, to } = r;
  const [oldCol, newCol] = [r.oldColumn, r.newColumn];
  return {
    number: 3,
    of: 4,
    name: 'retire',
    title: `Retire ${field.name}: it leaves the model${field.nullable ? '' : ' and becomes nullable'}`,
    state: `\`${field.name}\` leaves the model.`,
    database: field.nullable ? 'Nothing (the column is already nullable).' : `"${oldCol}" becomes nullable (metadata only).`,
    code: `Uses only \`${to}\`; the dual-write block is gone.`,
    serving: {
      duringMigration: 'release 2 (reads new, writes both)',
      afterSwitch: ['release 2, writing both', `this release, writing only "${newCol}"`],
    },
    beforeNext: ['This release is fully rolled out.'],
    risks: [],
    migration: {
      slug: `${r.modelName}_${field.name}_retire`,
      atomic: true,
      why: [`"${oldCol}" leaves Django's state; the next release drops it. This release inserts rows`, `without it, so it must accept NULL first.`],
      imports: fields.imports,
      irreversible: null,
      operations: copyRetireSteps(r, fields, {
        does: ['drop-not-null'],
        because: `Release 2, the previous release, reads "${newCol}": no serving release reads "${oldCol}", where this release's inserts leave NULL.`,
      }),
    },
    modelEdits: edits.retire,
    codeBlocks: [],
  };
}

function copyPhases(r: Rename, count: 3 | 4, background = false): Phase[] {
  const fields = copyFields(r);
  const edits = copyEdits(r, fields);
  if (background) return copyBackgroundPhases(r, count, fields, edits);
  const drop = dropPhase(r, count, copyDropSteps(r), fields.imports);
  if (count === 3) return [copyExpandPhase(r, 3, fields, edits), copySwitchPhase(r, fields, edits), drop];
  return [copyExpandPhase(r, 4, fields, edits), copyFillPhase(r, fields, edits), copyRetirePhase(r, fields, edits), drop];
}

/**
 * --backfill background (copy strategy): release 1 starts the dual write; release 2's migration only
 * registers the copy (every serving release writes both columns by then) and its code is release 1's;
 * the command copies while releases 1 and 2 serve. What needs the copied rows (NOT NULL and indexes
 * on the new column, code that reads it) comes with release 3, whose migration begins with the guard.
 * One release more than the in-migrate form: 5 with --phases 4, 4 with --phases 3.
 */
function copyBackgroundPhases(r: Rename, count: 3 | 4, fields: CopyFields, edits: CopyEdits): Phase[] {
  const of = count + 1;
  const { field, to } = r;
  const [oldCol, newCol] = [r.oldColumn, r.newColumn];
  const command = backfillCommand(r.change);
  const copy = copyStep(r, oldCol, newCol, '') as Extract<MigrationOperation, { kind: 'backfill' }>;
  const expand = { ...copyExpandPhase(r, count, fields, edits), of };
  const register: Phase = {
    number: 2,
    of,
    name: 'copy',
    title: `Copy "${oldCol}" into "${newCol}" in the background; code still writes both and reads "${oldCol}"`,
    state: `Unchanged: \`${to}\` stays nullable beside \`${field.name}\`.`,
    database: `Registers the copy of "${oldCol}" into "${newCol}" for the rows where they differ and returns at once; \`${command}\` works it in batches while releases 1 and 2 serve.`,
    code: `As in release 1: writes both \`${field.name}\` and \`${to}\`, reads \`${field.name}\`.`,
    serving: {
      duringMigration: 'release 1 (writes both)',
      afterSwitch: ['release 1 and this release, both writing both columns, while the command copies the rest'],
    },
    beforeNext: [
      'This release is fully rolled out.',
      `The background backfill has finished: \`${command}\` ran to the end (\`bg-scaffold status --database-url ...\` or \`python manage.py bg_scaffold_backfill --status\` says finished). Release 3's migration checks it and stops until then.`,
    ],
    risks: [],
    migration: {
      slug: `${r.modelName}_${to}_copy`,
      atomic: false,
      why: [
        `Every serving release writes both columns now, so what the command copies cannot go stale. This`,
        `migration only registers the copy and returns: ${command} does it,`,
        'in batches, while this release serves. Migrating backwards removes the registration.',
      ],
      imports: [],
      irreversible: null,
      operations: [registerBackfillStep(copy, r.change, copyBackgroundName(r), `Registers the copy of "${oldCol}" into "${newCol}", only rows that still differ, for ${command}; migrate does not wait for it.`)],
    },
    modelEdits: [],
    codeBlocks: dualWriteBlocks(r, field.name, to),
  };
  const guarded = (phase: Phase, operations: MigrationOperation[]): Phase => ({
    ...phase,
    number: 3,
    of,
    database: `Checks that the background copy has finished (else stops, naming ${command}); then${field.nullable ? '' : ' sets NOT NULL on "' + newCol + '" through a validated CHECK and'} rebuilds indexes CONCURRENTLY${count === 3 ? `; "${oldCol}" ${field.nullable ? 'stays' : 'becomes nullable'}` : ''}.`,
    serving: {
      duringMigration: 'release 2 (writes both)',
      afterSwitch: phase.serving.afterSwitch.map((line) => line.replace(/^release 1\b/, 'release 2')),
    },
    migration: {
      ...phase.migration!,
      why: [
        `Begins with the guard: the copy registered by release 2 must have finished. Every serving release`,
        `writes both columns, so "${newCol}" is complete and stays so; what needs it complete follows.`,
        ...phase.migration!.why.filter((line) => line.startsWith('RISK:')),
        'Not atomic: every step commits on its own and is safe to run again.',
      ],
      operations,
    },
  });
  if (count === 3) {
    const switchPhase = copySwitchPhase(r, fields, edits);
    return [expand, register, guarded(switchPhase, [...copyFillSteps(r, fields, true), ...copyRetireSteps(r, fields, undefined)]), dropPhase(r, 4, copyDropSteps(r, 'release 3'), fields.imports, 'release 3')];
  }
  const retire = copyRetirePhase(r, fields, edits);
  return [
    expand,
    register,
    guarded(copyFillPhase(r, fields, edits), copyFillSteps(r, fields, true)),
    {
      ...retire,
      number: 4,
      of,
      serving: { duringMigration: 'release 3 (reads new, writes both)', afterSwitch: ['release 3, writing both', `this release, writing only "${newCol}"`] },
      migration: {
        ...retire.migration!,
        operations: copyRetireSteps(r, fields, {
          does: ['drop-not-null'],
          because: `Release 3, the previous release, reads "${newCol}": no serving release reads "${oldCol}", where this release's inserts leave NULL.`,
        }),
      },
    },
    dropPhase(r, 5, copyDropSteps(r, 'release 3'), fields.imports, 'release 3'),
  ];
}

function dropPhase(r: Rename, count: 3 | 4 | 5, dropOps: MigrationOperation[], imports: string[], rebuiltIn = 'release 2'): Phase {
  const oldCol = r.oldColumn;
  return {
    number: count,
    of: count,
    name: 'drop',
    title: `Drop the old column "${oldCol}"`,
    state: 'Unchanged.',
    database: `Drops "${oldCol}"${rebuiltIndexNote(r, rebuiltIn)}.`,
    code: `Uses only \`${r.to}\`.`,
    serving: { duringMigration: `release ${count - 1}`, afterSwitch: [`release ${count - 1} and this release, both on "${r.newColumn}" only`] },
    beforeNext: ['Nothing: the change is complete.'],
    risks: [],
    migration: {
      slug: `${r.modelName}_${r.field.name}_drop`,
      atomic: r.database !== 'postgresql',
      why: [`Drops "${oldCol}": no serving release selects it any more.`],
      imports,
      irreversible:
        r.database === 'postgresql'
          ? null
          : `the column and its data are dropped; on ${r.database} bg-scaffold does not generate the re-add (restore from the new column by hand)`,
      operations: dropOps,
    },
    modelEdits: [{ kind: 'unmark', model: r.model.name }],
    codeBlocks: [],
  };
}
