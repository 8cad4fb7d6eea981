/**
 * The files a run writes, held in memory until the whole change is known (Angular schematics'
 * virtual tree). `--dry-run` prints `diff()`; a real run calls `commit()`, which writes every file
 * or none: a failed run leaves the project byte-for-byte as it was.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { BgScaffoldError, fail } from '../errors.js';

export interface StagedFile {
  /** Relative posix path from the project root. */
  path: string;
  /** The text on disk when the stage first looked at the file; null for a new file. */
  before: string | null;
  /** The text to write; null when the file is removed. */
  after: string | null;
}

/** What committing a staged file does to the project. */
export type FileAction = 'create' | 'modify' | 'delete';

export function fileAction(file: StagedFile): FileAction {
  return file.before === null ? 'create' : file.after === null ? 'delete' : 'modify';
}

/** The file system calls `commit()` makes; tests inject failures through this. */
export interface CommitFileSystem {
  readFile(file: string, encoding: 'utf8'): Promise<string>;
  writeFile(file: string, data: string, options: { encoding: 'utf8'; mode?: number }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  mkdir(dir: string): Promise<unknown>;
  rmdir(dir: string): Promise<void>;
  stat(file: string): Promise<{ mode: number; uid: number; gid: number; isFile(): boolean; isDirectory(): boolean }>;
  access(file: string, mode: number): Promise<void>;
  chmod(file: string, mode: number): Promise<void>;
  chown(file: string, uid: number, gid: number): Promise<void>;
  realpath(file: string): Promise<string>;
}

export const nodeFileSystem: CommitFileSystem = {
  readFile: (file, encoding) => fsp.readFile(file, encoding),
  writeFile: (file, data, options) => fsp.writeFile(file, data, options),
  rename: fsp.rename,
  unlink: fsp.unlink,
  mkdir: (dir) => fsp.mkdir(dir),
  rmdir: (dir) => fsp.rmdir(dir),
  stat: fsp.stat,
  access: fsp.access,
  chmod: fsp.chmod,
  chown: fsp.chown,
  realpath: fsp.realpath,
};

export interface StagedTreeOptions {
  fs?: CommitFileSystem;
}

export const TEMP_SUFFIX = '.bg-scaffold-tmp';

interface Entry {
  /** Disk content when first seen (null: absent). Commit refuses if the disk no longer matches. */
  baseline: string | null;
  /** null: the file is removed. */
  after: string | null;
}

/** One file's way onto disk during a commit. */
interface Landing {
  file: StagedFile;
  /** Where the bytes go: the staged path, or the file a symlink there points to. */
  target: string;
  temp: string;
  /** Mode, owner and group of the file being replaced or removed. */
  original: { mode: number; uid: number; gid: number } | null;
  tempWritten: boolean;
  /** The target now holds the new content (or is gone, for a removal). */
  landed: boolean;
}

export class StagedTree {
  readonly root: string;
  private readonly entries = new Map<string, Entry>();
  private readonly fs: CommitFileSystem;
  private committed = false;

  constructor(root: string, options: StagedTreeOptions = {}) {
    this.root = path.resolve(root);
    this.fs = options.fs ?? nodeFileSystem;
  }

  /** Staged content if staged, else the file on disk, else null. */
  read(file: string): string | null {
    const rel = this.normalize(file);
    const entry = this.entries.get(rel);
    return entry ? entry.after : this.readDisk(rel);
  }

  /**
   * True when a file is staged there or is on disk and not removed, or when a directory is there
   * on disk or will be made for staged files.
   */
  exists(file: string): boolean {
    const rel = this.normalize(file);
    const entry = this.entries.get(rel);
    if (entry) return entry.after !== null;
    for (const [staged, { after }] of this.entries) {
      if (after !== null && staged.startsWith(`${rel}/`)) return true;
    }
    try {
      statSync(this.absolute(rel));
      return true;
    } catch {
      return false;
    }
  }

  /** Stages a new file; refuses when anything is already at that path. */
  create(file: string, content: string): void {
    const rel = this.normalize(file);
    if (this.exists(rel)) fail(`${rel} already exists; remove it or choose another change id`);
    this.stage(rel, content);
  }

  /** Stages a file, new or overwritten; the text it replaces is kept for the diff and the commit check. */
  write(file: string, content: string): void {
    this.stage(this.normalize(file), content);
  }

  /** Stages the removal of a file; nothing happens if there is none. */
  remove(file: string): void {
    const rel = this.normalize(file);
    if (this.entries.has(rel) || this.readDisk(rel) !== null) this.stage(rel, null);
  }

  /** Files under a directory (at any depth) as they will be after the commit, sorted. */
  list(dir: string): string[] {
    const rel = this.normalize(dir);
    const found = new Set<string>();
    const walk = (relDir: string): void => {
      let names: string[];
      try {
        names = readdirSync(this.absolute(relDir));
      } catch {
        return;
      }
      for (const name of names) {
        const child = `${relDir}/${name}`;
        const stats = statSync(this.absolute(child), { throwIfNoEntry: false });
        if (stats?.isDirectory()) walk(child);
        else if (stats) found.add(child);
      }
    };
    walk(rel);
    for (const [file, entry] of this.entries) {
      if (!file.startsWith(`${rel}/`)) continue;
      if (entry.after === null) found.delete(file);
      else found.add(file);
    }
    return [...found].sort(byPath);
  }

