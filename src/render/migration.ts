/** Renders one phase's migration file from the plan: a view of the plan data through the pack's templates. */
import { posix } from 'node:path';
import { runPythonFunctionName, stepLock, usesModels } from '../operations/shared/migration-steps.js';
import { linterIgnores } from '../operations/shared/linters.js';
import type { ChangePlan, MigrationOperation, Phase, StateOperation } from '../operations/shared/types.js';
import type { TemplateRenderer } from './pack.js';
import { toolVersion } from '../package-root.js';
import type { MigrationTemplateData, OperationPartialData, StatePartialData } from './template-data.js';
import { RUNTIME_MODULE } from '../runtime/runtime.js';

export interface RenderedFile {
  /** Relative posix path from the project root. */
  path: string;
  content: string;
}

export interface MigrationPlacement {
  number: number;
  dependencies: Array<[string, string]>;
}

/** The runtime module that generated PostgreSQL migrations import: the version this bg-scaffold ships. */
export const OPS_MODULE = RUNTIME_MODULE;

/** Python names each operation kind imports from the ops module. */
const OPS_CLASS: Partial<Record<MigrationOperation['kind'], string>> = {
  ddl: 'RunDDL',
  backfill: 'BackfillInBatches',
  'register-backfill': 'RegisterBackfill',
  'require-backfill-finished': 'RequireBackfillFinished',
  'set-not-null': 'SetNotNull',
  'drop-not-null': 'DropNotNull',
  'create-index': 'CreateIndexConcurrently',
  'add-foreign-key': 'AddForeignKey',
  'backwards-only': 'Backwards',
  'replace-foreign-key': 'ReplaceForeignKey',
  'drop-table': 'DropTable',
  'sync-column': 'SyncColumn',
  'mirror-column': 'MirrorColumn',
  'swap-columns': 'SwapColumns',
  'drop-index': 'DropIndexConcurrently',
  'add-index-concurrently': 'AddIndexConcurrently',
  'remove-index-concurrently': 'RemoveIndexConcurrently',
  'add-constraint-concurrently': 'AddConstraintConcurrently',
};

export function migrationFileName(number: number, slug: string): string {
  return `${String(number).padStart(4, '0')}_${slug}.py`;
}

export function migrationName(number: number, slug: string): string {
  return migrationFileName(number, slug).replace(/\.py$/, '');
}

function walk(operations: MigrationOperation[], visit: (op: MigrationOperation) => void): void {
  for (const op of operations) {
    visit(op);
    if (op.kind === 'backwards-only') walk([op.operation], visit);
  }
}

export function opsClassesUsed(phase: Phase): string[] {
  const names = new Set<string>();
  if (phase.migration) {
    walk(phase.migration.operations, (op) => OPS_CLASS[op.kind] && names.add(OPS_CLASS[op.kind]!));
    const ignores = linterIgnores(phase.migration.operations);
    if (ignores.squawk.length) names.add('SquawkIgnore');
    if (ignores.migrationLinter.length) names.add('MigrationLinterIgnore');
  }
  return [...names].sort();
}

function stateView(op: StateOperation): StatePartialData {
  return { ...op, partial: `state/${op.kind}` };
}

function operationView(op: MigrationOperation, plan: ChangePlan): OperationPartialData {
  const common = { partial: `operations/${op.kind}`, lock: stepLock(op, plan.lock), batchSize: plan.batchSize, app: plan.app };
  switch (op.kind) {
    case 'state-only':
      return { ...op, ...common, operations: op.operations.map(stateView) };
    case 'django':
      return { ...op, ...common, operation: stateView(op.operation) };
    case 'separate':
      return { ...op, ...common, databaseOperations: op.databaseOperations.map(stateView), stateOperations: op.stateOperations.map(stateView) };
    case 'backwards-only':
      return { ...op, ...common, operation: operationView(op.operation, plan) };
    case 'backfill-orm':
    case 'drop-column-portable':
    case 'drop-table-portable':
    case 'rename-model-records':
      return { ...op, ...common, functionName: runPythonFunctionName(op)! };
    case 'run-sql':
      return { ...op, ...common, stateOperations: op.stateOperations.map(stateView) };
    default:
      return { ...op, ...common };
  }
}

export function renderMigration(
  renderer: TemplateRenderer,
  plan: ChangePlan,
  phase: Phase,
  migrationsDir: string,
  placement: MigrationPlacement,
): RenderedFile {
  const migration = phase.migration;
  if (!migration) throw new Error(`phase ${phase.number} of ${plan.change} has no migration`);
  const operations = migration.operations.map((op) => operationView(op, plan));
  // The steps whose RunPython calls a function of this migration (`functions/<kind>`, above the class).
  const functions = operations.filter((_, index) => runPythonFunctionName(migration.operations[index]!) !== null);
  const fileName = migrationFileName(placement.number, migration.slug);
  const content = renderer.renderPython('migrations/migration', {
    toolVersion: toolVersion(),
    plan,
    phase,
    migration,
    marker: { change: plan.change, op: plan.op, phase: phase.number, phases: phase.of },
    imports: migration.imports,
    usesModels: usesModels(migration.operations),
    opsModule: OPS_MODULE,
    opsClasses: opsClassesUsed(phase),
    dependencies: placement.dependencies,
    rollbackTo: placement.dependencies.find(([app]) => app === plan.app)?.[1] ?? null,
    linterIgnores: linterIgnores(migration.operations),
    operations,
    functions,
    planPath: `.bg-scaffold/${plan.change}/PLAN.md`,
  } satisfies MigrationTemplateData, fileName);
  return { path: posix.join(migrationsDir, fileName), content };
}
