/** `drop-table`: the request checked against the project, planned, and the code that must stop naming the model named. */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { referencesTo, referenceWarnings, withWarnings } from '../../commands/reference-warnings.js';
import type { StagedChange } from '../../commands/types.js';
import { appsWithInstalled, discoverProject, findModel } from '../../project/discover.js';
import { readChangeRecords } from '../../record/change-record.js';
import { removeReexport } from '../../render/model-edits.js';
import type { StagedTree } from '../../stage/staged-tree.js';
import { type Operation, type OperationRequest, stageOperation } from '../operation.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { DROP_TABLE_HELP, DROP_TABLE_OPTIONS } from './options.js';
import { changeIdForDropTable, dropTablePlan } from './plan.js';

export const dropTable: Operation<typeof DROP_TABLE_OPTIONS> = {
  name: 'drop-table',
  description: 'delete a model and its table without breaking the release that is still serving',
  options: DROP_TABLE_OPTIONS,
  help: DROP_TABLE_HELP,
  changeId: (answers) => changeIdForDropTable(answers.model),
  async plan(facts, app, answers, common) {
    requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: answers.model, fields: [], wholeModel: true });
    const model = findModel(app, answers.model);
    requireInMigrations(app, model);
    const plan = dropTablePlan({
      app,
      apps: appsWithInstalled(facts),
      model,
      database: common.database,
      lock: common.lock,
      batchSize: common.batchSize,
      changeId: answers.changeId,
    });
    // The class itself goes with phase 1; everything else that names it must go too.
    const source = readFileSync(join(facts.root, model.file), 'utf8');
    const lastLine = model.line + (source.slice(model.range.start, model.range.end).match(/\n/g)?.length ?? 0);
    const inClass = (file: string, line: number) => file === model.file && line >= model.line && line <= lastLine;
    // A models package's re-export of the class is taken out with it (dropPackageReexport).
    const packageInit = posix.basename(posix.dirname(model.file)) === 'models' ? posix.join(posix.dirname(model.file), '__init__.py') : null;
    const references = await referencesTo(facts, [{ app: app.label, model: model.name, name: model.name, kind: 'model' }], (r) => inClass(r.file, r.line) || r.file === packageInit);
    return {
      plan: withWarnings(plan, referenceWarnings(references, model.name, 'in this release')),
      alsoStage: (stage) => dropPackageReexport(stage, model.file, model.name),
    };
  },
};

export type DropTableRequest = OperationRequest<typeof DROP_TABLE_OPTIONS>;

/** Discovers the project and stages phase 1 of a table drop (tests and scripts; the CLI discovers once and calls stageOperation). */
export async function stageDropTable(request: DropTableRequest): Promise<StagedChange> {
  return stageOperation(dropTable, await discoverProject(request.projectDir, request), request);
}

/** In a models package (`app/models/books.py`), the class leaves the package's `__init__.py` imports too. */
function dropPackageReexport(stage: StagedTree, modelFile: string, modelName: string): void {
  const folder = posix.dirname(modelFile);
  const module = posix.basename(modelFile, '.py');
  const init = posix.join(folder, '__init__.py');
  if (posix.basename(folder) !== 'models' || module === '__init__') return;
  const source = stage.read(init);
  if (source === null) return;
  const edited = removeReexport(source, init, module, modelName);
  if (edited !== source) stage.write(init, edited);
}
