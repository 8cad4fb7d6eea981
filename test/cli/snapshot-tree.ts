/** "Tree unchanged" assertions: a map of every path under a directory to what is there. */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';

export interface SnapshotOptions {
  /** Directory names skipped wherever they occur. */
  ignore?: string[];
}

/**
 * Relative posix path → sha256 of a file's bytes plus its mode (`<sha256> <mode>`), `dir <mode>`
 * for a directory, `link <target>` for a symlink. Equal snapshots mean byte-for-byte equal trees.
 */
export function snapshotTree(dir: string, options: SnapshotOptions = {}): Map<string, string> {
  const ignore = new Set(options.ignore ?? ['.git', 'node_modules']);
  const snapshot = new Map<string, string>();
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs).sort()) {
      if (ignore.has(name)) continue;
      const childAbs = path.join(abs, name);
      const childRel = rel ? `${rel}/${name}` : name;
      const stats = lstatSync(childAbs);
      const mode = (stats.mode & 0o7777).toString(8);
      if (stats.isSymbolicLink()) {
        snapshot.set(childRel, `link ${readlinkSync(childAbs)}`);
      } else if (stats.isDirectory()) {
        snapshot.set(childRel, `dir ${mode}`);
        walk(childAbs, childRel);
      } else {
        const hash = createHash('sha256').update(readFileSync(childAbs)).digest('hex');
        snapshot.set(childRel, `${hash} ${mode}`);
      }
    }
  };
  walk(dir, '');
  return snapshot;
}
