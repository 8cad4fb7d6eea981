/**
 * add-check: a Meta `CheckConstraint`, added NOT VALID under lock_timeout (new writes are checked
 * from then on) and validated in its own transaction, under a lock writers pass (DESIGN §2).
 * Violating rows are counted first: the migration stops, saying how many, before any lock.
 * One release. Pure: request → ChangePlan.
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoModel } from '../../project/types.js';
import { requireTable } from '../shared/django-fields.js';
import { djangoAtLeast } from '../shared/django-version.js';
import { conditionExpression, conditionFields, requireFreeName } from '../shared/indexes.js';
import { deriveChangeId, validateChangeId } from '../shared/names.js';
import { pythonString } from '../shared/python-literals.js';
import { portableLocking, singleReleasePlan } from '../shared/single-release.js';
import type { ChangePlan, LockSettings, MigrationOperation } from '../shared/types.js';

export interface AddCheckInput {
  app: DjangoApp;
  apps: DjangoApp[];
  model: DjangoModel;
  condition: string;
  name?: string;
  database: Database;
  /** `major.minor`: Django 5.1 renamed CheckConstraint's `check` to `condition` (6.0 removed `check`). */
  djangoVersion: string | null;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

/** `models.CheckConstraint(condition=..., name=...)`, with the keyword the project's Django takes. */
export function checkConstraintExpression(condition: string, name: string, djangoVersion: string | null): string {
  const keyword = djangoAtLeast(djangoVersion, '5.1') ? 'condition' : 'check';
  return `models.CheckConstraint(${keyword}=${condition}, name=${pythonString(name)})`;
}

export function addCheckPlan(input: AddCheckInput): ChangePlan {
  const { app, model, database } = input;
  requireTable(model, 'add the constraint');
  const condition = conditionExpression(input.condition, model);
  const looked = conditionFields(condition).map((name) => model.fields.find((f) => f.name === name)?.column ?? name);
  const name = input.name ?? `${model.dbTable}_${looked.join('_')}_check`;
  requireFreeName(name, input.apps, 'constraint', input.name !== undefined);
  const change = input.changeId ?? deriveChangeId([model.name, ...conditionFields(condition), 'check']);
  validateChangeId(change);
  const constraint = checkConstraintExpression(condition, name, input.djangoVersion);
  const modelName = model.name.toLowerCase();
  const postgres = database === 'postgresql';
  const operations: MigrationOperation[] = postgres
    ? [{ kind: 'add-constraint-concurrently', comment: "Django's AddConstraint: violations counted first, then NOT VALID (new writes checked) and VALIDATE, each its own transaction.", modelName, constraint }]
    : [{ kind: 'django', comment: `Django's AddConstraint: ${portableLocking(database)}.`, operation: { kind: 'AddConstraint', modelName, constraint } }];
  return singleReleasePlan({
    op: 'add-check',
    change,
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, condition: input.condition, name, database },
    strategy: 'not-valid-then-validate',
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    name: 'check',
    title: `Check ${model.name}: ${input.condition.trim()}`,
    state: `\`Meta.constraints\` gains \`${name}\`.`,
    migrationDoes: postgres
      ? `Violating rows counted first; the CHECK added NOT VALID (a brief lock under lock_timeout; new writes are checked from then on), then VALIDATE CONSTRAINT, which scans under a lock writers pass.`
      : `Django's AddConstraint: ${portableLocking(database)}.`,
    previousRelease: 'must not write a row the check refuses',
    risks: ['Once the constraint is added, a write of the previous release that breaks it fails with an IntegrityError: make sure its code cannot write such a row before shipping.'],
    slug: `${modelName}_${conditionFields(condition).join("_")}_check`,
    why: postgres
      ? [
          'ADD CONSTRAINT … CHECK scans every row under a lock that stops reads and writes. Added NOT',
          'VALID it only changes the catalog; VALIDATE CONSTRAINT then scans under a lock writers pass.',
          'Violating rows are counted before any lock: the migration stops, saying how many.',
        ]
      : [`Django's own AddConstraint: ${portableLocking(database)}.`],
    operations,
    modelEdits: [{ kind: 'add-meta-entry', model: model.name, list: 'constraints', entry: constraint, note: 'checked' }],
  });
}
