/**
 * Turns one phase of a plan into file contents against the project as it is now: the models
 * file edited, the migration numbered after the app's current leaf, the ops module if needed.
 */
import { createTwoFilesPatch } from 'diff';
import { posix } from 'node:path';
import type { DjangoApp } from '../project/types.js';
import type { ChangePlan, Phase } from '../operations/shared/types.js';
import { migrationName, opsClassesUsed, renderMigration, type RenderedFile } from '../render/migration.js';
import { backfillCommandFiles, type CommandFile } from '../runtime/backfill-command.js';
import { runtimeCopy } from '../runtime/runtime.js';
import { applyPhaseToModels } from '../render/models-phase.js';
import type { TemplateRenderer } from '../render/pack.js';

export interface PhaseFiles {
  migration: RenderedFile | null;
  /** Migration name (`0004_order_qty_expand`) for the next phase to depend on. */
  migrationName: string | null;
  modelsAfter: string;
  /** The shared operations module, when this phase's migration uses it. */
  opsModule: RenderedFile | null;
  /** `manage.py bg_scaffold_backfill` and its packages, when this phase's migration registers a background backfill. */
  commandFiles: CommandFile[];
}

export function renderPhaseFiles(args: {
  renderer: TemplateRenderer;
  plan: ChangePlan;
  phase: Phase;
  app: DjangoApp;
  modelsFile: string;
  modelsSource: string;
  migrationNumber: number;
  /** The app's leaf migration this phase's migration depends on. */
  leaf: string | null;
  /** The leaves of the other apps whose tables the migration changes (plan.otherApps). */
  otherLeaves?: Array<[string, string]>;
}): PhaseFiles {
  const { renderer, plan, phase, app } = args;
  const modelsAfter = applyPhaseToModels(args.modelsSource, args.modelsFile, plan, phase, renderer);
  if (!phase.migration) return { migration: null, migrationName: null, modelsAfter, opsModule: null, commandFiles: [] };
  const migration = renderMigration(renderer, plan, phase, app.migrationsDir, {
    number: args.migrationNumber,
    dependencies: [...(args.leaf ? [[app.label, args.leaf] as [string, string]] : []), ...(args.otherLeaves ?? []), ...(phase.migration.extraDependencies ?? [])],
  });
  const opsModule = opsClassesUsed(phase).length > 0 ? runtimeCopy(app.migrationsDir) : null;
  const commandFiles = phase.migration.operations.some((op) => op.kind === 'register-backfill') ? backfillCommandFiles(app.migrationsDir) : [];
  return { migration, migrationName: migrationName(args.migrationNumber, phase.migration.slug), modelsAfter, opsModule, commandFiles };
}

/** A reviewable patch of what a phase does to the models file. */
export function modelsPatch(file: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, '', '', { context: 3 });
}

export function reviewPath(recordPhaseDir: string, file: string): string {
  return posix.join(recordPhaseDir, posix.basename(file));
}
