/** `drop-not-null`: the request checked against the project and planned. */
import type { StagedChange } from '../../commands/types.js';
import { discoverProject, findField, findModel } from '../../project/discover.js';
import { readChangeRecords } from '../../record/change-record.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { deriveChangeId } from '../shared/names.js';
import { DROP_NOT_NULL_HELP, DROP_NOT_NULL_OPTIONS } from './options.js';
import { dropNotNullPlan } from './plan.js';

export const dropNotNull: Operation<typeof DROP_NOT_NULL_OPTIONS> = {
  name: 'drop-not-null',
  description: 'let a NOT NULL field be NULL (metadata only, one release)',
  options: DROP_NOT_NULL_OPTIONS,
  help: DROP_NOT_NULL_HELP,
  changeId: (answers) => deriveChangeId([answers.model, answers.field, 'nullable']),
  async plan(facts, app, answers, common) {
    requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: answers.model, fields: [answers.field] });
    const model = findModel(app, answers.model);
    const field = findField(model, answers.field, app.label);
    requireInMigrations(app, model, field);
    return { plan: dropNotNullPlan({ app, model, field, database: common.database, lock: common.lock, batchSize: common.batchSize, changeId: answers.changeId }) };
  },
};

export type DropNotNullRequest = OperationRequest<typeof DROP_NOT_NULL_OPTIONS>;

export async function stageDropNotNull(request: DropNotNullRequest): Promise<StagedChange> {
  return stageOperation(dropNotNull, await discoverProject(request.projectDir, request), request);
}
