/**
 * The shape the index and constraint operations share: one release whose code is the same on both
 * sides, one migration, and edits to models.py that say what Django's state becomes.
 */
import type { Database } from '../../project/types.js';
import type { ChangePlan, LockSettings, MigrationOperation, ModelEdit, Operation, Phase } from './types.js';
import { verifiedOn } from './verified-on.js';
import { sqliteWarning } from './warnings.js';

export interface SingleReleaseChange {
  op: Operation;
  change: string;
  app: string;
  model: string;
  inputs: ChangePlan['inputs'];
  strategy: string;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  /** Phase name, used in the migration's title line: `index`, `unique`, `check`. */
  name: string;
  title: string;
  state: string;
  /** What the migration does, for PLAN.md. */
  migrationDoes: string;
  /** What the previous release must not do once the migration runs, if anything. */
  previousRelease: string | null;
  risks: string[];
  slug: string;
  why: string[];
  operations: MigrationOperation[];
  imports?: string[];
  modelEdits: ModelEdit[];
  rollbackLoses?: string;
}

/** A one-release plan: the migration runs while the previous release serves; both then serve on the new schema. */
export function singleReleasePlan(c: SingleReleaseChange): ChangePlan {
  const postgres = c.database === 'postgresql';
  const phase: Phase = {
    number: 1,
    of: 1,
    name: c.name,
    title: c.title,
    state: c.state,
    database: c.migrationDoes,
    code: 'The same code: only the model declaration changes.',
    serving: {
      duringMigration: c.previousRelease ? `the previous release, which ${c.previousRelease}` : 'the previous release',
      afterSwitch: ['the previous release and this one, on the same schema'],
    },
    beforeNext: ['Nothing: the change is complete.'],
    risks: c.risks,
    migration: {
      slug: c.slug.slice(0, 60),
      // CONCURRENTLY refuses a transaction block, and each step commits on its own.
      atomic: !postgres,
      why: c.why,
      imports: (c.imports ?? []).filter((line) => line !== 'from django.db import models' && line !== 'from django.db import migrations'),
      irreversible: null,
      ...(c.rollbackLoses ? { rollbackLoses: c.rollbackLoses } : {}),
      operations: c.operations,
    },
    modelEdits: c.modelEdits,
    codeBlocks: [],
  };
  // The strategy names PostgreSQL's way (concurrently, not valid then validate); elsewhere the
  // migration is Django's own operation.
  const strategy = c.database === 'postgresql' ? c.strategy : 'django-operation';
  return {
    schemaVersion: 1,
    change: c.change,
    op: c.op,
    app: c.app,
    model: c.model,
    inputs: c.inputs,
    strategy,
    database: c.database,
    lock: c.lock,
    batchSize: c.batchSize,
    phases: [phase],
    warnings: c.database === 'sqlite' ? [sqliteWarning()] : [],
    verifiedOn: verifiedOn(c.op, strategy, c.database),
  };
}

/** What other databases do with Django's own operation, for PLAN.md and the migration's comment. */
export function portableLocking(database: Database): string {
  return database === 'mysql'
    ? 'MySQL builds it online for most index changes, but takes a metadata lock that queues behind long transactions'
    : 'SQLite holds the database\'s write lock while it builds';
}
