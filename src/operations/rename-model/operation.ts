/** `rename-model`: the request checked against the project, planned, and the code that names the old class listed. */
import { referencesTo, referenceWarnings, withWarnings } from '../../commands/reference-warnings.js';
import type { StagedChange } from '../../commands/types.js';
import { appsWithInstalled, discoverProject, findModel } from '../../project/discover.js';
import type { ProjectFacts } from '../../project/types.js';
import { readChangeRecords } from '../../record/change-record.js';
import { applyModelEdits } from '../../render/model-edits.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { RENAME_MODEL_HELP, RENAME_MODEL_OPTIONS } from './options.js';
import { relationReferences, renameModelPlan, retargetEdits } from './plan.js';

/** contrib.contenttypes and contrib.auth, as Django reported the installed apps; null when read statically. */
function contribInstalled(facts: ProjectFacts): boolean | null {
  if (facts.discovery.source !== 'django') return null;
  const labels = new Set(facts.externalModels.map((m) => m.appLabel));
  return labels.has('contenttypes') && labels.has('auth');
}

export const renameModel: Operation<typeof RENAME_MODEL_OPTIONS> = {
  name: 'rename-model',
  description: 'rename a model class (keeping its table, or moving it behind a view) without breaking the release that is still serving',
  options: RENAME_MODEL_OPTIONS,
  help: RENAME_MODEL_HELP,
  changeId: (answers) => `rename-${answers.model}-to-${answers.to}`.toLowerCase(),
  async plan(facts, app, answers, common) {
    requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: answers.model, fields: [], wholeModel: true });
    const model = findModel(app, answers.model);
    requireInMigrations(app, model);
    const apps = appsWithInstalled(facts);
    const input = { app, apps, model, to: answers.to, contribInstalled: contribInstalled(facts), database: common.database, lock: common.lock, batchSize: common.batchSize, changeId: answers.changeId, strategy: answers.strategy };
    const plan = renameModelPlan(input);
    // The class statement and the relations release 1 points at the new name are not uses left.
    const retargeted = relationReferences(input).filter((r) => r.model.file === model.file);
    const followed = (line: number) => line === model.line || retargeted.some((r) => line >= r.field.line && line <= r.field.endLine);
    const references = await referencesTo(facts, [{ app: app.label, model: model.name, name: model.name, kind: 'model' }], (r) => r.file === model.file && followed(r.line));
    const marker = { change: plan.change, phase: 1, of: plan.phases.length };
    const edits = retargetEdits(relationReferences(input).filter((r) => r.model.file !== model.file));
    return {
      plan: withWarnings(plan, referenceWarnings(references, model.name, 'before release 2 ships')),
      // Relations elsewhere that name the model in a string follow it in release 1; their lines
      // carry no marker (release 2 edits the model's own file only).
      alsoStage: (stage) => {
        for (const [file, fileEdits] of edits) {
          const source = stage.read(file);
          if (source === null) continue;
          const retargeted = applyModelEdits(source, file, fileEdits, marker);
          const models = [...new Set(fileEdits.map((edit) => ('model' in edit ? edit.model : '')))];
          stage.write(file, applyModelEdits(retargeted, file, models.map((name) => ({ kind: 'unmark' as const, model: name })), marker));
        }
      },
    };
  },
};

export type RenameModelRequest = OperationRequest<typeof RENAME_MODEL_OPTIONS>;

export async function stageRenameModel(request: RenameModelRequest): Promise<StagedChange> {
  return stageOperation(renameModel, await discoverProject(request.projectDir, request), request);
}
