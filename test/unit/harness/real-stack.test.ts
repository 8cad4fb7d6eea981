import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DJANGO_LINES,
  ensureDjangoEnv,
  PROVISION_TIMEOUT_MS,
  requireRealStack,
  ruffBinary,
  runManage,
  runManageChecked,
  sharedPostgres,
  tempShopProject,
  uniqueDatabaseName,
  type DjangoEnv,
  type DjangoLine,
  type PgServer,
} from '../../harness/index.js';
import { runCommand } from '../../harness/process.js';

const stack = requireRealStack();

describe.skipIf(stack === 'skip')('the real-stack harness runs examples/shop on Django and PostgreSQL', () => {
  let pg: PgServer;
  const envs = {} as Record<DjangoLine, DjangoEnv>;
  const projects: Array<{ dir: string; remove(): Promise<void> }> = [];

  beforeAll(async () => {
    const [server, ...provisioned] = await Promise.all([sharedPostgres(), ...DJANGO_LINES.map((line) => ensureDjangoEnv(line))]);
    pg = server;
    for (const env of provisioned) envs[env.line] = env;
  }, PROVISION_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(projects.map((project) => project.remove()));
  });

  async function freshShop(label: string): Promise<string> {
    const project = await tempShopProject(label);
    projects.push(project);
    return project.dir;
  }

  it('installs Django 5.2 LTS and the newest Django (6 or later) in separate virtualenvs', () => {
    expect(envs['5.2'].django).toMatch(/^5\.2\.\d+/);
    expect(Number(envs.latest.django.split('.')[0])).toBeGreaterThanOrEqual(6);
    expect(envs['5.2'].python).not.toBe(envs.latest.python);
  });

  it('provides ruff for checking generated Python', async () => {
    const ruff = await ruffBinary();
    const result = await runCommand(ruff, ['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ruff \d+/);
  });

  describe.each(DJANGO_LINES)('Django %s', (line) => {
    it('migrates a fresh PostgreSQL database to the latest shop migration', async () => {
      const env = envs[line];
      const project = await freshShop(`pg-${line}`);
      const db = uniqueDatabaseName(`shop_${line}`);
      await pg.createDatabase(db);
      try {
        await runManageChecked(env, project, ['migrate', '--noinput'], { databaseUrl: pg.url(db) });
        const applied = await pg.query(db, "SELECT name FROM django_migrations WHERE app = 'shop' ORDER BY name");
        expect(applied.trim().split('\n')).toEqual(['0001_initial', '0002_order_note', '0003_shipment']);
        const columns = await pg.query(
          db,
          "SELECT column_name || ':' || is_nullable FROM information_schema.columns WHERE table_name = 'shop_order' ORDER BY ordinal_position",
        );
        expect(columns.trim().split('\n')).toEqual([
          'id:NO',
          'quantity:NO',
          'reference:NO',
          'status:NO',
          'placed_at:NO',
          'customer_id:NO',
          'product_id:NO',
          'note:NO',
        ]);
        // The ORM works end to end: Order.save() fills the reference, F() updates the quantity.
        const script = [
          'from shop.models import Customer, Order, Product',
          'from shop.services import add_units, place_order',
          'c = Customer.objects.create(email="ada@example.com", name="Ada")',
          'from decimal import Decimal', 'p = Product.objects.create(sku="SKU-1", name="Widget", price=Decimal("2.50"))',
          'o = place_order(c, p, 3)',
          'add_units(o, 2)',
          'print(len(o.reference), o.quantity, o.total)',
        ].join('; ');
        const out = await runManageChecked(env, project, ['shell', '-v', '0', '-c', script], { databaseUrl: pg.url(db) });
        expect(out.trim()).toBe('12 5 12.50');
      } finally {
        await pg.dropDatabase(db);
      }
    });

    it('finds no model changes without a migration (makemigrations --check --dry-run)', async () => {
      const project = await freshShop(`check-${line}`);
      const result = await runManage(envs[line], project, ['makemigrations', '--check', '--dry-run']);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe('No changes detected');
      expect(result.code).toBe(0);
    });

    it('migrates on SQLite when DATABASE_URL is not set', async () => {
      const project = await freshShop(`sqlite-${line}`);
      await runManageChecked(envs[line], project, ['migrate', '--noinput']);
      expect(existsSync(path.join(project, 'db.sqlite3'))).toBe(true);
      const out = await runManageChecked(envs[line], project, ['showmigrations', 'shop']);
      expect(out).toContain('[X] 0003_shipment');
    });
  });

  it('parses DATABASE_URL into Django settings without extra dependencies', async () => {
    const project = await freshShop('settings');
    const out = await runManageChecked(
      envs['5.2'],
      project,
      ['shell', '-v', '0', '-c', 'from django.conf import settings; import json; d = settings.DATABASES["default"]; print(json.dumps([d[k] for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")]))'],
      { databaseUrl: 'postgres://shop:p%40ss@db.internal:6543/shop_prod?sslmode=require' },
    );
    expect(JSON.parse(out)).toEqual(['django.db.backends.postgresql', 'shop_prod', 'shop', 'p@ss', 'db.internal', '6543', { sslmode: 'require' }]);
  });
});
