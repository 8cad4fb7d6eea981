/**
 * Rule 5: the runtime copies in the project's migrations folders against the runtime this
 * bg-scaffold ships (src/runtime/). A finding belongs to no change: its change is `-`.
 */
import { toolVersion } from '../package-root.js';
import { runtimeProblems, type RuntimeProblem } from '../runtime/copies.js';
import { RUNTIME_VERSION, releasesSince, runtimeFileName } from '../runtime/runtime.js';
import { finding, NO_CHANGE, type Finding } from './findings.js';

/** One finding per runtime copy that is older (with no current one beside it), edited, or newer. */
export function staleRuntimeFindings(projectRoot: string, paths: readonly string[]): Finding[] {
  return runtimeProblems(projectRoot, paths).map((problem) => finding('stale-runtime', NO_CHANGE, staleRuntimeMessage(problem), { file: problem.copy.path, line: 1 }));
}

export function staleRuntimeMessage(problem: RuntimeProblem): string {
  const ours = `bg-scaffold ${toolVersion()}`;
  const { version } = problem.copy;
  switch (problem.kind) {
    case 'older': {
      const changed = releasesSince(version).map((release) => `v${release.version}: ${release.changes.join('; ')}`);
      return (
        `runtime v${version} is older than the v${RUNTIME_VERSION} that ${ours} ships, and there is no ${runtimeFileName()} beside it; ` +
        `changed since v${version}: ${changed.join('; ')}; ` +
        `bg-scaffold upgrade-runtime writes ${runtimeFileName()} beside it (the migrations that import v${version} keep it)`
      );
    }
    case 'edited':
      return `differs from the runtime ${ours} ships (v${RUNTIME_VERSION}, python/runtime/${runtimeFileName()}): the migrations that import it run code bg-scaffold never tested; bg-scaffold upgrade-runtime puts the shipped file back`;
    case 'newer':
      return `runtime v${version} is newer than the v${RUNTIME_VERSION} that ${ours} ships: upgrade bg-scaffold`;
  }
}
