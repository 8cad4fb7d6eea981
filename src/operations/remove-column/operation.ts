/** `bg-scaffold remove-column`: discover → plan → render → stage. The CLI commits or prints the diff. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BgScaffoldError } from '../../errors.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { changeIdForRemoveColumn, removeColumnPlan } from './plan.js';
import { appsWithInstalled, discoverProject, findApp, findField, findModel } from '../../project/discover.js';
import { readChangeRecords, recordDir } from '../../record/change-record.js';
import { resolveCommon } from '../../commands/options.js';
import { referencesTo, referenceWarnings, withWarnings } from '../../commands/reference-warnings.js';
import { stageNewChange } from '../rename-column/operation.js';
import type { CommonOptions, StagedChange } from '../../commands/types.js';

export interface RemoveColumnRequest extends CommonOptions {
  app: string;
  model: string;
  field: string;
  /** The database default that rows inserted without the field get (`--fill`). */
  fill?: string;
  /** Overrides the derived change id (`remove-order-note`). */
  changeId?: string;
}

export async function stageRemoveColumn(req: RemoveColumnRequest): Promise<StagedChange> {
  const facts = await discoverProject(req.projectDir, req);
  const common = resolveCommon(req, facts);
  const app = findApp(facts, req.app);
  // Checked before the model and the field: once the change has gone on, the field is gone, and "unknown field" would mislead.
  const change = req.changeId ?? changeIdForRemoveColumn(req.model, req.field);
  if (existsSync(join(facts.root, recordDir(change)))) {
    throw new BgScaffoldError(`change "${change}" already exists in ${recordDir(change)}/; run "bg-scaffold advance ${change}" to continue it, or pass --change-id to start another`);
  }
  requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: req.model, fields: [req.field] });
  const model = findModel(app, req.model);
  const field = findField(model, req.field, app.label);
  requireInMigrations(app, model, field);
  const plan = removeColumnPlan({
    app,
    apps: appsWithInstalled(facts),
    model,
    field,
    fill: req.fill,
    database: common.database,
    djangoVersion: req.djangoVersion ?? facts.djangoVersion,
    lock: common.lock,
    batchSize: common.batchSize,
    changeId: req.changeId,
  });

  // The field's own statement is not a use of it.
  const definition = (file: string, line: number) => file === model.file && line >= field.line && line <= field.endLine;
  const references = await referencesTo(facts.root, [{ app: app.label, model: model.name, name: field.name, kind: 'field' }], (r) => definition(r.file, r.line));
  const removedIn = plan.phases.find((phase) => phase.modelEdits.some((edit) => edit.kind === 'remove-field'))!;
  const when = removedIn.number === 1 ? 'in this release' : `before release ${removedIn.number} ships`;
  return stageNewChange(facts, withWarnings(plan, referenceWarnings(references, `${model.name}.${field.name}`, when)), common);
}
