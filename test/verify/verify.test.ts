/**
 * `bg-scaffold verify` on the example projects, as a user runs it: generate, review, verify. Each
 * project is a git repository of its own (the previous release is read from git), verified on a
 * real PostgreSQL with Django 5.2. It passes a phase whose releases both work, and exits 1, naming
 * the failing check, for each hand-made one-release change the blue-green matrix's negative
 * controls prove broken. Bad input exits 2 with nothing written.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRealStack } from '../harness/availability.js';
import { POSTGRES_FOR_DJANGO, postgresMajorBinDir } from '../harness/postgres-majors.js';
import { REAL_STACK_TIMEOUT_MS } from '../harness/process.js';
import { ensureDjangoEnv, PROVISION_TIMEOUT_MS, type DjangoEnv } from '../harness/python-env.js';
import { repoRoot } from '../harness/repo.js';
import { sharedPostgres } from '../harness/shared.js';
import { runMain, type CliResult } from '../cli/in-process.js';
import type { VerifyReport } from '../../src/verify/verify.js';
import { NAIVE_REMOVE_NOTE_MIGRATION, NAIVE_RENAME_MIGRATION } from '../matrix/scenarios.js';
import { DROP_SHIPMENT_FOREIGN_KEYS_MIGRATION, withoutShipment } from '../matrix/scenarios-remove.js';

const decision = requireRealStack({ django: ['5.2', 'latest'] });
// The server packages the harness keeps (test/harness/postgres-majors.ts), for --postgres.
process.env.BG_SCAFFOLD_POSTGRES_CACHE = join(repoRoot(), '.cache', 'postgres');
const work = mkdtempSync(join(tmpdir(), 'bg-verify-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let env: DjangoEnv;
let serverUrl: string;

function git(project: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=verify', '-c', 'user.email=verify@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: project, encoding: 'utf8' });
}

/** A copy of an example as a fresh git repository, its first commit the release in production. */
function exampleRepo(example: 'shop' | 'zoo', name: string): string {
  const project = join(work, name);
  cpSync(join(repoRoot(), 'examples', example), project, { recursive: true, filter: (source) => !/__pycache__|db\.sqlite3$/.test(source) });
  git(project, 'init', '-q');
  git(project, 'add', '-A');
  git(project, 'commit', '-qm', 'the release in production');
  return project;
}

function cli(project: string, ...args: string[]): Promise<CliResult> {
  return runMain([...args, '--project', project, '--python', env.python]);
}

/** Fewer rows and writes than a user's default: the blue-green matrix runs the full load through the same engine. */
const LIGHT = ['--rows', '400', '--writes', '100'];

function verify(project: string, change: string, ...args: string[]): Promise<CliResult> {
  return cli(project, 'verify', change, '--database-url', serverUrl, ...LIGHT, ...args);
}

async function generate(project: string, ...args: string[]): Promise<string> {
  const result = await cli(project, ...args, '--yes', '--json');
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { change: string }).change;
}

/** The developer's part of a release: the code outside models and migrations uses the new name. */
function renameInCode(project: string, files: string[], from: RegExp, to: string): void {
  for (const file of files) {
    const path = join(project, file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(from, to));
  }
}

/** Replaces the phase's generated migration with a hand-written one (the one-release change a team writes without bg-scaffold). */
function replaceMigration(project: string, app: string, text: string): void {
  const dir = join(project, app, 'migrations');
  const generated = readdirSync(dir).filter((name) => /^\d{4}_.*\.py$/.test(name)).sort().at(-1)!;
  writeFileSync(join(dir, generated), text);
}

const failedChecks = (stdout: string) => stdout.split('\n').filter((line) => /^\s+FAILED/.test(line)).map((line) => line.replace(/^\s+FAILED\s+\S+\s+/, '').replace(/\s{2,}.*$/, ''));

