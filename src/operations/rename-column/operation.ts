/** `bg-scaffold rename-column`: discover → plan → render → stage. The CLI commits or prints the diff. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BgScaffoldError } from '../../errors.js';
import { deriveChangeId } from '../shared/names.js';
import { appsWithInstalled, discoverProject, findApp, findField, findModel, requireSingleLeaf } from '../../project/discover.js';
import type { DjangoModel, ProjectFacts } from '../../project/types.js';
import { requireNotInFlight } from '../shared/in-flight.js';
import { requireInMigrations } from '../shared/migrated.js';
import { renameColumnPlan } from './plan.js';
import type { ChangePlan } from '../shared/types.js';
import { TemplateRenderer } from '../../render/pack.js';
import { renderPlanJson, renderPlanMd } from '../../render/plan-record.js';
import { now, phaseReviewDir, planJsonPath, planMdPath, readChangeRecords, recordDir, type ChangeRecord } from '../../record/change-record.js';
import { StagedTree } from '../../stage/staged-tree.js';
import { modelsPatch, renderPhaseFiles, reviewPath } from '../../commands/phase-files.js';
import { referencesTo, referenceWarnings, withWarnings } from '../../commands/reference-warnings.js';
import { resolveCommon, type ResolvedCommon } from '../../commands/options.js';
import type { RenameColumnRequest, StagedChange } from '../../commands/types.js';

export async function stageRenameColumn(req: RenameColumnRequest): Promise<StagedChange> {
  const facts = await discoverProject(req.projectDir, req);
  const common = resolveCommon(req, facts);
  const app = findApp(facts, req.app);
  // Checked before the model and the field: after phase 1 the field has its new name (or the model
  // is gone), and "unknown field" would mislead.
  const change = req.changeId ?? deriveChangeId([req.model, req.field, 'to', req.to]);
  if (existsSync(join(facts.root, recordDir(change)))) {
    throw new BgScaffoldError(`change "${change}" already exists in ${recordDir(change)}/; run "bg-scaffold advance ${change}" to continue it, or pass --change-id to start another`);
  }
  requireNotInFlight(readChangeRecords(facts.root), { app: app.label, model: req.model, fields: [req.field, req.to] });
  const model = findModel(app, req.model);
  const field = findField(model, req.field, app.label);
  requireInMigrations(app, model, field);
  const plan = renameColumnPlan({
    app,
    apps: appsWithInstalled(facts),
    model,
    field,
    to: req.to,
    strategy: req.strategy,
    phases: req.phases,
    database: common.database,
    lock: common.lock,
    batchSize: common.batchSize,
    changeId: req.changeId,
  });
  // The code must switch to the new name: in this release for db-column and trigger, by the
  // release where the old field leaves the model for copy.
  // The plan rewrites the model's Meta itself: its lines are not the developer's to change.
  const metaLines = plan.phases.some((phase) => phase.modelEdits.some((edit) => edit.kind === 'rename-in-meta')) ? metaBlockLines(facts.root, model) : null;
  const inMeta = (file: string, line: number) => metaLines !== null && file === model.file && line >= metaLines.first && line <= metaLines.last;
  const references = await referencesTo(facts.root, [{ app: app.label, model: model.name, name: field.name, kind: 'field' }], (r) => inMeta(r.file, r.line));
  const retiredIn = plan.phases.find((phase) => phase.modelEdits.some((edit) => edit.kind === 'remove-field' || (edit.kind === 'edit-field' && edit.rename)));
  const when =
    plan.strategy === 'copy'
      ? `from the code before release ${retiredIn?.number ?? plan.phases.length} (reads switch to \`${req.to}\` in release 2)`
      : `in this release: its code uses \`${req.to}\``;
  return stageNewChange(facts, withWarnings(plan, referenceWarnings(references, `${model.name}.${field.name}`, when)), common);
}

/**
 * Stages a new change: every phase rendered into the change record for review (later phases
 * against the expected state), and phase 1 applied to the project.
 */
/** The lines of the model's `class Meta:` block, as Django reported where it starts. */
function metaBlockLines(root: string, model: DjangoModel): { first: number; last: number } | null {
  const first = model.django?.meta.line;
  if (!first) return null;
  const lines = readFileSync(join(root, model.file), 'utf8').split(/\r?\n/);
  const indent = /^\s*/.exec(lines[first - 1] ?? '')![0].length;
  let last = first;
  for (let index = first; index < lines.length; index++) {
    const text = lines[index]!;
    if (text.trim() === '') continue;
    if (/^\s*/.exec(text)![0].length <= indent) break;
    last = index + 1;
  }
  return { first, last };
}

export async function stageNewChange(facts: ProjectFacts, plan: ChangePlan, common: ResolvedCommon): Promise<StagedChange> {
  const stage = new StagedTree(facts.root);
  if (stage.exists(recordDir(plan.change))) {
    throw new BgScaffoldError(`change "${plan.change}" already exists in ${recordDir(plan.change)}/; run "bg-scaffold advance ${plan.change}" to continue it, or pass --change-id to start another`);
  }
  const app = findApp(facts, plan.app);
  const leaf = requireSingleLeaf(app);
  const model = findModel(app, plan.model);
  const renderer = new TemplateRenderer(common.packs);

  // Render every phase in sequence, as if each were advanced right after the previous one.
  let modelsSource = stage.read(model.file) ?? '';
  let previousLeaf = leaf;
  const migrationFiles: Record<number, string | null> = {};
  const rollbackTargets: Record<number, string | null> = {};
  for (const phase of plan.phases) {
    const files = renderPhaseFiles({
      renderer,
      plan,
      phase,
      app,
      modelsFile: model.file,
      modelsSource,
      migrationNumber: app.nextNumber + phase.number - 1,
      leaf: previousLeaf,
    });
    const reviewDir = phaseReviewDir(plan.change, phase.number);
    if (files.migration) stage.create(reviewPath(reviewDir, files.migration.path), files.migration.content);
    stage.create(reviewPath(reviewDir, `${model.file}.patch`), modelsPatch(model.file, modelsSource, files.modelsAfter));
    migrationFiles[phase.number] = files.migration?.path ?? null;
    rollbackTargets[phase.number] = files.migration ? previousLeaf : null;

    if (phase.number === 1) {
      if (files.modelsAfter !== modelsSource) stage.write(model.file, files.modelsAfter);
      if (files.migration) stage.create(files.migration.path, files.migration.content);
      if (files.opsModule && !stage.exists(files.opsModule.path)) stage.create(files.opsModule.path, files.opsModule.content);
    }
    modelsSource = files.modelsAfter;
    previousLeaf = files.migrationName ?? previousLeaf;
  }

  const record: ChangeRecord = {
    plan,
    applied: [{ phase: 1, migration: migrationFiles[1] ?? null, after: rollbackTargets[1] ?? null, appliedAt: now() }],
  };
  stage.create(planJsonPath(plan.change), await renderPlanJson(record));
  stage.create(planMdPath(plan.change), await renderPlanMd(renderer, plan, record.applied, migrationFiles, rollbackTargets));

  const next =
    plan.phases.length > 1
      ? `after release 1 is fully rolled out: bg-scaffold advance ${plan.change}`
      : 'the change is complete after this release';
  return {
    plan,
    phase: 1,
    stage,
    warnings: plan.warnings,
    discovery: facts.discovery,
    nextSteps: [
      `review ${planMdPath(plan.change)} and the files above, then ship them as release 1 of ${plan.phases.length}`,
      next,
    ],
  };
}
