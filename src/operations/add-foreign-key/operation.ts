/** `add-foreign-key`: the request checked against the project and planned. */
import type { StagedChange } from '../../commands/types.js';
import { appsWithInstalled, discoverProject } from '../../project/discover.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { fieldOrMetaTarget } from '../shared/field-or-meta.js';
import { deriveChangeId } from '../shared/names.js';
import { ADD_FOREIGN_KEY_HELP, ADD_FOREIGN_KEY_OPTIONS } from './options.js';
import { addForeignKeyPlan } from './plan.js';

export const addForeignKey: Operation<typeof ADD_FOREIGN_KEY_OPTIONS> = {
  name: 'add-foreign-key',
  description: 'make an existing integer column a foreign key (or add a ForeignKey\'s missing constraint) without locking writes',
  options: ADD_FOREIGN_KEY_OPTIONS,
  help: ADD_FOREIGN_KEY_HELP,
  changeId: (answers) => deriveChangeId([answers.model, answers.field.replace(/_id$/, ''), 'foreign', 'key']),
  async plan(facts, app, answers, common) {
    const { model, field } = fieldOrMetaTarget(facts, app, answers);
    const plan = addForeignKeyPlan({
      app,
      apps: appsWithInstalled(facts),
      model,
      field: field!,
      to: answers.to,
      onDelete: answers.onDelete,
      relatedName: answers.relatedName,
      database: common.database,
      lock: common.lock,
      batchSize: common.batchSize,
      changeId: answers.changeId,
    });
    return { plan };
  },
};

export type AddForeignKeyRequest = OperationRequest<typeof ADD_FOREIGN_KEY_OPTIONS>;

export async function stageAddForeignKey(request: AddForeignKeyRequest): Promise<StagedChange> {
  return stageOperation(addForeignKey, await discoverProject(request.projectDir, request), request);
}
