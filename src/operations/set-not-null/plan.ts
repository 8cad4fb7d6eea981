/**
 * set-not-null: an existing nullable field becomes NOT NULL while the previous release keeps
 * serving (DESIGN §2 "Further operations"). Pure: (request, project facts) → ChangePlan.
 *
 * On PostgreSQL, SET NOT NULL goes through a CHECK added NOT VALID and validated (the scan runs
 * under a lock writers pass), after the NULL rows are filled in batches. The release count depends
 * on the previous release's inserts: Django writes every field on INSERT, so a field without a
 * default is written NULL whenever code creates a row without it. Such a field first gets a
 * default in one release (the previous release keeps inserting NULL meanwhile); NOT NULL comes in
 * the next, once no serving code writes NULL by omission. DESIGN §2 plans one release and leaves the
 * previous release's inserts to PLAN.md: that breaks every `create()` that leaves the field out.
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import { BACKGROUND_VERIFIED_IN_MATRIX, backgroundBackfill, backgroundNotInMatrix, backgroundBackfillName, inMigrateWarning, type BackfillMode, backfillCommand, refuseBackground, registerBackfillStep, requireBackfillFinishedStep } from '../shared/background-backfill.js';
import { type ColumnDefault, defaultFromFill } from '../shared/column-defaults.js';
import { isRelation, migrationFieldExpression, primaryKeyColumn, requireConcreteColumn, requireTable } from '../shared/django-fields.js';
import { deriveChangeId, validateChangeId } from '../shared/names.js';
import { columnsNamedIn, q } from '../shared/sql.js';
import type { ChangePlan, CodeBlock, LockSettings, MigrationOperation, Phase, StateOperation } from '../shared/types.js';
import { verifiedOn } from '../shared/verified-on.js';
import { sqliteWarning } from '../shared/warnings.js';

export interface SetNotNullInput {
  app: DjangoApp;
  model: DjangoModel;
  field: DjangoField;
  /** `--fill VALUE`: the value NULL rows get (and the field's default, when it has none). */
  fill?: string;
  /** `--fill-sql EXPR`: SQL over the row that NULL rows get instead. */
  fillSql?: string;
  /** `--backfill`: the NULL rows filled in migrate (default), or registered for `manage.py bg_scaffold_backfill`. */
  backfill?: BackfillMode;
  /** The table's rows (pg_class.reltuples) when a database was read at generation, for PLAN.md's advice. */
  rowsEstimate?: number | null;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

/** What the plan needs to know about the field, decided once. */
interface NotNullChange {
  change: string;
  appLabel: string;
  model: DjangoModel;
  field: DjangoField;
  modelName: string;
  table: string;
  column: string;
  pk: string;
  /** The SQL NULL rows get, or null: none expected (the migration fails, saying so, if one is found). */
  fillSql: string | null;
  /** The default release 1 gives a field that has none (null: it has one, and one release will do). */
  newDefault: ColumnDefault | null;
  database: Database;
  batchSize: number;
}

export function setNotNullPlan(input: SetNotNullInput): ChangePlan {
  const { app, model, field, database } = input;
  requireTable(model, 'change the field');
  requireConcreteColumn(model, field, '--field', 'change');
  if (!field.nullable) fail(`${model.name}.${field.name} is already NOT NULL (it has no null=True); bg-scaffold drop-not-null does the opposite`);
  const change = input.changeId ?? deriveChangeId([model.name, field.name, 'not', 'null']);
  validateChangeId(change);
  const c = notNullChange(input, change);
  const background = input.backfill === 'background';
  if (background) refuseBackground({ database, backfills: c.fillSql !== null, nothingToFill: 'no --fill or --fill-sql was given, so there are no NULL rows to fill' });
  const phases = background ? backgroundPhases(c) : c.newDefault ? twoReleasePhases(c) : [enforcePhase(c, 1, 1)];
  const strategy = c.newDefault ? 'default-first' : 'single-release';
  return {
    schemaVersion: 1,
    change,
    op: 'set-not-null',
    app: app.label,
    model: model.name,
    // `backfill` only when asked for: an in-migrate plan.json stays as it was before --backfill.
    inputs: { app: app.label, model: model.name, field: field.name, fill: input.fill ?? null, fill_sql: input.fillSql ?? null, ...(background ? { backfill: 'background' } : {}), database },
    strategy,
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    phases,
    warnings: [
      ...(database === 'sqlite' ? [sqliteWarning()] : []),
      ...(c.fillSql !== null && !background ? [inMigrateWarning(c.table, input.rowsEstimate)].filter((w): w is string => w !== null) : []),
    ],
    // The matrix runs the default-first form (zoo Book.pages --fill 0), not that of a field with a default already.
    verifiedOn: background
      ? [c.newDefault ? BACKGROUND_VERIFIED_IN_MATRIX : backgroundNotInMatrix('of set-not-null on a field that has a default already (two releases)')]
      : verifiedOn('set-not-null', strategy, database),
    ...(background
      ? {
          background: backgroundBackfill({
            change,
            table: c.table,
            registeredIn: phases.length - 1,
            guardedIn: phases.length,
            names: [backgroundName(c)],
            moved: `SET NOT NULL, which needs every NULL row filled, moved from release ${phases.length - 1} (where the in-migrate form sets it right after its fill) to release ${phases.length}: one release more than the in-migrate form.`,
            remainingSql: `SELECT count(*) FROM ${q(c.table)} WHERE ${q(c.column)} IS NULL`,
            rowsEstimate: input.rowsEstimate ?? null,
          }),
        }
      : {}),
  };
}

