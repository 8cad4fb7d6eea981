/**
 * A change's release plan, as plain data. Playbooks build it (pure functions, no I/O); the renderer
 * turns one phase of it into files; plan.json stores it. Following Django's own split, each phase
 * says what it does to the *state* (models.py), the *database* (migration) and the *code* (snippets).
 */
import type { Database } from '../../project/types.js';
import type { OnPurpose } from './linters.js';

export type Operation =
  | 'rename-column'
  | 'add-column'
  | 'remove-column'
  | 'drop-table'
  | 'change-column-type'
  | 'set-not-null'
  | 'drop-not-null'
  | 'add-index'
  | 'remove-index'
  | 'add-unique'
  | 'add-check'
  | 'add-foreign-key'
  | 'rename-model';

export type RenameStrategy = 'db-column' | 'trigger' | 'copy';

/** Lock settings baked into every generated DDL step. */
export interface LockSettings {
  /** PostgreSQL interval, e.g. `1s`. */
  lockTimeout: string;
  /** How many tries before the migration fails. */
  retries: number;
}

export interface ChangePlan {
  /** Format version of plan.json. */
  schemaVersion: 1;
  /** Change id, unique in the project: `order-quantity-to-qty`. */
  change: string;
  op: Operation;
  app: string;
  model: string;
  /** What the user asked for, as given (after defaults): field, to, strategy, phases, ... */
  inputs: Record<string, string | number | boolean | null>;
  strategy: string;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  phases: Phase[];
  /** Printed at generation and stamped into PLAN.md (and into the migration they concern). */
  warnings: string[];
  /** Which database/Django combinations this plan's shape is verified on by the test matrix. */
  verifiedOn: string[];
  /** Other apps whose tables the migrations change: each migration also depends on their leaf at the time. */
  otherApps?: string[];
  /** `--backfill background`: where the backfill is registered and checked, and what the team runs (PLAN.md). */
  background?: BackgroundBackfill;
}

/**
 * A backfill that `migrate` only registers and `manage.py bg_scaffold_backfill` works through
 * while both releases serve; the first step of the next phase's migration fails until it finished.
 */
export interface BackgroundBackfill {
  /** The phase whose migration registers the backfills. */
  registeredIn: number;
  /** The phase whose migration begins with the guard. */
  guardedIn: number;
  /** The backfills, as the runtime's tracking table names them. */
  names: string[];
  /** `python manage.py bg_scaffold_backfill --change <change>`. */
  command: string;
  /** What waits a release for the filled rows, beside the in-migrate form; null when nothing moves. */
  moved: string | null;
  /** The table's rows, from pg_class.reltuples at generation; null when no database was read. */
  rowsEstimate: number | null;
  /** PLAN.md's section, each entry a paragraph or a list of lines. */
  migrate: string;
  /** Ways to run the command: where (cron, a Kubernetes Job, Celery beat, RQ), the code block's language, its text. */
  schedule: Array<{ where: string; lang: string; text: string }>;
  watch: string[];
  guard: string;
  force: { sql: string; why: string };
  choose: string;
}

export interface Phase {
  /** 1-based. */
  number: number;
  of: number;
  /** Short name used in file names and titles: `expand`, `contract`, ... */
  name: string;
  title: string;
  /** What Django's model state (models.py) becomes. */
  state: string;
  /** What the migration does to the database. */
  database: string;
  /** What the application code does in this release. */
  code: string;
  /** Which code serves while the migration runs, and which serves side by side after it. */
  serving: { duringMigration: string; afterSwitch: string[] };
  /** What must be true before the next release ships. */
  beforeNext: string[];
  /** Risks this phase knowingly takes (stamped into PLAN.md and the migration). */
  risks: string[];
  migration: MigrationSpec | null;
  modelEdits: ModelEdit[];
  codeBlocks: CodeBlock[];
}

export interface MigrationSpec {
  /** File name without number: `order_qty_expand` → `0004_order_qty_expand.py`. */
  slug: string;
  /** False when any step must commit on its own (batched backfill, CONCURRENTLY, lock retries). */
  atomic: boolean;
  /** A few lines for the header comment: why this migration looks the way it does. */
  why: string[];
  operations: MigrationOperation[];
  /** Import lines beyond `from django.db import migrations, models` (e.g. `import django.utils.timezone`). */
  imports: string[];
  /** Migrations of other apps this one must come after (contrib's, whose models its RunPython uses). */
  extraDependencies?: Array<[string, string]>;
  /** Set when the migration cannot be reversed, saying why. */
  irreversible: string | null;
  /** What migrating backwards loses, for PLAN.md's Rollback line; absent when it loses nothing. */
  rollbackLoses?: string;
}

