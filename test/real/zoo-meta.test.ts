/**
 * Fields that a model's Meta names (issue 13, defect 3), on examples/zoo through a real Django:
 * a rename rewrites them in models.py and in Django's state (ordering and get_latest_by by
 * AlterModelOptions, unique_together by RenameField) so that `manage.py check` and `makemigrations
 * --check` stay clean; what a plan cannot carry over (an index or constraint on a new column, a
 * removed field that Meta still names) is refused in one line, before anything is written.
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
import { runMain } from '../cli/in-process.js';
import { snapshotTree } from '../cli/snapshot-tree.js';

const decision = requireRealStack();

describe.skipIf(decision === 'skip')('fields named in Meta (examples/zoo)', () => {
  let server: PgServer;
  let root: string;

  beforeAll(async () => {
    server = await sharedPostgres();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'bg-scaffold-zoo-meta-'));
  }, PROVISION_TIMEOUT_MS);
  afterAll(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  describe.each(DJANGO_LINES)('Django %s', (line) => {
    let env: DjangoEnv;
    beforeAll(async () => {
      env = await ensureDjangoEnv(line);
    }, PROVISION_TIMEOUT_MS);

    const cli = (args: string[]) => runMain([...args, '--python', env.python, '--yes']);

    async function zoo(name: string): Promise<string> {
      const project = path.join(root, `${name}-${line}`);
      await copyProject(path.join(repoRoot(), 'examples', 'zoo'), project);
      return project;
    }

    async function expectClean(project: string, databaseUrl?: string): Promise<void> {
      const options = databaseUrl ? { databaseUrl } : {};
      const check = await runManage(env, project, ['check'], options);
      expect(check.stdout + check.stderr, 'manage.py check').toContain('System check identified no issues');
      const changes = await runManage(env, project, ['makemigrations', '--check', '--dry-run'], options);
      expect(changes.stdout.trim(), changes.stderr).toBe('No changes detected');
    }

    it('db-column rename of a field in ordering and unique_together: Meta and the state follow, no SQL runs', async () => {
      const project = await zoo('db-column');
      // The developer's part of the release: the admin uses the new name.
      const admin = path.join(project, 'library', 'admin.py');
      await fs.writeFile(admin, (await fs.readFile(admin, 'utf8')).replaceAll('"title"', '"name"'));
      const result = await cli(['rename-column', '--project', project, '--app', 'library', '--model', 'Book', '--field', 'title', '--to', 'name', '--strategy', 'db-column']);
      expect(result.code, result.stderr).toBe(0);
      // The Meta lines the plan rewrites are not left to the developer; the ones it does not rewrite are.
      expect(result.stderr).not.toMatch(/books\.py:\d+: +(ordering|unique_together)/);
      expect(result.stderr).toMatch(/books\.py:\d+: return self\.title \(Book\.title, attribute\)/);
      const models = await fs.readFile(path.join(project, 'library', 'models', 'books.py'), 'utf8');
      expect(models).toContain('ordering = ["-published", "name"]  # bg-scaffold: book-title-to-name 1/1 title renamed to name');
      expect(models).toContain('unique_together = [("author", "name")]  # bg-scaffold: book-title-to-name 1/1');
      await expectClean(project);
      const sql = await runManageChecked(env, project, ['sqlmigrate', 'library', '0004']);
      expect(sql).not.toMatch(/ALTER|CREATE|DROP/);
    }, REAL_STACK_TIMEOUT_MS);

    it('trigger rename of a field in ordering on PostgreSQL: AlterModelOptions in release 1, every phase migrates and stays clean', async () => {
      const db = uniqueDatabaseName(`zoo_meta_${line}`);
      await server.createDatabase(db);
      try {
        const url = server.url(db);
        const project = await zoo('trigger');
        await runManageChecked(env, project, ['migrate', '--noinput'], { databaseUrl: url });
        const admin = path.join(project, 'library', 'admin.py');
        await fs.writeFile(admin, (await fs.readFile(admin, 'utf8')).replaceAll('last_name', 'surname'));
        const people = path.join(project, 'library', 'models', 'people.py');
        const result = await cli(['rename-column', '--project', project, '--app', 'library', '--model', 'Author', '--field', 'last_name', '--to', 'surname', '--strategy', 'trigger']);
        expect(result.code, result.stderr).toBe(0);
        await fs.writeFile(people, (await fs.readFile(people, 'utf8')).replace('{self.last_name}', '{self.surname}'));
        expect(await fs.readFile(people, 'utf8')).toContain('ordering = ["surname", "first_name"]');
        await runManageChecked(env, project, ['migrate', '--noinput'], { databaseUrl: url });
        await expectClean(project, url);
        expect((await cli(['advance', 'author-last-name-to-surname', '--project', project])).code).toBe(0);
        await runManageChecked(env, project, ['migrate', '--noinput'], { databaseUrl: url });
        await expectClean(project, url);
        expect(await fs.readFile(people, 'utf8')).not.toContain('bg-scaffold');
        // And back: release 0's schema and state, Meta included.
        await runManageChecked(env, project, ['migrate', 'library', '0002', '--noinput'], { databaseUrl: url });
      } finally {
        await server.dropDatabase(db);
      }
    }, REAL_STACK_TIMEOUT_MS);

    it('db-column rename of fields a CheckConstraint and a composite index name: RemoveConstraint/AddConstraint and RemoveIndex/AddIndex in the state only', async () => {
      const project = await zoo('db-column-index');
      const admin = path.join(project, 'library', 'admin.py');
      await fs.writeFile(admin, (await fs.readFile(admin, 'utf8')).replaceAll('"due_back"', '"due"').replaceAll('"published"', '"published_on"'));
      const views = path.join(project, 'library', 'views.py');
      await fs.writeFile(views, (await fs.readFile(views, 'utf8')).replaceAll('"published"', '"published_on"'));
      for (const [model, field, to] of [['Loan', 'due_back', 'due'], ['Book', 'published', 'published_on']]) {
        const result = await cli(['rename-column', '--project', project, '--app', 'library', '--model', model!, '--field', field!, '--to', to!, '--strategy', 'db-column']);
        expect(result.code, result.stderr).toBe(0);
      }
      const books = await fs.readFile(path.join(project, 'library', 'models', 'books.py'), 'utf8');
      expect(books).toContain('condition=Q(due__gte=F("lent_on")),');
      expect(books).toContain('fields=["author", "published_on"], name="library_book_author_pub_idx"');
      await expectClean(project);
      const sql = await runManageChecked(env, project, ['sqlmigrate', 'library', '0005']);
      expect(sql).not.toMatch(/ALTER|CREATE|DROP/);
    }, REAL_STACK_TIMEOUT_MS);

    it('db-column rename of an ArrayField: the migration imports models for its base_field', async () => {
      const project = await zoo('array');
      const result = await cli(['rename-column', '--project', project, '--app', 'stock', '--model', 'Site', '--field', 'aliases', '--to', 'other_names', '--strategy', 'db-column']);
      expect(result.code, result.stderr).toBe(0);
      await expectClean(project);
    }, REAL_STACK_TIMEOUT_MS);

    it('drop-table of a model in a models package: the package stops re-exporting it', async () => {
      const project = await zoo('package');
      const result = await cli(['drop-table', '--project', project, '--app', 'library', '--model', 'Loan']);
      expect(result.code, result.stderr).toBe(0);
      expect(await fs.readFile(path.join(project, 'library', 'models', '__init__.py'), 'utf8')).toBe(
        'from .books import Book, BookOnShelf, EBook, Tag\nfrom .people import Author, Pseudonym\n\n__all__ = ["Author", "Book", "BookOnShelf", "EBook", "Pseudonym", "Tag"]\n',
      );
      // The developer's part of the release: the admin and the services stop using Loan.
      await fs.writeFile(path.join(project, 'library', 'admin.py'), 'from django.contrib import admin  # noqa: F401\n');
      await fs.writeFile(path.join(project, 'library', 'services.py'), '');
      await expectClean(project);
    }, REAL_STACK_TIMEOUT_MS);

    it.each([
      [
        'a rename of a field another relation uses as its key (to_field)',
        ['rename-column', '--model', 'Site', '--field', 'code', '--to', 'site_code', '--strategy', 'db-column'],
        'Site.code is the key (to_field) of stock.Rack.site: it cannot be renamed while a relation points at it; point it at another field first (makemigrations), or leave Site.code',
      ],
      [
        'a rename to a new column of a field a CheckConstraint names',
        ['rename-column', '--model', 'Loan', '--field', 'due_back', '--to', 'due'],
        'Loan.due_back is named in Meta.constraints library_loan_due_after_lent of Loan: a new column would need it rebuilt, which bg-scaffold does not do yet; use --strategy db-column (the column keeps its name and no SQL runs)',
      ],
      [
        // On PostgreSQL a plain index is rebuilt on the new column (the matrix runs it); elsewhere it is not.
        'a rename to a new column of a field in a composite index, on SQLite',
        ['rename-column', '--model', 'Book', '--field', 'published', '--to', 'published_on', '--database', 'sqlite'],
        'Book.published is named in Meta.indexes library_book_author_pub_idx of Book: a new column would need it rebuilt, which bg-scaffold does not do yet; use --strategy db-column (the column keeps its name and no SQL runs)',
      ],
      [
        'a rename to a new column of a field in unique_together',
        ['rename-column', '--model', 'Book', '--field', 'title', '--to', 'name', '--strategy', 'trigger'],
        'Book.title is named in Meta.unique_together ("author", "title") of Book: a new column would need it rebuilt, which bg-scaffold does not do yet; use --strategy db-column (the column keeps its name and no SQL runs)',
      ],
      [
        'a removal of a field in ordering',
        ['remove-column', '--model', 'Author', '--field', 'last_name'],
        'Author.last_name is named in Meta.ordering "last_name" of Author: take it out of Meta first and ship that migration (makemigrations), then remove the field',
      ],
      [
        'a removal of a field in a partial UniqueConstraint, whose index DROP COLUMN would drop',
        ['remove-column', '--model', 'Loan', '--field', 'returned_on'],
        'Loan.returned_on is named in Meta.constraints library_loan_one_open_per_book of Loan: take it out of Meta first and ship that migration (makemigrations; build a replacement index or constraint CONCURRENTLY if the table still needs one, since DROP COLUMN drops the ones that include the column), then remove the field',
      ],
    ])('refuses %s in one line, writing nothing', async (_, args, message) => {
      const project = await zoo(`refused-${args[2]}-${args[4]}`);
      // A first run writes Django's report to the cache; the refused one must leave the tree as it is.
      const before = snapshotTree(project);
      const app = args.includes('Site') ? 'stock' : 'library';
      const result = await cli([...args.slice(0, 1), '--project', project, '--app', app, ...args.slice(1)]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n').filter((l) => !l.startsWith('note:'))).toEqual([`bg-scaffold: ${message}`]);
      expect(snapshotTree(project)).toEqual(before);
    }, REAL_STACK_TIMEOUT_MS);
  });
});
