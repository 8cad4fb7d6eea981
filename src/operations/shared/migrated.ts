/**
 * Whether makemigrations has seen a model or field: a plan's migration depends on the app's leaf
 * and alters the model in Django's migration state, so a model no migration creates fails at
 * migrate (`KeyError: ('library', 'fresh')`), and a field none adds fails there too. Read from the
 * text of the app's migrations (src/project/migrations.ts). Pure.
 */
import { fail } from '../../errors.js';
import type { DjangoApp, DjangoField, DjangoModel, MigrationStateOperation } from '../../project/types.js';

/** The model's name and every name a RenameModel gave it before, lower case as Django's state has them. */
function namesInState(model: DjangoModel, operations: MigrationStateOperation[]): Set<string> {
  const names = new Set([model.name.toLowerCase()]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const op of operations) {
      if (op.kind === 'RenameModel' && names.has(op.newName.toLowerCase()) && !names.has(op.oldName.toLowerCase())) {
        names.add(op.oldName.toLowerCase());
        changed = true;
      }
    }
  }
  return names;
}

/** Fields with no field of their own in migrations: Django keeps them out of its migration state. */
function stateless(field: DjangoField): boolean {
  return !!field.django?.generic || /^Generic(ForeignKey|Relation)$/.test(field.fieldClass);
}

/**
 * Refuses a model that no migration of its app creates yet, and (when given) a field that no
 * migration adds to it: both need `makemigrations` before a phased change can build on them.
 */
export function requireInMigrations(app: DjangoApp, model: DjangoModel, field?: DjangoField): void {
  const operations = app.migrations.flatMap((migration) => migration.stateOperations);
  const names = namesInState(model, operations);
  const makemigrations = `run "python manage.py makemigrations ${app.label}" first`;
  if (!operations.some((op) => op.kind === 'CreateModel' && names.has(op.model.toLowerCase()))) {
    fail(`${app.label}.${model.name} is not in any migration yet: ${makemigrations}`);
  }
  if (!field || stateless(field)) return;
  const ofModel = (name: string) => names.has(name.toLowerCase());
  const added = operations.some(
    (op) =>
      (op.kind === 'CreateModel' && ofModel(op.model) && op.fields.includes(field.name)) ||
      (op.kind === 'AddField' && ofModel(op.model) && op.field === field.name) ||
      (op.kind === 'RenameField' && ofModel(op.model) && op.newName === field.name),
  );
  if (!added) fail(`${app.label}.${model.name}.${field.name} is not in any migration yet: ${makemigrations}`);
}
