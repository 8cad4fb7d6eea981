/**
 * Where each change stands in each environment: `status --database-url staging=postgres://…` reads
 * that database's django_migrations (what Django itself records as applied) and says which of a
 * change's phases have run there. The record only knows which phases were generated.
 */
import { BgScaffoldError } from '../errors.js';
import type { BackfillProgress } from './backfills.js';
import type { ChangeRecord } from '../record/change-record.js';
import { clientErrorLine, findPgBinDir, findPsql, PsqlClient, PsycopgClient, type SqlClient } from '../verify/postgres.js';
import { runCommand } from '../verify/process.js';

export interface Environment {
  /** `staging`, or the database's host and name when none is given. */
  name: string;
  url: string;
}

/** One environment's view of a change: the generated phases whose migration its database has applied. */
export interface EnvironmentPhases {
  environment: string;
  applied: number[];
  /** The change's background backfills registered there (`--backfill background`); absent when none. */
  backfills?: BackfillProgress[];
}

/** `staging=postgres://…`, or a bare URL (named after its host and database). */
export function parseEnvironment(value: string): Environment {
  const named = /^([A-Za-z][\w-]*)=(.+)$/.exec(value);
  const url = named ? named[2]! : value;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BgScaffoldError(`--database-url ${value} is not a URL; give NAME=postgres://USER@HOST/DATABASE or NAME=sqlite:///PATH`);
  }
  if (!/^(postgres(ql)?|sqlite):$/.test(parsed.protocol)) {
    throw new BgScaffoldError(`--database-url ${value}: status reads PostgreSQL (postgres://) and SQLite (sqlite:///PATH) databases, not ${parsed.protocol}//`);
  }
  const fallback = parsed.protocol === 'sqlite:' ? sqlitePath(url) : `${parsed.hostname}${parsed.pathname}`;
  return { name: named ? named[1]! : fallback, url };
}

/** `app_label.name` of every migration the environment's database has applied. */
export async function appliedMigrations(environment: Environment, python: string): Promise<Set<string>> {
  const query = 'SELECT app, name FROM django_migrations';
  let rows: string;
  try {
    rows = environment.url.startsWith('sqlite:') ? await sqliteRows(python, sqlitePath(environment.url), query) : await postgresClient(python).run(environment.url, [query]);
  } catch (error) {
    throw new BgScaffoldError(`cannot read django_migrations of ${environment.name}: ${clientErrorLine(error as Error)}`);
  }
  return new Set(rows.split('\n').filter(Boolean).map((row) => row.replace('|', '.')));
}

/** The generated phases of a change whose migration is among `applied` (phases without a migration follow the one before). */
export function phasesApplied(record: ChangeRecord, applied: Set<string>): number[] {
  const phases: number[] = [];
  for (const phase of record.applied) {
    if (!phase.migration) {
      if (phases.includes(phase.phase - 1)) phases.push(phase.phase);
      continue;
    }
    const name = phase.migration.split('/').pop()!.replace(/\.py$/, '');
    if (applied.has(`${record.plan.app}.${name}`)) phases.push(phase.phase);
  }
  return phases;
}

/** The file of `sqlite:///relative/path` or `sqlite:////absolute/path`, as dj-database-url reads them. */
function sqlitePath(url: string): string {
  return decodeURIComponent(new URL(url).pathname).slice(1);
}

function postgresClient(python: string): SqlClient {
  const psql = findPsql(findPgBinDir());
  return psql ? new PsqlClient(psql) : new PsycopgClient(async () => python);
}

/** The rows of a query on a SQLite file, as psql prints them (`a|b`), through Python's own sqlite3. */
async function sqliteRows(python: string, file: string, query: string): Promise<string> {
  const script = [
    'import os, sqlite3, sys',
    'if not os.path.isfile(sys.argv[1]): sys.exit(f"OperationalError: no SQLite file at {sys.argv[1]}")',
    'conn = sqlite3.connect(sys.argv[1])',
    'for row in conn.execute(sys.argv[2]): print("|".join(str(v) for v in row))',
  ].join('\n');
  const result = await runCommand(python, ['-c', script, file, query], { timeoutMs: 5 * 60_000 });
  if (result.code !== 0) throw new Error(result.stderr.trim() || `exit ${result.code}`);
  return result.stdout;
}
