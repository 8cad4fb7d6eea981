/**
 * The load: pgbench scripts that write the way the serving release's ORM writes, and pgbench
 * itself, in closed loop (to find the maximum throughput) or open loop (-R) with a log of every
 * transaction.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { PgServer } from '../../test/harness/postgres.js';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { failedWrites, parsePgbenchLogLine, type Transaction } from './metrics.js';

/** A concrete column of the model, as Django's ORM sees it (bench/stall/django_helper.py columns). */
export interface OrmColumn {
  name: string;
  column: string;
  dbType: string;
  primaryKey: boolean;
  unique: boolean;
  null: boolean;
  relatedTable: string | null;
}

export interface OrmModel {
  table: string;
  columns: OrmColumn[];
}

export interface LoadScripts {
  /** `Model.objects.create(...)`: one INSERT naming every column. */
  insert: string;
  /** `get()` then `save()`: a SELECT and an UPDATE, each naming every column. */
  update: string;
}

/** How many rows the tables the load refers to have: ids run from 1 to these. */
export type RowCounts = Record<string, number>;

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * pgbench scripts for the ORM of one release. Each statement names every concrete column, as
 * Django does, so a column that release's model has cannot vanish under it unnoticed: pgbench
 * reports the error. The UPDATE changes the integer and short text columns and writes the others
 * back unchanged, as `save()` after editing two fields does.
 */
export function ormScripts(model: OrmModel, rows: RowCounts): LoadScripts {
  const pk = model.columns.find((c) => c.primaryKey);
  if (!pk) throw new Error(`bench: ${model.table} has no primary key column`);
  const written = model.columns.filter((c) => !c.primaryKey);
  const variables = new Map<string, string>([['qty', 'random(1, 10)']]);
  const related = (c: OrmColumn) => {
    const count = rows[c.relatedTable!];
    if (!count) throw new Error(`bench: no row count for ${c.relatedTable}, which ${model.table}.${c.column} refers to`);
    const variable = `ref_${c.column}`;
    variables.set(variable, `random(1, ${count})`);
    return `:${variable}`;
  };
  const inserted = written.map((c) => (c.relatedTable ? related(c) : insertValue(c)));
  const ownRows = rows[model.table];
  if (!ownRows) throw new Error(`bench: no row count for ${model.table}`);
  const set = written.map((c) => `${q(c.column)} = ${updateValue(c)}`);
  const header = [...variables].map(([name, expr]) => `\\set ${name} ${expr}`);
  const columns = model.columns.map((c) => q(c.column)).join(', ');
  const insert = [
    ...header,
    `INSERT INTO ${q(model.table)} (${written.map((c) => q(c.column)).join(', ')}) VALUES (${inserted.join(', ')}) RETURNING ${q(pk.column)};`,
  ];
  const update = [
    `\\set id random(1, ${ownRows})`,
    `\\set qty random(1, 10)`,
    `SELECT ${columns} FROM ${q(model.table)} WHERE ${q(pk.column)} = :id;`,
    `UPDATE ${q(model.table)} SET ${set.join(', ')} WHERE ${q(pk.column)} = :id;`,
  ];
  return { insert: insert.join('\n') + '\n', update: update.join('\n') + '\n' };
}

function insertValue(c: OrmColumn): string {
  const type = c.dbType.toLowerCase();
  if (/^(integer|bigint|smallint)\b/.test(type)) return ':qty';
  const varchar = /^varchar\((\d+)\)/.exec(type);
  if (varchar || type === 'text') {
    // Unique text gets a random value; 18 hex digits make a clash among millions of rows unlikely.
    if (c.unique) return `'L' || upper(substr(md5(random()::text), 1, ${Math.min(18, Number(varchar?.[1] ?? 19) - 1)}))`;
    return type === 'text' ? "''" : `'${'new'.slice(0, Number(varchar![1]))}'`;
  }
  if (type.startsWith('timestamp')) return 'now()';
  if (type === 'date') return 'current_date';
  if (type === 'boolean') return 'true';
  if (type.startsWith('numeric')) return '1';
  if (type === 'double precision' || type === 'real') return '1.5';
  if (type === 'uuid') return 'gen_random_uuid()';
  if (type === 'jsonb') return "'{}'";
  throw new Error(`bench: no value rule for column ${c.column} of type ${c.dbType}; add one in bench/stall/load.ts`);
}

function updateValue(c: OrmColumn): string {
  const type = c.dbType.toLowerCase();
  if (!c.relatedTable && /^(integer|bigint|smallint)\b/.test(type)) return ':qty';
  const varchar = /^varchar\((\d+)\)/.exec(type);
  if (varchar && !c.unique && Number(varchar[1]) >= 4) return "'paid'";
  return q(c.column); // the value the ORM read, written back
}

export interface PgbenchTarget {
  pgbench: string;
  server: PgServer;
  db: string;
  /** Where scripts and logs go; emptied first. */
  dir: string;
  clients: number;
  threads: number;
  /** pgbench -M. */
  protocol: 'prepared' | 'extended' | 'simple';
}

