/** `set-not-null`: the request checked against the project and planned. */
import type { StagedChange } from '../../commands/types.js';
import { estimateRows } from '../../project/row-estimate.js';
import { discoverProject, findField, findModel } from '../../project/discover.js';
import { readChangeRecords } from '../../record/change-record.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { deriveChangeId } from '../shared/names.js';
import { SET_NOT_NULL_HELP, SET_NOT_NULL_OPTIONS } from './options.js';
import { setNotNullPlan } from './plan.js';

export const setNotNull: Operation<typeof SET_NOT_NULL_OPTIONS> = {
  name: 'set-not-null',
  description: 'make a nullable field NOT NULL without a long lock and without breaking the release that is still serving',
  options: SET_NOT_NULL_OPTIONS,
  help: SET_NOT_NULL_HELP,
  changeId: (answers) => deriveChangeId([answers.model, answers.field, 'not', 'null']),
  async plan(facts, app, answers, common) {
    requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: answers.model, fields: [answers.field] });
    const model = findModel(app, answers.model);
    const field = findField(model, answers.field, app.label);
    requireInMigrations(app, model, field);
    const plan = setNotNullPlan({
      app,
      model,
      field,
      fill: answers.fill,
      fillSql: answers.fillSql,
      backfill: answers.backfill,
      rowsEstimate: answers.databaseUrl ? await estimateRows(answers.databaseUrl, model.dbTable, facts.root) : null,
      database: common.database,
      lock: common.lock,
      batchSize: common.batchSize,
      changeId: answers.changeId,
    });
    return { plan };
  },
};

export type SetNotNullRequest = OperationRequest<typeof SET_NOT_NULL_OPTIONS>;

/** Discovers the project and stages phase 1 (tests and scripts; the CLI discovers once and calls stageOperation). */
export async function stageSetNotNull(request: SetNotNullRequest): Promise<StagedChange> {
  return stageOperation(setNotNull, await discoverProject(request.projectDir, request), request);
}
