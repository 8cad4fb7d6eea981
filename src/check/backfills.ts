/**
 * `status --database-url`: the background backfills (`--backfill background`) an environment's
 * database has registered, read from the runtime's tracking tables, with their progress. A
 * database whose migrations never registered one has no such tables, and status says nothing.
 */
import { BgScaffoldError } from '../errors.js';
import { clientErrorLine, findPgBinDir, findPsql, PsqlClient, PsycopgClient, type SqlClient } from '../verify/postgres.js';
import type { Environment } from './environments.js';

/** One registered backfill, as its tracking row and its done batches say. */
export interface BackfillProgress {
  name: string;
  change: string;
  state: 'pending' | 'running' | 'paused' | 'finished';
  /** Keys the command walks, estimated when the backfill was registered; null when unknown. */
  rowsEstimate: number | null;
  /** Keys walked and rows updated by the done batches. */
  keysWalked: number;
  rowsUpdated: number;
  /** ISO-like timestamps as the database prints them (UTC offset included); null when not yet. */
  registeredAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

const TABLES_EXIST = "SELECT to_regclass('bg_scaffold_backfill') IS NOT NULL AND to_regclass('bg_scaffold_backfill_batch') IS NOT NULL";

// Progress = the done batches' keys and rows, against the estimate (the runtime's own reading).
const PROGRESS = `SELECT b.name, b.change, b.state, b.rows_estimate,
  coalesce(sum(t.keys) FILTER (WHERE t.state = 'done'), 0)::bigint,
  coalesce(sum(t.rows_updated) FILTER (WHERE t.state = 'done'), 0)::bigint,
  b.registered_at, b.started_at, b.finished_at
FROM bg_scaffold_backfill b LEFT JOIN bg_scaffold_backfill_batch t ON t.backfill_id = b.id
GROUP BY b.id ORDER BY b.id`;

/** The backfills a PostgreSQL environment has registered; null when its database has no tracking tables (or is not PostgreSQL). */
export async function registeredBackfills(environment: Environment, python: string, client: SqlClient = postgresClient(python)): Promise<BackfillProgress[] | null> {
  if (!/^postgres(ql)?:/.test(environment.url)) return null;
  try {
    const exists = (await client.run(environment.url, [TABLES_EXIST])).trim();
    if (exists !== 't' && exists !== 'True') return null;
    const rows = await client.run(environment.url, [PROGRESS]);
    return rows.split('\n').filter(Boolean).map(parseRow);
  } catch (error) {
    throw new BgScaffoldError(`cannot read the background backfills of ${environment.name}: ${clientErrorLine(error as Error)}`);
  }
}

function parseRow(row: string): BackfillProgress {
  const [name, change, state, estimate, keys, rows, registeredAt, startedAt, finishedAt] = row.split('|');
  const orNull = (value: string | undefined) => (value === undefined || value === '' ? null : value);
  return {
    name: name!,
    change: change!,
    state: state as BackfillProgress['state'],
    rowsEstimate: orNull(estimate) === null ? null : Number(estimate),
    keysWalked: Number(keys),
    rowsUpdated: Number(rows),
    registeredAt: orNull(registeredAt),
    startedAt: orNull(startedAt),
    finishedAt: orNull(finishedAt),
  };
}

/** `order-add-weight/shop_order.weight: running, 1,200,000 of ~5,000,000 keys walked (24%), 1,150,000 rows updated, since 2026-12-03 22:50`. */
export function describeBackfill(backfill: BackfillProgress): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const share = backfill.rowsEstimate ? ` (${Math.min(100, Math.floor((100 * backfill.keysWalked) / backfill.rowsEstimate))}%)` : '';
  const walked = backfill.rowsEstimate !== null ? `${count(backfill.keysWalked)} of ~${count(backfill.rowsEstimate)} keys walked${share}` : `${count(backfill.keysWalked)} keys walked`;
  const minute = (stamp: string) => stamp.slice(0, 16);
  const since =
    backfill.state === 'finished' && backfill.finishedAt
      ? `finished ${minute(backfill.finishedAt)}`
      : backfill.startedAt
        ? `since ${minute(backfill.startedAt)}`
        : backfill.registeredAt
          ? `registered ${minute(backfill.registeredAt)}`
          : '';
  return `${backfill.name}: ${backfill.state}, ${walked}, ${count(backfill.rowsUpdated)} rows updated${since ? `, ${since}` : ''}`;
}

function postgresClient(python: string): SqlClient {
  const psql = findPsql(findPgBinDir());
  return psql ? new PsqlClient(psql) : new PsycopgClient(async () => python);
}
