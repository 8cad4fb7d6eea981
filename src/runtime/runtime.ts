/**
 * The runtime: the Python module every generated PostgreSQL migration imports
 * (`from ._bg_scaffold_v3 import RunDDL, ...`). bg-scaffold ships one version of it,
 * python/runtime/_bg_scaffold_v<N>.py, and copies it byte for byte into each app's migrations
 * folder. Its name carries its version: a change of behaviour is a new version, written beside the
 * old ones, which stay, so that every migration keeps running the code it was generated and tested
 * with. A unit test holds the shipped file to the hash recorded below, so that changing it means a
 * new version with a line in RUNTIME_HISTORY.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { packageRoot } from '../package-root.js';

/** The runtime version this bg-scaffold ships, and that the migrations it generates import. */
export const RUNTIME_VERSION = 7;

export interface RuntimeRelease {
  version: number;
  /**
   * sha256 (hex) of the shipped file; null for v1, which was rendered from a template whose
   * behaviour changed in place, so that its copies differ from one another.
   */
  sha256: string | null;
  /** What this version changed, one line per behaviour. */
  changes: string[];
}

/** Every runtime version, oldest first; the last is RUNTIME_VERSION. */
export const RUNTIME_HISTORY: readonly RuntimeRelease[] = [
  {
    version: 1,
    sha256: null,
    changes: [
      'each DDL step in its own short transaction under SET LOCAL lock_timeout, retried with backoff; every step safe to run again',
      'rendered from a template and changed in place under the same name until 2026-12-02, so v1 copies differ from one another',
    ],
  },
  {
    version: 2,
    sha256: '3ed97db237e20c96cac5977f423108e9f1c77ad0cf560abfc5db773fcfc7ddda',
    changes: [
      'a static file, versioned by name: copied byte for byte, and template packs no longer override it',
      "a backfill locks each batch's rows in key order (it deadlocked with the serving release's row locks)",
      'a step waits, without queueing writers, for long transactions that hold a lock on its tables (reading fresh activity, and skipping transactions that wait for the migration itself)',
      'behind autovacuum, a try waits lock_timeout + deadlock_timeout so that autovacuum gives way, instead of waiting it out',
      'VACUUM (ANALYZE) after a backfill, so that autovacuum does not hold the table against the next step',
      'backfills walk any orderable primary key (integer, UUID, text) in keyset batches of about 50 ms; every undo step is safe when its step never ran',
    ],
  },
  {
    version: 3,
    sha256: '65a5af92b9e1e8e4701a90e8c79f5bd862fe62a06344d8deb6a1034c3a1e15f7',
    changes: [
      'a try that waits for locks on more than one table (a foreign key and the table it points at) gives up before a writer it blocks could reach deadlock_timeout, with more tries; a deadlock cancels the try, never the writer (the previous release\'s INSERT failed while a foreign key was dropped)',
      'what sqlmigrate shows parses as SQL, for the linters that read it: every description is one line, and a backfill\'s batch statement is shown prepared, its first and last key $1 and $2',
      'a long backfill\'s progress line also says about how long is left (from the planner\'s row estimate and the pace so far)',
    ],
  },
  {
    version: 4,
    sha256: 'ca50e5284f7117dfa34c977dcddb5c999168a19327f64b7a27fad8ff86ebf0a6',
    changes: [
      'column swaps for change-column-type: SyncColumn (a trigger that fills a new column from the old one, failing a write whose value the new type cannot hold), MirrorColumn (every index and constraint of a column built again on another, from the catalog) and SwapColumns (the names swapped in one short transaction, identity, sequence and default moved; backwards, a refill and the swap back)',
    ],
  },
  {
    version: 5,
    sha256: 'c60d3d52b32c3b263c35ce2d7b8252a88f20a53a01f485c55d50ca5369684f08',
    changes: [
      'indexes and constraints without blocking writes: AddIndexConcurrently / RemoveIndexConcurrently (any Meta index, built and dropped CONCURRENTLY under its own name, an INVALID leftover rebuilt), AddConstraintConcurrently (a UniqueConstraint as a unique index built CONCURRENTLY, its duplicates named first; a CheckConstraint added NOT VALID and validated, its violations counted first), DropIndexConcurrently; a unique CreateIndexConcurrently names the duplicates that stop it',
      'AddForeignKey names the values that point at nothing before any lock, and drops its NOT VALID constraint again when validation meets one written since',
    ],
  },
  {
    version: 6,
    sha256: '94597f9025b1f4590551afd5480deb8aa7edab688f077b88071938d57dc7935c',
    changes: [
      'every step sets its statement_timeout: one that holds a lock writers wait for is stopped (StepTimedOut, undone) once it runs past its lock waits and a second, rather than stall them; one that blocks no writer (VALIDATE, a backfill batch, an index built CONCURRENTLY) runs with none, so a role\'s statement_timeout does not stop it halfway',
      'what sqlmigrate shows is each step as it runs, for the linters that read it (squawk): BEGIN, its SET LOCAL lock_timeout and statement_timeout, its statements, COMMIT; the drop of a step\'s own temporary check, and of the foreign key ReplaceForeignKey replaces, after squawk\'s ignore with the reason; an index built from Django\'s SQL is CREATE INDEX CONCURRENTLY IF NOT EXISTS',
      'SquawkIgnore and MigrationLinterIgnore: the linters\' own ignores (squawk-ignore-file in what sqlmigrate shows; django-migration-linter\'s IgnoreMigration, where it is installed) for what a migration does on purpose, each with why it is safe',
      'SetNotNull and DropNotNull describe themselves without the words NOT NULL, which django-migration-linter took, in a comment, for a NOT NULL being added',
    ],
  },
  {
    version: 7,
    sha256: '1dcc69979997b2164880fb73e51d81fa8062e44762bf31a42bf81a157af51a09',
    changes: [
      'BackfillInBatches on PostgreSQL 14+ walks the table\'s pages in physical order (Tid Range Scan), the loop on the server in DO blocks of about a second, each batch committed and aimed at 20 ms, rows a writer holds skipped (FOR UPDATE SKIP LOCKED: a batch never waits for a writer), then fills by key what the walk left; on PostgreSQL 13 and older, or in a transaction, the keyset walk of v6',
      'background backfills (issue 21): RegisterBackfill records a backfill (table, key, SET, WHERE, batch size, and the greatest key now, as text) in bg_scaffold_backfill, which it creates with bg_scaffold_backfill_batch the first time, and returns at once without touching the table; running it again changes nothing; backwards removes the registration and its batches',
      'BackfillCommand (manage.py bg_scaffold_backfill [--change] [--max-seconds] [--sleep-ratio] [--batch-size] [--status] [--pause/--resume NAME]) works the registered backfills in keyset batches up to that key, any key type cast from text to the column\'s own, each batch claimed with SKIP LOCKED, updated with its rows locked in key order and marked done in one transaction under lock_timeout with retries, so several workers share the work and a killed one loses only its batch; throttled (sleep in proportion to batch time, pause while replica lag or lock waiters on the table pass a bound), stopped cleanly by --max-seconds or SIGTERM and resumed by the next run',
      'RequireBackfillFinished, first in the next phase\'s migration, fails (BackfillNotFinished) naming each unfinished backfill\'s progress and the command to run, and PLAN.md for forcing past it, until they have finished',
    ],
  },
];

