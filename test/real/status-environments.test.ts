/**
 * `status --database-url`: where each change stands in each environment, read from the
 * django_migrations of its database (PostgreSQL or a SQLite file), beside what the tree has
 * generated. Staging has run phase 1, a developer's database both phases, and production (a SQLite
 * file here, the settings' fallback, to read both kinds) nothing yet.
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

describe.skipIf(decision === 'skip')('status --database-url on real Django and PostgreSQL', () => {
  let env: DjangoEnv;
  let server: PgServer;
  let project: { dir: string; remove(): Promise<void> };
  const [staging, dev] = [uniqueDatabaseName('status_staging'), uniqueDatabaseName('status_dev')];

  beforeAll(async () => {
    [env, server, project] = await Promise.all([ensureDjangoEnv('5.2'), sharedPostgres(), tempShopProject('status')]);
    await Promise.all([server.createDatabase(staging), server.createDatabase(dev)]);
    // Production is at the release before the change; staging runs release 1, dev release 2. (The
    // admin still names quantity: the system checks are not what this test is about.)
    await runManageChecked(env, project.dir, ['migrate', '--no-input', '--skip-checks']);
    const generated = await runMain(['rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--strategy', 'trigger', '--yes', '--project', project.dir, '--no-django']);
    expect(generated.code, generated.stderr).toBe(0);
    await runManageChecked(env, project.dir, ['migrate', '--no-input', '--skip-checks'], { databaseUrl: server.url(staging) });
    expect((await runMain(['advance', 'order-quantity-to-qty', '--yes', '--project', project.dir, '--no-django'])).code).toBe(0);
    await runManageChecked(env, project.dir, ['migrate', '--no-input', '--skip-checks'], { databaseUrl: server.url(dev) });
  }, PROVISION_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all([server?.dropDatabase(staging), server?.dropDatabase(dev)]);
    await project?.remove();
  });

  it(
    'says which phases each environment has applied, beside the phases generated',
    async () => {
      const args = ['status', '--project', project.dir, '--python', env.python];
      const environments = ['--database-url', `staging=${server.url(staging)}`, '--database-url', `production=sqlite:///${project.dir}/db.sqlite3`, '--database-url', `dev=${server.url(dev)}`];
      const text = await runMain([...args, ...environments]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(
        [
          'order-quantity-to-qty (rename-column, trigger): all 2 phases generated',
          '  model: shop.Order',
          '  staging: phase 1/2 applied',
          '  production: no phase applied yet',
          '  dev: phase 2/2 applied',
        ].join('\n'),
      );
      const json = JSON.parse((await runMain([...args, ...environments, '--json'])).stdout) as StatusReport;
      expect(json.changes[0]!.environments).toEqual([
        { environment: 'staging', applied: [1] },
        { environment: 'production', applied: [] },
        { environment: 'dev', applied: [1, 2] },
      ]);
    },
    REAL_STACK_TIMEOUT_MS,
  );

  it('a database that cannot be read, or a URL of another kind, is bad input (exit 2)', async () => {
    const args = ['status', '--project', project.dir, '--python', env.python];
    const missing = await runMain([...args, '--database-url', `staging=${server.url('no_such_database_here')}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^bg-scaffold: cannot read django_migrations of staging: .*no_such_database_here/);
    const mysql = await runMain([...args, '--database-url', 'mysql://localhost/shop']);
    expect([mysql.code, mysql.stderr.trim()]).toEqual([2, 'bg-scaffold: --database-url mysql://localhost/shop: status reads PostgreSQL (postgres://) and SQLite (sqlite:///PATH) databases, not mysql://']);
  });
});
