/**
 * rename-model (DESIGN §2 "Further operations"): the class gets its new name while the previous
 * release keeps serving with the old one. Pure: request → ChangePlan. Two strategies:
 *
 * keep-table: release 1 renames the class, pins the table in Meta (`db_table`: the database does
 * not change at all), keeps the old name importable with an alias beside the class (`Order =
 * Purchase`: every import and class reference of the code keeps working while it moves to the new
 * name), points the project's string references of relations ("Order", "shop.Order") at the new
 * name, and in Django's state renames the model. Its content type follows, as in Django's own
 * RenameModel, and each default permission gets a twin under the new name held by the same groups
 * and users, so that both releases' permission checks pass. Release 2, once no code names the old
 * class, takes the alias out and deletes the permissions under the old name.
 *
 * move-table (PostgreSQL): the same, but the table takes the new model's name too. Release 1
 * renames it in one short transaction and leaves a view under the old name, which PostgreSQL
 * reads and writes through (a view over one table, every column) for the previous release; the
 * keys that point at the table follow it. Release 2 drops the view.
 *
 * Neither is planned for a model whose name other tables' columns carry: an auto-created
 * many-to-many table (`order_id`), a child of multi-table inheritance (`order_ptr_id`).
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import { isRelation, requireOwnTable } from '../shared/django-fields.js';
import { isPythonIdentifier, isPythonKeyword, validateChangeId } from '../shared/names.js';
import { pythonString } from '../shared/python-literals.js';
import { incomingRelations, relationTargetName } from '../shared/relations.js';
import { q, sqlString } from '../shared/sql.js';
import type { ChangePlan, LockSettings, MigrationOperation, ModelEdit, Phase, StateOperation } from '../shared/types.js';
import { verifiedOn } from '../shared/verified-on.js';

export interface RenameModelInput {
  app: DjangoApp;
  /** Every app of the project (relations to the model are retargeted in each). */
  apps: DjangoApp[];
  model: DjangoModel;
  to: string;
  /** contrib.contenttypes and contrib.auth are installed (null: not known, read statically: assumed). */
  contribInstalled: boolean | null;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
  /** Default: keep-table. */
  strategy?: RenameModelStrategy;
}

/** A relation of the project that names the renamed model. */
export interface StringReference {
  appLabel: string;
  model: DjangoModel;
  field: DjangoField;
  /** The target as written (`Order`, `shop.Order`; the class `Order`) and what it becomes. */
  from: string;
  to: string;
  classReference: boolean;
}

/** Django's verbose name of a class without one (`camel_case_to_spaces`). */
export function defaultVerboseName(className: string): string {
  return className.replace(/(((?<=[a-z])[A-Z])|([A-Z](?![A-Z]|$)))/g, ' $1').trim().toLowerCase();
}

/** How the table fares: it keeps its name (pinned in Meta), or moves to the new model's, a view under the old. */
export type RenameModelStrategy = 'keep-table' | 'move-table';

export const RENAME_MODEL_STRATEGIES: Record<RenameModelStrategy, string> = {
  'keep-table': 'the table keeps its name (Meta.db_table); the database does not change',
  'move-table': "the table takes the new name; a view under the old one serves the previous release (PostgreSQL)",
};

/** Why a strategy cannot work for this model, or null. */
export function renameModelStrategyUnavailable(strategy: RenameModelStrategy, target: { app: DjangoApp; model: DjangoModel; database: Database }): string | null {
  if (strategy !== 'move-table') return null;
  if (target.database !== 'postgresql') return `needs PostgreSQL, which writes through a view; ${target.database} keeps the table (--strategy keep-table)`;
  const table = defaultTable(target.app.label, target.model.name);
  if (target.model.dbTable !== table) return `Meta.db_table names its table (${target.model.dbTable}): it keeps that name (--strategy keep-table)`;
  return null;
}

/** Django's table name for a model without Meta.db_table. */
function defaultTable(appLabel: string, modelName: string): string {
  return `${appLabel}_${modelName.toLowerCase()}`;
}

