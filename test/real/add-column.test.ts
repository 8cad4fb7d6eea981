/**
 * add-column's generated code on the real tools: ruff for every variant, and Django 5.2 on
 * PostgreSQL and SQLite for what the blue-green matrix does not cover (the pre-5.0 RunSQL form,
 * the unique constraint, the backfill function that refuses to run empty, the SQLite plans).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageAddColumn, type AddColumnRequest } from '../../src/operations/add-column/operation.js';
import { stageAdvance } from '../../src/commands/advance.js';
import { requireRealStack } from '../harness/availability.js';
import { runManage, runManageChecked } from '../harness/django-project.js';
import { type PgServer, uniqueDatabaseName } from '../harness/postgres.js';
import { REAL_STACK_TIMEOUT_MS, runCommand } from '../harness/process.js';
import { type DjangoEnv, ensureDjangoEnv, PROVISION_TIMEOUT_MS, ruffBinary } from '../harness/python-env.js';
import { shopExampleDir } from '../harness/repo.js';
import { sharedPostgres } from '../harness/shared.js';

const decision = requireRealStack({ django: ['5.2'] });
const work = mkdtempSync(join(tmpdir(), 'bg-add-column-real-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const order = { app: 'shop', model: 'Order' } as const;
type Request = Omit<AddColumnRequest, 'projectDir'>;
const VARIANTS: Record<string, Request> = {
  nullableIndexed: { ...order, name: 'gift_message', type: 'CharField', maxLength: 200, null: true, dbIndex: true },
  unique: { ...order, name: 'external_ref', type: 'CharField', maxLength: 40, null: true, unique: true },
  dbDefault: { ...order, name: 'priority', type: 'IntegerField', default: '0' },
  runSqlDefault: { ...order, name: 'priority', type: 'IntegerField', default: '0', djangoVersion: '4.2' },
  backfillSql: { ...order, name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity::bigint * 2' },
  backfillFunction: { ...order, name: 'priority', type: 'IntegerField' },
  singleRelease: { ...order, name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity::bigint * 2', strategy: 'single-release' },
  foreignKey: { ...order, name: 'referred_by', type: 'ForeignKey', to: 'Customer', onDelete: 'SET_NULL', null: true },
  sqliteBackfill: { ...order, name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity * 2', database: 'sqlite' },
  sqliteDefault: { ...order, name: 'label', type: 'CharField', maxLength: 20, default: "it's", database: 'sqlite' },
  mysqlRunSql: { ...order, name: 'label', type: 'TextField', default: 'none', database: 'mysql', djangoVersion: '4.2' },
};

/** Generates a change and applies phases up to `upto`; returns the project directory. */
async function generate(name: string, request: Request, upto = Infinity): Promise<string> {
  const project = join(work, name);
  cpSync(shopExampleDir(), project, { recursive: true });
  let staged = await stageAddColumn({ ...request, projectDir: project });
  await staged.stage.commit();
  for (let phase = 2; phase <= Math.min(upto, staged.plan.phases.length); phase++) {
    staged = await stageAdvance({ projectDir: project, change: staged.plan.change });
    await staged.stage.commit();
  }
  return project;
}

async function advance(project: string, change: string): Promise<void> {
  await (await stageAdvance({ projectDir: project, change })).stage.commit();
}

