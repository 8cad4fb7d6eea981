/**
 * The tests' PostgreSQL: BG_TEST_DATABASE_URL's server, else a throwaway local cluster of this run
 * (src/verify/postgres.ts, the one `bg-scaffold verify` starts).
 */
import { ensureDjangoEnv } from './python-env.js';
import { harnessLog } from './repo.js';
import {
  findPgBinDir,
  findPsql,
  localAdminUrl,
  PsqlClient,
  PsycopgClient,
  serverOver,
  startLocalServer as startCluster,
  stopLocalServer,
  stopLocalServerSync,
  type LocalServerInfo,
  type PgServer,
  type SqlClient,
} from '../../src/verify/postgres.js';

export {
  embeddedPackageBinDir,
  embeddedPgBinDir,
  findPgBinDir,
  newestFirst,
  stopLocalServer,
  type LocalServerInfo,
  type PgServer,
} from '../../src/verify/postgres.js';

export interface StartPostgresOptions {
  /** The server binaries to run (one PostgreSQL major version: postgresMajorBinDir); default findPgBinDir(). */
  binDir?: string;
  /**
   * The process whose exit ends the server (default: this one). A watchdog stops the server and removes its
   * files when that process is gone, so a killed test run leaves no postgres behind.
   */
  ownerPid?: number;
}

/** Starts a throwaway local cluster that lives until stopLocalServer() or until `ownerPid` exits. */
export function startLocalServer(ownerPid: number, binDir = findPgBinDir()): Promise<LocalServerInfo> {
  if (!binDir) {
    throw new Error('test harness: no PostgreSQL server binaries (initdb, postgres) found. Install them (Debian: apt-get install postgresql) or set BG_TEST_DATABASE_URL.');
  }
  return startCluster(ownerPid, binDir, harnessLog);
}

/**
 * A server for this process: BG_TEST_DATABASE_URL's when set, else a throwaway local cluster (initdb into
 * a temp dir, loopback only, trust auth, fsync off). As root, the cluster runs as the `postgres` user,
 * because PostgreSQL refuses to run as root.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PgServer> {
  const external = process.env.BG_TEST_DATABASE_URL;
  if (external) return externalServer(external);
  const info = await startLocalServer(options.ownerPid ?? process.pid, options.binDir);
  const server = localServer(info);
  if ((options.ownerPid ?? process.pid) === process.pid) {
    // Best effort if the process ends without calling stop(); the watchdog covers kills.
    const onExit = () => stopLocalServerSync(info);
    process.once('exit', onExit);
    return { ...server, stop: async () => { process.off('exit', onExit); await stopLocalServer(info); } };
  }
  return server;
}

/** A PgServer for an already running local server (started by another process of this test run). */
export function attachLocalServer(info: LocalServerInfo): PgServer {
  return { ...localServer(info), stop: async () => {} };
}

function localServer(info: LocalServerInfo): PgServer {
  // The embedded server ships no psql: the 5.2 venv's psycopg talks to it then.
  const psql = findPsql(info.binDir);
  const client: SqlClient = psql ? new PsqlClient(psql) : psycopgOfTheTests();
  return serverOver(localAdminUrl(info), client, () => stopLocalServer(info));
}

function externalServer(rawUrl: string): PgServer {
  let parsed: URL;
  try {
    parsed = new URL(rawUrl);
  } catch {
    throw new Error(`BG_TEST_DATABASE_URL is not a URL: ${rawUrl}`);
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error(`BG_TEST_DATABASE_URL must be a postgres:// URL, not ${parsed.protocol}//`);
  const psql = findPsql(findPgBinDir());
  const client: SqlClient = psql ? new PsqlClient(psql) : psycopgOfTheTests();
  return serverOver(rawUrl, client, async () => {});
}

let dbCounter = 0;

/** A database name no other test process will pick: prefix, pid, time and a counter. */
export function uniqueDatabaseName(prefix = 'test'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^([^a-z_])/, '_$1');
  const suffix = `_${process.pid}_${Date.now().toString(36)}_${dbCounter++}`;
  return (clean.slice(0, 63 - suffix.length) + suffix).slice(0, 63);
}

/** The 5.2 venv's psycopg, for a server on a machine without psql. */
function psycopgOfTheTests(): SqlClient {
  return new PsycopgClient(async () => (await ensureDjangoEnv('5.2')).python);
}