export function renameModelPlan(input: RenameModelInput): ChangePlan {
  const { app, model, to } = input;
  const strategy = input.strategy ?? 'keep-table';
  const what = `${app.label}.${model.name}`;
  requireOwnTable(model);
  if (model.abstract) fail(`${model.name} is abstract: rename it and the classes that inherit it by hand (no table changes)`);
  if (!isPythonIdentifier(to) || isPythonKeyword(to) || !/^[A-Z]/.test(to)) fail(`--to "${to}" is not a class name; give one like Purchase (a Python identifier starting with a capital)`);
  if (to === model.name) fail(`${what} is called ${to} already`);
  if (app.models.some((m) => m.name.toLowerCase() === to.toLowerCase())) fail(`app "${app.label}" has a model ${app.models.find((m) => m.name.toLowerCase() === to.toLowerCase())!.name} already; Django tells models apart by their lower-cased names`);
  const unavailable = renameModelStrategyUnavailable(strategy, input);
  if (unavailable) fail(`--strategy move-table ${unavailable}`);
  refuseNamesInColumns(input);
  const change = input.changeId ?? `rename-${model.name}-to-${to}`.toLowerCase();
  validateChangeId(change);
  const table = model.dbTable;
  const newTable = strategy === 'move-table' ? defaultTable(app.label, to) : table;
  if (strategy === 'move-table') requireFreeTableName(input.apps, newTable);
  const references = relationReferences(input);
  // Those in the model's own file go with its edits (marked, unmarked in release 2); others are staged beside them.
  const ownFile = retargetEdits(references.filter((r) => r.model.file === model.file)).get(model.file) ?? [];
  const ownFileModels = [...new Set(references.filter((r) => r.model.file === model.file && r.model.name !== model.name).map((r) => r.model.name))];
  const records = input.contribInstalled !== false;
  const oldModel = model.name.toLowerCase();
  const newModel = to.toLowerCase();
  const renamedRecords: MigrationOperation[] = records
    ? [{ kind: 'rename-model-records', comment: `The content type follows the model, as in Django's own RenameModel; the permissions get twins under the new name.`, step: 'rename', app: app.label, oldModel, newModel, verboseName: defaultVerboseName(to) }]
    : [];
  const retiredRecords: MigrationOperation[] = records
    ? [{ kind: 'rename-model-records', comment: `The permissions named after ${oldModel} go.`, step: 'retire', app: app.label, oldModel, newModel, verboseName: defaultVerboseName(to) }]
    : [];
  const manyToMany = strategy === 'move-table' ? ownManyToManyTables(input, newTable) : [];
  // Django's state points a relation at the new name only where the relation exists already: the
  // other apps that hold one migrate first (makemigrations's RenameModel depends on them too).
  const relatedApps = [...new Set(incomingRelations(model, app.label, input.apps).map((r) => r.appLabel))].filter((label) => label !== app.label);
  const dependencies: Array<[string, string]> = [
    ...relatedApps.flatMap((label): Array<[string, string]> => {
      const leaf = input.apps.find((a) => a.label === label)?.leaf;
      return leaf ? [[label, leaf]] : [];
    }),
    ...(records ? ([['contenttypes', '0002_remove_content_type_name'], ['auth', '0001_initial']] as Array<[string, string]>) : []),
  ];
  const views = [table, ...manyToMany.map((m) => m.table)];
  const shape = strategy === 'move-table' ? moveTable(model, to, table, newTable, manyToMany, renamedRecords) : keepTable(model, to, table, renamedRecords);
  const first: Phase = {
    number: 1,
    of: 2,
    name: 'rename',
    title: shape.title,
    state: `${shape.state} \`${model.name} = ${to}\` beside it keeps the old name working.${references.length > 0 ? ` Relations that name it in a string point at ${to}: ${references.map((r) => `${r.appLabel}.${r.model.name}.${r.field.name}`).join(', ')}.` : ''}`,
    database: `${shape.database}${records ? ` The content type ${app.label}.${oldModel} becomes ${app.label}.${newModel}, and each of its permissions gets a twin named after ${to}, held by the same groups and users.` : ''}`,
    code: `Move the code from ${model.name} to ${to} in this release or the next: the alias keeps ${model.name} working until release 2 takes it out.`,
    serving: {
      duringMigration: `the previous release (class ${model.name})`,
      afterSwitch: [shape.afterSwitch],
    },
    beforeNext: [
      ...retireFirst(
        records ? `checks the permissions named after ${oldModel}, which release 2 deletes` : null,
        strategy === 'move-table' ? `reads and writes the view${views.length > 1 ? 's' : ''} ${views.join(', ')}, which release 2 drops` : null,
      ),
      `Move every use of ${model.name} in the code to ${to} (bg-scaffold check lists them): release 2 takes the alias out.`,
    ],
    risks: [
      ...(records
        ? [
            `The previous release looks up its content type as ${app.label}.${oldModel}, which this migration renames: a lookup after it (a generic relation it writes, the admin's log) creates a new ${app.label}.${oldModel} content type, and what it writes points at that one. Check after the switch: SELECT id FROM django_content_type WHERE app_label = '${app.label}' AND model = '${oldModel}'.`,
          ]
        : []),
      ...shape.risks,
    ],
    migration: {
      slug: `rename_${oldModel}_${newModel}`,
      atomic: true,
      why: shape.why,
      imports: [],
      irreversible: null,
      ...(dependencies.length > 0 ? { extraDependencies: dependencies } : {}),
      operations: shape.operations,
    },
    modelEdits: [
      { kind: 'rename-class', model: model.name, to, note: `renamed from ${model.name}` },
      ...shape.modelEdits,
      { kind: 'add-alias', model: to, alias: model.name, note: `the old name, until release 2` },
      ...ownFile,
    ],
    codeBlocks: [],
  };
  const dropView: MigrationOperation[] =
    strategy === 'move-table'
      ? [
          {
            kind: 'ddl',
            comment: `No release reads ${views.join(' or ')} any more. Migrating backwards puts the view${views.length > 1 ? 's' : ''} back.`,
            sql: views.map((view) => `DROP VIEW IF EXISTS ${q(view)}`),
            onPurpose: { does: ['drop-view'], because: `Only the previous release read ${views.join(' and ')}, and it no longer serves: release 1's code names ${newTable}.` },
            reverseSql: [createViewSql(table, newTable), grantsLikeSql(newTable, table), ...manyToMany.flatMap((m) => [createManyToManyViewSql(m), grantsLikeSql(m.newTable, m.table)])],
          },
        ]
      : [];
  const secondOperations = [...dropView, ...retiredRecords];
  const second: Phase = {
    number: 2,
    of: 2,
    name: strategy === 'move-table' ? 'drop-view' : 'retire-alias',
    title: strategy === 'move-table' ? `Drop the view${views.length > 1 ? 's' : ''} ${views.join(', ')}; take the alias ${model.name} out` : `Take the alias ${model.name} out`,
    state: `\`${model.name} = ${to}\` goes.`,
    database: [strategy === 'move-table' ? `The view${views.length > 1 ? 's' : ''} ${views.join(', ')} ${views.length > 1 ? 'are' : 'is'} dropped.` : '', records ? `The permissions named after ${oldModel} are deleted.` : ''].filter(Boolean).join(' ') || 'Nothing.',
    code: `No code names ${model.name} any more.`,
    serving: { duringMigration: 'release 1', afterSwitch: ['release 1 and this one'] },
    beforeNext: ['Nothing: the change is complete.'],
    risks: [],
    migration:
      secondOperations.length > 0
        ? {
            slug: strategy === 'move-table' ? `drop_${oldModel}_view` : `retire_${oldModel}_permissions`,
            atomic: true,
            why: [
              ...(strategy === 'move-table' ? [`No release reads or writes ${model.name}'s old table name any more: the view that kept it goes.`] : []),
              ...(records
                ? [
                    `No release checks the permissions named after ${oldModel} any more: their twins named after`,
                    `${newModel} serve. Migrating backwards creates them again, held by the groups and users that`,
                    'hold their twins.',
                  ]
                : []),
            ],
            imports: [],
            irreversible: null,
            operations: secondOperations,
          }
        : null,
    modelEdits: [
      { kind: 'remove-alias', alias: model.name },
      { kind: 'unmark', model: to },
      ...ownFileModels.map((name) => ({ kind: 'unmark' as const, model: name })),
    ],
    codeBlocks: [],
  };
  return {
    schemaVersion: 1,
    change,
    op: 'rename-model',
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, to, modelsFile: model.file, database: input.database, strategy },
    strategy,
    database: input.database,
    lock: input.lock,
    batchSize: input.batchSize,
    phases: [first, second],
    warnings: [],
    verifiedOn: verifiedOn('rename-model', strategy, input.database),
  };
}

