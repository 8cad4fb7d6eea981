/** `bg-scaffold drop-table`: discover → plan → render → stage. The CLI commits or prints the diff. */
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { BgScaffoldError } from '../../errors.js';
import { changeIdForDropTable, dropTablePlan } from './plan.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { appsWithInstalled, discoverProject, findApp, findModel } from '../../project/discover.js';
import { readChangeRecords, recordDir } from '../../record/change-record.js';
import { removeReexport } from '../../render/model-edits.js';
import type { StagedTree } from '../../stage/staged-tree.js';
import { resolveCommon } from '../../commands/options.js';
import { referencesTo, referenceWarnings, withWarnings } from '../../commands/reference-warnings.js';
import { stageNewChange } from '../rename-column/operation.js';
import type { CommonOptions, StagedChange } from '../../commands/types.js';

export interface DropTableRequest extends CommonOptions {
  app: string;
  model: string;
  /** Overrides the derived change id (`drop-shipment`). */
  changeId?: string;
}

export async function stageDropTable(req: DropTableRequest): Promise<StagedChange> {
  const facts = await discoverProject(req.projectDir, req);
  const common = resolveCommon(req, facts);
  const app = findApp(facts, req.app);
  // Checked before the model: once the change has gone on, the model is gone, and "unknown model" would mislead.
  const change = req.changeId ?? changeIdForDropTable(req.model);
  if (existsSync(join(facts.root, recordDir(change)))) {
    throw new BgScaffoldError(`change "${change}" already exists in ${recordDir(change)}/; run "bg-scaffold advance ${change}" to continue it, or pass --change-id to start another`);
  }
  requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: req.model, fields: [], wholeModel: true });
  const model = findModel(app, req.model);
  requireInMigrations(app, model);
  const plan = dropTablePlan({
    app,
    apps: appsWithInstalled(facts),
    model,
    database: common.database,
    lock: common.lock,
    batchSize: common.batchSize,
    changeId: req.changeId,
  });

  // The class itself goes with phase 1; everything else that names it must go too.
  const source = readFileSync(join(facts.root, model.file), 'utf8');
  const lastLine = model.line + (source.slice(model.range.start, model.range.end).match(/\n/g)?.length ?? 0);
  const inClass = (file: string, line: number) => file === model.file && line >= model.line && line <= lastLine;
  // A models package's re-export of the class is taken out with it (dropPackageReexport).
  const packageInit = posix.basename(posix.dirname(model.file)) === 'models' ? posix.join(posix.dirname(model.file), '__init__.py') : null;
  const references = await referencesTo(facts.root, [{ app: app.label, model: model.name, name: model.name, kind: 'model' }], (r) => inClass(r.file, r.line) || r.file === packageInit);
  const staged = await stageNewChange(facts, withWarnings(plan, referenceWarnings(references, model.name, 'in this release')), common);
  dropPackageReexport(staged.stage, model.file, model.name);
  return staged;
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
