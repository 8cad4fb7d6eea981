/** `bg-scaffold advance <change>`: applies the next phase against the project as it is now. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appliedMigrationFindings } from '../check/applied-migrations.js';
import { location } from '../check/findings.js';
import { migrationMarker, type Marker } from '../check/markers.js';
import { fail } from '../errors.js';
import { discoverProject, findApp } from '../project/discover.js';
import type { DjangoApp } from '../project/types.js';
import { readChangeRecord, type ChangeRecord } from '../record/change-record.js';
import { stageChange } from '../stage/stage-change.js';
import { resolveCommon } from './options.js';
import type { AdvanceRequest, StagedChange } from './types.js';

export async function stageAdvance(req: AdvanceRequest): Promise<StagedChange> {
  const facts = await discoverProject(req.projectDir, req);
  const record = readChangeRecord(facts.root, req.change);
  const { plan } = record;
  const common = resolveCommon({ ...req, database: plan.database }, facts);
  if (record.applied.length >= plan.phases.length) {
    fail(`change "${plan.change}" is complete: all ${plan.phases.length} phases are applied; nothing to advance`);
  }
  requireAppliedMigrations(facts.root, record, findApp(facts, plan.app));
  return stageChange(facts, common, record);
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
