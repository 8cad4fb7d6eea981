/** `add-column`: the request checked against the project and planned. */
import type { StagedChange } from '../../commands/types.js';
import { estimateRows } from '../../project/row-estimate.js';
import { detectDefaultAutoFields } from '../../project/auto-field.js';
import { appsWithInstalled, discoverProject, findModel } from '../../project/discover.js';
import { readChangeRecords } from '../../record/change-record.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { deriveChangeId } from '../shared/names.js';
import { ADD_COLUMN_HELP, ADD_COLUMN_OPTIONS } from './options.js';
import { addColumnPlan } from './plan.js';

export const addColumn: Operation<typeof ADD_COLUMN_OPTIONS> = {
  name: 'add-column',
  description: 'add a model field and its column without breaking the release that is still serving',
  options: ADD_COLUMN_OPTIONS,
  help: ADD_COLUMN_HELP,
  changeId: (answers) => deriveChangeId([answers.model, 'add', answers.name]),
  async plan(facts, app, answers, common) {
    requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: answers.model, fields: [answers.name] });
    const model = findModel(app, answers.model);
    requireInMigrations(app, model);
    const plan = addColumnPlan({
      apps: appsWithInstalled(facts),
      app,
      model,
      name: answers.name,
      type: answers.type,
      maxLength: answers.maxLength,
      maxDigits: answers.maxDigits,
      decimalPlaces: answers.decimalPlaces,
      to: answers.to,
      onDelete: answers.onDelete,
      relatedName: answers.relatedName,
      null: answers.null === true,
      default: answers.default,
      dbIndex: answers.dbIndex === true,
      unique: answers.unique === true,
      backfillSql: answers.backfillSql,
      strategy: answers.strategy,
      backfill: answers.backfill,
      rowsEstimate: answers.databaseUrl ? await estimateRows(answers.databaseUrl, model.dbTable, facts.root) : null,
      database: common.database,
      djangoVersion: common.djangoVersion ?? facts.djangoVersion,
      defaultAutoFields: await detectDefaultAutoFields(facts.root, facts.apps),
      lock: common.lock,
      batchSize: common.batchSize,
      changeId: answers.changeId,
    });
    return { plan };
  },
};

export type AddColumnRequest = OperationRequest<typeof ADD_COLUMN_OPTIONS>;

/** Discovers the project and stages phase 1 of an added column (tests and scripts; the CLI discovers once and calls stageOperation). */
export async function stageAddColumn(request: AddColumnRequest): Promise<StagedChange> {
  return stageOperation(addColumn, await discoverProject(request.projectDir, request), request);
}
