/**
 * Stages the next phase of a change, for a new change (phase 1) and for `advance` alike: the phase
 * rendered against the project as it is now and applied to it, its files kept for review in the
 * change record, and the record updated. Nothing is written until the CLI commits the stage.
 */
import { findApp, findModel, requireSingleLeaf } from '../project/discover.js';
import type { ProjectFacts } from '../project/types.js';
import type { ResolvedCommon } from '../commands/options.js';
import { modelsPatch, renderPhaseFiles, reviewPath } from '../commands/phase-files.js';
import type { StagedChange } from '../commands/types.js';
import { BgScaffoldError } from '../errors.js';
import { TemplateRenderer } from '../render/pack.js';
import { renderPlanJson, renderPlanMd } from '../render/plan-record.js';
import { now, phaseReviewDir, planJsonPath, planMdPath, recordDir, type ChangeRecord } from '../record/change-record.js';
import { StagedTree } from './staged-tree.js';

/** `record.applied` lists the phases already shipped: none for a new change. */
export async function stageChange(facts: ProjectFacts, common: ResolvedCommon, record: ChangeRecord): Promise<StagedChange> {
  const { plan } = record;
  const phase = plan.phases[record.applied.length];
  if (!phase) throw new Error(`change ${plan.change} has no phase ${record.applied.length + 1}`);
  const isNew = phase.number === 1;
  const stage = new StagedTree(facts.root);
  if (isNew && stage.exists(recordDir(plan.change))) {
    throw new BgScaffoldError(`change "${plan.change}" already exists in ${recordDir(plan.change)}/; run "bg-scaffold advance ${plan.change}" to continue it, or pass --change-id to start another`);
  }
  const app = findApp(facts, plan.app);
  const leaf = requireSingleLeaf(app);
  // A plan that deletes its model keeps the file it was in (drop-table: gone after release 1).
  const modelsFile = typeof plan.inputs.modelsFile === 'string' ? plan.inputs.modelsFile : findModel(app, plan.model).file;
  const renderer = new TemplateRenderer(common.packs);
  // The other apps whose tables the plan changes: their tables must exist when it runs.
  const otherLeaves = (plan.otherApps ?? []).flatMap((label): Array<[string, string]> => {
    const other = requireSingleLeaf(findApp(facts, label));
    return other ? [[label, other]] : [];
  });

  // This phase, numbered after the app's leaf *now*: other migrations may have landed since the last phase.
  const modelsSource = stage.read(modelsFile) ?? '';
  const files = renderPhaseFiles({ renderer, plan, phase, app, modelsFile, modelsSource, migrationNumber: app.nextNumber, leaf, otherLeaves });
  if (files.modelsAfter !== modelsSource) stage.write(modelsFile, files.modelsAfter);
  if (files.migration) stage.create(files.migration.path, files.migration.content);
  if (files.opsModule && !stage.exists(files.opsModule.path)) stage.create(files.opsModule.path, files.opsModule.content);
  for (const file of files.commandFiles) if (!stage.exists(file.path)) stage.create(file.path, file.content);

  // The record keeps what shipped, replacing the expected rendering of this phase.
  const reviewDir = phaseReviewDir(plan.change, phase.number);
  for (const old of stage.list(reviewDir)) stage.remove(old);
  if (files.migration) stage.write(reviewPath(reviewDir, files.migration.path), files.migration.content);
  stage.write(reviewPath(reviewDir, `${modelsFile}.patch`), modelsPatch(modelsFile, modelsSource, files.modelsAfter));

  const applied = [...record.applied, { phase: phase.number, migration: files.migration?.path ?? null, after: files.migration ? leaf : null, appliedAt: now() }];
  const migrationFiles: Record<number, string | null> = Object.fromEntries(applied.map((a) => [a.phase, a.migration]));
  const rollbackTargets: Record<number, string | null> = Object.fromEntries(applied.map((a) => [a.phase, a.after ?? null]));

  if (isNew) {
    // The later phases for review, as if each were advanced right after the one before.
    let source = files.modelsAfter;
    let previousLeaf = files.migrationName ?? leaf;
    for (const later of plan.phases.slice(1)) {
      const expected = renderPhaseFiles({ renderer, plan, phase: later, app, modelsFile, modelsSource: source, migrationNumber: app.nextNumber + later.number - 1, leaf: previousLeaf, otherLeaves });
      const laterDir = phaseReviewDir(plan.change, later.number);
      if (expected.migration) stage.create(reviewPath(laterDir, expected.migration.path), expected.migration.content);
      stage.create(reviewPath(laterDir, `${modelsFile}.patch`), modelsPatch(modelsFile, source, expected.modelsAfter));
      migrationFiles[later.number] = expected.migration?.path ?? null;
      rollbackTargets[later.number] = expected.migration ? previousLeaf : null;
      source = expected.modelsAfter;
      previousLeaf = expected.migrationName ?? previousLeaf;
    }
  }

  const updated: ChangeRecord = { plan, applied };
  stage.write(planJsonPath(plan.change), await renderPlanJson(updated));
  stage.write(planMdPath(plan.change), await renderPlanMd(renderer, plan, applied, migrationFiles, rollbackTargets));

  const last = phase.number === plan.phases.length;
  const ship = `${isNew ? `review ${planMdPath(plan.change)} and the files above, then ship them` : 'ship the files above'} as release ${phase.number} of ${plan.phases.length}`;
  const next = last
    ? isNew
      ? 'the change is complete after this release'
      : `change ${plan.change} is complete after this release`
    : `after ${isNew ? 'release 1' : 'it'} is fully rolled out: bg-scaffold advance ${plan.change}`;
  return { plan, phase: phase.number, stage, warnings: isNew ? plan.warnings : phase.risks, discovery: facts.discovery, nextSteps: [ship, next] };
}
