/** `remove-column`: the request checked against the project, planned, and the code that must stop using the field named. */
import { referencesTo, referenceWarnings, withWarnings } from '../../commands/reference-warnings.js';
import type { StagedChange } from '../../commands/types.js';
import { appsWithInstalled, discoverProject, findField, findModel } from '../../project/discover.js';
import { readChangeRecords } from '../../record/change-record.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { REMOVE_COLUMN_HELP, REMOVE_COLUMN_OPTIONS } from './options.js';
import { changeIdForRemoveColumn, removeColumnPlan } from './plan.js';

export const removeColumn: Operation<typeof REMOVE_COLUMN_OPTIONS> = {
  name: 'remove-column',
  description: 'remove a model field and its column without breaking the release that is still serving',
  options: REMOVE_COLUMN_OPTIONS,
  help: REMOVE_COLUMN_HELP,
  changeId: (answers) => changeIdForRemoveColumn(answers.model, answers.field),
  async plan(facts, app, answers, common) {
    requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: answers.model, fields: [answers.field] });
    const model = findModel(app, answers.model);
    const field = findField(model, answers.field, app.label);
    requireInMigrations(app, model, field);
    const plan = removeColumnPlan({
      app,
      apps: appsWithInstalled(facts),
      model,
      field,
      fill: answers.fill,
      database: common.database,
      djangoVersion: common.djangoVersion ?? facts.djangoVersion,
      lock: common.lock,
      batchSize: common.batchSize,
      changeId: answers.changeId,
    });
    // The field's own statement is not a use of it.
    const definition = (file: string, line: number) => file === model.file && line >= field.line && line <= field.endLine;
    const references = await referencesTo(facts, [{ app: app.label, model: model.name, name: field.name, kind: 'field' }], (r) => definition(r.file, r.line));
    const removedIn = plan.phases.find((phase) => phase.modelEdits.some((edit) => edit.kind === 'remove-field'))!;
    const when = removedIn.number === 1 ? 'in this release' : `before release ${removedIn.number} ships`;
    return { plan: withWarnings(plan, referenceWarnings(references, `${model.name}.${field.name}`, when)) };
  },
};

export type RemoveColumnRequest = OperationRequest<typeof REMOVE_COLUMN_OPTIONS>;

/** Discovers the project and stages phase 1 of a removal (tests and scripts; the CLI discovers once and calls stageOperation). */
export async function stageRemoveColumn(request: RemoveColumnRequest): Promise<StagedChange> {
  return stageOperation(removeColumn, await discoverProject(request.projectDir, request), request);
}
