/**
 * drop-not-null: a NOT NULL field becomes nullable (DESIGN §2 "Further operations"). Pure:
 * (request, project facts) → ChangePlan. DROP NOT NULL is metadata only on every database Django
 * supports but SQLite (which rebuilds the table): one release. The previous release never writes
 * NULL, so it is unaffected by the schema; what it may not expect is to *read* a NULL, so this
 * release's code writes None only once the previous release is retired.
 */
import { fail } from '../../errors.js';
import type { Database, DjangoApp, DjangoField, DjangoModel } from '../../project/types.js';
import { migrationFieldExpression, requireConcreteColumn, requireTable } from '../shared/django-fields.js';
import { deriveChangeId, validateChangeId } from '../shared/names.js';
import type { ChangePlan, LockSettings, MigrationOperation, StateOperation } from '../shared/types.js';
import { verifiedOn } from '../shared/verified-on.js';
import { sqliteWarning } from '../shared/warnings.js';

export interface DropNotNullInput {
  app: DjangoApp;
  model: DjangoModel;
  field: DjangoField;
  database: Database;
  lock: LockSettings;
  batchSize: number;
  changeId: string | undefined;
}

export function dropNotNullPlan(input: DropNotNullInput): ChangePlan {
  const { app, model, field, database } = input;
  requireTable(model, 'change the field');
  requireConcreteColumn(model, field, '--field', 'change');
  if (field.nullable) fail(`${model.name}.${field.name} is already nullable (null=True); bg-scaffold set-not-null does the opposite`);
  const change = input.changeId ?? deriveChangeId([model.name, field.name, 'nullable']);
  validateChangeId(change);
  const nullable = migrationFieldExpression(field, app.label, { set: { null: 'True' } });
  const alter: StateOperation = { kind: 'AlterField', modelName: model.name.toLowerCase(), name: field.name, field: nullable.source };
  const postgres = database === 'postgresql';
  const operations: MigrationOperation[] = postgres
    ? [
        {
          kind: 'drop-not-null',
          comment: 'Metadata only: no scan, no rewrite; a brief lock under lock_timeout.',
          table: model.dbTable,
          column: field.column,
          onPurpose: { does: ['drop-not-null'], because: `Neither serving release writes NULL yet: the previous release is retired before any code writes None into ${field.name} (PLAN.md says so).` },
        },
        { kind: 'state-only', comment: `Django's state: ${field.name} is nullable; the database change is above.`, operations: [alter] },
      ]
    : [{ kind: 'django', comment: `Django's AlterField${database === 'sqlite' ? ': SQLite rebuilds the table' : ''}.`, operation: alter }];
  return {
    schemaVersion: 1,
    change,
    op: 'drop-not-null',
    app: app.label,
    model: model.name,
    inputs: { app: app.label, model: model.name, field: field.name, database },
    strategy: 'single-release',
    database,
    lock: input.lock,
    batchSize: input.batchSize,
    phases: [
      {
        number: 1,
        of: 1,
        name: 'nullable',
        title: `Let ${model.name}.${field.name} be NULL`,
        state: `\`${field.name}\` gets \`null=True\`.`,
        database: postgres ? 'ALTER COLUMN … DROP NOT NULL under lock_timeout: metadata only.' : "Django's AlterField.",
        code: `The same code. Write None into ${field.name} only once the previous release is retired: it may not expect to read one.`,
        serving: { duringMigration: 'the previous release', afterSwitch: ['the previous release and this one: neither writes NULL yet'] },
        beforeNext: [`Retire the previous release before any code writes None into ${field.name}.`],
        risks: [`Migrating backwards sets NOT NULL again, which fails while rows hold NULL in ${model.dbTable}.${field.column}: fill them first.`],
        migration: {
          slug: `${model.name.toLowerCase()}_${field.name}_nullable`.slice(0, 60),
          atomic: !postgres,
          why: postgres
            ? ['DROP NOT NULL changes only the catalog; its brief lock is taken under lock_timeout with retries.', 'Backwards, NOT NULL comes back through a validated CHECK, without a long lock.']
            : [`Django's own AlterField${database === 'sqlite' ? ', for which SQLite rebuilds the table' : ''}.`],
          imports: nullable.imports.filter((line) => line !== 'from django.db import models'),
          irreversible: null,
          operations,
        },
        modelEdits: [{ kind: 'edit-field', model: model.name, field: field.name, rename: null, setKwargs: { null: 'True' }, removeKwargs: [], note: 'nullable' }],
        codeBlocks: [],
      },
    ],
    warnings: database === 'sqlite' ? [sqliteWarning()] : [],
    verifiedOn: verifiedOn('drop-not-null', 'single-release', database),
  };
}

/** Whether a field is one drop-not-null takes, for the field list: the reason it is not, or undefined. */
export function nullableRefusal(field: DjangoField): string | undefined {
  if (field.primaryKey) return 'the primary key';
  if (field.fieldClass === 'ManyToManyField' || field.column === '') return 'no column of its own';
  if (field.inheritedFrom) return `declared in ${field.inheritedFrom.className}`;
  if (field.nullable) return 'already nullable';
  return undefined;
}
