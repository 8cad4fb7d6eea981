/**
 * Which files of a project the reference scanner reads: Python sources and templates (Django and Jinja2),
 * never migrations, the change records, virtualenvs or dependencies. In a git work tree the list
 * comes from `git ls-files` (tracked plus untracked-but-not-ignored, as a pre-commit hook sees it),
 * else from a walk of the tree.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { RECORD_ROOT } from '../record/change-record.js';

export type SourceLanguage = 'python' | 'template';

export interface SourceFile {
  /** Relative posix path from the project root. */
  path: string;
  language: SourceLanguage;
  /** A migration: read for its markers, never for references. */
  migration?: boolean;
}

/** Directories never worth reading: VCS, caches, environments, dependencies, our own records. */
const SKIPPED_DIRS = new Set([
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  'site-packages',
  RECORD_ROOT,
]);

const TEMPLATE_EXTENSIONS = new Set(['.html', '.htm', '.txt', '.xml', '.email', '.djhtml']);
/** Jinja2 templates: their extensions say what they are, wherever they are. */
const JINJA_EXTENSIONS = new Set(['.jinja', '.jinja2', '.j2']);

/**
 * Migrations and the change record are the change's own files: they name the old field on purpose.
 * Exported so that callers can apply the same rule to paths they list themselves.
 */
export function isGeneratedPath(path: string): boolean {
  return isMigrationPath(path) || isSkippedPath(path);
}

function isMigrationPath(path: string): boolean {
  return path.split('/').includes('migrations');
}

function isSkippedPath(path: string): boolean {
  return path.split('/').some((part) => SKIPPED_DIRS.has(part));
}

/**
 * The language of a file the scanner reads, or null for every other file. `templateDirs` are the
 * folders the template engines load from, as Django reported them (relative, posix).
 */
export function languageOf(path: string, templateDirs: readonly string[] = []): SourceLanguage | null {
  if (path.endsWith('.py')) return 'python';
  const dot = path.lastIndexOf('.');
  const extension = dot === -1 ? '' : path.slice(dot).toLowerCase();
  if (extension === '.html' || extension === '.htm' || extension === '.djhtml' || JINJA_EXTENSIONS.has(extension)) return 'template';
  // Plain-text and XML templates (e-mails, sitemaps) count only in a folder templates are loaded
  // from: one named templates/, or one the settings name (DIRS: BASE_DIR / "mail").
  if (TEMPLATE_EXTENSIONS.has(extension) && (path.split('/').includes('templates') || templateDirs.some((dir) => path.startsWith(`${dir}/`)))) return 'template';
  return null;
}

interface ListingOptions {
  /** Python migrations too (for their markers). */
  migrations?: boolean;
  /** Folders the template engines load from (Django's settings; relative, posix). */
  templateDirs?: readonly string[];
}

/** Python files and templates the scanner reads; with `migrations`, Python migrations too (for their markers). */
export function listSourceFiles(projectRoot: string, options: ListingOptions = {}): SourceFile[] {
  const paths = gitFiles(projectRoot, ['--cached', '--others', '--exclude-standard']) ?? walk(projectRoot);
  return sourceFilesOf([...new Set(paths)], options);
}

/**
 * The same files in two parts, for a reader that can start at once: git's tracked files now, and the
 * untracked ones (not ignored) when git has walked the tree for them, which on a large tree takes
 * longer than listing the index. Outside a work tree, all files come now.
 */
export function listSourceFilesInTwo(projectRoot: string, options: ListingOptions = {}): { tracked: SourceFile[]; untracked: Promise<SourceFile[]> } {
  const tracked = gitFiles(projectRoot, ['--cached']);
  if (tracked === null) return { tracked: sourceFilesOf(walk(projectRoot), options), untracked: Promise.resolve([]) };
  const untrackedPaths = gitFilesLater(projectRoot, ['--others', '--exclude-standard']);
  const trackedSet = new Set(tracked);
  return {
    tracked: sourceFilesOf([...trackedSet], options),
    // A failure here (git gone mid-run) leaves the untracked files out, as outside a work tree.
    untracked: untrackedPaths.then((paths) => sourceFilesOf([...new Set(paths)].filter((path) => !trackedSet.has(path)), options)).catch(() => []),
  };
}

function sourceFilesOf(paths: string[], options: ListingOptions): SourceFile[] {
  const files: SourceFile[] = [];
  for (const path of paths) {
    const language = languageOf(path, options.templateDirs);
    if (!language) continue;
    const parts = path.split('/');
    if (parts.some((part) => SKIPPED_DIRS.has(part))) continue;
    if (!parts.includes('migrations')) files.push({ path, language });
    else if (options.migrations && language === 'python') files.push({ path, language, migration: true });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const GIT_LIST_OPTIONS = { encoding: 'utf8' as const, maxBuffer: 256 * 1024 * 1024 };

/**
 * Files git lists under the root (relative to it), or null outside a work tree. `--cached` lists
 * files deleted from the work tree too; readers skip those that are gone.
 */
function gitFiles(projectRoot: string, which: string[]): string[] | null {
  try {
    return execFileSync('git', ['ls-files', '-z', ...which], { ...GIT_LIST_OPTIONS, cwd: projectRoot, stdio: ['ignore', 'pipe', 'ignore'] }).split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

function gitFilesLater(projectRoot: string, which: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('git', ['ls-files', '-z', ...which], { ...GIT_LIST_OPTIONS, cwd: projectRoot }, (error, stdout) =>
      error ? reject(error) : resolve(stdout.split('\0').filter(Boolean)),
    );
  });
}

function walk(projectRoot: string): string[] {
  const found: string[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(join(projectRoot, dir), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = dir ? posix.join(dir, entry.name) : entry.name;
      if (entry.isDirectory()) {
        // A virtualenv under any name holds pyvenv.cfg.
        if (!SKIPPED_DIRS.has(entry.name) && !existsSync(join(projectRoot, path, 'pyvenv.cfg'))) pending.push(path);
      } else if (entry.isFile()) {
        found.push(path);
      }
    }
  }
  return found;
}
