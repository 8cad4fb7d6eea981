/**
 * The two releases' code of a phase, each in a folder of its own: the tree as it stands with the
 * phase (the new release) and without it (the previous release). The user's tree is only read.
 *
 * In a git repository: the new release of the last generated phase is the working tree as it is
 * (uncommitted edits included); the previous release is HEAD while the phase's migration is not
 * committed, else the commit before the one that added it. An earlier phase's new release is the
 * commit before the one that added the next phase's migration. `--previous REF` names the previous
 * release instead. Outside git, the last generated phase's previous release is the working tree
 * with the phase's files taken out again: its migration removed, the record's models patch reversed.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { applyPatch, parsePatch, reversePatch } from 'diff';
import { BgScaffoldError } from '../errors.js';
import { phaseReviewDir, type ChangeRecord } from '../record/change-record.js';
import { runCommand } from './process.js';

export interface ReleaseTree {
  /** The project folder (with manage.py) inside the copy. */
  project: string;
  /** Where the code came from: `working tree`, `HEAD`, `a1b2c3d (the commit before phase 1's migration)`. */
  source: string;
}

export interface PhaseTrees {
  previous: ReleaseTree;
  next: ReleaseTree;
}

/** Folders that are never a release's code (a working tree's copy leaves them out). */
const NOT_CODE = new Set(['.git', 'node_modules', '.venv', 'venv', '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', '.tox']);

async function git(top: string, args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const result = await runCommand('git', ['-C', top, ...args]).catch((error: Error) => ({ code: 1, stdout: '', stderr: error.message }));
  return { ok: result.code === 0, out: result.stdout.trim(), err: result.stderr.trim() };
}

/** The repository's top folder, or null outside git (or without git installed). */
export async function gitTopLevel(projectRoot: string): Promise<string | null> {
  const top = await git(projectRoot, ['rev-parse', '--show-toplevel']);
  return top.ok && top.out ? top.out : null;
}

/** Builds phase `phase`'s two trees under `workDir` (`previous/`, `next/`). */
export async function phaseTrees(projectRoot: string, record: ChangeRecord, phase: number, workDir: string, previousRef?: string): Promise<PhaseTrees> {
  const generated = record.applied.length;
  const top = await gitTopLevel(projectRoot);
  const [previousDir, nextDir] = [path.join(workDir, 'previous'), path.join(workDir, 'next')];
  if (top === null) {
    if (previousRef) throw new BgScaffoldError(`--previous ${previousRef} needs a git repository, and ${projectRoot} is not in one`);
    if (phase !== generated) {
      throw new BgScaffoldError(`phase ${phase} is not the last generated phase (${generated}), and outside git only the last one's releases can be rebuilt; commit each release, or verify phase ${generated}`);
    }
    await copyFolder(projectRoot, nextDir);
    await copyFolder(projectRoot, previousDir);
    await undoPhase(previousDir, record, phase);
    return {
      previous: { project: previousDir, source: `the working tree without phase ${phase}'s files` },
      next: { project: nextDir, source: 'the working tree' },
    };
  }
  const inside = path.relative(top, projectRoot);
  const migrationOf = (k: number) => record.applied[k - 1]?.migration ?? null;
  const addedIn = async (k: number): Promise<string | null> => {
    const migration = migrationOf(k);
    if (!migration) return null;
    const file = path.posix.join(inside.split(path.sep).join('/'), migration);
    const committed = await git(top, ['cat-file', '-e', `HEAD:${file}`]);
    if (!committed.ok) return null;
    const log = await git(top, ['log', '--diff-filter=A', '--format=%H', '--', file]);
    const commits = log.out.split('\n').filter(Boolean);
    return commits[commits.length - 1] ?? null;
  };

  let previous: ReleaseTree;
  if (previousRef) {
    const resolved = await git(top, ['rev-parse', '--verify', '--quiet', `${previousRef}^{commit}`]);
    if (!resolved.ok) throw new BgScaffoldError(`--previous ${previousRef} is not a commit of the repository at ${top}; give a branch, tag or commit`);
    await exportCommit(top, resolved.out, previousDir);
    previous = { project: path.join(previousDir, inside), source: `${previousRef} (--previous)` };
  } else {
    const added = await addedIn(phase);
    const ref = added ? `${added}^` : 'HEAD';
    await exportCommit(top, ref, previousDir);
    previous = {
      project: path.join(previousDir, inside),
      source: added ? `${added.slice(0, 10)}^ (the commit before phase ${phase}'s migration)` : `HEAD (phase ${phase}'s migration is not committed)`,
    };
  }

  let next: ReleaseTree;
  if (phase === generated) {
    await copyWorkingTree(top, nextDir);
    next = { project: path.join(nextDir, inside), source: 'the working tree' };
  } else {
    const added = await addedIn(phase + 1);
    const ref = added ? `${added}^` : 'HEAD';
    await exportCommit(top, ref, nextDir);
    next = { project: path.join(nextDir, inside), source: added ? `${added.slice(0, 10)}^ (the commit before phase ${phase + 1}'s migration)` : 'HEAD' };
  }
  if (!existsSync(path.join(previous.project, 'manage.py'))) {
    throw new BgScaffoldError(`the previous release (${previous.source}) has no ${path.join(inside, 'manage.py')}; name it with --previous REF`);
  }
  return { previous, next };
}