/** A Django migration operation that changes state (and, outside SeparateDatabaseAndState, the database). */
export type StateOperation =
  | { kind: 'RenameField'; modelName: string; oldName: string; newName: string }
  /** `field` is the Python expression of the field, e.g. `models.IntegerField(null=True)`. */
  | { kind: 'AddField'; modelName: string; name: string; field: string }
  | { kind: 'AlterField'; modelName: string; name: string; field: string }
  | { kind: 'RemoveField'; modelName: string; name: string }
  | { kind: 'DeleteModel'; name: string }
  /**
   * Every option AlterModelOptions carries, as the state is to hold them after it (the ones left out
   * are dropped from the state): `options` maps each to its Python source, sorted by name.
   */
  | { kind: 'AlterModelOptions'; name: string; options: Array<{ key: string; value: string }> }
  /** `index` / `constraint`: the Python expression, e.g. `models.Index(fields=["a"], name="x")`. */
  | { kind: 'RemoveIndex'; modelName: string; name: string }
  | { kind: 'AddIndex'; modelName: string; index: string }
  | { kind: 'RemoveConstraint'; modelName: string; name: string }
  | { kind: 'AddConstraint'; modelName: string; constraint: string }
  /** `RenameModel(old_name, new_name)`: class names as written. */
  | { kind: 'RenameModel'; oldName: string; newName: string }
  /** `AlterModelTable(name, table)`: `name` is the model name lower-cased. */
  | { kind: 'AlterModelTable'; name: string; table: string };

/**
 * A model as `migrations.CreateModel` writes it: fields as Python expressions, `options` values as
 * Python source. The primary key may be left out: Django then adds the project's default auto field.
 * Not a state operation: drop-table keeps it in its migration to recreate the table on rollback.
 */
export interface ModelDefinition {
  name: string;
  fields: Array<{ name: string; field: string }>;
  options: Record<string, string>;
}

/** A step of a migration: one of the kinds of MigrationStep, with what any step may say of itself. */
export type MigrationOperation = MigrationStep & {
  /**
   * What the step does on purpose that migration linters flag in general, and why it is safe in its
   * release (PostgreSQL plans): the migration carries each linter's ignore, the reason beside it.
   */
  onPurpose?: OnPurpose;
};

