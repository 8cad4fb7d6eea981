/** How a `--pack` value is read: a folder or an npm package name. Light, for the command line's parsing. */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

/** npm's rule for package names (lowercase, optionally scoped). */
const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

export function isPackageName(spec: string): boolean {
  return PACKAGE_NAME.test(spec);
}

/**
 * A pack as written on the command line or in the config: a folder (relative to `base`) unless it
 * is an npm package name and no folder of that name is there. `./name` always means a folder.
 */
export function packSpec(spec: string, base: string): string {
  const folder = resolve(base, spec);
  if (!isPackageName(spec) || isDirectory(folder)) return folder;
  return spec;
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