/** A commit's files, as `git archive` gives them (no .git, nothing ignored or untracked). */
async function exportCommit(top: string, ref: string, dest: string): Promise<void> {
  await fs.mkdir(dest, { recursive: true });
  const archive = path.join(dest, '..', `${path.basename(dest)}.tar`);
  const made = await git(top, ['archive', '--format=tar', '-o', archive, ref]);
  if (!made.ok) throw new BgScaffoldError(`cannot read ${ref} from git: ${made.err.split('\n')[0]}`);
  const unpacked = await runCommand('tar', ['-xf', archive, '-C', dest]);
  await fs.rm(archive, { force: true });
  if (unpacked.code !== 0) throw new Error(`cannot unpack ${ref}: ${unpacked.stderr.trim()}`);
}

/** The working tree's files that git tracks or would add (ignored files stay out: caches, venvs, media). */
async function copyWorkingTree(top: string, dest: string): Promise<void> {
  const listed = await runCommand('git', ['-C', top, 'ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  if (listed.code !== 0) throw new Error(`git ls-files failed: ${listed.stderr.trim()}`);
  // A virtualenv or node_modules that the repository forgot to ignore is not code either.
  const files = listed.stdout.split('\0').filter((file) => file && !file.split('/').some((part) => NOT_CODE.has(part)));
  const dirs = new Set(files.map((file) => path.dirname(path.join(dest, file))));
  await Promise.all([...dirs].map((dir) => fs.mkdir(dir, { recursive: true })));
  for (const file of files) {
    const from = path.join(top, file);
    if (existsSync(from)) await fs.cp(from, path.join(dest, file), { verbatimSymlinks: true });
  }
}

async function copyFolder(from: string, dest: string): Promise<void> {
  await fs.cp(from, dest, { recursive: true, verbatimSymlinks: true, filter: (source) => !NOT_CODE.has(path.basename(source)) });
}

/** Takes phase `phase`'s files out of a copy of the tree: its migration, and its models edits (the record's patches reversed). */
async function undoPhase(tree: string, record: ChangeRecord, phase: number): Promise<void> {
  const migration = record.applied[phase - 1]?.migration;
  if (migration) await fs.rm(path.join(tree, migration), { force: true });
  const reviewDir = path.join(tree, phaseReviewDir(record.plan.change, phase));
  const patches = existsSync(reviewDir) ? (await fs.readdir(reviewDir, { recursive: true })).filter((name) => name.endsWith('.patch')) : [];
  for (const name of patches) {
    for (const patch of parsePatch(await fs.readFile(path.join(reviewDir, name), 'utf8'))) {
      const file = (patch.newFileName ?? '').replace(/^b\//, '');
      const target = path.join(tree, file);
      if (!file || !existsSync(target)) throw new BgScaffoldError(`cannot rebuild the previous release: ${file || name} is missing; commit each release to git and verify there`);
      const before = applyPatch(await fs.readFile(target, 'utf8'), reversePatch(patch));
      if (before === false) {
        throw new BgScaffoldError(`cannot rebuild the previous release: ${file} has changed since phase ${phase} was generated, so its patch does not reverse; commit each release to git and verify there`);
      }
      await fs.writeFile(target, before);
    }
  }
}
