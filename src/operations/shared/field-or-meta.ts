/**
 * What the index and constraint operations plan on: a field of the model (`--field`), or the
 * model itself for a Meta entry. Checked as every operation checks its target: found, not held by
 * a change in flight, and known to the app's migrations.
 */
import { findField, findModel } from '../../project/discover.js';
import type { DjangoApp, DjangoField, DjangoModel, ProjectFacts } from '../../project/types.js';
import { readChangeRecords } from '../../record/change-record.js';
import { requireNotInFlight } from './in-flight.js';
import { requireInMigrations } from './migrated.js';

export function fieldOrMetaTarget(facts: ProjectFacts, app: DjangoApp, answers: { model: string; field?: string }): { model: DjangoModel; field: DjangoField | undefined } {
  const model = findModel(app, answers.model);
  const field = answers.field !== undefined ? findField(model, answers.field, app.label) : undefined;
  requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: model.name, fields: field ? [field.name] : [] });
  if (field) requireInMigrations(app, model, field);
  else requireInMigrations(app, model);
  return { model, field };
}