type MigrationStep =
  /** Changes Django's state only: `SeparateDatabaseAndState(state_operations=[...])`. */
  | { kind: 'state-only'; comment: string; operations: StateOperation[] }
  /** A plain Django operation that changes state and database together (non-PostgreSQL plans). */
  | { kind: 'django'; comment: string; operation: StateOperation }
  /** `SeparateDatabaseAndState` with Django operations on both sides (non-PostgreSQL plans). */
  | { kind: 'separate'; comment: string; databaseOperations: StateOperation[]; stateOperations: StateOperation[] }
  /** Batched copy through the ORM (any database): `Model.objects.filter(pk range).update(target=F(source))`. */
  | { kind: 'backfill-orm'; comment: string; modelName: string; target: string; source: string; backwardsOnly?: boolean }
  /** `ALTER TABLE ... DROP COLUMN` quoted by the database's own schema editor (any database). */
  | { kind: 'drop-column-portable'; comment: string; table: string; column: string; reverseAddField: StateOperation | null }
  /** DDL under `SET LOCAL lock_timeout`, retried with backoff, each statement list in its own transaction. */
  | { kind: 'ddl'; comment: string; sql: string[]; reverseSql: string[] | null }
  /** `UPDATE table SET <set> WHERE <pk range> AND <where>` in batches, each its own transaction. */
  | { kind: 'backfill'; comment: string; table: string; pk: string; set: string; where: string }
  /**
   * The background form of `backfill`: the migration registers it in the runtime's tracking table
   * (under `name`, for `change`) and returns at once; `manage.py bg_scaffold_backfill` works it.
   */
  | { kind: 'register-backfill'; comment: string; name: string; change: string; table: string; pk: string; set: string; where: string }
  /** The first step of the phase after a background backfill: fails, naming the command, until every one of `names` finished. */
  | { kind: 'require-backfill-finished'; comment: string; change: string; names: string[] }
  /** Batched backfill through a Python function the user completes (any database). */
  | { kind: 'backfill-python'; comment: string; modelName: string; functionName: string; todo: string }
  /** NOT NULL through CHECK (...) NOT VALID → VALIDATE → SET NOT NULL → DROP CHECK. Reverse: DROP NOT NULL. */
  | { kind: 'set-not-null'; comment: string; table: string; column: string }
  /** Forward: DROP NOT NULL (metadata only). Reverse: the set-not-null path. */
  | { kind: 'drop-not-null'; comment: string; table: string; column: string }
  /**
   * CREATE [UNIQUE] INDEX CONCURRENTLY with Django's own name for it, computed when the migration runs.
   * `unique` also attaches it as a constraint (`ADD CONSTRAINT ... UNIQUE USING INDEX`).
   * `suffix` is Django's: '' for db_index, '_like' for the pattern index, '_uniq' for unique.
   */
  | {
      kind: 'create-index';
      comment: string;
      table: string;
      column: string;
      suffix: '' | '_like' | '_uniq';
      opclass: string | null;
      unique: boolean;
    }
  /** FOREIGN KEY added NOT VALID, then validated; DEFERRABLE INITIALLY DEFERRED like Django's. */
  | {
      kind: 'add-foreign-key';
      comment: string;
      table: string;
      column: string;
      toTable: string;
      toColumn: string;
      onDelete: 'CASCADE' | 'SET NULL' | 'NO ACTION';
    }
  /** Runs `operation` only when migrating backwards (to rebuild what a forward DROP removed). */
  | { kind: 'backwards-only'; comment: string; operation: MigrationOperation }
  /**
   * Django's own `RunSQL(sql, reverse_sql, state_operations=[...])`, each list item one statement:
   * the pre-5.0 form of a column with a database default (Django < 5.0 has no `db_default`), and
   * CONCURRENTLY index steps (run outside a transaction in a non-atomic migration). No `sql`:
   * `RunSQL.noop`, a step for migrating backwards only.
   */
  | { kind: 'run-sql'; comment: string; sql: string[]; reverseSql: string[]; stateOperations: StateOperation[] }
  /**
   * Fills `field` where it is NULL through a Python function the user completes (any database):
   * batches by primary key, each its own transaction. Until completed, the value function raises
   * NotImplementedError, so the migration cannot run empty.
   */
  | {
      kind: 'backfill-function';
      comment: string;
      /** Model class name, as `apps.get_model` takes it. */
      modelName: string;
      field: string;
      /** The batch loop: `fill_order_priority`. */
      functionName: string;
      /** The function the user completes: `order_priority_for(order)`. */
      valueFunction: string;
      /** The marked TODO block's marker: change, phase and phases. */
      marker: { change: string; phase: number; of: number };
    }
  /**
   * `UPDATE table SET column = (expression) WHERE column IS NULL` in primary key batches, each its
   * own transaction, quoted by the database's own schema editor (non-PostgreSQL plans).
   */
  | { kind: 'backfill-sql-portable'; comment: string; functionName: string; table: string; pk: string; column: string; expression: string }
  /**
   * Replaces Django's FOREIGN KEY on `table.column` (found by introspection) by one the database
   * enforces on its own, with the ON DELETE action the previous release's Python `on_delete` had:
   * added NOT VALID, validated, DEFERRABLE INITIALLY DEFERRED; Django's goes only once it is valid.
   * Reverse: Django's constraint comes back, then this one goes.
   */
  | {
      kind: 'replace-foreign-key';
      comment: string;
      table: string;
      column: string;
      toTable: string;
      toColumn: string;
      onDelete: 'CASCADE' | 'SET NULL' | 'NO ACTION';
    }
  /**
   * Drops a model's table and its auto-created many-to-many tables, their foreign keys to other
   * tables first, each step under lock_timeout. `model` is the model as it was: rolling back
   * recreates its tables (empty) through Django's schema editor; null makes the drop irreversible.
   */
  | { kind: 'drop-table'; comment: string; table: string; model: ModelDefinition | null }
  /** `DROP TABLE` of each table in order, quoted by the database's own schema editor (non-PostgreSQL plans). */
  | { kind: 'drop-table-portable'; comment: string; tables: string[] }
  /**
   * A trigger that sets `target` to `valueSql` (SQL over the row's columns, `source` among them) on
   * every INSERT and every UPDATE of `source`; `checked`: a value the target's type cannot hold fails
   * the write with a message naming the change (a conversion that can fail), never truncated.
   */
  | { kind: 'sync-column'; comment: string; table: string; source: string; target: string; functionName: string; valueSql: string; targetType: string; checked: boolean; change: string }
  /**
   * Every index and CHECK / FOREIGN KEY constraint on `column` built again on `newColumn`, as the
   * catalog has them when the migration runs (CONCURRENTLY; NOT VALID, then VALIDATE); a foreign key
   * to a column `references` maps (`{table: {column: new column}}`) points at the new one.
   */
  | { kind: 'mirror-column'; comment: string; table: string; column: string; newColumn: string; references: Record<string, Record<string, string>> }
  /** Each new column takes its old column's place in one short transaction (see SwappedColumn). */
  | { kind: 'swap-columns'; comment: string; change: string; columns: SwappedColumn[] }
  /** The inverse of `create-index`: a field's index (or unique constraint) dropped CONCURRENTLY, rebuilt when migrating backwards. */
  | {
      kind: 'drop-index';
      comment: string;
      table: string;
      column: string;
      suffix: '' | '_like' | '_uniq';
      opclass: string | null;
      unique: boolean;
    }
  /**
   * Django's AddIndex, its index built CONCURRENTLY from Django's own SQL for it (fields,
   * expressions, condition, include, opclasses): `index` is the Python expression, `models.Index(...)`.
   */
  | { kind: 'add-index-concurrently'; comment: string; modelName: string; index: string }
  /** Django's RemoveIndex, dropped CONCURRENTLY; rebuilt CONCURRENTLY from the state when migrating backwards. */
  | { kind: 'remove-index-concurrently'; comment: string; modelName: string; name: string }
  /**
   * Django's AddConstraint without a long lock: a UniqueConstraint as a unique index built
   * CONCURRENTLY (its duplicates named first), a CheckConstraint added NOT VALID and validated
   * (its violations counted first). `constraint` is the Python expression.
   */
  | { kind: 'add-constraint-concurrently'; comment: string; modelName: string; constraint: string }
  /**
   * A renamed model's records in contrib (a RunPython of the migration's own functions): `rename`
   * gives its content type the new model name, as Django's own RenameModel does, and grants a twin
   * of each default permission under the new name to the same groups and users (backwards: the
   * reverse); `retire` deletes the permissions under the old name (backwards: creates them again).
   * `oldModel` and `newModel` are model names lower-cased; `verboseName` names the new permissions.
   */
  | { kind: 'rename-model-records'; comment: string; step: 'rename' | 'retire'; app: string; oldModel: string; newModel: string; verboseName: string };

