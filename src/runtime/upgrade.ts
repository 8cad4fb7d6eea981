/**
 * `upgrade-runtime`'s staging: the shipped runtime written into every migrations folder whose copy
 * is older (with no current one beside it) or edited. Older versions are never changed or removed:
 * the migrations that import them must keep running the code they were generated and tested with.
 */
import { listSourceFiles } from '../check/source-files.js';
import { StagedTree } from '../stage/staged-tree.js';
import { runtimeCopies, runtimeProblems, type RuntimeProblem } from './copies.js';
import { shippedRuntime } from './runtime.js';

export interface RuntimeWrite {
  /** The current version's copy, relative posix path. */
  path: string;
  /** `older`: written beside an older copy (named in `beside`); `edited`: the shipped file put back. */
  reason: 'older' | 'edited';
  beside: string | null;
}

export interface RuntimeUpgrade {
  stage: StagedTree;
  writes: RuntimeWrite[];
  /** Copies newer than this bg-scaffold knows: left alone. */
  newer: Array<Extract<RuntimeProblem, { kind: 'newer' }>>;
  /** How many runtime copies the project has. */
  copies: number;
}

export function stageRuntimeUpgrade(projectDir: string): RuntimeUpgrade {
  const stage = new StagedTree(projectDir);
  const paths = listSourceFiles(projectDir, { migrations: true }).map((file) => file.path);
  const writes = new Map<string, RuntimeWrite>();
  const newer: RuntimeUpgrade['newer'] = [];
  for (const problem of runtimeProblems(projectDir, paths)) {
    if (problem.kind === 'newer') {
      newer.push(problem);
      continue;
    }
    const path = problem.kind === 'older' ? problem.current : problem.copy.path;
    if (writes.has(path)) continue;
    writes.set(path, { path, reason: problem.kind, beside: problem.kind === 'older' ? problem.copy.path : null });
    stage.write(path, shippedRuntime());
  }
  return { stage, writes: [...writes.values()], newer, copies: runtimeCopies(paths).length };
}