/** The team's own test of the shop, committed with the release in production. */
function withOrderTest(project: string): void {
  writeFileSync(
    join(project, 'shop', 'tests.py'),
    `from django.test import TestCase

from .models import Customer, Order, Product


class OrderTests(TestCase):
    def test_an_order_keeps_its_quantity(self):
        customer = Customer.objects.create(email="t@example.com", name="T")
        product = Product.objects.create(sku="T-1", name="T", price="1.00")
        order = Order.objects.create(customer=customer, product=product, quantity=3, reference="T-1")
        self.assertEqual(Order.objects.get(pk=order.pk).quantity, 3)
`,
  );
  git(project, 'add', '-A');
  git(project, 'commit', '-qm', 'a test of orders');
}

const TEST_COMMAND = 'python manage.py test shop --keepdb';

/** The developer's part of the shop's rename: admin, services, views, templates and tests use `qty`, as does Order.total. */
function switchShopToQty(project: string): void {
  const code = ['shop/admin.py', 'shop/services.py', 'shop/views.py', 'shop/templates/shop/order_detail.html'];
  renameInCode(project, [...code, ...(existsSync(join(project, 'shop', 'tests.py')) ? ['shop/tests.py'] : [])], /\bquantity\b/g, 'qty');
  renameInCode(project, ['shop/models.py'], /self\.product\.price \* self\.quantity/, 'self.product.price * self.qty');
}

