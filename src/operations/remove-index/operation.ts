/** `remove-index`: the request checked against the project and planned. */
import type { StagedChange } from '../../commands/types.js';
import { discoverProject } from '../../project/discover.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { fieldOrMetaTarget } from '../shared/field-or-meta.js';
import { deriveChangeId } from '../shared/names.js';
import { REMOVE_INDEX_HELP, REMOVE_INDEX_OPTIONS } from './options.js';
import { removeIndexPlan } from './plan.js';

export const removeIndex: Operation<typeof REMOVE_INDEX_OPTIONS> = {
  name: 'remove-index',
  description: 'drop an index (a field\'s own, or a Meta index) CONCURRENTLY, without queueing reads or writes',
  options: REMOVE_INDEX_OPTIONS,
  help: REMOVE_INDEX_HELP,
  changeId: (answers) => (answers.field !== undefined ? deriveChangeId([answers.model, answers.field, 'no', 'index']) : deriveChangeId(['drop', answers.name ?? 'index'])),
  async plan(facts, app, answers, common) {
    const { model, field } = fieldOrMetaTarget(facts, app, answers);
    return {
      plan: removeIndexPlan({ app, model, field, name: answers.name, database: common.database, lock: common.lock, batchSize: common.batchSize, changeId: answers.changeId }),
    };
  },
};

export type RemoveIndexRequest = OperationRequest<typeof REMOVE_INDEX_OPTIONS>;

export async function stageRemoveIndex(request: RemoveIndexRequest): Promise<StagedChange> {
  return stageOperation(removeIndex, await discoverProject(request.projectDir, request), request);
}