/** Why the previous release must be gone before release 2, in one line (or none). */
function retireFirst(...reasons: Array<string | null>): string[] {
  const given = reasons.filter((r): r is string => r !== null);
  return given.length === 0 ? [] : [`Retire the previous release: it ${given.join('; it ')}.`];
}

/** What release 1 says and does that depends on where the table goes. */
interface TableShape {
  title: string;
  state: string;
  database: string;
  afterSwitch: string;
  risks: string[];
  why: string[];
  operations: MigrationOperation[];
  modelEdits: ModelEdit[];
}

function keepTable(model: DjangoModel, to: string, table: string, records: MigrationOperation[]): TableShape {
  // A Meta that names its table already keeps it; otherwise it is pinned (harmless when Django's facts leave the Meta source unread).
  const pinned = /\bdb_table\s*=/.test(model.metaText ?? '');
  const stateOperations: StateOperation[] = [
    // The table keeps its name: pinned in the state first, so that the rename does not move it.
    ...(pinned ? [] : [{ kind: 'AlterModelTable' as const, name: model.name.toLowerCase(), table }]),
    { kind: 'RenameModel', oldName: model.name, newName: to },
  ];
  return {
    title: `Rename ${model.name} to ${to}, keeping its table`,
    state: `\`class ${to}\` with \`db_table = "${table}"\`;`,
    database: `Nothing in ${table}: the table keeps its name (Django's state renames the model).`,
    afterSwitch: `the previous release (${model.name}) and this one (${to}, and ${model.name} as an alias), on the same table`,
    risks: [],
    why: [
      `Django's RenameModel renames the table and rebuilds every foreign key that points at it, under`,
      'locks, while the previous release still names the old table. Here the table keeps its name',
      "(db_table), so the rename is Django's state only; the content type follows, as in Django.",
    ],
    operations: [{ kind: 'state-only', comment: `Django's state: ${model.name} is ${to}, on the table ${table}; the database does not change.`, operations: stateOperations }, ...records],
    modelEdits: pinned ? [] : [{ kind: 'set-meta-option', model: model.name, option: 'db_table', value: pythonString(table), note: 'the table keeps its name' }],
  };
}