function backgroundName(c: NotNullChange): string {
  return backgroundBackfillName(c.change, c.table, c.column);
}

/**
 * --backfill background: the release that would fill and set NOT NULL only registers the fill (the
 * previous release must not write NULL by then, as for the in-migrate form); the command fills while
 * that release and the one before serve; NOT NULL waits for the next release, whose migration begins
 * with the guard. One release more: 1 → 2 with a default already, 2 → 3 default-first.
 */
function backgroundPhases(c: NotNullChange): Phase[] {
  const of = c.newDefault ? 3 : 2;
  const first = c.newDefault ? [{ ...defaultPhase(c), of }] : [];
  return [...first, fillPhase(c, of - 1, of), enforcePhase(c, of, of, true)];
}

/** The background form's fill release: the migration registers the fill and returns at once. */
function fillPhase(c: NotNullChange, number: number, of: number): Phase {
  const fill = fillStep(c);
  if (fill?.kind !== 'backfill') throw new Error('a background fill needs --fill or --fill-sql on PostgreSQL');
  const command = backfillCommand(c.change);
  const previous = number === 1 ? 'the previous release' : `release ${number - 1}`;
  return {
    number,
    of,
    name: 'fill',
    title: `Fill the NULL rows of ${c.model.name}.${c.field.name} in the background`,
    state: c.newDefault ? `Nothing more: Django's state has said NOT NULL since release ${number - 1}.` : `Unchanged: \`${c.field.name}\` keeps \`null=True\` until release ${of}.`,
    database: `Registers the fill of the rows where "${c.column}" is NULL with \`${c.fillSql}\` and returns at once; \`${command}\` works it in batches while ${previous} and this release serve.`,
    code: c.newDefault ? `As in release ${number - 1}: the default, and save() writes it over a None loaded before the fill (the block in models.py stays while the fill runs).` : 'Unchanged.',
    serving: {
      duringMigration: `${previous}, which must not write NULL into ${c.column}`,
      afterSwitch: [`${previous} and this release, neither writing NULL, while the command fills the NULL rows`],
    },
    beforeNext: [
      `The background backfill has finished: \`${command}\` ran to the end (\`bg-scaffold status --database-url ...\` or \`python manage.py bg_scaffold_backfill --status\` says finished). Release ${of}'s migration checks it and stops until then.`,
    ],
    risks: [`${number === 1 ? 'The previous release' : `Release ${number - 1}`} and this release must not write NULL into ${c.table}.${c.column} (an explicit ${c.field.name}=None, a raw INSERT that leaves it out): the fill does not come back for rows it has passed, and release ${of}'s NOT NULL then fails on them.`],
    migration: {
      slug: slug(c, 'fill'),
      atomic: false,
      why: [
        `No serving release writes NULL into "${c.column}" any more, so the rows the command fills stay filled.`,
        `This migration only registers the fill and returns: ${command} does it,`,
        'in batches, while this release serves. Migrating backwards removes the registration.',
      ],
      imports: [],
      irreversible: null,
      operations: [registerBackfillStep(fill, c.change, backgroundName(c), `Registers the fill of the NULL rows with ${c.fillSql}, for ${command}; migrate does not wait for it.`)],
    },
    modelEdits: [],
    // The default-first plan's save() block stays while the command fills: a row loaded NULL and saved would undo its fill.
    codeBlocks: c.newDefault ? [fillOnSave(c, c.newDefault.python!)] : [],
  };
}

