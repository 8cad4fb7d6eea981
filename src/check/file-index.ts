/**
 * The scan's first pass, one file at a time: read the file once and note what the later steps need
 * from it, so that no file is read twice: its phase markers, whether it names a target (a candidate
 * for references), may declare models (the catalog reads it) or mentions a template (a view), and
 * then its text. Most files of a large tree are none of these, and are never decoded.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { isModelsModulePath, mayDeclareModels } from './model-catalog.js';
import { findMarkers, type Marker } from './markers.js';
import type { SourceFile } from './source-files.js';

/** What the first pass looks for. */
export interface IndexRequest {
  projectRoot: string;
  /** The names looked for; a model's name is matched without regard to case. */
  targets: Array<{ name: string; kind: 'field' | 'model' }>;
  /** Read phase markers (Python files, migrations included). */
  markers: boolean;
  /** Note the models and the views (the targets include a field, whose references are attributed). */
  attribution: boolean;
  /** Files read from here instead of the disk (relative posix path → text): a change being staged. */
  staged?: ReadonlyMap<string, string>;
}

export interface FileFacts {
  file: SourceFile;
  markers: Marker[];
  /** It names a target as a word (not in a migration): a candidate for references. */
  candidate: boolean;
  /** It may declare models (attribution only): the catalog reads it. */
  declaresModels: boolean;
  /** It mentions a template (attribution only): it may be a view that renders one. */
  namesTemplates: boolean;
  /** Its text, when any of the above holds. */
  text: string;
}

/** Bytes that say a Python file may hold a phase marker. */
const MARKER_BYTES = [Buffer.from('bg-scaffold'), Buffer.from('BG_SCAFFOLD')];
/** Bytes that say a Python file may declare model fields (mayDeclareModels) or name a template (a view). */
const MODEL_FILE_BYTES = [Buffer.from('Field('), Buffer.from('ForeignKey('), Buffer.from('template')];

export class FileIndexer {
  private readonly reader = new FileReader();
  /** null when a model's name is looked for: its case varies, so every file is decoded. */
  private readonly targetBytes: Buffer[] | null;
  private readonly appDirs = new Map<string, boolean>();

  constructor(private readonly request: IndexRequest) {
    this.targetBytes = request.targets.some((target) => target.kind === 'model') ? null : request.targets.map((target) => Buffer.from(target.name));
  }

  /** The facts of one file; null when it cannot be read (listed by git but gone) or holds nothing the scan needs. */
  index(file: SourceFile): FileFacts | null {
    const { request } = this;
    const staged = request.staged?.get(file.path);
    const bytes = staged !== undefined ? Buffer.from(staged) : this.reader.read(`${request.projectRoot}/${file.path}`);
    if (bytes === null) return null;
    const python = file.language === 'python';
    const attributing = python && !file.migration && request.attribution;
    const isAppDir = (dir: string) => this.isAppDir(dir);
    // A file is decoded only when its bytes hold something a later step reads: most files of a
    // large tree name neither the targets nor a model field, a template or a marker.
    const wanted =
      (request.markers && python && includesAny(bytes, MARKER_BYTES)) ||
      (attributing && (isModelsModulePath(file.path, isAppDir) || includesAny(bytes, MODEL_FILE_BYTES))) ||
      (!file.migration && this.mayNameTarget(bytes));
    if (!wanted) return null;
    const text = bytes.toString('utf8');
    return {
      file,
      markers: request.markers && python ? findMarkers(file.path, text) : [],
      candidate: !file.migration && mentionsAny(text, request.targets),
      declaresModels: attributing && mayDeclareModels(file.path, text, isAppDir),
      namesTemplates: attributing && text.includes('template'),
      text,
    };
  }

  private mayNameTarget(bytes: Buffer): boolean {
    return this.request.targets.length > 0 && (this.targetBytes === null || this.targetBytes.some((name) => bytes.includes(name)));
  }

  /** A folder of a Django app: it has an `apps.py` or numbered migrations. */
  private isAppDir(dir: string): boolean {
    let app = this.appDirs.get(dir);
    if (app === undefined) {
      const root = this.request.projectRoot;
      app = existsSync(join(root, dir, 'apps.py')) || hasMigrationFiles(join(root, dir, 'migrations'));
      this.appDirs.set(dir, app);
    }
    return app;
  }
}

/**
 * Whole-word occurrences, where `__` also separates words (`order__quantity__gte`). indexOf and two
 * character checks: several times faster than a regular expression with lookbehind on large trees.
 */
export function wordOccurrences(source: string, name: string, caseInsensitive: boolean): number[] {
  const haystack = caseInsensitive ? source.toLowerCase() : source;
  const needle = caseInsensitive ? name.toLowerCase() : name;
  const indices: number[] = [];
  for (let i = nextWord(haystack, needle, 0); i !== -1; i = nextWord(haystack, needle, i + 1)) indices.push(i);
  return indices;
}

/** A file without any of the names as a word is not looked at further. */
function mentionsAny(source: string, targets: IndexRequest['targets']): boolean {
  return targets.some((target) =>
    target.kind === 'model' ? nextWord(source.toLowerCase(), target.name.toLowerCase(), 0) !== -1 : nextWord(source, target.name, 0) !== -1,
  );
}

/** The first whole-word occurrence of `needle` at or after `from`, or -1. */
function nextWord(haystack: string, needle: string, from: number): number {
  for (let i = haystack.indexOf(needle, from); i !== -1; i = haystack.indexOf(needle, i + 1)) {
    if (isWordBoundary(haystack, i - 1, -1) && isWordBoundary(haystack, i + needle.length, 1)) return i;
  }
  return -1;
}

/** True when the character at `at` ends a word on that side: none, a non-word character, or a `__` separator. */
function isWordBoundary(text: string, at: number, direction: 1 | -1): boolean {
  if (at < 0 || at >= text.length || !isWordChar(text.charCodeAt(at))) return true;
  return text[at] === '_' && text[at + direction] === '_';
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function includesAny(bytes: Buffer, needles: Buffer[]): boolean {
  return needles.some((needle) => bytes.includes(needle));
}

/** A Django app's migrations folder: it holds numbered migrations (`0001_initial.py`). */
function hasMigrationFiles(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => /^\d{4}_\w*\.py$/.test(name));
  } catch {
    return false;
  }
}

/**
 * Reads a whole file into one buffer reused from file to file (no allocation, no stat per file: on a
 * tree of thousands of files the allocations' garbage costs more than the reads). The bytes are
 * valid until the next call.
 */
class FileReader {
  private buffer = Buffer.allocUnsafe(1 << 20);

  read(path: string): Buffer | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return null; // listed by git but deleted from the work tree
    }
    try {
      let length = 0;
      for (;;) {
        if (length === this.buffer.length) {
          const larger = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(larger, 0, 0, length);
          this.buffer = larger;
        }
        const read = readSync(fd, this.buffer, length, this.buffer.length - length, null);
        if (read === 0) return this.buffer.subarray(0, length);
        length += read;
      }
    } catch {
      return null; // a folder, or gone while read
    } finally {
      closeSync(fd);
    }
  }
}