/** `_bg_scaffold_v3`: the module name of a runtime version. */
export function runtimeModuleName(version: number = RUNTIME_VERSION): string {
  return `_bg_scaffold_v${version}`;
}

/** `_bg_scaffold_v3.py`. */
export function runtimeFileName(version: number = RUNTIME_VERSION): string {
  return `${runtimeModuleName(version)}.py`;
}

/** The module the migrations this bg-scaffold generates import. */
export const RUNTIME_MODULE = runtimeModuleName();

/** `_bg_scaffold_v7.py` (a file name, or a path ending in one) → 7; null for any other file. */
export function runtimeVersionOf(path: string): number | null {
  const match = /(?:^|\/)_bg_scaffold_v([1-9][0-9]*)\.py$/.exec(path);
  return match ? Number(match[1]) : null;
}

/** Where the shipped runtime is: python/runtime/_bg_scaffold_v<N>.py in the package. */
export function shippedRuntimePath(): string {
  return join(packageRoot(), 'python', 'runtime', runtimeFileName());
}

let shipped: string | undefined;

/** The shipped runtime's text, which every copy must equal. */
export function shippedRuntime(): string {
  shipped ??= readFileSync(shippedRuntimePath(), 'utf8');
  return shipped;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The current version's entry of RUNTIME_HISTORY. */
export function currentRuntime(): RuntimeRelease {
  return RUNTIME_HISTORY.find((release) => release.version === RUNTIME_VERSION)!;
}

/** The versions after `version`, up to the current one, oldest first. */
export function releasesSince(version: number): RuntimeRelease[] {
  return RUNTIME_HISTORY.filter((release) => release.version > version && release.version <= RUNTIME_VERSION);
}

/** What changed after `version`, up to the current one: `v2: <line>` for each behaviour. */
export function changesSince(version: number): string[] {
  return releasesSince(version).flatMap((release) => release.changes.map((change) => `v${release.version}: ${change}`));
}

/** The runtime's copy for an app's migrations folder: the shipped file, byte for byte (no template: packs have no say in it). */
export function runtimeCopy(migrationsDir: string): { path: string; content: string } {
  return { path: posix.join(migrationsDir, runtimeFileName()), content: shippedRuntime() };
}
