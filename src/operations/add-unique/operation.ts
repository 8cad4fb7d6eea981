/** `add-unique`: the request checked against the project and planned. */
import type { StagedChange } from '../../commands/types.js';
import { discoverProject } from '../../project/discover.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { fieldOrMetaTarget } from '../shared/field-or-meta.js';
import { deriveChangeId } from '../shared/names.js';
import { ADD_UNIQUE_HELP, ADD_UNIQUE_OPTIONS } from './options.js';
import { addUniquePlan } from './plan.js';

export const addUnique: Operation<typeof ADD_UNIQUE_OPTIONS> = {
  name: 'add-unique',
  description: 'make a field or fields unique (unique=True, UniqueConstraint) without the lock that stops writes',
  options: ADD_UNIQUE_OPTIONS,
  help: ADD_UNIQUE_HELP,
  // A constraint on expressions is named by --name, which it needs.
  changeId: (answers) =>
    answers.expressions !== undefined ? deriveChangeId([answers.name ?? `${answers.model}-expressions`]) : deriveChangeId([answers.model, ...(answers.field ?? answers.fields ?? '').split(',').map((f) => f.trim()), 'unique']),
  async plan(facts, app, answers, common) {
    const { model, field } = fieldOrMetaTarget(facts, app, answers);
    const plan = addUniquePlan({
      app,
      apps: facts.apps,
      model,
      field,
      fields: answers.fields,
      name: answers.name,
      condition: answers.condition,
      extras: { expressions: answers.expressions, include: answers.include, opclasses: answers.opclasses, nullsNotDistinct: answers.nullsNotDistinct },
      database: common.database,
      lock: common.lock,
      batchSize: common.batchSize,
      changeId: answers.changeId,
    });
    return { plan };
  },
};

export type AddUniqueRequest = OperationRequest<typeof ADD_UNIQUE_OPTIONS>;

export async function stageAddUnique(request: AddUniqueRequest): Promise<StagedChange> {
  return stageOperation(addUnique, await discoverProject(request.projectDir, request), request);
}
