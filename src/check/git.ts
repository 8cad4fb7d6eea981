/**
 * The few questions `status` and `check` ask git, run in the project folder (which may be a
 * subfolder of the repository: paths stay relative to the project).
 */
import { execFileSync } from 'node:child_process';
import { fail } from '../errors.js';

function git(projectRoot: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, {
      cwd: projectRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch {
    return null;
  }
}

export function isGitWorkTree(projectRoot: string): boolean {
  return git(projectRoot, ['rev-parse', '--is-inside-work-tree'])?.trim() === 'true';
}

/** ISO date of the last commit that touched `file`, or null (not committed, or not a repository). */
export function lastCommitDate(projectRoot: string, file: string): string | null {
  const date = git(projectRoot, ['log', '-1', '--format=%cI', '--', file])?.trim();
  return date ? date : null;
}

/** Checks that `ref` names a commit; a one-line error otherwise. Returns the commit id. */
export function resolveRef(projectRoot: string, ref: string): string {
  if (!isGitWorkTree(projectRoot)) fail(`--since needs a git repository, and ${projectRoot} is not in one`);
  if (ref.startsWith('-')) fail(`--since "${ref}" is not a git revision`);
  const commit = git(projectRoot, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])?.trim();
  if (!commit) fail(`--since "${ref}" is not a commit in this repository (a tag, branch or commit id, e.g. v1.4.0)`);
  return commit;
}

/** A file's text at a commit, or null when it did not exist there. `file` is relative to the project. */
export function showAt(projectRoot: string, commit: string, file: string): string | null {
  return git(projectRoot, ['show', `${commit}:./${file}`]);
}

/** Files at a commit (relative to the project) whose text contains `text`. */
export function filesContainingAt(projectRoot: string, commit: string, text: string, pathspec: string[]): string[] {
  const output = git(projectRoot, ['grep', '-l', '-F', '-e', text, commit, '--', ...pathspec]);
  if (!output) return [];
  // Lines read `<commit>:<path>`.
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(commit.length + 1));
}
