/**
 * What every operation is to the rest of bg-scaffold: its declared options, its help, and how it
 * turns answers into a plan against the project. Staging the plan is shared (src/stage/stage-change.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommonOptions, StagedChange } from '../commands/types.js';
import { resolveCommon, type ResolvedCommon } from '../commands/options.js';
import { BgScaffoldError } from '../errors.js';
import { findApp } from '../project/discover.js';
import type { DjangoApp, ProjectFacts } from '../project/types.js';
import { recordDir } from '../record/change-record.js';
import { stageChange } from '../stage/stage-change.js';
import type { StagedTree } from '../stage/staged-tree.js';
import type { AnswersOf, Declarations } from './options.js';
import type { ChangePlan } from './shared/types.js';

export type OperationName = import('./shared/types.js').Operation;

/** A plan, and any edit beyond the phase's own files that staging it takes. */
export interface PlannedChange {
  plan: ChangePlan;
  /** Runs on the staged tree after phase 1 is staged (drop-table takes the model out of a package's imports). */
  alsoStage?: (stage: StagedTree) => void;
}

export interface Operation<O extends Declarations = Declarations> {
  name: OperationName;
  /** One line for --help. */
  description: string;
  options: O;
  /** Lines --help prints after the options: the plans it chooses between, examples. */
  help: string[];
  /**
   * The change id a request gets unless --change-id names one. Checked before the model and its
   * fields are looked up: once a change has gone on they have changed, and "unknown field" would mislead.
   */
  changeId(answers: AnswersOf<O>): string;
  /** Checks the answers against the project and plans the change. */
  plan(facts: ProjectFacts, app: DjangoApp, answers: AnswersOf<O>, common: ResolvedCommon & { djangoVersion?: string }): Promise<PlannedChange>;
}

/** An operation's answers with the options every command shares. */
export type OperationRequest<O extends Declarations> = AnswersOf<O> & CommonOptions;

/** Plans a new change on a discovered project and stages its first phase: nothing is written yet. */
export async function stageOperation<O extends Declarations>(operation: Operation<O>, facts: ProjectFacts, request: OperationRequest<O>): Promise<StagedChange> {
  const common = resolveCommon(request, facts);
  // Every operation declares `app` and `--change-id` (src/operations/shared/target-options.ts).
  const named = request as unknown as { app: string; changeId?: string };
  const app = findApp(facts, named.app);
  const change = named.changeId ?? operation.changeId(request);
  if (existsSync(join(facts.root, recordDir(change)))) {
    throw new BgScaffoldError(`change "${change}" already exists in ${recordDir(change)}/; run "bg-scaffold advance ${change}" to continue it, or pass --change-id to start another`);
  }
  const planned = await operation.plan(facts, app, request, { ...common, djangoVersion: request.djangoVersion });
  const staged = await stageChange(facts, common, { plan: planned.plan, applied: [] });
  planned.alsoStage?.(staged.stage);
  return staged;
}