/**
 * One column of a column swap, as the runtime's SwapColumns takes it (Python's names): `new` takes
 * `column`'s place and `column` is kept as `park`; `sync` is the trigger that fed `new`; `pk` keys
 * a rollback's refill; `rollback` is SQL of the column's value as `park`'s type; `value`, `type` and
 * `checked` are the sync trigger's, which a rollback puts back.
 */
export interface SwappedColumn {
  table: string;
  column: string;
  new: string;
  park: string;
  sync: string;
  pk: string;
  not_null: boolean;
  rollback: string;
  /** The sync trigger's value SQL, the new type, and whether it checks: to rebuild it when migrating backwards. */
  value: string;
  type: string;
  checked: boolean;
}

/**
 * A change to a model in models.py. Edits are surgical: only the named field's statement changes,
 * and every changed line carries `# bg-scaffold: <change> <k>/<N> <note>` until the change's last
 * phase unmarks the model.
 */
export type ModelEdit =
  /**
   * Edit a field in place: rename the attribute and/or set/remove keyword arguments. In a phase
   * that also unmarks the model (the change's last), the edited line gets no marker.
   */
  | {
      kind: 'edit-field';
      model: string;
      field: string;
      rename: string | null;
      setKwargs: Record<string, string>;
      removeKwargs: string[];
      note: string;
      /** The field's new class, as the call names it (`models.BigIntegerField`); absent: the class stays. */
      callee?: string;
    }
  /** Add a field right after `after`, built from a copy of `copyOf`'s call with kwargs changed. */
  | {
      kind: 'add-field';
      model: string;
      after: string;
      name: string;
      copyOf: string;
      setKwargs: Record<string, string>;
      removeKwargs: string[];
      note: string;
    }
  /** Remove a field's statement (and a marker comment line directly above it, if ours). */
  | { kind: 'remove-field'; model: string; field: string }
  /** Strip this change's `# bg-scaffold:` trailing markers: the change is complete. */
  | { kind: 'unmark'; model: string }
  /**
   * Rename field `from` to `to` where the model's Meta names it (ordering, get_latest_by,
   * *_together, indexes, constraints): its strings (`"-from"`, `"from__year"`) and Q keywords.
   */
  | { kind: 'rename-in-meta'; model: string; from: string; to: string; note: string }
  /** `remove-meta-entry` of list `indexes`, the kind plans stored before it was generalised still name. */
  | { kind: 'remove-meta-index'; model: string; name: string }
  /**
   * Add `entry`, the Python source of one call (`models.Index(fields=["placed_at"], name="...")`),
   * as the last item of the model's `Meta.<list>`, marked with this change's marker and `note`.
   * A missing `<list>` or `class Meta` is added; a long entry is laid out one argument per line.
   */
  | { kind: 'add-meta-entry'; model: string; list: 'indexes' | 'constraints'; entry: string; note: string }
  /**
   * Remove the entry whose `name=` is `name` from the model's `Meta.<list>` (the whole
   * `<list> = [...]` when it was the only one; `pass` where Meta would be left empty).
   */
  | { kind: 'remove-meta-entry'; model: string; list: 'indexes' | 'constraints'; name: string }
  /**
   * Insert a brand-new field statement `name = <call>` after the field `after` (null: after the
   * model's last field), marked with this change's marker and `note`. `call` is Python source,
   * e.g. `models.IntegerField(null=True)`; a long call is laid out one argument per line.
   */
  | { kind: 'insert-field'; model: string; after: string | null; name: string; call: string; note: string; first?: boolean }
  /**
   * Remove a model's class (with its decorators and the comment lines directly above it) and the
   * blank lines before it, so the classes around it keep their spacing.
   */
  | { kind: 'remove-model'; model: string }
  /**
   * Rename the class `model` to `to`: only its name changes (bases, decorators, body stay), and
   * its `class` line is marked. Its table stays put only with `set-meta-option` of `db_table` in
   * the same batch. Like every kind but `add-alias`, `model` names the class as the file has it
   * before the batch: the batch's other edits of this model name it `model` too, not `to`.
   */
  | { kind: 'rename-class'; model: string; to: string; note: string }
  /**
   * Set `option = value` in the model's `class Meta` (`value` is Python source: `"shop_order"`):
   * an existing statement gets the new value, a missing one is added as Meta's last statement,
   * a missing Meta is added where `add-meta-entry` adds one. The line is marked; a value already
   * there is left alone. `model`: the class's name before the batch.
   */
  | { kind: 'set-meta-option'; model: string; option: string; value: string; note: string }
  /**
   * Add the module-level statement `<alias> = <model>`, marked, right after the class, so that code
   * that imports the old name keeps working. `model` is the name the alias points at: the class's
   * name after the batch (the new one when a `rename-class` of the batch renames it to `model`).
   */
  | { kind: 'add-alias'; model: string; alias: string; note: string }
  /** Remove the module-level `<alias> = <name>` and the blank lines before it, as if never added. */
  | { kind: 'remove-alias'; alias: string }
  /**
   * Point a relation at the renamed model: in field `field` of class `model` (its name before the
   * batch), the target written as a string, positional or `to=`, whose content is exactly `from`
   * (`Order`, `shop.Order`) becomes `to`, its quotes kept, and the line is marked. A target written
   * as a Python name (`Order`) is left alone: the alias keeps it working; with `classReference`,
   * a Python name that is exactly `from` becomes `to` (the class's own module, where both are defined).
   */
  | { kind: 'retarget-relation'; model: string; field: string; from: string; to: string; note: string; classReference?: boolean };

/**
 * A block of application code between `# >>> bg-scaffold <change> <k>/<N> <role>` and
 * `# <<< bg-scaffold <change> <k>/<N>`. Applying a phase first removes every block of the change's
 * earlier phases, then inserts this phase's blocks.
 */
export interface CodeBlock {
  /** `dual-write`, `dual-write-queryset`, `todo`, ... */
  role: string;
  model: string;
  /**
   * Where it goes: before the model's class statement (module level), at the end of the class body,
   * or at the start of the body of an existing method of the model (`save`).
   */
  anchor: 'before-class' | 'class-body-end' | 'method-start';
  method: string | null;
  /** Template name in the pack (`snippets/dual-write-save`), rendered with `data`. */
  template: string;
  data: Record<string, unknown>;
}
