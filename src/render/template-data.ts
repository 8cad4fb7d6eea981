/**
 * The data each template of the pack receives: the template API that packs are written against
 * (TEMPLATE_API_VERSION in pack.ts). The renderers build their data as these types, and
 * docs/templates.md is generated from this file (`npm run docs:templates`), so neither can drift.
 *
 * Adding a template to the built-in pack means declaring its data in TemplateDataByName below.
 */
import type { ChangePlan, LockSettings, MigrationOperation, MigrationSpec, Operation, Phase, StateOperation } from '../operations/shared/types.js';
import type { LinterIgnores } from '../operations/shared/linters.js';

/** The `BG_SCAFFOLD = {...}` constant of a migration. */
export interface MigrationMarker {
  change: string;
  op: Operation;
  /** 1-based phase number. */
  phase: number;
  /** How many phases the change has. */
  phases: number;
}

/** `migrations/migration`: one phase's migration file. */
export interface MigrationTemplateData {
  /** bg-scaffold's version, for the header. */
  toolVersion: string;
  plan: ChangePlan;
  phase: Phase;
  /** The phase's migration (`phase.migration`, never null here). */
  migration: MigrationSpec;
  marker: MigrationMarker;
  /** Import lines beyond `from django.db import migrations, models` (`migration.imports`). */
  imports: string[];
  /** True when an operation writes a field expression (`models.X(...)`): import `models` too. */
  usesModels: boolean;
  /** The runtime module next to the migrations, its version in its name: `_bg_scaffold_v3`. A static file that packs do not override. */
  opsModule: string;
  /** Classes this migration imports from the operations module, sorted: `RunDDL`, `SetNotNull`, ... */
  opsClasses: string[];
  /** `(app_label, migration_name)` pairs of `Migration.dependencies`. */
  dependencies: Array<[string, string]>;
  /** The migration this one comes after in its app: `migrate <app> <rollbackTo>` rolls it back. */
  rollbackTo: string | null;
  /**
   * What the operations do on purpose that migration linters flag in general (their `onPurpose`),
   * as each linter's ignores: squawk's rules and django-migration-linter's checks, each with why it
   * is safe here. Rendered first in `operations` (`migration/linter-ignores`); empty lists when none.
   */
  linterIgnores: LinterIgnores;
  /** The operations, in order; each renders through the partial named by its `partial`. */
  operations: OperationPartialData[];
  /** The operations that also render a module-level function (`functions/<kind>`) for RunPython. */
  functions: OperationPartialData[];
  /** The change's PLAN.md, relative to the project: `.bg-scaffold/<change>/PLAN.md`. */
  planPath: string;
}

/** What every operation partial receives besides the operation's own fields. */
export interface OperationPartialCommon {
  /** The partial it renders through: `operations/<kind>`. */
  partial: string;
  /** lock_timeout and retries for its DDL steps (`1min` for CREATE INDEX CONCURRENTLY). */
  lock: LockSettings;
  /** Rows per backfill batch. */
  batchSize: number;
  /** The Django app label. */
  app: string;
}

/** A StateOperation as its partial (`state/<kind>`) receives it. */
export type StatePartialData<K extends StateOperation['kind'] = StateOperation['kind']> = K extends StateOperation['kind']
  ? Extract<StateOperation, { kind: K }> & {
      /** `state/<kind>`. */
      partial: string;
    }
  : never;

/** Fields an operation's view replaces or adds, by kind. */
export interface OperationViewFields {
  'state-only': { operations: StatePartialData[] };
  django: { operation: StatePartialData };
  separate: { databaseOperations: StatePartialData[]; stateOperations: StatePartialData[] };
  'backwards-only': { operation: OperationPartialData };
  'run-sql': { stateOperations: StatePartialData[] };
  'backfill-orm': {
    /** The module-level function the RunPython calls: `copy_<source>_to_<target>`. */
    functionName: string;
  };
  'drop-column-portable': {
    /** The module-level function the RunPython calls: `drop_<table>_<column>`. */
    functionName: string;
  };
  'drop-table-portable': {
    /** The module-level function the RunPython calls: `drop_<table>`. */
    functionName: string;
  };
  'rename-model-records': {
    /** The module-level functions the RunPython calls: `rename_<old>_records` (and `..._backwards`), `retire_<old>_permissions`. */
    functionName: string;
  };
}

type ViewFieldsOf<K> = K extends keyof OperationViewFields ? OperationViewFields[K] : {};

