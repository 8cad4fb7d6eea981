/** Renders one phase's migration file from the plan: a view of the plan data through the pack's templates. */
import { posix } from 'node:path';
import type { ChangePlan, MigrationOperation, Phase, StateOperation } from '../operations/shared/types.js';
import type { TemplateRenderer } from './pack.js';
import { toolVersion } from './pack.js';
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

/** How long a CREATE INDEX CONCURRENTLY step may wait for transactions that were open when it started. */
export const INDEX_LOCK_TIMEOUT = '1min';

/** Python names each operation kind imports from the ops module. */
const OPS_CLASS: Partial<Record<MigrationOperation['kind'], string>> = {
  ddl: 'RunDDL',
  backfill: 'BackfillInBatches',
  'set-not-null': 'SetNotNull',
  'drop-not-null': 'DropNotNull',
  'create-index': 'CreateIndexConcurrently',
  'add-foreign-key': 'AddForeignKey',
  'backwards-only': 'Backwards',
  'replace-foreign-key': 'ReplaceForeignKey',
  'drop-table': 'DropTable',
};

/** Operation kinds that render a module-level function (`functions/<kind>`) for their RunPython. */
const FUNCTION_KINDS = new Set<MigrationOperation['kind']>(['backfill-orm', 'drop-column-portable', 'backfill-function', 'backfill-sql-portable', 'drop-table-portable']);

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

/**
 * A field or option expression that names `models.` anywhere, not only at its start:
 * `django.contrib.postgres.fields.ArrayField(base_field=models.TextField())` needs the import too.
 */
const USES_MODELS = /"(?:field|value|index|constraint)":"(?:[^"\\]|\\.)*?\bmodels\./;

export function opsClassesUsed(phase: Phase): string[] {
  const names = new Set<string>();
  if (phase.migration) walk(phase.migration.operations, (op) => OPS_CLASS[op.kind] && names.add(OPS_CLASS[op.kind]!));
  return [...names].sort();
}

function stateView(op: StateOperation): StatePartialData {
  return { ...op, partial: `state/${op.kind}` };
}

function operationView(op: MigrationOperation, plan: ChangePlan): OperationPartialData {
  const common = { partial: `operations/${op.kind}`, lock: plan.lock, batchSize: plan.batchSize, app: plan.app };
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
      return { ...op, ...common, functionName: `copy_${op.source}_to_${op.target}` };
    case 'create-index':
      // CONCURRENTLY blocks neither reads nor writes while it waits for open transactions, so a
      // longer wait costs nothing; the short timeout is for steps that queue ahead of traffic.
      return { ...op, ...common, lock: { ...plan.lock, lockTimeout: INDEX_LOCK_TIMEOUT } };
    case 'drop-column-portable':
      return { ...op, ...common, functionName: `drop_${op.table}_${op.column}` };
    case 'drop-table-portable':
      return { ...op, ...common, functionName: `drop_${op.tables[op.tables.length - 1]}` };
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
  const functions = operations.filter((op) => FUNCTION_KINDS.has(op.kind as MigrationOperation['kind']));
  const usesModels = USES_MODELS.test(JSON.stringify(migration.operations));
  const fileName = migrationFileName(placement.number, migration.slug);
  const content = renderer.renderPython('migrations/migration', {
    toolVersion: toolVersion(),
    plan,
    phase,
    migration,
    marker: { change: plan.change, op: plan.op, phase: phase.number, phases: phase.of },
    imports: migration.imports,
    usesModels,
    opsModule: OPS_MODULE,
    opsClasses: opsClassesUsed(phase),
    dependencies: placement.dependencies,
    rollbackTo: placement.dependencies.find(([app]) => app === plan.app)?.[1] ?? null,
    operations,
    functions,
    planPath: `.bg-scaffold/${plan.change}/PLAN.md`,
  } satisfies MigrationTemplateData, fileName);
  return { path: posix.join(migrationsDir, fileName), content };
}
