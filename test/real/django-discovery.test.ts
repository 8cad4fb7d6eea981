/**
 * bg-scaffold knows a project the way Django knows it (DESIGN §5): discovery asks the project's own
 * interpreter and settings, on both Django lines, and the plans it then writes load in Django.
 * The shapes come from examples/zoo: models inheriting fields from another app's abstract base, a
 * foreign key to ContentType by imported class, an ArrayField, choices, defaults and validators
 * kept in constants and functions, and settings that choose the database from the environment.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrationFieldExpression, postgresColumnType } from '../../src/operations/shared/django-fields.js';
import { resolveRelationTarget } from '../../src/operations/shared/relations.js';
import { discoverProject, findApp, findField, findModel } from '../../src/project/discover.js';
import { CACHE_FILE, discardIntrospectionCache, flushIntrospectionCache } from '../../src/project/introspect.js';
import type { DjangoField, ProjectFacts } from '../../src/project/types.js';
import { runCli, snapshotTree } from '../cli/run-cli.js';
import {
  copyProject,
  DJANGO_LINES,
  ensureDjangoEnv,
  PROVISION_TIMEOUT_MS,
  REAL_STACK_TIMEOUT_MS,
  repoRoot,
  requireRealStack,
  runManage,
  sharedPostgres,
  uniqueDatabaseName,
  type DjangoEnv,
  type PgServer,
} from '../harness/index.js';

const decision = requireRealStack();
// Discovery keeps its cache writes for the end of a CLI run; these tests call it directly, and
// only the cache test writes (into its own copy), never into examples/.
afterEach(() => discardIntrospectionCache());
const ZOO = path.join(repoRoot(), 'examples', 'zoo');
const SHOP = path.join(repoRoot(), 'examples', 'shop');

/** What static discovery and Django's registry must agree on, field by field. */
function comparable(facts: ProjectFacts) {
  const quotes = (text: string) => text.replace(/'((?:[^'\\]|\\.)*)'/g, (_, inner: string) => `"${inner.replace(/"/g, '\\"')}"`);
  return facts.apps.map((app) => ({
    label: app.label,
    dir: app.dir,
    modelFiles: app.modelFiles,
    leaf: app.leaf,
    models: app.models.map((model) => ({
      name: model.name,
      file: model.file,
      line: model.line,
      dbTable: model.dbTable,
      pkColumn: model.pkColumn,
      methods: model.methods,
      fields: model.fields.map((field: DjangoField) => {
        const expression = migrationFieldExpression(field, app.label);
        return {
          name: field.name,
          column: field.column,
          nullable: field.nullable,
          unique: field.unique,
          primaryKey: field.primaryKey,
          dbIndex: field.dbIndex,
          onDelete: field.onDelete,
          line: field.line,
          range: field.range,
          postgresType: postgresColumnType(field),
          migration: quotes(expression.source),
          target: field.relatedModel === null ? null : resolveRelationTarget(field, model, app.label, facts.apps).table,
        };
      }),
    })),
  }));
}

/** Renames whole-word references in an app's code outside models.py and migrations. */
async function switchReferences(appDir: string, renames: Record<string, string>): Promise<void> {
  for (const name of await fs.readdir(appDir)) {
    if (!name.endsWith('.py') || name === 'models.py') continue;
    const file = path.join(appDir, name);
    let text = await fs.readFile(file, 'utf8');
    for (const [from, to] of Object.entries(renames)) text = text.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
    await fs.writeFile(file, text);
  }
}

async function tempCopy(example: string, name: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `bg-scaffold-${name}-`));
  const dir = path.join(root, name);
  await copyProject(example, dir);
  return { dir, remove: () => fs.rm(root, { recursive: true, force: true }) };
}

describe('without Django, discovery falls back to the source and says why', () => {
  it('an interpreter without Django gives static facts and a one-line reason', async () => {
    const facts = await discoverProject(SHOP, { python: 'python3' });
    if (facts.discovery.source === 'django') return; // this machine's python3 has Django: nothing to fall back from
    expect(facts.discovery.note).toMatch(/^read models\.py files without Django \(.*\)$/);
    expect(facts.discovery.note).not.toContain('\n');
    expect(findModel(findApp(facts, 'shop'), 'Order').fields.map((f) => f.name)).toContain('quantity');
  });

  it('an interpreter that does not exist is a reason, not a crash', async () => {
    const facts = await discoverProject(SHOP, { python: '/nonexistent/bin/python' });
    expect(facts.discovery.source).toBe('static');
    expect(facts.discovery.note).toContain('/nonexistent/bin/python');
  });
});

describe.skipIf(decision === 'skip')('discovery through Django', () => {
  describe.each(DJANGO_LINES)('Django %s', (line) => {
    let env: DjangoEnv;
    beforeAll(async () => {
      env = await ensureDjangoEnv(line);
    }, PROVISION_TIMEOUT_MS);

    it('examples/shop: Django and the static reading give the same facts', async () => {
      const django = await discoverProject(SHOP, { python: env.python });
      const statically = await discoverProject(SHOP, { static: true });
      expect(django.discovery.source).toBe('django');
      expect(django.discovery.djangoVersion).toBe(env.django);
      expect(statically.discovery.source).toBe('static');
      // Where the source alone cannot tell a column type (a foreign key's follows its target's key),
      // Django knows more; everywhere else the two agree.
      const fromSource = comparable(statically);
      const fromDjango = comparable(django);
      fromSource.forEach((app, a) =>
        app.models.forEach((model, m) =>
          model.fields.forEach((field, f) => {
            if (field.postgresType === null) fromDjango[a]!.models[m]!.fields[f]!.postgresType = null;
          }),
        ),
      );
      expect(fromDjango).toEqual(fromSource);
      expect(django.database).toBe(statically.database);
    }, REAL_STACK_TIMEOUT_MS);

    describe('examples/zoo', () => {
      let facts: ProjectFacts;
      beforeAll(async () => {
        facts = await discoverProject(ZOO, { python: env.python });
      }, REAL_STACK_TIMEOUT_MS);

      it('knows a model whose abstract base comes from another app, with the fields it inherits', () => {
        expect(facts.discovery.source).toBe('django');
        const site = findModel(findApp(facts, 'stock'), 'Site');
        expect(site.bases).toEqual(['PrimaryModel']);
        const description = findField(site, 'description');
        expect(description.inheritedFrom).toMatchObject({ className: 'core.models.PrimaryModel', file: 'core/models.py' });
        expect(site.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['created', 'updated', 'description', 'comments', 'code', 'aliases']));
        // Abstract mixins are not offered as models; they are still known by name, as abstract.
        expect(findApp(facts, 'stock').models.filter((m) => !m.abstract).map((m) => m.name).sort()).toEqual(['JournalEntry', 'Rack', 'Site', 'Vendor']);
      });

      it('an app whose label differs from its folder is found by its label', () => {
        const stock = findApp(facts, 'stock');
        expect(stock.dir).toBe('inventory');
        expect(stock.leaf).toBe('0004_vendor');
      });

      it('resolves a foreign key to ContentType imported by class, and one with to_field', () => {
        const stock = findApp(facts, 'stock');
        const entry = findModel(stock, 'JournalEntry');
        const type = findField(entry, 'origin_type');
        expect(resolveRelationTarget(type, entry, 'stock', facts.apps)).toMatchObject({ appLabel: 'contenttypes', modelName: 'ContentType', table: 'django_content_type', column: 'id' });
        const rack = findModel(stock, 'Rack');
        expect(resolveRelationTarget(findField(rack, 'site'), rack, 'stock', facts.apps)).toMatchObject({ table: 'inventory_site', column: 'code' });
      });

      it('writes an ArrayField as makemigrations does, base_field and all', () => {
        const aliases = findField(findModel(findApp(facts, 'stock'), 'Site'), 'aliases');
        expect(postgresColumnType(aliases)).toBe('text[]');
        const expression = migrationFieldExpression(aliases, 'stock');
        // Django 6.1 stopped writing size=None.
        expect(expression.source).toMatch(
          /^django\.contrib\.postgres\.fields\.ArrayField\(base_field=models\.TextField\(\), blank=True, default=list, (size=None, )?verbose_name='other names'\)$/,
        );
        expect(expression.imports).toContain('import django.contrib.postgres.fields');
      });

      it('writes choices, defaults and validators kept in constants and functions', () => {
        const site = findModel(findApp(facts, 'stock'), 'Site');
        const code = migrationFieldExpression(findField(site, 'code'), 'stock');
        expect(code.source).toContain('default=core.utils.default_code');
        expect(code.source).toMatch(/validators=\[django\.core\.validators\.RegexValidator\(/);
        expect(code.imports).toEqual(expect.arrayContaining(['import core.utils', 'import django.core.validators']));
        const status = migrationFieldExpression(findField(site, 'status'), 'stock');
        expect(status.source).toMatch(/choices=\[\('planned', 'Planned'\), \('active', 'Active'\)/);
        const name = migrationFieldExpression(findField(site, 'name'), 'stock');
        expect(name.source).toContain('validators=[core.validators.validate_no_surrounding_whitespace]');
      });

      it('knows primary keys of every kind: UUID, CharField, and the one Django adds', () => {
        const library = findApp(facts, 'library');
        expect(findModel(library, 'Author').pkColumn).toBe('id');
        expect(postgresColumnType(findField(findModel(library, 'Author'), 'id'))).toBe('uuid');
        expect(findModel(library, 'Tag').pkColumn).toBe('slug');
        expect(findModel(library, 'Book').django?.autoPk).toMatchObject({ name: 'id', column: 'id', postgresType: 'bigint' });
        expect(findModel(library, 'EBook').django?.autoPk).toMatchObject({ name: 'book_ptr', column: 'book_ptr_id' });
      });
    });

    it('takes the database from the settings Django loaded, chosen by the environment', async () => {
      const copy = await tempCopy(SHOP, 'shop');
      try {
        // Settings whose text names no server: only loading them tells (a static reading says SQLite).
        const settings = path.join(copy.dir, 'config', 'settings.py');
        const text = await fs.readFile(settings, 'utf8');
        const databases = text.slice(text.indexOf('def database_from_url'), text.indexOf('AUTH_PASSWORD_VALIDATORS'));
        await fs.writeFile(
          settings,
          text
            .replace(databases, 'DATABASES = {"default": {"ENGINE": "django.db.backends." + os.environ.get("SHOP_DB_BACKEND", "sqlite3"), "NAME": "shop"}}\n\n')
            .replace(/^.*postgres.*$/gm, ''),
        );
        expect((await discoverProject(copy.dir, { static: true })).database).toBe('sqlite');
        expect((await discoverProject(copy.dir, { python: env.python })).database).toBe('sqlite');
        const previous = process.env.SHOP_DB_BACKEND;
        process.env.SHOP_DB_BACKEND = 'postgresql';
        try {
          const postgres = await discoverProject(copy.dir, { python: env.python });
          expect(postgres.discovery.source).toBe('django');
          expect(postgres.discovery.cached).toBe(false); // the settings read SHOP_DB_BACKEND: it is part of the cache key
          expect(postgres.database).toBe('postgresql');
        } finally {
          if (previous === undefined) delete process.env.SHOP_DB_BACKEND;
          else process.env.SHOP_DB_BACKEND = previous;
        }
      } finally {
        await copy.remove();
      }
    }, REAL_STACK_TIMEOUT_MS);

    it('plans for the server the settings name when they fall back to SQLite here, and says so', async () => {
      const facts = await discoverProject(ZOO, { python: env.python });
      expect(facts.database).toBe('postgresql');
      expect(facts.discovery.note).toContain('settings load sqlite here, planning for postgresql (--database to choose)');
    }, REAL_STACK_TIMEOUT_MS);

    it('caches the report: a second run on an unchanged project starts no Python, an edit starts it again', async () => {
      const copy = await tempCopy(SHOP, 'shop');
      try {
        const first = await discoverProject(copy.dir, { python: env.python });
        await flushIntrospectionCache();
        expect(first.discovery.cached).toBe(false);
        const cacheFile = path.join(copy.dir, CACHE_FILE);
        const cache = JSON.parse(await fs.readFile(cacheFile, 'utf8')) as { files: Record<string, string> };
        expect(Object.keys(cache.files)).toEqual(expect.arrayContaining(['shop/models.py', 'config/settings.py']));

        const second = await discoverProject(copy.dir, { python: env.python });
        await flushIntrospectionCache();
        expect(second.discovery.cached).toBe(true);
        expect(comparable(second)).toEqual(comparable(first));

        // Installing or upgrading a package (an abstract base may come from one) starts it again too.
        const packages = JSON.parse(await fs.readFile(cacheFile, 'utf8')) as { packages: Record<string, number> };
        const sitePackages = Object.keys(packages.packages).find((dir) => dir.startsWith(env.venvDir));
        expect(sitePackages, 'the virtualenv\'s site-packages is part of the key').toBeDefined();
        const later = new Date(Date.now() + 5_000);
        await fs.utimes(sitePackages!, later, later);
        const afterInstall = await discoverProject(copy.dir, { python: env.python });
        await flushIntrospectionCache();
        expect(afterInstall.discovery.cached).toBe(false);

        const models = path.join(copy.dir, 'shop', 'models.py');
        await fs.appendFile(models, '\n\nclass Coupon(models.Model):\n    code = models.CharField(max_length=20)\n');
        const third = await discoverProject(copy.dir, { python: env.python });
        await flushIntrospectionCache();
        expect(third.discovery.cached).toBe(false);
        expect(findModel(findApp(third, 'shop'), 'Coupon').fields.map((f) => f.name)).toEqual(['code']);
      } finally {
        await copy.remove();
      }
    }, REAL_STACK_TIMEOUT_MS);
  });
});

describe.skipIf(decision === 'skip')('plans for the zoo, written through Django, load in Django', () => {
  let server: PgServer;
  beforeAll(async () => {
    server = await sharedPostgres();
  }, PROVISION_TIMEOUT_MS);

  describe.each(DJANGO_LINES)('Django %s', (line) => {
    let env: DjangoEnv;
    let copy: { dir: string; remove: () => Promise<void> };
    const db = uniqueDatabaseName(`discovery_${line}`);
    beforeAll(async () => {
      env = await ensureDjangoEnv(line);
      copy = await tempCopy(ZOO, 'zoo');
      await server.createDatabase(db);
    }, PROVISION_TIMEOUT_MS);
    afterAll(async () => {
      await copy?.remove();
      if (server) await server.dropDatabase(db);
    });

    const cli = (args: string[]) => runCli([...args, '--project', copy.dir, '--python', env.python, '--yes'], { env: { DATABASE_URL: server.url(db) } });

    it('generates every first phase that refused before, each through Django', async () => {
      const runs = [
        // choices from an imported constant, default and validators from functions and constants
        ['rename-column', '--app', 'stock', '--model', 'Site', '--field', 'status', '--to', 'state'],
        ['rename-column', '--app', 'stock', '--model', 'JournalEntry', '--field', 'kind', '--to', 'category', '--strategy', 'db-column'],
        // an ArrayField with its base field given positionally
        ['rename-column', '--app', 'stock', '--model', 'Site', '--field', 'aliases', '--to', 'nicknames'],
        // a foreign key to ContentType, imported by class
        ['remove-column', '--app', 'stock', '--model', 'JournalEntry', '--field', 'origin_type'],
        // a model inheriting a base that declares fields, in an app whose folder is not its label
        ['add-column', '--app', 'stock', '--model', 'Rack', '--name', 'row_label', '--type', 'CharField', '--max-length', '20', '--null'],
      ];
      for (const args of runs) {
        const run = await cli(args);
        expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(0);
        expect(run.stderr).toContain(`note: read the project through Django ${env.django}`);
        expect(run.stderr).not.toContain('without Django');
      }
      // The developer's part of the release: the code uses the new names (the warnings list where).
      await switchReferences(path.join(copy.dir, 'inventory'), { status: 'state', kind: 'category', aliases: 'nicknames' });
    }, REAL_STACK_TIMEOUT_MS);

    it('the project then passes manage.py check and makemigrations --check, and migrates on PostgreSQL', async () => {
      const options = { databaseUrl: server.url(db) };
      const check = await runManage(env, copy.dir, ['check'], options);
      expect(check.code, check.stderr).toBe(0);
      const makemigrations = await runManage(env, copy.dir, ['makemigrations', '--check', '--dry-run'], options);
      expect(makemigrations.code, makemigrations.stdout + makemigrations.stderr).toBe(0);
      const migrate = await runManage(env, copy.dir, ['migrate', '--no-input'], options);
      expect(migrate.code, migrate.stderr).toBe(0);
    }, REAL_STACK_TIMEOUT_MS);
  });

  it('refuses, in one true line, what has no column or belongs to something else', async () => {
    const env = await ensureDjangoEnv('5.2');
    const copy = await tempCopy(ZOO, 'zoo');
    try {
      const refusal = async (args: string[]) => {
        const run = await runCli([...args, '--project', copy.dir, '--python', env.python, '--yes']);
        expect(run.code, run.stdout).toBe(2);
        return run.stderr.trim();
      };
      expect(await refusal(['remove-column', '--app', 'stock', '--model', 'JournalEntry', '--field', 'assigned_object'])).toBe(
        'bg-scaffold: JournalEntry.assigned_object is a GenericForeignKey and has no column of its own (it reads two other fields): remove it in the model by hand, no migration is needed',
      );
      expect(await refusal(['remove-column', '--app', 'stock', '--model', 'JournalEntry', '--field', 'assigned_object_type'])).toBe(
        'bg-scaffold: JournalEntry.assigned_object_type is read by the GenericForeignKey JournalEntry.assigned_object; take it out of that GenericForeignKey first',
      );
      expect(await refusal(['rename-column', '--app', 'library', '--model', 'Book', '--field', 'id', '--to', 'key'])).toBe(
        'bg-scaffold: Book.id is the primary key Django adds; bg-scaffold does not rename or remove primary keys',
      );
      expect(await refusal(['rename-column', '--app', 'library', '--model', 'BookOnShelf', '--field', 'title', '--to', 'name'])).toBe(
        'bg-scaffold: BookOnShelf is a proxy model and has no table of its own; change Book instead',
      );
      expect(await refusal(['add-column', '--app', 'library', '--model', 'BookOnShelf', '--name', 'shelf', '--type', 'CharField', '--max-length', '10', '--null'])).toBe(
        'bg-scaffold: BookOnShelf is a proxy model and has no table of its own; change Book instead',
      );
      expect(await refusal(['rename-column', '--app', 'stock', '--model', 'Site', '--field', 'description', '--to', 'summary'])).toBe(
        'bg-scaffold: Site.description is declared in core.models.PrimaryModel (core/models.py:17), a base class Site inherits; rename it there, for every model that inherits it, or redeclare it on Site first',
      );
    } finally {
      await copy.remove();
    }
  }, REAL_STACK_TIMEOUT_MS);

  it('a foreign key may point at an installed app outside the project (auth.User, ContentType)', async () => {
    const env = await ensureDjangoEnv('5.2');
    const copy = await tempCopy(ZOO, 'zoo');
    try {
      const run = await runCli(
        ['add-column', '--app', 'library', '--model', 'Tag', '--name', 'curator', '--type', 'ForeignKey', '--to', 'auth.User', '--on-delete', 'SET_NULL', '--null', '--project', copy.dir, '--python', env.python, '--yes'],
      );
      expect(run.code, run.stderr).toBe(0);
      const migration = (await fs.readdir(path.join(copy.dir, 'library', 'migrations'))).find((name) => name.startsWith('0004_'))!; // after 0003_pseudonym
      const text = await fs.readFile(path.join(copy.dir, 'library', 'migrations', migration), 'utf8');
      // auth.User's key is an AutoField: the column is an integer, as Django reports it.
      expect(text).toMatch(/"curator_id" integer NULL/);
      expect(text).toMatch(/AddForeignKey\(\s*"library_tag",\s*"curator_id",\s*"auth_user",\s*"id",/);
      const check = await runManage(env, copy.dir, ['makemigrations', '--check', '--dry-run']);
      expect(check.code, check.stdout + check.stderr).toBe(0);
    } finally {
      await copy.remove();
    }
  }, REAL_STACK_TIMEOUT_MS);

  it('without Django, a name it cannot find says that Django was not asked, and why', async () => {
    const run = await runCli(['rename-column', '--app', 'stock', '--model', 'Nope', '--field', 'x', '--to', 'y', '--project', ZOO, '--python', '/nonexistent/python', '--yes']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr.trim()).toMatch(/^bg-scaffold: unknown model "Nope" in app "stock"; models: .*; bg-scaffold read models\.py files without Django \(\/nonexistent\/python \(--python\) did not start: .*\)$/);
  }, REAL_STACK_TIMEOUT_MS);

  it('a --dry-run through Django writes nothing, cache included', async () => {
    const env = await ensureDjangoEnv('5.2');
    const copy = await tempCopy(ZOO, 'zoo');
    try {
      const before = snapshotTree(copy.dir);
      const run = await runCli(['rename-column', '--project', copy.dir, '--python', env.python, '--yes', '--dry-run', '--app', 'library', '--model', 'Author', '--field', 'website', '--to', 'homepage']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('+++ b/library/models/people.py');
      expect(snapshotTree(copy.dir)).toEqual(before);
    } finally {
      await copy.remove();
    }
  }, REAL_STACK_TIMEOUT_MS);

  it('a refused run through Django leaves the tree byte-for-byte as it was, cache included', async () => {
    const env = await ensureDjangoEnv('5.2');
    const copy = await tempCopy(ZOO, 'zoo');
    try {
      const before = snapshotTree(copy.dir);
      const run = await runCli(['remove-column', '--project', copy.dir, '--python', env.python, '--yes', '--app', 'library', '--model', 'Author', '--field', 'id']);
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toBe('bg-scaffold: Author.id is the primary key, and a primary key cannot be removed; --field must name another field');
      expect(snapshotTree(copy.dir)).toEqual(before);
    } finally {
      await copy.remove();
    }
  }, REAL_STACK_TIMEOUT_MS);
});