function notNullChange(input: SetNotNullInput, change: string): NotNullChange {
  const { model, field } = input;
  const what = `${model.name}.${field.name}`;
  if (isRelation(field) && field.onDelete === 'SET_NULL') {
    fail(`${what} has on_delete=SET_NULL, which writes NULL when its target is deleted; change on_delete first (e.g. PROTECT or CASCADE)`);
  }
  if (input.fill !== undefined && input.fillSql !== undefined) fail('give --fill or --fill-sql, not both: --fill is a value, --fill-sql an SQL expression over the row');
  const fill = input.fill !== undefined ? defaultFromFill(input.fill, field) : null;
  if (input.fillSql !== undefined) requireFillSql(input.fillSql, model);
  let newDefault: ColumnDefault | null = null;
  if (!hasOwnDefault(field)) {
    // Without a default the previous release writes NULL on every create() that leaves the field out.
    if (!fill) {
      fail(
        `${what} has no default, so the previous release inserts NULL whenever it creates a ${model.name} without ${field.name}; ` +
          `give --fill VALUE: release 1 makes it the field's default and the NULL rows get it`,
      );
    }
    if (fill.python === null) fail(`--fill "${input.fill}" cannot be written as a Python default for ${field.fieldClass} ${field.name}; give the field a default by hand first`);
    newDefault = fill;
  }
  const fillSql = input.fillSql !== undefined ? input.fillSql.trim() : fill ? fill.sql : null;
  return {
    change,
    appLabel: input.app.label,
    model,
    field,
    modelName: model.name.toLowerCase(),
    table: model.dbTable,
    column: field.column,
    pk: primaryKeyColumn(model),
    fillSql,
    newDefault,
    database: input.database,
    batchSize: input.batchSize,
  };
}

/** The field has a default (`default=None` is none): the previous release never inserts NULL by leaving it out. */
export function hasOwnDefault(field: DjangoField): boolean {
  return (field.defaultSource !== null && field.defaultSource.trim() !== 'None') || field.dbDefaultSource !== null;
}

/** `--fill-sql` is one expression over the row's own columns. */
function requireFillSql(sql: string, model: DjangoModel): void {
  if (!sql.trim()) fail('--fill-sql is empty; give an SQL expression over the row, e.g. --fill-sql "coalesce(legacy_note, \'\')"');
  if (sql.includes(';')) fail('--fill-sql must be one SQL expression (no ";")');
  const columns = new Set(model.fields.map((f) => f.column).filter(Boolean).concat(primaryKeyColumn(model)));
  const unknown = columnsNamedIn(sql).filter((name) => !columns.has(name));
  if (unknown.length > 0) {
    fail(`--fill-sql names ${unknown.map((name) => `"${name}"`).join(', ')}, not ${unknown.length === 1 ? 'a column' : 'columns'} of ${model.dbTable}; its columns: ${[...columns].join(', ')}`);
  }
}

/** The field as a migration writes it, with `null=True` gone (and the new default, if any). */
function stateField(c: NotNullChange, options: { nullable: boolean; withDefault: boolean }): { source: string; imports: string[] } {
  const set: Record<string, string> = {};
  if (c.newDefault && options.withDefault) set.default = c.newDefault.python!;
  return migrationFieldExpression(c.field, c.appLabel, { set, remove: options.nullable ? [] : ['null'] });
}

function alterField(c: NotNullChange, field: { source: string }): StateOperation {
  return { kind: 'AlterField', modelName: c.modelName, name: c.field.name, field: field.source };
}

const extraImports = (field: { imports: string[] }) => field.imports.filter((line) => line !== 'from django.db import models' && line !== 'from django.db import migrations');

function slug(c: NotNullChange, suffix: string): string {
  return `${c.modelName}_${c.field.name}_${suffix}`.slice(0, 60);
}

/**
 * Release 1 of two: the field gets a default, so that this release's code never writes NULL by
 * leaving it out. On PostgreSQL its `null=True` goes too, in Django only (forms and validation
 * stop producing None; the column still takes the NULLs the previous release writes), so that
 * nothing of this release writes NULL while the next release's migration fills and validates.
 * SQLite and MySQL keep it until release 2, whose AlterField sets NOT NULL in their schema.
 */
