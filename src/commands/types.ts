/**
 * What the CLI asks of the command layer, and what it gets back. The command layer runs
 * discover → plan → render → stage; the CLI decides whether to print a diff (--dry-run) or commit.
 */
import type { Database, DiscoveryInfo } from '../project/types.js';
import type { ChangePlan } from '../operations/shared/types.js';
import type { StagedTree } from '../stage/staged-tree.js';

export interface CommonOptions {
  /** Absolute path of the Django project (the folder with manage.py). */
  projectDir: string;
  database?: Database;
  djangoVersion?: string;
  /** Template packs named with --pack, in order. */
  packs?: string[];
  lockTimeout?: string;
  lockRetries?: number;
  batchSize?: number;
  /** The interpreter and settings module Django is asked with (src/project/introspect.ts). */
  python?: string;
  settings?: string;
  /** Read the source without asking Django. */
  static?: boolean;
}

export type { RenameColumnRequest } from '../operations/rename-column/operation.js';

export interface AdvanceRequest extends CommonOptions {
  change: string;
}

/** The outcome of a command before anything is written. */
export interface StagedChange {
  plan: ChangePlan;
  /** The phase this run applies to the project. */
  phase: number;
  stage: StagedTree;
  /** Printed to stderr (and included in --json). */
  warnings: string[];
  /** A few human lines for the end of a successful run: what was written and what to do next. */
  nextSteps: string[];
  /** How the project was read (through Django, or statically), for one `note:` line. */
  discovery?: DiscoveryInfo;
}