  /** Staged files whose content changes, sorted by path. */
  files(): StagedFile[] {
    return [...this.entries.entries()]
      .filter(([, entry]) => entry.after !== entry.baseline)
      .map(([file, entry]) => ({ path: file, before: entry.baseline, after: entry.after }))
      .sort((a, b) => byPath(a.path, b.path));
  }

  /** A git-style unified diff of every changed file (`a/` and `b/` prefixes). */
  diff(): string {
    return this.files().map(fileDiff).join('');
  }

  /**
   * Writes every changed file, or none. Each file is first written to a temp sibling (which proves
   * it can be written, even as root), then renamed into place; removals come last. Any failure
   * restores what was there. Returns the paths written or removed.
   */
  async commit(): Promise<string[]> {
    if (this.committed) throw new Error('StagedTree.commit() called twice');
    this.committed = true;
    const files = this.files();
    if (files.length === 0) return [];

    const createdDirs: string[] = [];
    const landings: Landing[] = [];
    let current = files[0]!.path;
    try {
      for (const file of files) await this.checkUnchanged(file);
      const dirsToCreate = await this.checkWritable(files);
      for (const file of files) {
        current = file.path;
        landings.push(await this.prepareLanding(file));
      }
      for (const dir of dirsToCreate) {
        current = path.relative(this.root, dir);
        await this.fs.mkdir(dir);
        createdDirs.push(dir);
      }
      const writes = landings.filter((landing) => landing.file.after !== null);
      const removals = landings.filter((landing) => landing.file.after === null);
      for (const landing of writes) {
        current = landing.file.path;
        await this.writeTemp(landing);
      }
      // Again at the last moment before anything visible changes.
      for (const file of files) await this.checkUnchanged(file);
      for (const landing of writes) {
        current = landing.file.path;
        await this.fs.rename(landing.temp, landing.target);
        landing.landed = true;
      }
      for (const landing of removals) {
        current = landing.file.path;
        await this.fs.unlink(landing.target);
        landing.landed = true;
      }
    } catch (error) {
      const leftovers = await this.rollBack(landings, createdDirs);
      const reason = error instanceof BgScaffoldError ? error.message : `cannot write ${current}: ${describe(error)}`;
      if (leftovers.length === 0) throw new BgScaffoldError(`${reason}; nothing was written`);
      throw new BgScaffoldError(`${reason}; could not restore ${leftovers.join(', ')}: check them by hand (e.g. git status)`);
    }
    await this.pruneEmptyDirs(files.filter((file) => file.after === null));
    return files.map((file) => file.path);
  }

  private stage(rel: string, content: string | null): void {
    if (this.committed) throw new Error(`cannot stage ${rel}: the tree was already committed`);
    const entry = this.entries.get(rel);
    if (entry) entry.after = content;
    else this.entries.set(rel, { baseline: this.readDisk(rel), after: content });
  }