function defaultPhase(c: NotNullChange): Phase {
  const value = c.newDefault!;
  const postgres = c.database === 'postgresql';
  const field = stateField(c, { nullable: !postgres, withDefault: true });
  return {
    number: 1,
    of: 2,
    name: 'default',
    title: `Give ${c.model.name}.${c.field.name} a default`,
    state: postgres
      ? `\`${c.field.name}\` gets \`default=${value.python}\` and loses \`null=True\` in Django; the column still accepts NULL.`
      : `\`${c.field.name}\` gets \`default=${value.python}\`; it is still nullable.`,
    database: postgres ? "Nothing: Django's state follows models.py; the column keeps accepting NULL until the next release." : "Nothing: a Python default lives in Django only (its state follows models.py).",
    code: `A ${c.model.name} created without ${c.field.name} now gets \`${value.python}\` instead of NULL${postgres ? ', forms refuse an empty one' : ''}, and save() writes it over a None loaded before the fill (the block in models.py). Find the code that sets ${c.field.name} = None and stop it: after the next release the column refuses NULL.`,
    serving: {
      duringMigration: 'the previous release',
      afterSwitch: [`the previous release (still inserts NULL when it leaves ${c.field.name} out)`, 'this release (never does)'],
    },
    beforeNext: [`Retire the previous release everywhere: it inserts NULL into ${c.table}.${c.column}, which the next release's migration forbids.`],
    risks: postgres ? [`Django does not validate on save: code of this release that sets ${c.field.name} = None still writes NULL, and fails once the next release's migration has run.`] : [],
    migration: {
      slug: slug(c, 'default'),
      atomic: true,
      why: [postgres ? "Django's state records the field's default and NOT NULL; the database changes in the next release." : "Django's state records the field's default; nothing changes in the database."],
      imports: extraImports(field),
      irreversible: null,
      operations: [{ kind: 'state-only', comment: `${c.field.name} gets a default${postgres ? ' and loses null=True' : ''} in Django's state only.`, operations: [alterField(c, field)] }],
    },
    modelEdits: [{ kind: 'edit-field', model: c.model.name, field: c.field.name, rename: null, setKwargs: { default: value.python! }, removeKwargs: postgres ? ['null'] : [], note: 'default first, NOT NULL next' }],
    codeBlocks: [fillOnSave(c, value.python!)],
  };
}

/**
 * A row this release loads before the next release's fill reaches it holds None: saved as it is,
 * the ORM would write NULL back over the fill (seen in the blue-green matrix). Saved with the
 * default instead. Release 2 takes the block out with the rest of the phase's code.
 */
function fillOnSave(c: NotNullChange, python: string): CodeBlock {
  const data = { change: c.change, model: c.model.name, field: c.field.name, default: python };
  return c.model.methods.includes('save')
    ? { role: 'fill-on-save', model: c.model.name, anchor: 'method-start', method: 'save', template: 'snippets/not-null-save-start', data }
    : { role: 'fill-on-save', model: c.model.name, anchor: 'class-body-end', method: null, template: 'snippets/not-null-save', data };
}

function twoReleasePhases(c: NotNullChange): Phase[] {
  return [defaultPhase(c), enforcePhase(c, 2, 2)];
}

/** The fill of NULL rows, in batches, each its own transaction. */
function fillStep(c: NotNullChange): MigrationOperation | null {
  if (c.fillSql === null) return null;
  const batches = `in batches of up to ${c.batchSize}, each its own transaction`;
  if (c.database === 'postgresql') {
    return {
      kind: 'backfill',
      comment: `NULL rows get ${c.fillSql}, ${batches}; a re-run skips filled rows.`,
      table: c.table,
      pk: c.pk,
      set: `${q(c.column)} = (${c.fillSql})`,
      where: `${q(c.column)} IS NULL`,
    };
  }
  return { kind: 'backfill-sql-portable', comment: `NULL rows get ${c.fillSql}, ${batches}.`, functionName: `fill_${c.table}_${c.column}`, table: c.table, pk: c.pk, column: c.column, expression: c.fillSql };
}

