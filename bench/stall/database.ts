/**
 * The benchmark's databases: a base at the example's starting schema, bulk-filled; a template
 * per phase (the base with the earlier phases applied); and a fresh copy of a template for every
 * run, so that no run sees another's dead rows or bloat.
 */
import path from 'node:path';
import { runManage } from '../../test/harness/django-project.js';
import { findPgBinDir, type PgServer } from '../../test/harness/postgres.js';
import { runChecked } from '../../test/harness/process.js';
import type { DjangoEnv } from '../../test/harness/python-env.js';
import type { RowCounts } from './load.js';

export const CUSTOMERS = 1_000;
export const PRODUCTS = 100;
/** One order in ten has a shipment. */
export const SHIPMENT_EVERY = 10;

/**
 * SQL through psql without the harness's two-minute limit: a fill, a VACUUM after a 10M-row
 * backfill or a copy of a large database takes longer than that on a busy machine.
 */
export function sql(server: PgServer, db: string, statement: string): Promise<string> {
  const psql = path.join(findPgBinDir()!, 'psql');
  return runChecked(psql, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', server.url(db), '-c', statement], { timeoutMs: 6 * 3600_000 });
}

/** Rows per INSERT ... SELECT, so that progress shows on a 10M-row fill. */
const FILL_CHUNK = 1_000_000;

export function rowCounts(rows: number): RowCounts {
  return { shop_customer: CUSTOMERS, shop_product: PRODUCTS, shop_order: rows, shop_shipment: Math.floor(rows / SHIPMENT_EVERY) };
}

/**
 * Migrates `tree` (the example) into a new database `name` and fills shop_order with `rows` orders
 * as fast as PostgreSQL takes them: INSERT ... SELECT generate_series with triggers off (the
 * data is consistent by construction), then VACUUM ANALYZE, as a table that has been live for a
 * while would be.
 */
export async function createBase(server: PgServer, env: DjangoEnv, tree: string, name: string, rows: number, log: (line: string) => void): Promise<void> {
  await server.createDatabase(name);
  const migrated = await runManage(env, tree, ['migrate', '--no-input', '--skip-checks'], { databaseUrl: server.url(name), timeoutMs: 300_000 });
  if (migrated.code !== 0) throw new Error(`bench: migrating the example failed:\n${migrated.stderr || migrated.stdout}`);
  const replica = 'SET session_replication_role = replica;';
  await sql(
    server,
    name,
    `${replica}
     INSERT INTO shop_customer (email, name, created_at)
       SELECT 'customer' || i || '@example.com', 'Customer ' || i, now() FROM generate_series(1, ${CUSTOMERS}) i;
     INSERT INTO shop_product (sku, name, price, active)
       SELECT 'SKU' || i, 'Product ' || i, 9.99 + i, true FROM generate_series(1, ${PRODUCTS}) i;`,
  );
  const started = Date.now();
  for (let from = 1; from <= rows; from += FILL_CHUNK) {
    const to = Math.min(rows, from + FILL_CHUNK - 1);
    await sql(
      server,
      name,
      `${replica}
       INSERT INTO shop_order (customer_id, product_id, quantity, reference, status, note, placed_at)
         SELECT 1 + i % ${CUSTOMERS}, 1 + i % ${PRODUCTS}, 1 + i % 10, 'F' || i, (ARRAY['new', 'paid', 'shipped'])[1 + i % 3], '',
                now() - i * interval '1 second'
         FROM generate_series(${from}, ${to}) i;
       INSERT INTO shop_shipment (order_id, carrier, tracking_code, shipped_at)
         SELECT i, 'Carrier ' || i % 5, 'T' || i, now() FROM generate_series(${from}, ${to}) i WHERE i % ${SHIPMENT_EVERY} = 0;`,
    );
    if (rows > FILL_CHUNK) log(`filled ${to.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} orders (${Math.round((to / (Date.now() - started)) * 1000).toLocaleString('en-US')} rows/s)`);
  }
  await sql(server, name, 'VACUUM ANALYZE');
}

/** A fresh copy of `template` (a file copy: fast, and no WAL for every page). */
export async function cloneDatabase(server: PgServer, template: string, name: string): Promise<void> {
  await server.dropDatabase(name);
  await sql(server, 'postgres', `CREATE DATABASE "${name}" TEMPLATE "${template}" STRATEGY FILE_COPY`);
}

/** Brings a database to `leaf` of the app with the release's own migrations. */
export async function migrateTo(server: PgServer, env: DjangoEnv, tree: string, db: string, leaf: string): Promise<void> {
  const migrated = await runManage(env, tree, ['migrate', 'shop', leaf, '--no-input', '--skip-checks'], { databaseUrl: server.url(db), timeoutMs: 3 * 3600_000 });
  if (migrated.code !== 0) throw new Error(`bench: migrate shop ${leaf} failed:\n${migrated.stderr || migrated.stdout}`);
}
