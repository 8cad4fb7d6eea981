import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout's root: the nearest directory above this file whose package.json is bg-scaffold's.
 * Walking up (instead of a fixed `../..`) keeps it right when tsc has compiled this file into dist/.
 */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && isBgScaffoldManifest(manifest)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('test harness: cannot find the bg-scaffold checkout above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

function isBgScaffoldManifest(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'bg-scaffold';
  } catch {
    return false;
  }
}

/** `<repo>/.cache`: venvs and other provisioned tools live here (git ignores it). */
export function cacheDir(): string {
  return path.join(repoRoot(), '.cache');
}

/** The example Django project committed in the repo. */
export function shopExampleDir(): string {
  return path.join(repoRoot(), 'examples', 'shop');
}

/** One-line progress messages; the prefix tells harness output apart from test output. */
export function harnessLog(message: string): void {
  console.log(`[harness] ${message}`);
}