/** The release that makes the column NOT NULL: the last. */
function enforcePhase(c: NotNullChange, number: number, of: number, background = false): Phase {
  const field = stateField(c, { nullable: false, withDefault: true });
  // In the background form the guard takes the fill's place: the command filled the rows while the last two releases served.
  const fill = background ? requireBackfillFinishedStep(c.change, [backgroundName(c)]) : fillStep(c);
  // Whether Django's state still says null=True here: a default-first release already took it away.
  const stateHere = c.newDefault === null;
  const filled = background ? 'The background fill of the NULL rows has finished (the guard checks it first).' : c.fillSql === null ? 'No fill was asked for: a NULL row left stops the migration, which says so.' : `NULL rows get \`${c.fillSql}\` in batches first.`;
  const postgres = c.database === 'postgresql';
  const operations: MigrationOperation[] = postgres
    ? [
        ...(fill ? [fill] : []),
        {
          kind: 'set-not-null',
          comment: 'NOT NULL without a long lock: CHECK NOT VALID, VALIDATE (writers go on), SET NOT NULL, drop the CHECK.',
          table: c.table,
          column: c.column,
          onPurpose: {
            does: ['set-not-null'],
            because: background
              ? `The serving releases give ${c.field.name} a value in every insert and must not write None there (PLAN.md says so); the guard above found the background fill of the NULL rows finished.`
              : number === 1
                ? `${c.field.name} has a default, which every insert of the previous release writes, and that release must not write None there (PLAN.md says so); the rows still NULL are filled above, or stop the migration.`
                : `Release ${number - 1}, the previous release, gives ${c.field.name} its default in every insert and saves no None over it; the rows still NULL are filled above, or stop the migration.`,
          },
        },
        // After a default-first release Django's state says NOT NULL already.
        ...(stateHere ? [{ kind: 'state-only', comment: `Django's state: ${c.field.name} is NOT NULL; the database change is above.`, operations: [alterField(c, field)] } satisfies MigrationOperation] : []),
      ]
    : [...(fill ? [fill] : []), { kind: 'django', comment: `Django's AlterField: ${c.database === 'sqlite' ? 'SQLite rebuilds the table' : 'MySQL alters the column in place'}.`, operation: alterField(c, field) }];
  const previous = number === 1 ? 'the previous release' : `release ${number - 1}`;
  return {
    number,
    of,
    name: 'not-null',
    title: `Make ${c.model.name}.${c.field.name} NOT NULL`,
    state: !stateHere && postgres ? `Nothing more: Django's state has said NOT NULL since release 1.` : `\`${c.field.name}\` loses \`null=True\`.`,
    database: postgres
      ? `${filled} Then a CHECK (${c.column} IS NOT NULL) added NOT VALID, validated while writers go on, SET NOT NULL (which trusts the valid check and skips its scan), and the check dropped.`
      : `${filled} Then Django's AlterField.`,
    code: `Code may now rely on ${c.field.name} never being None.`,
    serving: {
      duringMigration: `${previous}, which must not write NULL into ${c.column}`,
      afterSwitch: [`${previous} and this release, on a column that refuses NULL`],
    },
    beforeNext: ['Nothing: the change is complete.'],
    risks: [
      `${number === 1 ? 'The previous release' : `Release ${number - 1}`} must not write NULL into ${c.table}.${c.column} once this migration has run (an explicit ${c.field.name}=None, a raw INSERT that leaves it out): such a write fails with a NOT NULL violation.`,
    ],
    migration: {
      slug: slug(c, 'not_null'),
      atomic: !postgres,
      why: postgres
        ? [
            'ALTER COLUMN SET NOT NULL alone scans the whole table under ACCESS EXCLUSIVE, stopping reads',
            'and writes for the scan. A CHECK added NOT VALID is validated under a lock writers pass;',
            'SET NOT NULL then trusts it and only changes the catalog. Each step commits on its own.',
          ]
        : [`${c.database === 'sqlite' ? 'SQLite' : 'MySQL'} has no NOT NULL without a table lock: Django's AlterField, after the fill.`],
      imports: extraImports(field),
      irreversible: null,
      ...(c.fillSql !== null ? { rollbackLoses: `Migrating backwards allows NULL again but keeps the filled values: which rows were NULL is lost.` } : {}),
      operations,
    },
    modelEdits: [
      ...(!stateHere && postgres
        ? []
        : [{ kind: 'edit-field' as const, model: c.model.name, field: c.field.name, rename: null, setKwargs: c.newDefault && number === 1 ? { default: c.newDefault.python! } : {}, removeKwargs: ['null'], note: 'NOT NULL' }]),
      ...(of > 1 ? [{ kind: 'unmark' as const, model: c.model.name }] : []),
    ],
    codeBlocks: [],
  };
}

/** Whether a field is one set-not-null takes, for the field list: the reason it is not, or undefined. */
export function notNullRefusal(field: DjangoField): string | undefined {
  if (field.primaryKey) return 'the primary key';
  if (field.fieldClass === 'ManyToManyField' || field.column === '') return 'no column of its own';
  if (field.inheritedFrom) return `declared in ${field.inheritedFrom.className}`;
  if (!field.nullable) return 'already NOT NULL';
  if (isRelation(field) && field.onDelete === 'SET_NULL') return 'on_delete=SET_NULL needs NULL';
  return undefined;
}
