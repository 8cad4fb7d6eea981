/** `change-column-type`: the request checked against the project and planned. */
import type { StagedChange } from '../../commands/types.js';
import { estimateRows } from '../../project/row-estimate.js';
import { appsWithInstalled, discoverProject, findField, findModel } from '../../project/discover.js';
import { readChangeRecords } from '../../record/change-record.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { deriveChangeId } from '../shared/names.js';
import { CHANGE_COLUMN_TYPE_HELP, CHANGE_COLUMN_TYPE_OPTIONS } from './options.js';
import { changeColumnTypePlan } from './plan.js';

export const changeColumnType: Operation<typeof CHANGE_COLUMN_TYPE_OPTIONS> = {
  name: 'change-column-type',
  description: "change a field's column type (int to bigint, a wider varchar, a cast) without breaking the release that is still serving",
  options: CHANGE_COLUMN_TYPE_OPTIONS,
  help: CHANGE_COLUMN_TYPE_HELP,
  changeId: (answers) => deriveChangeId([answers.model, answers.field, 'to', answers.type.replace(/Field$/, '').toLowerCase()]),
  async plan(facts, app, answers, common) {
    requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: answers.model, fields: [answers.field] });
    const model = findModel(app, answers.model);
    // The primary key Django adds is not declared: it is changed by declaring it.
    const autoPk = model.django?.autoPk?.name === answers.field;
    const field = autoPk ? null : findField(model, answers.field, app.label);
    if (field) requireInMigrations(app, model, field);
    else requireInMigrations(app, model);
    const plan = changeColumnTypePlan({
      app,
      apps: appsWithInstalled(facts),
      model,
      field,
      fieldName: answers.field,
      type: answers.type,
      maxLength: answers.maxLength,
      maxDigits: answers.maxDigits,
      decimalPlaces: answers.decimalPlaces,
      using: answers.using,
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

export type ChangeColumnTypeRequest = OperationRequest<typeof CHANGE_COLUMN_TYPE_OPTIONS>;

/** Discovers the project and stages phase 1 of a type change (tests and scripts; the CLI discovers once and calls stageOperation). */
export async function stageChangeColumnType(request: ChangeColumnTypeRequest): Promise<StagedChange> {
  return stageOperation(changeColumnType, await discoverProject(request.projectDir, request), request);
}
