/** `bg-scaffold status`: every change in the project, where it stands, what comes next, how long it has waited. */
import { readChangeRecords } from '../record/change-record.js';
import { registeredBackfills } from './backfills.js';
import { appliedMigrations, phasesApplied, type Environment, type EnvironmentPhases } from './environments.js';
import { collectChanges, daysBetween, waitingSince, type ChangeInFlight } from './changes.js';
import { isGitWorkTree } from './git.js';
import { scanProject } from './references.js';

export interface ChangeStatus {
  change: string;
  op: string;
  strategy: string | null;
  app: string | null;
  model: string | null;
  /** Phases applied so far. */
  phase: number;
  phases: number;
  complete: boolean;
  /** False when only markers in the code name the change (no `.bg-scaffold/<change>/plan.json`). */
  recorded: boolean;
  /** The phase that ships next, or null when the change is complete (or unrecorded). */
  next: { phase: number; title: string; command: string } | null;
  /** Since when the current phase has waited (ISO date), and how that was learnt. */
  waitingSince: string | null;
  waitedDays: number | null;
  dateSource: 'git' | 'record' | null;
  /** With --database-url: per environment, the phases its database has applied. */
  environments?: EnvironmentPhases[];
}

export interface StatusReport {
  changes: ChangeStatus[];
}

export interface StatusOptions {
  now: Date;
  onProgress?: (done: number, total: number) => void;
  /** Environments whose django_migrations say which phases ran there, and the Python to read SQLite or a server without psql. */
  environments?: Environment[];
  python?: string;
}

export async function projectStatus(projectRoot: string, options: StatusOptions): Promise<StatusReport> {
  const records = readChangeRecords(projectRoot);
  const { markers } = await scanProject(projectRoot, { targets: [], markers: true, onProgress: options.onProgress });
  const inGit = isGitWorkTree(projectRoot);
  const environments = options.environments ?? [];
  const python = options.python ?? 'python3';
  const [migrations, backfills] = await Promise.all([
    Promise.all(environments.map((environment) => appliedMigrations(environment, python))),
    Promise.all(environments.map((environment) => registeredBackfills(environment, python))),
  ]);
  const changes = collectChanges(records, markers).map((change) => {
    const status = changeStatus(projectRoot, change, inGit, options.now);
    if (environments.length === 0 || !change.record) return status;
    const record = change.record;
    return {
      ...status,
      environments: environments.map((environment, i) => {
        const own = (backfills[i] ?? []).filter((backfill) => backfill.change === change.change);
        return { environment: environment.name, applied: phasesApplied(record, migrations[i]!), ...(own.length > 0 ? { backfills: own } : {}) };
      }),
    };
  });
  return { changes };
}

export function changeStatus(projectRoot: string, change: ChangeInFlight, inGit: boolean, now: Date): ChangeStatus {
  const complete = change.applied >= change.phases;
  const nextPhase = change.record && !complete ? change.record.plan.phases[change.applied] : undefined;
  const waiting = waitingSince(projectRoot, change, inGit);
  return {
    change: change.change,
    op: change.op,
    strategy: change.strategy,
    app: change.app,
    model: change.model,
    phase: change.applied,
    phases: change.phases,
    complete,
    recorded: change.record !== null,
    next: nextPhase
      ? { phase: nextPhase.number, title: nextPhase.title, command: `bg-scaffold advance ${change.change}` }
      : null,
    waitingSince: waiting?.since ?? null,
    waitedDays: waiting ? daysBetween(waiting.since, now) : null,
    dateSource: waiting?.source ?? null,
  };
}
