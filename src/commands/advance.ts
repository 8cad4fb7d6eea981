/** `bg-scaffold advance <change>`: applies the next phase against the project as it is now. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appliedMigrationFindings } from '../check/applied-migrations.js';
import { location } from '../check/findings.js';
import { migrationMarker, type Marker } from '../check/markers.js';
import { fail } from '../errors.js';
import { discoverProject, findApp, findModel, requireSingleLeaf } from '../project/discover.js';
import type { DjangoApp } from '../project/types.js';
import { TemplateRenderer } from '../render/pack.js';
import { renderPlanJson, renderPlanMd } from '../render/plan-record.js';
import { now, phaseReviewDir, planJsonPath, planMdPath, readChangeRecord, type ChangeRecord } from '../record/change-record.js';
import { StagedTree } from '../stage/staged-tree.js';
import { resolveCommon } from './options.js';
import { modelsPatch, renderPhaseFiles, reviewPath } from './phase-files.js';
import type { AdvanceRequest, StagedChange } from './types.js';

export async function stageAdvance(req: AdvanceRequest): Promise<StagedChange> {
  const facts = await discoverProject(req.projectDir, req);
  const record = readChangeRecord(facts.root, req.change);
  const { plan } = record;
  const common = resolveCommon({ ...req, database: plan.database }, facts);
  const nextNumber = record.applied.length + 1;
  const phase = plan.phases.find((p) => p.number === nextNumber);
  if (!phase) {
    fail(`change "${plan.change}" is complete: all ${plan.phases.length} phases are applied; nothing to advance`);
  }

  const app = findApp(facts, plan.app);
  requireAppliedMigrations(facts.root, record, app);
  const leaf = requireSingleLeaf(app);
  // A plan that deletes its model keeps the file it was in (drop-table: gone after release 1).
  const model = { file: typeof plan.inputs.modelsFile === 'string' ? plan.inputs.modelsFile : findModel(app, plan.model).file };
  const stage = new StagedTree(facts.root);
  const renderer = new TemplateRenderer(common.packs);
  const modelsSource = stage.read(model.file) ?? '';
  // Numbered against the app's leaf *now*: other migrations may have landed since the last phase.
  const files = renderPhaseFiles({ renderer, plan, phase, app, modelsFile: model.file, modelsSource, migrationNumber: app.nextNumber, leaf });

  if (files.modelsAfter !== modelsSource) stage.write(model.file, files.modelsAfter);
  if (files.migration) stage.create(files.migration.path, files.migration.content);
  if (files.opsModule && !stage.exists(files.opsModule.path)) stage.create(files.opsModule.path, files.opsModule.content);

  // The record keeps what actually shipped, replacing the expected rendering of this phase.
  const reviewDir = phaseReviewDir(plan.change, phase.number);
  for (const old of stage.list(reviewDir)) stage.remove(old);
  if (files.migration) stage.write(reviewPath(reviewDir, files.migration.path), files.migration.content);
  stage.write(reviewPath(reviewDir, `${model.file}.patch`), modelsPatch(model.file, modelsSource, files.modelsAfter));

  const updated: ChangeRecord = {
    plan,
    applied: [...record.applied, { phase: phase.number, migration: files.migration?.path ?? null, after: files.migration ? leaf : null, appliedAt: now() }],
  };
  const migrationFiles = Object.fromEntries(updated.applied.map((a) => [a.phase, a.migration]));
  const rollbackTargets = Object.fromEntries(updated.applied.map((a) => [a.phase, a.after ?? null]));
  stage.write(planJsonPath(plan.change), await renderPlanJson(updated));
  stage.write(planMdPath(plan.change), await renderPlanMd(renderer, plan, updated.applied, migrationFiles, rollbackTargets));

  const last = phase.number === plan.phases.length;
  return {
    plan,
    phase: phase.number,
    stage,
    warnings: phase.risks,
    discovery: facts.discovery,
    nextSteps: [
      `ship the files above as release ${phase.number} of ${plan.phases.length}`,
      last ? `change ${plan.change} is complete after this release` : `after it is fully rolled out: bg-scaffold advance ${plan.change}`,
    ],
  };
}

/**
 * The next phase is numbered after the app's leaf and builds on what the earlier phases' migrations
 * did: with one of them missing or edited, it would come after the wrong parent (and `migrate` fail
 * with FieldDoesNotExist). Refuses as `check` reports it (rule 3), naming the file and the fix.
 */
function requireAppliedMigrations(root: string, record: ChangeRecord, app: DjangoApp): void {
  const stamped = app.migrations.flatMap((migration): Marker[] => {
    const path = join(root, migration.file);
    const marker = existsSync(path) ? migrationMarker(migration.file, readFileSync(path, 'utf8')) : null;
    return marker ? [marker] : [];
  });
  const [first, ...more] = appliedMigrationFindings(root, record, stamped);
  if (!first) return;
  const rest = more.length > 0 ? ` (and ${more.length} more: bg-scaffold check lists them)` : '';
  fail(`cannot advance ${record.plan.change}: ${location(first)}: ${first.message}${rest}`);
}
