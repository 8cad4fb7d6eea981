/**
 * The changes of a project, as `status` and `check` see them: every change record in
 * `.bg-scaffold/`, plus every change named only by markers in the code (its record lost or never
 * committed). For each: where it stands and since when.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { planJsonPath, type ChangeRecord } from '../record/change-record.js';
import { lastCommitDate } from './git.js';
import type { Marker } from './markers.js';

export interface ChangeInFlight {
  change: string;
  /** Null when only markers name the change. */
  record: ChangeRecord | null;
  op: string;
  strategy: string | null;
  app: string | null;
  model: string | null;
  /** Phases applied (by the record; for a change without one, the highest phase its markers show). */
  applied: number;
  phases: number;
  /** Markers of this change found in the project. */
  markers: Marker[];
}

export interface Waiting {
  /** ISO date the current phase has waited since. */
  since: string;
  /** `git`: commit date of the phase's migration (or of plan.json); `record`: appliedAt in plan.json. */
  source: 'git' | 'record';
  /** The file whose commit date it is, when from git. */
  file: string | null;
}

export function collectChanges(records: ChangeRecord[], markers: Marker[]): ChangeInFlight[] {
  const byChange = new Map<string, Marker[]>();
  for (const marker of markers) byChange.set(marker.change, [...(byChange.get(marker.change) ?? []), marker]);

  const changes: ChangeInFlight[] = records.map((record) => ({
    change: record.plan.change,
    record,
    op: record.plan.op,
    strategy: record.plan.strategy,
    app: record.plan.app,
    model: record.plan.model,
    applied: record.applied.length,
    phases: record.plan.phases.length,
    markers: byChange.get(record.plan.change) ?? [],
  }));
  const recorded = new Set(changes.map((change) => change.change));
  for (const [change, found] of byChange) {
    if (recorded.has(change)) continue;
    const migrations = found.filter((marker) => marker.kind === 'migration');
    const evidence = migrations.length > 0 ? migrations : found;
    changes.push({
      change,
      record: null,
      op: migrations[0]?.detail || 'unknown',
      strategy: null,
      app: null,
      model: null,
      applied: Math.max(...evidence.map((marker) => marker.phase)),
      phases: Math.max(...found.map((marker) => marker.of)),
      markers: found,
    });
  }
  return changes.sort((a, b) => (a.change < b.change ? -1 : a.change > b.change ? 1 : 0));
}

/**
 * Since when a change has waited in its current phase: the commit date of that phase's migration
 * when the project is in git and the migration is committed, else the record's `appliedAt`.
 */
export function waitingSince(projectRoot: string, change: ChangeInFlight, inGit: boolean): Waiting | null {
  const { record } = change;
  if (!record) {
    const migration = change.markers.find((marker) => marker.kind === 'migration' && marker.phase === change.applied);
    const date = inGit && migration ? lastCommitDate(projectRoot, migration.file) : null;
    return date && migration ? { since: date, source: 'git', file: migration.file } : null;
  }
  const last = record.applied[record.applied.length - 1];
  if (!last) return null;
  if (inGit) {
    // A phase without a migration shipped with its record: plan.json's commit is the next best date.
    const file = last.migration && existsSync(join(projectRoot, last.migration)) ? last.migration : planJsonPath(change.change);
    const date = lastCommitDate(projectRoot, file);
    if (date) return { since: date, source: 'git', file };
  }
  return { since: last.appliedAt, source: 'record', file: null };
}

/** Whole days between two dates. */
export function daysBetween(since: string, now: Date): number {
  return Math.floor((now.getTime() - new Date(since).getTime()) / 86_400_000);
}
