/**
 * What a migration's steps need beyond the data plan.json keeps for them, decided here from that
 * data so that rendering only views the plan (and plans recorded by earlier versions render the
 * same): the lock settings each step runs under, the function a RunPython step calls, and whether
 * the migration writes `models.` expressions.
 */
import type { LockSettings, MigrationOperation, StateOperation } from './types.js';

/** How long a CREATE INDEX CONCURRENTLY step may wait for transactions that were open when it started. */
export const INDEX_LOCK_TIMEOUT = '1min';

/**
 * The plan's lock settings, except for CREATE INDEX CONCURRENTLY: it blocks neither reads nor
 * writes while it waits for open transactions, so a longer wait costs nothing; the short timeout
 * is for steps that queue ahead of traffic.
 */
export function stepLock(op: MigrationOperation, lock: LockSettings): LockSettings {
  return ['create-index', 'drop-index', 'mirror-column', 'add-index-concurrently', 'remove-index-concurrently', 'add-constraint-concurrently'].includes(op.kind) ? { ...lock, lockTimeout: INDEX_LOCK_TIMEOUT } : lock;
}

/**
 * The module-level function a step's RunPython calls (rendered through `functions/<kind>`): the
 * plan's own name where it gives one, else named after what it does. Null for other steps.
 */
export function runPythonFunctionName(op: MigrationOperation): string | null {
  switch (op.kind) {
    case 'backfill-orm':
      return `copy_${op.source}_to_${op.target}`;
    case 'drop-column-portable':
      return `drop_${op.table}_${op.column}`;
    case 'drop-table-portable':
      return `drop_${op.tables[op.tables.length - 1]}`;
    case 'backfill-function':
    case 'backfill-sql-portable':
      return op.functionName;
    case 'rename-model-records':
      return op.step === 'rename' ? `rename_${op.oldModel}_records` : `retire_${op.oldModel}_permissions`;
    default:
      return null;
  }
}

/** The Python expressions a state operation writes: fields, Meta option values, indexes, constraints. */
function stateExpressions(op: StateOperation): string[] {
  switch (op.kind) {
    case 'AddField':
    case 'AlterField':
      return [op.field];
    case 'AlterModelOptions':
      return op.options.map((option) => option.value);
    case 'AddIndex':
      return [op.index];
    case 'AddConstraint':
      return [op.constraint];
    default:
      return [];
  }
}


/** The Python expressions a step writes, its nested state operations' included. */
function stepExpressions(op: MigrationOperation): string[] {
  switch (op.kind) {
    case 'state-only':
      return op.operations.flatMap(stateExpressions);
    case 'django':
      return stateExpressions(op.operation);
    case 'separate':
      return [...op.databaseOperations, ...op.stateOperations].flatMap(stateExpressions);
    case 'run-sql':
      return op.stateOperations.flatMap(stateExpressions);
    case 'drop-column-portable':
      return op.reverseAddField ? stateExpressions(op.reverseAddField) : [];
    case 'drop-table':
      return op.model ? [...op.model.fields.map((field) => field.field), ...Object.values(op.model.options)] : [];
    case 'backwards-only':
      return stepExpressions(op.operation);
    case 'add-index-concurrently':
      return [op.index];
    case 'add-constraint-concurrently':
      return [op.constraint];
    default:
      return [];
  }
}

/**
 * True when an expression the migration writes names `models.` anywhere, not only at its start:
 * `django.contrib.postgres.fields.ArrayField(base_field=models.TextField())` needs the import too.
 */
export function usesModels(operations: MigrationOperation[]): boolean {
  return operations.flatMap(stepExpressions).some((expression) => /\bmodels\./.test(expression));
}
