/**
 * `status --database-url` and background backfills (issue 21): once a migration has registered
 * one (`--backfill background`), status shows its progress from the runtime's tracking tables:
 * state, keys walked of the estimate, rows updated, since when; before that, nothing extra.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRealStack } from '../harness/availability.js';
import { runManageChecked, tempShopProject } from '../harness/django-project.js';
import { type PgServer, uniqueDatabaseName } from '../harness/postgres.js';
import { REAL_STACK_TIMEOUT_MS } from '../harness/process.js';
import { type DjangoEnv, ensureDjangoEnv, PROVISION_TIMEOUT_MS } from '../harness/python-env.js';
import { sharedPostgres } from '../harness/shared.js';
import { runMain } from '../cli/in-process.js';
import type { StatusReport } from '../../src/check/status.js';

const decision = requireRealStack({ django: ['5.2'] });

/** 1,500 orders, as the previous release inserted them. */
const ORDERS = `
from django.db import connection
from shop.models import Customer, Product
customer, _ = Customer.objects.get_or_create(email="old@example.com", defaults={"name": "Old"})
product, _ = Product.objects.get_or_create(sku="OLD-1", defaults={"name": "Old product", "price": "1.00"})
with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO shop_order (customer_id, product_id, quantity, reference, status, note, placed_at)"
        " SELECT %s, %s, n %% 7 + 1, 'R' || n, 'new', '', now() FROM generate_series(1, 1500) AS n",
        [customer.pk, product.pk],
    )
    cursor.execute("ANALYZE shop_order")
`;

describe.skipIf(decision === 'skip')('status --database-url shows background backfills on real Django and PostgreSQL', () => {
  let env: DjangoEnv;
  let server: PgServer;
  let project: { dir: string; remove(): Promise<void> };
  const database = uniqueDatabaseName('status_backfill');
  const status = (...extra: string[]) => runMain(['status', '--project', project.dir, '--python', env.python, '--database-url', `production=${server.url(database)}`, ...extra]);
  const manage = (args: string[]) => runManageChecked(env, project.dir, args, { databaseUrl: server.url(database) });

  beforeAll(async () => {
    [env, server, project] = await Promise.all([ensureDjangoEnv('5.2'), sharedPostgres(), tempShopProject('status-backfill')]);
    await server.createDatabase(database);
    await manage(['migrate', '--no-input', '--skip-checks']);
    await manage(['shell', '-c', ORDERS]);
    const generated = await runMain([
      'add-column', '--app', 'shop', '--model', 'Order', '--name', 'weight', '--type', 'BigIntegerField',
      '--backfill-sql', 'quantity::bigint * 2', '--backfill', 'background', '--database', 'postgresql', '--yes', '--project', project.dir, '--no-django',
    ]);
    expect(generated.code, generated.stderr).toBe(0);
    await manage(['migrate', '--no-input', '--skip-checks']);
  }, PROVISION_TIMEOUT_MS);

  afterAll(async () => {
    await server?.dropDatabase(database);
    await project?.remove();
  });

  it(
    'says nothing of backfills where none was registered (no tracking tables), then each one\'s progress once registered and worked',
    async () => {
      const before = await status();
      expect(before.code, before.stderr).toBe(0);
      expect(before.stdout).toContain('  production: phase 1/3 applied\n');
      expect(before.stdout).not.toMatch(/background backfill/);
      const beforeJson = JSON.parse((await status('--json')).stdout) as StatusReport;
      expect(beforeJson.changes[0]!.environments).toEqual([{ environment: 'production', applied: [1] }]);

      // Release 2 registers the fill; migrate returns without filling a row.
      expect((await runMain(['advance', 'order-add-weight', '--yes', '--project', project.dir, '--no-django'])).code).toBe(0);
      await manage(['migrate', '--no-input', '--skip-checks']);
      expect(await server.query(database, 'SELECT count(*) FROM shop_order WHERE weight IS NULL')).toBe('1500\n');
      const registered = await status();
      expect(registered.stdout).toContain('  production: phase 2/3 applied\n');
      expect(registered.stdout).toMatch(/\n {4}background backfill order-add-weight\/shop_order\.weight: pending, 0 of ~1,500 keys walked \(0%\), 0 rows updated, registered \d{4}-\d\d-\d\d \d\d:\d\d\n/);

      // The team's command fills it; status then says finished, with every key walked.
      await manage(['bg_scaffold_backfill', '--change', 'order-add-weight', '--sleep-ratio', '0']);
      expect(await server.query(database, 'SELECT count(*) FROM shop_order WHERE weight IS NULL')).toBe('0\n');
      const finished = await status();
      expect(finished.stdout).toMatch(/\n {4}background backfill order-add-weight\/shop_order\.weight: finished, 1,500 of ~1,500 keys walked \(100%\), 1,500 rows updated, finished \d{4}-\d\d-\d\d \d\d:\d\d\n/);
      const json = JSON.parse((await status('--json')).stdout) as StatusReport;
      expect(json.changes[0]!.environments![0]!.backfills).toEqual([
        expect.objectContaining({ name: 'order-add-weight/shop_order.weight', change: 'order-add-weight', state: 'finished', rowsEstimate: 1500, keysWalked: 1500, rowsUpdated: 1500 }),
      ]);
    },
    REAL_STACK_TIMEOUT_MS,
  );

  it('with --database-url at generation, PLAN.md advises from the table\'s row estimate (pg_class.reltuples)', async () => {
    const generate = (extra: string[]) =>
      runMain([
        'add-column', '--app', 'shop', '--model', 'Order', '--name', 'volume', '--type', 'BigIntegerField', '--backfill-sql', 'quantity::bigint * 3',
        '--database', 'postgresql', '--yes', '--dry-run', '--project', project.dir, '--no-django', ...extra,
      ]);
    const estimated = await generate(['--backfill', 'background', '--database-url', server.url(database)]);
    expect(estimated.code, estimated.stderr).toBe(0);
    expect(estimated.stdout).toMatch(/At generation "shop_order" held about 1,\d{3} rows \(pg_class\.reltuples\): in migrate the deploy would wait about 1 min, so in migrate would do as well\./);
    const unreadable = await generate(['--backfill', 'background', '--database-url', server.url('no_such_database_here')]);
    expect([unreadable.code, unreadable.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(unreadable.stderr).toMatch(/^bg-scaffold: cannot read the row estimate of shop_order from --database-url: .*no_such_database_here/);
  }, REAL_STACK_TIMEOUT_MS);
});