function moveTable(model: DjangoModel, to: string, table: string, newTable: string, manyToMany: OwnManyToMany[], records: MigrationOperation[]): TableShape {
  const m2mNote = manyToMany.map((m) => ` The many-to-many table of ${model.name}.${m.field}, ${m.table}, moves to ${m.newTable} and its column ${m.column} becomes ${m.newColumn}, with a view under the old names.`).join('');
  return {
    title: `Rename ${model.name} to ${to}, moving its table to ${newTable}`,
    state: `\`class ${to}\` on the table ${newTable};`,
    database: `${table} is renamed ${newTable}, and a view named ${table} over it serves the previous release: PostgreSQL reads, inserts, updates and deletes through it, defaults and keys included. The foreign keys that point at the table follow it.${m2mNote}`,
    afterSwitch: `the previous release (${model.name}, through the view ${table}) and this one (${to}, and ${model.name} as an alias, on ${newTable}): the same rows`,
    risks: [
      `Raw SQL of the previous release that needs a table, not a view (ALTER TABLE, TRUNCATE, LOCK TABLE, COPY ${table} FROM, triggers on it), fails on ${table} after this migration; queries and writes do not.`,
    ],
    why: [
      `Django's RenameModel renames the table and rebuilds every foreign key that points at it, under`,
      'locks, while the previous release still names the old table. Here the table is renamed in one',
      'short transaction under lock_timeout, the keys that point at it follow it, and a view under the',
      'old name serves the previous release until release 2 drops it.',
    ],
    operations: [
      { kind: 'state-only', comment: `Django's state: ${model.name} is ${to}, on the table ${newTable}; the database change is below.`, operations: [{ kind: 'RenameModel', oldName: model.name, newName: to }] },
      {
        kind: 'ddl',
        comment: `The table moves; the view under its old name is over one table and every column, so PostgreSQL writes through it, and it gets the table's grants.`,
        sql: [`ALTER TABLE ${q(table)} RENAME TO ${q(newTable)}`, createViewSql(table, newTable), grantsLikeSql(newTable, table)],
        onPurpose: { does: ['rename-table'], because: `The view ${table}, created in the same transaction, reads and writes ${newTable} for the previous release, with the table's grants.` },
        reverseSql: [`DROP VIEW IF EXISTS ${q(table)}`, `ALTER TABLE ${q(newTable)} RENAME TO ${q(table)}`],
      },
      ...manyToMany.map(
        (m): MigrationOperation => ({
          kind: 'ddl',
          comment: `The many-to-many table of ${model.name}.${m.field} is named after ${model.name}'s table, and one of its columns after the model: both move, and a view gives the previous release the old names.`,
          sql: [`ALTER TABLE ${q(m.table)} RENAME TO ${q(m.newTable)}`, `ALTER TABLE ${q(m.newTable)} RENAME COLUMN ${q(m.column)} TO ${q(m.newColumn)}`, createManyToManyViewSql(m), grantsLikeSql(m.newTable, m.table)],
          onPurpose: { does: ['rename-table', 'rename-column'], because: `The view ${m.table}, created in the same transaction, gives the previous release the old table and column names (${m.column}) over ${m.newTable}.` },
          reverseSql: [`DROP VIEW IF EXISTS ${q(m.table)}`, `ALTER TABLE ${q(m.newTable)} RENAME COLUMN ${q(m.newColumn)} TO ${q(m.column)}`, `ALTER TABLE ${q(m.newTable)} RENAME TO ${q(m.table)}`],
        }),
      ),
      ...records,
    ],
    modelEdits: [],
  };
}

