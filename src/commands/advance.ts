/** `bg-scaffold advance <change>`: applies the next phase against the project as it is now. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appliedMigrationFindings } from '../check/applied-migrations.js';
import { location } from '../check/findings.js';
import { migrationMarker, type Marker } from '../check/markers.js';
import { fail } from '../errors.js';
import { discoverProject, findApp } from '../project/discover.js';
import type { DjangoApp } from '../project/types.js';
import type { Prompter } from '../operations/options.js';
import { readChangeRecord, readChangeRecords, RECORD_ROOT, type ChangeRecord } from '../record/change-record.js';
import { stageChange } from '../stage/stage-change.js';
import { resolveCommon } from './options.js';
import { goneNames } from '../check/gone-names.js';
import type { ChangePlan } from '../operations/shared/types.js';
import type { ProjectFacts } from '../project/types.js';
import { referencesTo, referenceWarnings } from './reference-warnings.js';
import type { AdvanceRequest, StagedChange } from './types.js';

/** A change with a phase left to generate, as `advance` offers it. */
export interface ChangeInFlight {
  change: string;
  op: string;
  /** Phases generated so far, and in all. */
  generated: number;
  phases: number;
  /** What the next phase does: its title. */
  next: string;
}

/** The project's changes with a phase left to generate, by change id. */
export function changesInFlight(projectRoot: string): ChangeInFlight[] {
  return readChangeRecords(projectRoot)
    .filter((record) => record.applied.length < record.plan.phases.length)
    .map(({ plan, applied }) => ({ change: plan.change, op: plan.op, generated: applied.length, phases: plan.phases.length, next: plan.phases[applied.length]!.title }));
}

/**
 * The change `advance` was not given: asked in a terminal among the changes in flight; without one,
 * a refusal that names them. `hint` says how to answer without a terminal.
 */
export async function chooseChangeToAdvance(projectRoot: string, prompter: Prompter | null, hint: string): Promise<string> {
  const inFlight = changesInFlight(projectRoot);
  if (inFlight.length === 0) {
    fail(`no change to advance: every change in ${RECORD_ROOT}/ has all its phases generated, or there is none; start one with rename-column, add-column, remove-column or drop-table`);
  }
  const label = (c: ChangeInFlight) => `${c.change} (${c.op}, phase ${c.generated + 1}/${c.phases} next: ${c.next})`;
  if (!prompter) fail(`missing the change to advance, one of: ${inFlight.map(label).join('; ')}; ${hint}`);
  return prompter.select({ message: 'Change to advance', choices: inFlight.map((c) => ({ name: label(c), value: c.change, short: c.change })) });
}

export async function stageAdvance(req: AdvanceRequest): Promise<StagedChange> {
  const facts = await discoverProject(req.projectDir, req);
  const record = readChangeRecord(facts.root, req.change);
  const { plan } = record;
  const common = resolveCommon({ ...req, database: plan.database }, facts);
  if (record.applied.length >= plan.phases.length) {
    fail(`change "${plan.change}" is complete: all ${plan.phases.length} phases are applied; nothing to advance`);
  }
  requireAppliedMigrations(facts.root, record, findApp(facts, plan.app));
  const staged = await stageChange(facts, common, record);
  return { ...staged, warnings: [...staged.warnings, ...(await referencesLeft(facts, plan, staged))] };
}

/**
 * The code that still names what the change has taken away once this phase is written, read as the
 * phase leaves the tree (its models.py edits included): it breaks this release unless it changes
 * before it ships. `bg-scaffold check` reports the same references; generation warns the same way.
 */
async function referencesLeft(facts: ProjectFacts, plan: ChangePlan, staged: StagedChange): Promise<string[]> {
  const gone = goneNames(plan, staged.phase);
  if (gone.length === 0) return [];
  const asStaged = new Map(staged.stage.files().flatMap((file) => (file.after === null ? [] : [[file.path, file.after] as const])));
  const found = await referencesTo(facts, gone.map((name) => name.target), () => false, asStaged);
  return gone.flatMap(({ target, how }) =>
    referenceWarnings(
      found.filter((reference) => reference.target.kind === target.kind && reference.target.model === target.model && reference.target.name === target.name),
      target.kind === 'model' ? target.model : `${target.model}.${target.name}`,
      `before this release ships (${how} by this change)`,
    ),
  );
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
