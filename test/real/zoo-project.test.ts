/**
 * examples/zoo, the project of shapes real Django projects have (issues 12 and 13), is a clean Django
 * project on both Django lines before bg-scaffold touches it: its committed migrations match its
 * models, and they build its schema on PostgreSQL. Tests that run the tool on the zoo build on this.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyProject,
  DJANGO_LINES,
  ensureDjangoEnv,
  PROVISION_TIMEOUT_MS,
  REAL_STACK_TIMEOUT_MS,
  repoRoot,
  requireRealStack,
  runManage,
  runManageChecked,
  sharedPostgres,
  uniqueDatabaseName,
  type DjangoEnv,
  type PgServer,
} from '../harness/index.js';

const decision = requireRealStack();

describe.skipIf(decision === 'skip')('examples/zoo on the real Django lines', () => {
  let server: PgServer;
  let root: string;
  let project: string;

  beforeAll(async () => {
    server = await sharedPostgres();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-scaffold-zoo-'));
    project = path.join(root, 'zoo');
    await copyProject(path.join(repoRoot(), 'examples', 'zoo'), project);
  }, PROVISION_TIMEOUT_MS);
  afterAll(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  describe.each(DJANGO_LINES)('Django %s', (line) => {
    let env: DjangoEnv;
    const db = uniqueDatabaseName(`zoo_${line}`);

    beforeAll(async () => {
      env = await ensureDjangoEnv(line);
      await server.createDatabase(db);
    }, PROVISION_TIMEOUT_MS);
    afterAll(async () => {
      if (server) await server.dropDatabase(db);
    });

    const manage = (args: string[], databaseUrl?: string) => runManage(env, project, args, databaseUrl ? { databaseUrl } : {});

    it('settings take the database from DATABASE_URL, and fall back to SQLite without it', async () => {
      const vendor = ['shell', '-c', 'from django.db import connection; print(connection.vendor)'];
      const withUrl = await manage(vendor, server.url(db));
      expect(withUrl.code, withUrl.stderr).toBe(0);
      expect(withUrl.stdout.trim().split('\n').at(-1)).toBe('postgresql');
      const without = await manage(vendor);
      expect(without.code, without.stderr).toBe(0);
      expect(without.stdout.trim().split('\n').at(-1)).toBe('sqlite');
    }, REAL_STACK_TIMEOUT_MS);

    it('manage.py check reports no issues', async () => {
      const result = await manage(['check'], server.url(db));
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('System check identified no issues');
      expect(result.stderr).toBe('');
    }, REAL_STACK_TIMEOUT_MS);

    it('makemigrations --check --dry-run finds no changes: the committed migrations match the models', async () => {
      const result = await manage(['makemigrations', '--check', '--dry-run'], server.url(db));
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe('No changes detected');
    }, REAL_STACK_TIMEOUT_MS);

    it('migrate applies every migration on PostgreSQL and builds the shapes the models declare', async () => {
      const url = server.url(db);
      const output = await runManageChecked(env, project, ['migrate', '--noinput'], { databaseUrl: url });
      expect(output).toContain('Applying stock.0001_initial... OK');
      expect(output).toContain('Applying library.0001_initial... OK');
      const unapplied = await manage(['migrate', '--check'], url);
      expect(unapplied.code, unapplied.stdout + unapplied.stderr).toBe(0);

      const columns = await server.query(
        db,
        `SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns
         WHERE (table_name, column_name) IN (('inventory_site', 'facility_ref'), ('inventory_site', 'aliases'),
           ('inventory_site', 'description'), ('stock_rack', 'site_id'), ('library_author', 'id'),
           ('library_tag', 'slug'), ('library_book', 'id'), ('library_ebook', 'book_ptr_id'))
         ORDER BY 1`,
      );
      expect(columns.trim().split('\n')).toEqual([
        'inventory_site.aliases ARRAY',
        'inventory_site.description character varying',
        'inventory_site.facility_ref character varying',
        'library_author.id uuid',
        'library_book.id bigint',
        'library_ebook.book_ptr_id bigint',
        'library_tag.slug character varying',
        'stock_rack.site_id character varying',
      ]);
      const indexes = await server.query(
        db,
        `SELECT indexname FROM pg_indexes WHERE indexname IN
           ('library_book_author_pub_idx', 'library_loan_one_open_per_book', 'stock_journal_object_idx')
         ORDER BY 1`,
      );
      expect(indexes.trim().split('\n')).toEqual([
        'library_book_author_pub_idx',
        'library_loan_one_open_per_book',
        'stock_journal_object_idx',
      ]);
      const check = await server.query(db, `SELECT conname FROM pg_constraint WHERE conname = 'library_loan_due_after_lent'`);
      expect(check.trim()).toBe('library_loan_due_after_lent');
    }, REAL_STACK_TIMEOUT_MS);
  });
});