/**
 * The table's privileges, granted on the view too: a view starts with its owner's alone, and the
 * role the application connects as may be another than the one migrations run as.
 */
function grantsLikeSql(table: string, view: string): string {
  return [
    'DO $$',
    'DECLARE',
    '  granted record;',
    'BEGIN',
    '  FOR granted IN',
    "    SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee",
    '    FROM pg_class c, aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee',
    `    WHERE c.oid = ${sqlString(q(table))}::regclass AND a.grantee <> c.relowner`,
    '  LOOP',
    `    EXECUTE format('GRANT %s ON %I TO %s', granted.privilege_type, ${sqlString(view)}, granted.grantee);`,
    '  END LOOP;',
    'END $$',
  ].join('\n');
}

function createViewSql(view: string, table: string): string {
  return `CREATE OR REPLACE VIEW ${q(view)} AS SELECT * FROM ${q(table)}`;
}

/** The old many-to-many table's name and columns over the moved one (the key and the other side keep theirs). */
function createManyToManyViewSql(m: OwnManyToMany): string {
  return `CREATE OR REPLACE VIEW ${q(m.table)} AS SELECT "id", ${q(m.newColumn)} AS ${q(m.column)}, ${q(m.targetColumn)} FROM ${q(m.newTable)}`;
}

/** An auto-created many-to-many table of one of the model's own fields: it moves with the model. */
export interface OwnManyToMany {
  field: string;
  table: string;
  newTable: string;
  /** The column that points at the renamed model: `club_id`, then `circle_id`. */
  column: string;
  newColumn: string;
  /** The column that points at the other side, which keeps its name. */
  targetColumn: string;
}

/**
 * The model's own auto-created many-to-many tables, as Django names them: `<db_table>_<field>`,
 * with `<model>_id` and `<target>_id` beside `id`. Those Django would name otherwise (a field's own
 * db_table, a model pointing at itself, a name past PostgreSQL's 63 bytes) are refused.
 */
export function ownManyToManyTables(input: Pick<RenameModelInput, 'app' | 'model' | 'to'>, newTable: string): OwnManyToMany[] {
  const { app, model, to } = input;
  return model.fields
    .filter((f) => f.fieldClass === 'ManyToManyField' && f.kwargs.through === undefined && !f.inheritedFrom)
    .map((f) => {
      const what = `${model.name}.${f.name}`;
      if (f.kwargs.db_table !== undefined) fail(`${what} names its many-to-many table (db_table), whose column is named after ${model.name}: give it a through model first`);
      const target = f.django?.target?.modelName ?? (f.relatedModel?.trim() === 'settings.AUTH_USER_MODEL' ? null : relationTargetName(f, app.label, model.name)?.name);
      if (!target) fail(`cannot tell which model ${what} points at (${f.relatedModel ?? 'no target'}) without Django: its many-to-many table has a column named after it`);
      if (target.toLowerCase() === model.name.toLowerCase()) fail(`${what} is a many-to-many field to ${model.name} itself (from_ and to_ columns): give it a through model first`);
      const [oldName, newName] = [`${model.dbTable}_${f.name}`, `${newTable}_${f.name}`];
      const tooLong = [oldName, newName].find((name) => Buffer.byteLength(name) > 63);
      if (tooLong) fail(`${what}: the many-to-many table ${tooLong} is longer than PostgreSQL's 63 bytes, so Django shortens it with a hash: give it a through model first`);
      return { field: f.name, table: oldName, newTable: newName, column: `${model.name.toLowerCase()}_id`, newColumn: `${to.toLowerCase()}_id`, targetColumn: `${target.toLowerCase()}_id` };
    });
}