  private readDisk(rel: string): string | null {
    try {
      return readFileSync(this.absolute(rel), 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return null;
      if (errorCode(error) === 'EISDIR') fail(`${rel} is a directory, not a file`);
      fail(`cannot read ${rel}: ${describe(error)}`);
    }
  }

  /** A relative posix path inside the root, or a BgScaffoldError. */
  private normalize(file: string): string {
    const posix = file.replace(/\\/g, '/');
    const rel = path.posix.normalize(posix);
    if (path.posix.isAbsolute(rel) || rel === '..' || rel.startsWith('../') || rel === '.' || rel === '') {
      fail(`${file} is not a path inside the project`);
    }
    return rel.replace(/\/$/, '');
  }

  private absolute(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  /**
   * Checks, before touching the disk, that every file can land: no file where a directory must go,
   * no directory where a file must go, write permission on the nearest existing ancestor.
   * Returns the directories to create, parents first.
   */
  private async checkWritable(files: StagedFile[]): Promise<string[]> {
    const written = new Set(files.filter((file) => file.after !== null).map((file) => file.path));
    const toCreate = new Set<string>();
    for (const file of files) {
      const target = this.absolute(file.path);
      if (file.after === null) {
        // Removing needs write permission on the directory only.
        await this.checkAccess(file.path, path.dirname(target));
        continue;
      }
      const parts = file.path.split('/');
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join('/');
        if (written.has(dir)) fail(`cannot write ${file.path}: ${dir} is also written as a file`);
      }
      const existing = await this.statOrNull(target);
      if (existing?.isDirectory()) fail(`cannot write ${file.path}: it is a directory`);

      let dir = path.dirname(target);
      const missing: string[] = [];
      for (;;) {
        const stats = await this.statOrNull(dir);
        if (stats && !stats.isDirectory()) {
          fail(`cannot write ${file.path}: ${path.relative(this.root, dir)} is a file, not a directory`);
        }
        if (stats) break;
        missing.unshift(dir);
        dir = path.dirname(dir);
      }
      await this.checkAccess(file.path, dir);
      if (existing) await this.checkAccess(file.path, target);
      for (const m of missing) toCreate.add(m);
    }
    // Sorting puts every parent before its children.
    return [...toCreate].sort();
  }

  private async checkAccess(rel: string, file: string): Promise<void> {
    try {
      await this.fs.access(file, fsp.constants.W_OK);
    } catch (error) {
      fail(`cannot write ${rel}: ${describe(error, path.relative(this.root, file) || '.')}`);
    }
  }

  private async prepareLanding(file: StagedFile): Promise<Landing> {
    let target = this.absolute(file.path);
    let original: Landing['original'] = null;
    if (file.before !== null) {
      // Write through a symlink rather than replace it (a removal removes the link itself).
      if (file.after !== null) target = await this.fs.realpath(target);
      const stats = await this.fs.stat(target);
      original = { mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid };
    }
    const temp = path.join(path.dirname(target), `.${path.basename(target)}${TEMP_SUFFIX}`);
    return { file, target, temp, original, tempWritten: false, landed: false };
  }

  private async writeTemp(landing: Landing): Promise<void> {
    landing.tempWritten = true;
    await this.writeWithOwnership(landing.temp, landing.file.after!, landing.original);
  }

  private async writeWithOwnership(file: string, content: string, original: Landing['original']): Promise<void> {
    await this.fs.writeFile(file, content, { encoding: 'utf8', mode: original?.mode });
    if (original) {
      // writeFile's mode is filtered by the umask; set it exactly.
      await this.fs.chmod(file, original.mode);
      if (process.getuid?.() === 0) await this.fs.chown(file, original.uid, original.gid).catch(() => {});
    }
  }

  private async checkUnchanged(file: StagedFile): Promise<void> {
    let now: string | null;
    try {
      now = await this.fs.readFile(this.absolute(file.path), 'utf8');
    } catch (error) {
      // No text there; a directory in the way is reported by checkWritable.
      if (!['ENOENT', 'ENOTDIR', 'EISDIR'].includes(errorCode(error) ?? '')) {
        fail(`cannot read ${file.path}: ${describe(error)}`);
      }
      now = null;
    }
    if (now !== file.before) {
      const what = file.before === null ? 'was created' : now === null ? 'was deleted' : 'was changed';
      fail(`${file.path} ${what} on disk while bg-scaffold was working`);
    }
  }

  /** Undoes a partial commit. Returns the paths it could not restore (empty when all is well). */
  private async rollBack(landings: Landing[], createdDirs: string[]): Promise<string[]> {
    const leftovers: string[] = [];
    for (const landing of landings) {
      const { file } = landing;
      try {
        if (landing.landed) {
          if (file.before === null) await this.fs.unlink(landing.target);
          else await this.writeWithOwnership(landing.target, file.before, landing.original);
        } else if (landing.tempWritten) {
          await this.fs.unlink(landing.temp).catch((error) => {
            if (errorCode(error) !== 'ENOENT') throw error;
          });
        }
      } catch {
        leftovers.push(landing.landed ? file.path : path.relative(this.root, landing.temp));
      }
    }
    for (const dir of [...createdDirs].reverse()) {
      await this.fs.rmdir(dir).catch(() => leftovers.push(`${path.relative(this.root, dir)}/`));
    }
    return leftovers;
  }

  /** Removes the directories that removals left empty (best effort: the commit has succeeded). */
  private async pruneEmptyDirs(removed: StagedFile[]): Promise<void> {
    const dirs = new Set<string>();
    for (const file of removed) {
      for (let dir = path.posix.dirname(file.path); dir !== '.'; dir = path.posix.dirname(dir)) dirs.add(dir);
    }
    // Deepest first, so that a parent can go once its children are gone.
    for (const dir of [...dirs].sort((a, b) => b.split('/').length - a.split('/').length)) {
      await this.fs.rmdir(this.absolute(dir)).catch(() => {});
    }
  }

  private async statOrNull(file: string) {
    try {
      return await this.fs.stat(file);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      if (errorCode(error) === 'ENOTDIR') return null;
      throw error;
    }
  }
}

function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fileDiff(file: StagedFile): string {
  const mode = { create: 'new file mode 100644\n', delete: 'deleted file mode 100644\n', modify: '' }[fileAction(file)];
  const patch = createTwoFilesPatch(
    file.before === null ? '/dev/null' : `a/${file.path}`,
    file.after === null ? '/dev/null' : `b/${file.path}`,
    file.before ?? '',
    file.after ?? '',
    undefined,
    undefined,
    { headerOptions: FILE_HEADERS_ONLY },
  );
  return `diff --git a/${file.path} b/${file.path}\n${mode}${patch}`;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** A short reason for a file system error: `permission denied on shop/migrations`. */
function describe(error: unknown, where?: string): string {
  const on = where ? ` on ${where}` : '';
  switch (errorCode(error)) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied${on}`;
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENOTDIR':
      return `a path component is not a directory${on}`;
    case 'EISDIR':
      return `it is a directory${on}`;
    default:
      return error instanceof Error ? error.message.split('\n')[0]! : String(error);
  }
}
