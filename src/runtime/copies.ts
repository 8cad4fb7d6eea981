/**
 * The runtime copies in a project (`<app>/migrations/_bg_scaffold_v<N>.py`) measured against the
 * runtime this bg-scaffold ships: what `check` reports and what `upgrade-runtime` writes. Older
 * copies are never changed: the migrations that import them keep the code they were tested with.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { RUNTIME_VERSION, runtimeFileName, runtimeVersionOf, shippedRuntime } from './runtime.js';

export interface RuntimeCopy {
  /** Relative posix path from the project root. */
  path: string;
  /** Its migrations folder. */
  dir: string;
  version: number;
}

export type RuntimeProblem =
  /** An older version, and no copy of the current one (or a newer one) beside it. */
  | { kind: 'older'; copy: RuntimeCopy; current: string }
  /** The current version's name, with other content than the shipped file. */
  | { kind: 'edited'; copy: RuntimeCopy }
  /** A version this bg-scaffold does not know. */
  | { kind: 'newer'; copy: RuntimeCopy };

/** The runtime copies among `paths` (relative posix paths from the project root), sorted by path. */
export function runtimeCopies(paths: readonly string[]): RuntimeCopy[] {
  const copies: RuntimeCopy[] = [];
  for (const path of paths) {
    const version = runtimeVersionOf(path);
    const dir = posix.dirname(path);
    if (version !== null && posix.basename(dir) === 'migrations') copies.push({ path, dir, version });
  }
  return copies.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** What is wrong with the project's runtime copies, in path order; empty when nothing is. */
export function runtimeProblems(projectRoot: string, paths: readonly string[]): RuntimeProblem[] {
  const texts = new Map(runtimeCopies(paths).map((copy) => [copy, readCopy(projectRoot, copy.path)] as const));
  const copies = [...texts.keys()].filter((copy) => texts.get(copy) !== null);
  const problems: RuntimeProblem[] = [];
  for (const copy of copies) {
    const beside = copies.filter((other) => other.dir === copy.dir);
    if (copy.version > RUNTIME_VERSION) {
      problems.push({ kind: 'newer', copy });
    } else if (copy.version === RUNTIME_VERSION) {
      if (texts.get(copy) !== shippedRuntime()) problems.push({ kind: 'edited', copy });
    } else if (!beside.some((other) => other.version >= RUNTIME_VERSION)) {
      problems.push({ kind: 'older', copy, current: posix.join(copy.dir, runtimeFileName()) });
    }
  }
  return problems;
}

/** A copy's text; null when it is gone (git lists files deleted from the work tree too). */
function readCopy(projectRoot: string, path: string): string | null {
  try {
    return readFileSync(join(projectRoot, ...path.split('/')), 'utf8');
  } catch {
    return null;
  }
}