/** The table the model moves to must not be another model's. */
function requireFreeTableName(apps: DjangoApp[], table: string): void {
  const owner = apps.flatMap((a) => a.models.map((m) => ({ a, m }))).find(({ m }) => m.dbTable === table);
  if (owner) fail(`--strategy move-table: the table ${table} is ${owner.a.label}.${owner.m.name}'s; give another --to, or --strategy keep-table`);
}

/** Columns of other tables named after the model: renaming it in Django's state renames them. */
function refuseNamesInColumns(input: RenameModelInput): void {
  const { app, model, apps } = input;
  // move-table moves the model's own many-to-many tables with it (ownManyToManyTables checks each).
  const ownM2m = model.fields.find((f) => f.fieldClass === 'ManyToManyField' && f.kwargs.through === undefined);
  if (ownM2m && input.strategy !== 'move-table') {
    fail(`${model.name}.${ownM2m.name} is a many-to-many field whose table has a column named after ${model.name} (${model.name.toLowerCase()}_id); --strategy move-table moves that table too (PostgreSQL), or give it a through model first`);
  }
  for (const incoming of incomingRelations(model, app.label, apps)) {
    if (incoming.field.fieldClass === 'ManyToManyField' && incoming.field.kwargs.through === undefined) {
      fail(`${incoming.appLabel}.${incoming.model.name}.${incoming.field.name} is a many-to-many field to ${model.name} whose table has a column named after it; give it a through model first, or rename the model by hand`);
    }
  }
  // A multi-table child: Django says so; read statically, a subclass that is not a proxy.
  const inherits = (m: DjangoModel) =>
    m.django
      ? m.django.parents.includes(`${app.label}.${model.name}`)
      : m.bases.some((b) => b === model.name || b.endsWith(`.${model.name}`)) && !/\bproxy\s*=\s*True\b/.test(m.metaText ?? '');
  const child = apps.flatMap((a) => a.models.map((m) => ({ a, m }))).find(({ m }) => inherits(m));
  if (child) fail(`${child.a.label}.${child.m.name} inherits ${model.name} (multi-table inheritance): its parent link column is named after ${model.name} (${model.name.toLowerCase()}_ptr_id); rename the model by hand`);
}

/**
 * The project's relations that name the model: in a string anywhere (Django resolves those by
 * name), or as the class in the model's own module (where the new class is defined too, and
 * the alias goes in release 2). A class imported elsewhere keeps working through the alias.
 */
export function relationReferences(input: Pick<RenameModelInput, 'app' | 'apps' | 'model' | 'to'>): StringReference[] {
  const { app, model, apps, to } = input;
  const found: StringReference[] = [];
  for (const other of apps) {
    for (const candidate of other.models) {
      for (const field of candidate.fields) {
        if (!isRelation(field) && field.fieldClass !== 'ManyToManyField') continue;
        if (field.inheritedFrom) continue;
        const written = field.relatedModel?.trim() ?? '';
        const quoted = /^(["'])(.*)\1$/.exec(written);
        if (!quoted) {
          if (written === model.name && candidate.file === model.file) found.push({ appLabel: other.label, model: candidate, field, from: written, to, classReference: true });
          continue;
        }
        const name = relationTargetName(field, other.label, candidate.name);
        if (!name || name.name !== model.name || name.label !== app.label) continue;
        const text = quoted[2]!;
        found.push({ appLabel: other.label, model: candidate, field, from: text, to: text.includes('.') ? `${app.label}.${to}` : to, classReference: false });
      }
    }
  }
  return found;
}

/** The edits that point string references at the new name, per models file (phase 1, beside the model's own edits). */
export function retargetEdits(references: StringReference[]): Map<string, ModelEdit[]> {
  const byFile = new Map<string, ModelEdit[]>();
  for (const r of references) {
    const edits = byFile.get(r.model.file) ?? [];
    edits.push({ kind: 'retarget-relation', model: r.model.name, field: r.field.name, from: r.from, to: r.to, note: 'points at the renamed model', ...(r.classReference ? { classReference: true } : {}) });
    byFile.set(r.model.file, edits);
  }
  return byFile;
}
