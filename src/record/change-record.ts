/**
 * The change record `.bg-scaffold/<change>/`: plan.json (the plan plus which phases are applied),
 * PLAN.md (the timeline for people), and every phase's rendered files, for review.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { BgScaffoldError, fail } from '../errors.js';
import type { ChangePlan } from '../operations/shared/types.js';

export const RECORD_ROOT = '.bg-scaffold';

export interface AppliedPhase {
  phase: number;
  /** Relative path of the migration this phase added, or null when it has none. */
  migration: string | null;
  /** The app's leaf migration it was numbered after: what `migrate <app> <name>` rolls it back to. */
  after: string | null;
  /** ISO date of the run that applied it. */
  appliedAt: string;
}

/** plan.json: the plan as generated, plus what has been applied so far. */
export interface ChangeRecord {
  plan: ChangePlan;
  applied: AppliedPhase[];
}

export function recordDir(change: string): string {
  return posix.join(RECORD_ROOT, change);
}

export function planJsonPath(change: string): string {
  return posix.join(recordDir(change), 'plan.json');
}

export function planMdPath(change: string): string {
  return posix.join(recordDir(change), 'PLAN.md');
}

/** Where a phase's rendered files are kept for review. */
export function phaseReviewDir(change: string, phase: number): string {
  return posix.join(recordDir(change), `phase-${phase}`);
}

export function parseChangeRecord(text: string, path: string): ChangeRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    fail(`${path} is not valid JSON (${(error as Error).message}); restore it from version control`);
  }
  const record = data as Partial<ChangeRecord>;
  if (!record.plan || !Array.isArray(record.applied) || record.plan.schemaVersion !== 1) {
    fail(`${path} is not a bg-scaffold change record of a version this tool reads; restore it from version control`);
  }
  return record as ChangeRecord;
}

/** Change ids recorded in the project, sorted. */
export function listChanges(projectRoot: string): string[] {
  const root = join(projectRoot, RECORD_ROOT);
  if (!existsSync(root) || !statSync(root).isDirectory()) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'plan.json')))
    .map((entry) => entry.name)
    .sort();
}

export function readChangeRecord(projectRoot: string, change: string): ChangeRecord {
  const path = planJsonPath(change);
  const absolute = join(projectRoot, path);
  if (!existsSync(absolute)) {
    const known = listChanges(projectRoot);
    throw new BgScaffoldError(
      `unknown change "${change}"; ${known.length ? `changes in this project: ${known.join(', ')}` : 'this project has no changes in .bg-scaffold/'}`,
    );
  }
  return parseChangeRecord(readFileSync(absolute, 'utf8'), path);
}

/** A timestamp for the record. SOURCE_DATE_EPOCH makes runs reproducible (tests, golden files). */
export function now(env: NodeJS.ProcessEnv = process.env): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  return (epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date()).toISOString();
}

/** Every change record of the project, in change id order. */
export function readChangeRecords(projectRoot: string): ChangeRecord[] {
  return listChanges(projectRoot).map((change) => parseChangeRecord(readFileSync(join(projectRoot, planJsonPath(change)), 'utf8'), planJsonPath(change)));
}