describe.skipIf(decision === 'skip')('bg-scaffold verify on real Django and PostgreSQL', () => {
  beforeAll(async () => {
    env = await ensureDjangoEnv('5.2');
    await postgresMajorBinDir(POSTGRES_FOR_DJANGO.latest); // into the harness's cache, shared with the runtime's tests
    serverUrl = (await sharedPostgres()).url('postgres');
  }, PROVISION_TIMEOUT_MS);

  it(
    "passes a rename once the developer's part of the release is done, and names the check that fails before",
    async () => {
      const project = exampleRepo('shop', 'rename');
      withOrderTest(project);
      const change = await generate(project, 'rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'trigger', '--batch-size', '100');

      // The admin still lists "quantity": Django's system checks stop the new release's migrate.
      const before = await verify(project, change);
      expect(before.code).toBe(1);
      expect(failedChecks(before.stdout)).toEqual(['migrate (previous code writing)']);
      expect(before.stdout).toMatch(/admin\.E108.*'quantity'/);

      switchShopToQty(project);
      const after = await verify(project, change, '--test-command', TEST_COMMAND);
      expect(after.code, after.stdout + after.stderr).toBe(0);
      expect(after.stdout).toContain('verify order-quantity-to-qty: phase 1/2 (rename-column, trigger)');
      expect(after.stdout).toContain('previous release: HEAD (phase 1\'s migration is not committed)');
      expect(after.stdout).toContain('checked:          shop.Order.quantity → qty');
      for (const check of [
        'migrate (previous code writing)',
        'previous code writes during the window',
        'new code reads what previous code wrote',
        'previous code reads what new code wrote',
        'makemigrations --check finds no changes',
        'migrate backwards to 0003_shipment',
        'previous code works after the rollback',
        'migrate forwards again',
        // The team's own tests of each release, against the phase's schema (--keepdb).
        `previous code: ${TEST_COMMAND}`,
        `new code: ${TEST_COMMAND}`,
      ]) {
        expect(after.stdout).toMatch(new RegExp(`^\\s+ok\\s+1/2\\s+${check.replace(/[()]/g, '\\$&')}`, 'm'));
      }
      expect(after.stdout).toMatch(/^1[0-9] checks passed in \d+ s$/m);

      // Release 1 ships; phase 2 is verified against it, and phase 1 again from the commits.
      git(project, 'add', '-A');
      git(project, 'commit', '-qm', 'release 1');
      expect((await cli(project, 'advance', change, '--yes')).code).toBe(0);
      const phase2 = await verify(project, change, '--json');
      expect(phase2.code, phase2.stdout).toBe(0);
      const report = JSON.parse(phase2.stdout) as VerifyReport;
      expect([report.phase, report.field, report.ok]).toEqual([2, 'qty', true]);
      const phase1 = JSON.parse((await verify(project, change, '--phase', '1', '--json')).stdout) as VerifyReport;
      expect(phase1.previous).toMatch(/\^ \(the commit before phase 1's migration\)$/);
      expect([phase1.next, phase1.ok]).toEqual(['HEAD', true]);
      // The user's tree is only read.
      expect(git(project, 'status', '--short').split('\n').filter(Boolean).sort()).toEqual([
        ' M .bg-scaffold/order-quantity-to-qty/PLAN.md',
        ' M .bg-scaffold/order-quantity-to-qty/plan.json',
        ' M shop/models.py',
        '?? shop/migrations/0005_order_qty_contract.py',
      ]);
    },
    REAL_STACK_TIMEOUT_MS,
  );

  it(
    'passes a rename on the zoo (UUID key, no save(), settings that read DATABASE_URL) on a throwaway local server, also of another PostgreSQL major with the newest Django',
    async () => {
      const project = exampleRepo('zoo', 'zoo-rename');
      const change = await generate(project, 'rename-column', '--app', 'library', '--model', 'Author', '--field', 'website', '--to', 'homepage', '--strategy', 'trigger');
      // No --database-url: verify starts PostgreSQL itself.
      const result = await cli(project, 'verify', change, ...LIGHT);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('checked:          library.Author.website → homepage');
      expect(failedChecks(result.stdout)).toEqual([]);

      const latest = await ensureDjangoEnv('latest');
      const newest = await runMain(['verify', change, '--postgres', POSTGRES_FOR_DJANGO.latest, ...LIGHT, '--python', latest.python, '--project', project]);
      expect(newest.code, newest.stdout + newest.stderr).toBe(0);
      expect(newest.stdout).toContain(`on PostgreSQL ${POSTGRES_FOR_DJANGO.latest}.`);
      expect(newest.stdout).toContain(`and Django ${latest.django}`);
    },
    REAL_STACK_TIMEOUT_MS,
  );

  it(
    "passes the SQLite copy plan's retire phase on a scratch SQLite file, rollback included",
    async () => {
      const project = exampleRepo('shop', 'sqlite-copy');
      const change = await generate(project, ...['rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'copy'], '--database', 'sqlite');
      git(project, 'add', '-A');
      git(project, 'commit', '-qm', 'release 1');
      expect((await cli(project, 'advance', change, '--yes')).code).toBe(0);
      switchShopToQty(project); // release 2 reads qty
      git(project, 'add', '-A');
      git(project, 'commit', '-qm', 'release 2');
      expect((await cli(project, 'advance', change, '--yes')).code).toBe(0);
      // Release 3 takes quantity out of Django's state; its rollback refills it through the model.
      const result = await cli(project, 'verify', change, ...LIGHT);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('verify order-quantity-to-qty: phase 3/4 (rename-column, copy)');
      expect(result.stdout).toMatch(/on SQLite and Django/);
      expect(result.stdout).toMatch(/ok\s+3\/4\s+migrate backwards to 0005_order_qty_fill/);
    },
    REAL_STACK_TIMEOUT_MS,
  );

  it(
    "passes add-column's background form at the guarded release: verify runs bg_scaffold_backfill, as the team does, before the release whose migration begins with the guard",
    async () => {
      const project = exampleRepo('shop', 'add-column-background');
      const change = await generate(project, 'add-column', '--app', 'shop', '--model', 'Order', '--name', 'weight', '--type', 'BigIntegerField', '--backfill-sql', 'quantity::bigint * 2', '--backfill', 'background');
      // The developer's part of release 1 (the marked TODO): every save() writes weight.
      const models = join(project, 'shop', 'models.py');
      const anchor = '    def save(self, *args, **kwargs):\n';
      writeFileSync(models, readFileSync(models, 'utf8').replace(anchor, `${anchor}        if self.weight is None:\n            self.weight = 11\n`));
      for (const release of [1, 2]) {
        git(project, 'add', '-A');
        git(project, 'commit', '-qm', `release ${release}`);
        expect((await cli(project, 'advance', change, '--yes')).code).toBe(0);
      }
      const result = await verify(project, change);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('verify order-add-weight: phase 3/3 (add-column, backfill)');
      expect(result.stdout).toMatch(/ok\s+setup\s+python manage\.py bg_scaffold_backfill --change order-add-weight \(the backfill the previous release registered\)/);
      expect(failedChecks(result.stdout)).toEqual([]);
    },
    REAL_STACK_TIMEOUT_MS,
  );

  it(
    'passes drop-table, and fails the same release with the foreign key simply dropped (orphans)',
    async () => {
      const project = exampleRepo('shop', 'drop-table');
      const change = await generate(project, 'drop-table', '--app', 'shop', '--model', 'Shipment');
      await withoutShipment(project);
      const planned = await verify(project, change);
      expect(planned.code, planned.stdout).toBe(0);
      expect(planned.stdout).toMatch(/ok\s+1\/2\s+new code deletes a shop\.Order that shop_shipment\.order_id points at \(CASCADE\)/);

      replaceMigration(project, 'shop', DROP_SHIPMENT_FOREIGN_KEYS_MIGRATION);
      const naive = await verify(project, change);
      expect(naive.code, naive.stdout).toBe(1);
      // The hand-written migration drops the constraints with no lock_timeout while the previous
      // release writes shipments: on a loaded machine PostgreSQL may end it, or one of those
      // writes, in a deadlock (a failed migrate, or a failed request). When the migration gets
      // through, the orphans fail whatever else did.
      const failed = failedChecks(naive.stdout);
      if (failed[0] !== 'migrate (previous code writing)') {
        const orphans = ['new code deletes a shop.Order that shop_shipment.order_id points at (CASCADE)', 'previous code reads what new code wrote'];
        expect(failed, naive.stdout).toEqual(expect.arrayContaining(orphans));
        expect(naive.stdout).toContain('orphans');
        const others = failed.filter((check) => !orphans.includes(check));
        if (others.length > 0) expect([others, naive.stdout]).toEqual([['previous code writes during the window'], expect.stringContaining('deadlock detected')]);
      }
    },
    REAL_STACK_TIMEOUT_MS,
  );

  it(
    "fails a naive RenameField, a column dropped with its field, and add-column's single release, naming the previous release's failures",
    async () => {
      const rename = exampleRepo('shop', 'naive-rename');
      withOrderTest(rename);
      const renameChange = await generate(rename, 'rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'trigger');
      switchShopToQty(rename);
      replaceMigration(rename, 'shop', NAIVE_RENAME_MIGRATION);

      const remove = exampleRepo('shop', 'naive-remove');
      const removeChange = await generate(remove, 'remove-column', '--app', 'shop', '--model', 'Order', '--field', 'note');
      renameInCode(remove, ['shop/admin.py'], /"status", "note", "placed_at"/, '"status", "placed_at"');
      renameInCode(remove, ['shop/services.py'], /quantity: int, note: str = ""\) -> Order:/, 'quantity: int) -> Order:');
      renameInCode(remove, ['shop/services.py'], /quantity=quantity, note=note\)/, 'quantity=quantity)');
      replaceMigration(remove, 'shop', NAIVE_REMOVE_NOTE_MIGRATION);

      const add = exampleRepo('shop', 'single-release-add');
      const addChange = await generate(add, 'add-column', '--app', 'shop', '--model', 'Order', '--name', 'weight', '--type', 'BigIntegerField', '--backfill-sql', 'quantity::bigint * 2', '--strategy', 'single-release');

      const results = new Map<string, CliResult>();
      for (const [project, change] of [[rename, renameChange], [remove, removeChange], [add, addChange]] as const) {
        const result = await verify(project, change, ...(project === rename ? ['--test-command', TEST_COMMAND] : []));
        results.set(change, result);
        expect(result.code, `${change}: ${result.stdout}`).toBe(1);
        expect(failedChecks(result.stdout), change).toContain('previous code writes during the window');
        expect(result.stdout, change).toMatch(/FAILED\s+1\/\d\s+previous code writes during the window\s+\d+ error\(s\); first: \w+: (ProgrammingError|IntegrityError|NotNullViolation)/);
      }
      // The team's own test of the previous release fails against the renamed column too; the new release's passes.
      const tests = results.get(renameChange)!;
      expect(tests.stdout).toMatch(new RegExp(`FAILED\\s+1/2\\s+previous code: ${TEST_COMMAND}\\s+ERROR: test_an_order_keeps_its_quantity`));
      expect(tests.stdout).toMatch(new RegExp(`ok\\s+1/2\\s+new code: ${TEST_COMMAND}\\s+Ran 1 test`));
    },
    REAL_STACK_TIMEOUT_MS,
  );
});

describe('bg-scaffold verify: bad input exits 2 and starts nothing', () => {
  const project = join(work, 'bad-input');
  beforeAll(() => {
    cpSync(join(repoRoot(), 'examples', 'shop'), project, { recursive: true });
  });

  it.each([
    [['verify', 'no-such-change'], /^bg-scaffold: unknown change "no-such-change"; this project has no changes in \.bg-scaffold\//],
    [['verify'], /missing required argument 'change'/],
    [['verify', 'x', '--phase', '0'], /--phase.*expected a whole number/],
    [['verify', 'x', '--postgres', '9'], /^bg-scaffold: unknown change "x"/],
  ])('%j', async (args, message) => {
    const result = await runMain([...args, '--project', project]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('a phase not generated yet, a URL that is not PostgreSQL, a plan for MySQL, a server for a SQLite plan', async () => {
    const generated = await runMain(['rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--yes', '--project', project]);
    expect(generated.code, generated.stderr).toBe(0);
    const phase = await runMain(['verify', 'order-quantity-to-qty', '--phase', '2', '--project', project]);
    expect([phase.code, phase.stderr.trim()]).toEqual([2, 'bg-scaffold: --phase 2: change "order-quantity-to-qty" has phases 1 to 1 generated (of 2); pick one of those']);
    const url = await runMain(['verify', 'order-quantity-to-qty', '--database-url', 'mysql://localhost/shop', '--project', project]);
    expect([url.code, url.stderr.trim()]).toEqual([2, 'bg-scaffold: --database-url must be a postgres:// URL, not mysql://']);
    const major = await runMain(['verify', 'order-quantity-to-qty', '--postgres', '9', '--project', project]);
    expect([major.code, major.stderr.trim()]).toEqual([2, 'bg-scaffold: --postgres 9: the server packages have majors 10 to 18; give one of those']);
    const mysql = await runMain(['add-column', '--app', 'shop', '--model', 'Order', '--name', 'label', '--type', 'CharField', '--max-length', '20', '--null', '--database', 'mysql', '--yes', '--project', project]);
    expect(mysql.code, mysql.stderr).toBe(0);
    const onMysql = await runMain(['verify', 'order-add-label', '--project', project]);
    expect(onMysql.code).toBe(2);
    expect(onMysql.stderr).toMatch(/^bg-scaffold: verify runs on PostgreSQL and SQLite, and change "order-add-label" was planned for MySQL/);
    const sqlite = await runMain(['add-column', '--app', 'shop', '--model', 'Order', '--name', 'memo', '--type', 'TextField', '--null', '--database', 'sqlite', '--yes', '--project', project]);
    expect(sqlite.code, sqlite.stderr).toBe(0);
    const serverForSqlite = await runMain(['verify', 'order-add-memo', '--postgres', '16', '--project', project]);
    expect([serverForSqlite.code, serverForSqlite.stderr.trim()]).toEqual([2, 'bg-scaffold: change "order-add-memo" was planned for SQLite: verify runs it on a scratch SQLite file, without --database-url, --postgres or --test-command']);
  });
});
