/** `add-index`: the request checked against the project and planned. */
import type { StagedChange } from '../../commands/types.js';
import { discoverProject } from '../../project/discover.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { fieldOrMetaTarget } from '../shared/field-or-meta.js';
import { deriveChangeId } from '../shared/names.js';
import { ADD_INDEX_HELP, ADD_INDEX_OPTIONS } from './options.js';
import { addIndexPlan } from './plan.js';

export const addIndex: Operation<typeof ADD_INDEX_OPTIONS> = {
  name: 'add-index',
  description: 'add an index (a field\'s own, or a Meta index) built CONCURRENTLY, without stopping writes',
  options: ADD_INDEX_OPTIONS,
  help: ADD_INDEX_HELP,
  // An index on expressions is named by --name, which it needs.
  changeId: (answers) =>
    answers.expressions !== undefined ? deriveChangeId([answers.name ?? `${answers.model}-expressions`]) : deriveChangeId([answers.model, ...(answers.field ?? answers.fields ?? '').split(',').map((f) => f.trim().replace(/^-/, '')), 'index']),
  async plan(facts, app, answers, common) {
    const { model, field } = fieldOrMetaTarget(facts, app, answers);
    const plan = addIndexPlan({
      app,
      apps: facts.apps,
      model,
      field,
      fields: answers.fields,
      name: answers.name,
      condition: answers.condition,
      extras: { expressions: answers.expressions, include: answers.include, opclasses: answers.opclasses },
      database: common.database,
      lock: common.lock,
      batchSize: common.batchSize,
      changeId: answers.changeId,
    });
    return { plan };
  },
};

export type AddIndexRequest = OperationRequest<typeof ADD_INDEX_OPTIONS>;

export async function stageAddIndex(request: AddIndexRequest): Promise<StagedChange> {
  return stageOperation(addIndex, await discoverProject(request.projectDir, request), request);
}