function generatedPython(project: string): string[] {
  const example = new Set(readdirSync(join(shopExampleDir(), 'shop', 'migrations')));
  const migrations = readdirSync(join(project, 'shop', 'migrations'))
    .filter((name) => name.endsWith('.py') && !example.has(name))
    .map((name) => join('shop', 'migrations', name));
  const review = readdirSync(join(project, '.bg-scaffold'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.py'))
    .map((entry) => relative(project, join(entry.parentPath, entry.name)));
  return [...migrations, ...review, join('shop', 'models.py')].sort();
}

/** Python run by `manage.py shell`: a customer, a product, and `old_insert()`, an INSERT as the previous release writes it. */
const PRELUDE = `
from django.db import connection
from shop.models import Customer, Product
customer, _ = Customer.objects.get_or_create(email="old@example.com", defaults={"name": "Old"})
product, _ = Product.objects.get_or_create(sku="OLD-1", defaults={"name": "Old product", "price": "1.00"})
def old_insert(reference):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO shop_order (customer_id, product_id, quantity, reference, status, note, placed_at)"
            " VALUES (%s, %s, 21, %s, 'new', '', now()) RETURNING id",
            [customer.pk, product.pk, reference],
        )
        return cursor.fetchone()[0]
def one(sql, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]
`;

describe.skipIf(decision === 'skip')('add-column on the real tools', () => {
  let env: DjangoEnv;
  let server: PgServer;
  const databases: string[] = [];

  beforeAll(async () => {
    env = await ensureDjangoEnv('5.2');
    server = await sharedPostgres();
  }, PROVISION_TIMEOUT_MS);
  afterAll(async () => {
    for (const db of databases) await server.dropDatabase(db);
  });

  async function database(): Promise<string> {
    const db = uniqueDatabaseName('addcol');
    await server.createDatabase(db);
    databases.push(db);
    return server.url(db);
  }
  const shell = (project: string, url: string | undefined, code: string) =>
    runManageChecked(env, project, ['shell', '-c', PRELUDE + code], url ? { databaseUrl: url } : {});

  it('every variant’s generated Python is formatted as `ruff format` formats it, and passes `ruff check`', async () => {
    const ruff = await ruffBinary();
    for (const [name, request] of Object.entries(VARIANTS)) {
      const project = await generate(`ruff-${name}`, request);
      const files = generatedPython(project);
      const migrations = files.filter((file) => !file.endsWith('models.py'));
      const format = await runCommand(ruff, ['format', '--check', '--no-cache', ...migrations], { cwd: project });
      expect(format.code, `${name}: ${format.stdout}${format.stderr}`).toBe(0);
      const lint = await runCommand(ruff, ['check', '--no-cache', '--isolated', '--select', 'E4,E7,E9,F', ...files], { cwd: project });
      expect(lint.code, `${name}: ${lint.stdout}${lint.stderr}`).toBe(0);
    }
  }, REAL_STACK_TIMEOUT_MS);

  it("before Django 5.0 (RunSQL): the previous release's inserts get the database default, under lock_timeout, and it rolls back", async () => {
    const project = await generate('runsql', VARIANTS.runSqlDefault!);
    const url = await database();
    await runManageChecked(env, project, ['migrate', '--no-input'], { databaseUrl: url });
    const out = await shell(project, url, `print(one("SELECT priority FROM shop_order WHERE id = %s", old_insert("OLD-1")))`);
    expect(out.trim().split('\n').at(-1)).toBe('0');
    const sqlmigrate = await runManageChecked(env, project, ['sqlmigrate', 'shop', '0004'], { databaseUrl: url });
    expect(sqlmigrate).toContain("SET LOCAL lock_timeout = '1s'");
    expect(sqlmigrate).toContain('ALTER TABLE "shop_order" ADD COLUMN "priority" integer DEFAULT 0 NOT NULL');
    expect((await runManage(env, project, ['makemigrations', '--check', '--dry-run'], { databaseUrl: url })).code).toBe(0);
    await runManageChecked(env, project, ['migrate', 'shop', '0003', '--no-input'], { databaseUrl: url });
  }, REAL_STACK_TIMEOUT_MS);

  it('--unique becomes a real UNIQUE constraint under Django’s own name, and the state agrees', async () => {
    const project = await generate('unique', VARIANTS.unique!);
    const url = await database();
    await runManageChecked(env, project, ['migrate', '--no-input'], { databaseUrl: url });
    const out = await shell(
      project,
      url,
      `print(one("SELECT string_agg(conname, ',') FROM pg_constraint WHERE conrelid = 'shop_order'::regclass AND contype = 'u' AND conname LIKE %s", "%external_ref%"))`,
    );
    expect(out.trim().split('\n').at(-1)).toMatch(/^shop_order_external_ref_[0-9a-f]{8}_uniq$/);
    expect((await runManage(env, project, ['makemigrations', '--check', '--dry-run'], { databaseUrl: url })).code).toBe(0);
    await runManageChecked(env, project, ['migrate', 'shop', '0003', '--no-input'], { databaseUrl: url });
    await runManageChecked(env, project, ['migrate', '--no-input'], { databaseUrl: url });
  }, REAL_STACK_TIMEOUT_MS);

  it('without --backfill-sql, release 2 refuses to run until its backfill function is completed', async () => {
    const project = await generate('backfill-function', VARIANTS.backfillFunction!, 1);
    const url = await database();
    await runManageChecked(env, project, ['migrate', '--no-input'], { databaseUrl: url });
    await shell(project, url, `old_insert("OLD-1")`);
    await advance(project, 'order-add-priority');

    const refused = await runManage(env, project, ['migrate', '--no-input'], { databaseUrl: url });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/NotImplementedError: bg-scaffold order-add-priority: complete priority_for\(\) in this migration/);

    // The user completes it: every existing row gets quantity + 1.
    const file = join(project, 'shop', 'migrations', '0005_order_priority_enforce.py');
    const source = readFileSync(file, 'utf8');
    const completed = source.replace(/    raise NotImplementedError\(\n.*\n    \)\n/, '    return row.quantity + 1\n');
    expect(completed).not.toBe(source);
    writeFileSync(file, completed);
    await runManageChecked(env, project, ['migrate', '--no-input'], { databaseUrl: url });
    const out = await shell(
      project,
      url,
      `print(one("SELECT priority FROM shop_order WHERE reference = 'OLD-1'"), one("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'shop_order'::regclass AND attname = 'priority'"))`,
    );
    expect(out.trim().split('\n').at(-1)).toBe('22 True');
    expect((await runManage(env, project, ['makemigrations', '--check', '--dry-run'], { databaseUrl: url })).code).toBe(0);
  }, REAL_STACK_TIMEOUT_MS);

  it('the SQLite plans migrate, match the models, and roll back', async () => {
    for (const name of ['sqliteBackfill', 'sqliteDefault'] as const) {
      const project = await generate(`sqlite-${name}`, VARIANTS[name]!, 1);
      await runManageChecked(env, project, ['migrate', '--no-input']);
      await runManageChecked(env, project, ['shell', '-c', PRELUDE.replace(/now\(\)/, "'2020-01-01'") + 'old_insert("OLD-1")']);
      const change = name === 'sqliteBackfill' ? 'order-add-weight' : 'order-add-label';
      if (name === 'sqliteBackfill') {
        await advance(project, change);
        await runManageChecked(env, project, ['migrate', '--no-input']);
      }
      const column = name === 'sqliteBackfill' ? 'weight' : 'label';
      const out = await runManageChecked(env, project, ['shell', '-c', `from shop.models import Order\nprint(repr(Order.objects.get(reference="OLD-1").${column}))`]);
      expect(out.trim().split('\n').at(-1)).toBe(name === 'sqliteBackfill' ? '42' : `"it's"`);
      expect((await runManage(env, project, ['makemigrations', '--check', '--dry-run'])).code).toBe(0);
      await runManageChecked(env, project, ['migrate', 'shop', '0003', '--no-input']);
    }
  }, REAL_STACK_TIMEOUT_MS);
});