/** Closed loop for `seconds`: the maximum throughput of this load, in transactions per second. */
export async function maxThroughput(target: PgbenchTarget, scripts: LoadScripts, seconds: number): Promise<number> {
  const files = await writeScripts(target.dir, scripts);
  const result = await runPgbench(target, [...files, '-T', String(seconds)], `bench_max_${process.pid}`);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout)?.[1];
  if (!tps) throw new Error(`bench: pgbench printed no tps (exit ${result.code}):\n${result.stderr.slice(-2000)}`);
  return Number(tps);
}

/** An open-loop load that runs until stop(); then its transactions and what went wrong. */
export interface RunningLoad {
  /** Epoch µs at which pgbench was started. */
  startedUs: number;
  stop(): Promise<LoadResult>;
}

export interface LoadResult {
  /** Every logged transaction, and the writes that failed (`failed: true`). */
  transactions: Transaction[];
  /** Errors that ended clients before stop(): the writes the serving release could not make. */
  writeErrors: string[];
}

const STOPPED = /terminating connection due to administrator command|server closed the connection unexpectedly|perhaps the backend died|connection to server .* failed/i;

/** Starts pgbench at `rate` transactions per second, logging every transaction. */
export async function startOpenLoop(target: PgbenchTarget, scripts: LoadScripts, rate: number): Promise<RunningLoad> {
  const files = await writeScripts(target.dir, scripts);
  const app = `bench_load_${process.pid}`;
  const logPrefix = path.join(target.dir, 'tx');
  const startedUs = Date.now() * 1000;
  // Runs until its backends are terminated: the migration's length is not known in advance.
  const running = runPgbench(target, [...files, '-R', String(Math.max(1, Math.round(rate))), '-T', '86400', '--log', `--log-prefix=${logPrefix}`], app);
  return {
    startedUs,
    async stop() {
      await target.server.query('postgres', `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '${app}'`);
      const result = await running;
      const transactions: Transaction[] = [];
      for (const name of await fs.readdir(target.dir)) {
        if (name.startsWith('tx.')) await readPgbenchLog(path.join(target.dir, name), transactions);
      }
      const aborts = result.stderrLines.flatMap(({ atUs, line }) => {
        const abort = clientAbort(line);
        return abort && !STOPPED.test(abort.message) ? [{ client: abort.client, atUs }] : [];
      });
      transactions.push(...failedWrites(transactions, aborts, startedUs));
      return { transactions, writeErrors: clientErrors(result.stderr) };
    },
  };
}

/** Reads a per-transaction log line by line: a long backfill's log has millions of lines. */
async function readPgbenchLog(file: string, into: Transaction[]): Promise<void> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    const t = parsePgbenchLogLine(line);
    if (t) into.push(t);
  }
}

/** The distinct errors that aborted clients, except those of our own stop (terminated backends). */
export function clientErrors(stderr: string): string[] {
  const errors = new Set<string>();
  for (const line of stderr.split('\n')) {
    const abort = clientAbort(line);
    if (abort && abort.message && !STOPPED.test(abort.message)) errors.add(abort.message);
  }
  return [...errors];
}

/** pgbench's line for a client it ended: `client 3 script 1 aborted in command 2 query 0: ERROR: ...`. */
function clientAbort(line: string): { client: number; message: string } | null {
  const aborted = /client (\d+) (?:script \d+ )?aborted in command \d+(?: \(\w+\))?(?: query \d+)?(?: of script \d+)?[:;]\s*(.*)$/.exec(line);
  return aborted ? { client: Number(aborted[1]), message: aborted[2]!.replace(/ at character \d+$/, '').trim() } : null;
}

async function writeScripts(dir: string, scripts: LoadScripts): Promise<string[]> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'insert.sql'), scripts.insert);
  await fs.writeFile(path.join(dir, 'update.sql'), scripts.update);
  // Half creates, half get-and-save.
  return ['-f', `${path.join(dir, 'insert.sql')}@1`, '-f', `${path.join(dir, 'update.sql')}@1`];
}

interface PgbenchResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stderr line by line, with the time each arrived (pgbench prints a client's error as it happens). */
  stderrLines: Array<{ atUs: number; line: string }>;
}

function runPgbench(target: PgbenchTarget, args: string[], applicationName: string): Promise<PgbenchResult> {
  const argv = ['-n', '-M', target.protocol, '-c', String(target.clients), '-j', String(target.threads), ...args, target.server.url(target.db)];
  return new Promise((resolve, reject) => {
    const child = spawn(target.pgbench, argv, { cwd: target.dir, env: { ...process.env, PGAPPNAME: applicationName }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const stderrLines: PgbenchResult['stderrLines'] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const atUs = Date.now() * 1000;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (stderrLines.length < 10_000) stderrLines.push({ atUs, line });
      // A long run can print one line per aborted client; keep the start, which names the cause.
      if (stderr.length < 200_000) stderr += chunk;
    });
    child.on('error', (error) => reject(new Error(`bench: cannot run ${target.pgbench}: ${error.message}`)));
    child.on('close', (code) => resolve({ code, stdout, stderr, stderrLines }));
  });
}
