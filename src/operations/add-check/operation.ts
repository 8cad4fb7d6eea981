/** `add-check`: the request checked against the project and planned. */
import type { StagedChange } from '../../commands/types.js';
import { discoverProject } from '../../project/discover.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { fieldOrMetaTarget } from '../shared/field-or-meta.js';
import { deriveChangeId } from '../shared/names.js';
import { conditionFields } from '../shared/indexes.js';
import { ADD_CHECK_HELP, ADD_CHECK_OPTIONS } from './options.js';
import { addCheckPlan } from './plan.js';

export const addCheck: Operation<typeof ADD_CHECK_OPTIONS> = {
  name: 'add-check',
  description: 'add a CheckConstraint without the scan under a lock that stops reads and writes',
  options: ADD_CHECK_OPTIONS,
  help: ADD_CHECK_HELP,
  changeId: (answers) => deriveChangeId([answers.model, ...conditionFields(answers.condition), 'check']),
  async plan(facts, app, answers, common) {
    const { model } = fieldOrMetaTarget(facts, app, answers);
    const plan = addCheckPlan({
      app,
      apps: facts.apps,
      model,
      condition: answers.condition,
      name: answers.name,
      database: common.database,
      djangoVersion: common.djangoVersion ?? facts.djangoVersion,
      lock: common.lock,
      batchSize: common.batchSize,
      changeId: answers.changeId,
    });
    return { plan };
  },
};

export type AddCheckRequest = OperationRequest<typeof ADD_CHECK_OPTIONS>;

export async function stageAddCheck(request: AddCheckRequest): Promise<StagedChange> {
  return stageOperation(addCheck, await discoverProject(request.projectDir, request), request);
}