/**
 * A MigrationOperation as its partial (`operations/<kind>`, and `functions/<kind>` for the kinds
 * that need a function) receives it: the operation's fields, with its nested operations as views.
 */
export type OperationPartialData<K extends MigrationOperation['kind'] = MigrationOperation['kind']> = K extends MigrationOperation['kind']
  ? Omit<Extract<MigrationOperation, { kind: K }>, keyof ViewFieldsOf<K>> & ViewFieldsOf<K> & OperationPartialCommon
  : never;

/** `record/PLAN`: the change record's PLAN.md. */
export interface PlanTemplateData {
  plan: ChangePlan;
  phases: PlanPhaseView[];
  /** How many phases are applied. */
  appliedCount: number;
  /** The Mermaid timeline's title (plain text). */
  title: string;
}

/** A phase as PLAN.md shows it. */
export type PlanPhaseView = Phase & {
  /** `generated 2026-11-24` (written into the tree: which databases have applied it, only they know), `next: bg-scaffold advance <change>`, or `pending`. */
  status: string;
  /** The phase's migration file: the real one once applied, else the expected one. */
  migrationFile: string | null;
  /** The migration it comes after (the rollback target). */
  rollbackTo: string | null;
  /** `<name>  <title>` as plain text for Mermaid. */
  timeline: string;
};

/** What every snippet (`snippets/*`, a CodeBlock's template) receives besides the block's data. */
export interface SnippetContext {
  /** The phase the block belongs to, as its marker lines say: `# >>> bg-scaffold <change> <phase>/<of> <role>`. */
  marker: { change: string; phase: number; of: number };
  plan: ChangePlan;
  phase: Phase;
}

/** The dual-write snippets of rename-column's copy strategy. */
export interface DualWriteSnippetData extends SnippetContext {
  change: string;
  /** The model class. */
  model: string;
  /** The field written by the application: its value is copied. */
  source: string;
  /** The field that follows `source`. */
  target: string;
  /** The QuerySet subclass the snippet defines: `<Model><Target>DualWriteQuerySet`. */
  className: string;
  /** What it extends: `models.QuerySet`, or the model's own QuerySet (`BookQuerySet`). */
  baseClass: string;
  /** The model's own `objects = <replaces>.as_manager()` that the dual-write manager takes over from, or null. */
  replaces: string | null;
  /** False when the model has its own manager bg-scaffold cannot extend: QuerySet.update() and bulk methods are then not covered. */
  coversQuerySet: boolean;
}

/** add-column's marked TODO: write the new field on every insert and update. */
export interface AddColumnWriteTodoSnippetData extends SnippetContext {
  change: string;
  model: string;
  /** The new field. */
  field: string;
  /** Its column. */
  column: string;
  /** Where the model's rows are written, e.g. `Order.objects.create()`, `Order.save()`. */
  writePaths: string[];
}

/** set-not-null's release 1: a NULL loaded before the fill is saved as the field's default. */
export interface NotNullSaveSnippetData extends SnippetContext {
  change: string;
  model: string;
  field: string;
  /** The default, as Python source: `0`, `"none"`. */
  default: string;
}

/**
 * Every template of the built-in pack and the data it receives, by template name. Partials
 * receive the data of the template that includes them unless it passes them other data:
 * `migration/*` hooks get the migration's, `operations/*` and `functions/*` an operation view.
 */
export type TemplateDataByName = {
  'migrations/migration': MigrationTemplateData;
  'record/PLAN': PlanTemplateData;
  'partials/migration/top': MigrationTemplateData;
  'partials/migration/imports': MigrationTemplateData;
  'partials/migration/class-attributes': MigrationTemplateData;
  'partials/migration/linter-ignores': MigrationTemplateData;
  'snippets/dual-write-queryset': DualWriteSnippetData;
  'snippets/dual-write-manager': DualWriteSnippetData;
  'snippets/dual-write-save': DualWriteSnippetData;
  'snippets/dual-write-save-start': DualWriteSnippetData;
  'snippets/add-column-write-todo': AddColumnWriteTodoSnippetData;
  'snippets/not-null-save': NotNullSaveSnippetData;
  'snippets/not-null-save-start': NotNullSaveSnippetData;
} & { [K in MigrationOperation['kind'] as `partials/operations/${K}`]: OperationPartialData<K> } & {
  [K in MigrationOperation['kind'] as `partials/functions/${K}`]: OperationPartialData<K>;
} & { [K in StateOperation['kind'] as `partials/state/${K}`]: StatePartialData<K> };
