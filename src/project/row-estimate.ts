/**
 * A table's rows as PostgreSQL's planner estimates them (pg_class.reltuples, kept by ANALYZE and
 * autovacuum): read once at generation when `--database-url` is given, for the advice on where a
 * backfill runs (`--backfill in-migrate|background`). Read-only, one query.
 */
import { BgScaffoldError } from '../errors.js';
import { q, sqlString } from '../operations/shared/sql.js';
import { clientErrorLine, findPgBinDir, findPsql, PsqlClient, PsycopgClient } from '../verify/postgres.js';
import { chooseDjangoRuntime } from './introspect.js';

/** The estimate, or null when the table was never analyzed (reltuples -1) or does not exist there. */
export async function estimateRows(url: string, table: string, projectRoot: string): Promise<number | null> {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new BgScaffoldError(`--database-url ${url}: the row estimate is read from PostgreSQL (postgres://USER@HOST/DATABASE)`);
  const psql = findPsql(findPgBinDir());
  const client = psql ? new PsqlClient(psql) : new PsycopgClient(async () => chooseDjangoRuntime(projectRoot, {}).python);
  let out: string;
  try {
    out = await client.run(url, [`SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(${sqlString(q(table))})`]);
  } catch (error) {
    throw new BgScaffoldError(`cannot read the row estimate of ${table} from --database-url: ${clientErrorLine(error as Error)}`);
  }
  const rows = Number(out.trim());
  return out.trim() === '' || !Number.isFinite(rows) || rows < 0 ? null : rows;
}
