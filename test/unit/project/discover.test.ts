import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import { discoverProject, findApp, findField, findModel, requireSingleLeaf } from '../../../src/project/discover.js';
import type { ProjectFacts } from '../../../src/project/types.js';

const made: string[] = [];

async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'bg-discover-'));
  made.push(root);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
  }
  return root;
}

afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

const migration = (dependencies: string, extra = '') =>
  `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n${extra}    dependencies = ${dependencies}\n\n    operations = []\n`;

const SHOP = {
  'manage.py': '#!/usr/bin/env python\n',
  'requirements.txt': '# pinned\ndjango-environ==0.11\nDjango==5.2.3\n',
  'config/settings.py':
    'DATABASES = {"default": env.db("DATABASE_URL", default="postgres://localhost/shop")}\n# local: django.db.backends.sqlite3\n',
  'apps/shop/__init__.py': '',
  'apps/shop/apps.py':
    'from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = "apps.shop"\n    label = "store"\n',
  'apps/shop/models.py':
    'from django.db import models\n\n\nclass Product(models.Model):\n    name = models.CharField(max_length=100)\n\n\nclass Order(models.Model):\n    product = models.ForeignKey(Product, on_delete=models.CASCADE)\n    quantity = models.IntegerField()\n',
  'apps/shop/migrations/__init__.py': '',
  'apps/shop/migrations/0001_initial.py': migration('[]', '    initial = True\n'),
  'apps/shop/migrations/0002_order_note.py': migration(
    '[("store", "0001_initial"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]',
  ),
  'apps/shop/migrations/0003_a.py': migration('[["store", "0002_order_note"]]'),
  'apps/shop/migrations/0003_b.py': migration('[("store", "0002_order_note")]'),
  'apps/shop/migrations/0004_merge.py': migration('[("store", "0003_a"), ("store", "0003_b")]'),
  'billing/__init__.py': '',
  'billing/models/__init__.py': 'from .base import Stamped\nfrom .invoice import Invoice\n',
  'billing/models/base.py':
    'from django.db import models\n\n\nclass Stamped(models.Model):\n    created = models.DateTimeField()\n\n    class Meta:\n        abstract = True\n',
  'billing/models/invoice.py':
    'from .base import Stamped\nfrom django.db import models\n\n\nclass Invoice(Stamped):\n    total = models.DecimalField(max_digits=9, decimal_places=2)\n',
  'billing/migrations/__init__.py': '',
  'billing/migrations/0001_initial.py': migration('[]'),
  'billing/migrations/0002_x.py': migration('[("billing", "0001_initial")]'),
  'billing/migrations/0002_y.py': migration('[("billing", "0001_initial")]'),
  'billing/migrations/_helpers.py': 'def helper():\n    pass\n',
  'notes/models.py': 'from django.db import models\n',
  'notes/migrations/__init__.py': '',
  'static_only/models.py': '# no migrations package: not an app\n',
  'node_modules/pkg/models.py': '',
  'node_modules/pkg/migrations/__init__.py': '',
  '.venv-3.12/lib/site/models.py': '',
  '.venv-3.12/lib/site/migrations/__init__.py': '',
  'env/pyvenv.cfg': 'home = /usr/bin\n',
  'env/lib/app/models.py': '',
  'env/lib/app/migrations/__init__.py': '',
};

describe('discoverProject', async () => {
  const root = await project(SHOP);
  const facts: ProjectFacts = await discoverProject(root);

  it('finds apps at any depth and skips node_modules, virtualenvs and folders without migrations', () => {
    expect(facts.root).toBe(path.resolve(root));
    expect(facts.apps.map((app) => `${app.label}:${app.module}:${app.dir}`)).toEqual([
      'billing:billing:billing',
      'notes:notes:notes',
      'store:apps.shop:apps/shop',
    ]);
  });

  it('takes the label from the AppConfig', () => {
    const shop = findApp(facts, 'store');
    expect(shop.modelFiles).toEqual(['apps/shop/models.py']);
    expect(shop.migrationsDir).toBe('apps/shop/migrations');
    expect(shop.models.map((model) => `${model.name}:${model.dbTable}`)).toEqual([
      'Product:store_product',
      'Order:store_order',
    ]);
  });

  it('reads a models package, with abstract bases from a sibling module', () => {
    const billing = findApp(facts, 'billing');
    expect(billing.modelFiles).toEqual([
      'billing/models/__init__.py',
      'billing/models/base.py',
      'billing/models/invoice.py',
    ]);
    const invoice = findModel(billing, 'Invoice');
    expect(invoice.file).toBe('billing/models/invoice.py');
    expect(invoice.fields.map((field) => field.name)).toEqual(['created', 'total']);
  });

  it('reads the migration graph: dependencies as tuples or lists, swappable ones ignored', () => {
    const shop = findApp(facts, 'store');
    expect(shop.migrations.map((migration) => migration.name)).toEqual([
      '0001_initial',
      '0002_order_note',
      '0003_a',
      '0003_b',
      '0004_merge',
    ]);
    expect(shop.migrations[1]).toMatchObject({
      file: 'apps/shop/migrations/0002_order_note.py',
      number: 2,
      dependencies: [['store', '0001_initial']],
      replaces: [],
    });
    expect(shop.migrations[2]!.dependencies).toEqual([['store', '0002_order_note']]);
    expect(shop.leaf).toBe('0004_merge');
    expect(shop.leaves).toEqual(['0004_merge']);
    expect(shop.nextNumber).toBe(5);
    expect(requireSingleLeaf(shop)).toBe('0004_merge');
  });

  it('records two leaves without failing, and requireSingleLeaf asks for a merge', () => {
    const billing = findApp(facts, 'billing');
    expect(billing.migrations.map((migration) => migration.name)).toEqual(['0001_initial', '0002_x', '0002_y']);
    expect(billing.leaves).toEqual(['0002_x', '0002_y']);
    expect(billing.leaf).toBeNull();
    expect(billing.nextNumber).toBe(3);
    expect(() => requireSingleLeaf(billing)).toThrow(
      'app "billing" has 2 leaf migrations (0002_x, 0002_y); run "python manage.py makemigrations --merge billing" first',
    );
  });

  it('knows an app without migrations yet', () => {
    const notes = findApp(facts, 'notes');
    expect(notes).toMatchObject({ migrations: [], leaf: null, leaves: [], nextNumber: 1, models: [] });
    expect(requireSingleLeaf(notes)).toBeNull();
  });

  it('reads the Django version and the database', () => {
    expect(facts.djangoVersion).toBe('5.2');
    expect(facts.database).toBe('postgresql');
  });

  it('answers lookups with one-line messages that list what exists', () => {
    expect(() => findApp(facts, 'shp')).toThrow('unknown app "shp"; apps: billing, notes, store');
    const shop = findApp(facts, 'store');
    expect(() => findModel(shop, 'Ordr')).toThrow(
      'unknown model "Ordr" in app "store" (did you mean "Order"?); models: Order, Product',
    );
    const order = findModel(shop, 'Order');
    expect(() => findField(order, 'qty', 'store')).toThrow(
      'unknown field "qty" on store.Order; fields: product, quantity',
    );
    expect(() => findField(order, 'quantty')).toThrow(
      'unknown field "quantty" on store.Order (did you mean "quantity"?)',
    );
    expect(findField(order, 'quantity').column).toBe('quantity');
  });
});

describe('discoverProject refuses', () => {
  it('a folder without manage.py', async () => {
    const root = await project({ 'README.md': '' });
    await expect(discoverProject(root)).rejects.toThrow(
      `no manage.py in ${path.resolve(root)}; pass --project pointing at your Django project`,
    );
  });

  it('a models file that does not parse, naming file:line:column', async () => {
    const root = await project({
      'manage.py': '',
      'shop/models.py':
        'from django.db import models\n\n\nclass Order(models.Model):\n    quantity = models.IntegerField(\n',
      'shop/migrations/__init__.py': '',
    });
    await expect(discoverProject(root)).rejects.toThrow(BgScaffoldError);
    await expect(discoverProject(root)).rejects.toThrow(/^shop\/models\.py:\d+:\d+: does not parse as Python/);
  });

  it('a migration that does not parse, naming file:line', async () => {
    const root = await project({
      'manage.py': '',
      'shop/models.py': '',
      'shop/migrations/__init__.py': '',
      'shop/migrations/0001_initial.py': 'class Migration(migrations.Migration):\n    dependencies = [\n',
    });
    await expect(discoverProject(root)).rejects.toThrow(
      /^shop\/migrations\/0001_initial\.py:\d+:\d+: does not parse as Python/,
    );
  });
});

describe('migration graphs', () => {
  it('lets a squashed migration stand in for the ones it replaces', async () => {
    const root = await project({
      'manage.py': '',
      'shop/models.py': '',
      'shop/migrations/__init__.py': '',
      'shop/migrations/0001_initial.py': migration('[]'),
      'shop/migrations/0002_more.py': migration('[("shop", "0001_initial")]'),
      'shop/migrations/0001_squashed_0002_more.py': migration(
        '[]',
        '    replaces = [("shop", "0001_initial"), ("shop", "0002_more")]\n',
      ),
      'shop/migrations/0003_after.py': migration('[("shop", "0002_more")]'),
    });
    const [shop] = (await discoverProject(root)).apps;
    expect(shop!.migrations.find((m) => m.name === '0001_squashed_0002_more')!.replaces).toEqual([
      ['shop', '0001_initial'],
      ['shop', '0002_more'],
    ]);
    expect(shop!.leaves).toEqual(['0003_after']);
    expect(shop!.nextNumber).toBe(4);
  });

  it('numbers after the highest number even when numbers repeat', async () => {
    const root = await project({
      'manage.py': '',
      'shop/models.py': '',
      'shop/migrations/__init__.py': '',
      'shop/migrations/0001_initial.py': migration('[]'),
      'shop/migrations/0002_a.py': migration('[("shop", "0001_initial")]'),
      'shop/migrations/0002_b.py': migration('[("shop", "0001_initial")]'),
      'shop/migrations/0003_merge_0002_a_0002_b.py': migration('[("shop", "0002_a"), ("shop", "0002_b")]'),
      'shop/migrations/custom_data.py': migration('[("shop", "0003_merge_0002_a_0002_b")]'),
    });
    const [shop] = (await discoverProject(root)).apps;
    expect(shop!.migrations.find((m) => m.name === 'custom_data')!.number).toBeNull();
    expect(shop!.leaves).toEqual(['custom_data']);
    expect(shop!.nextNumber).toBe(4);
  });
});

describe('the example project', () => {
  const example = path.resolve(import.meta.dirname, '../../../examples/shop');
  it.skipIf(!existsSync(path.join(example, 'manage.py')))('is discovered with its apps and models', async () => {
    const facts = await discoverProject(example);
    const shop = findApp(facts, 'shop');
    expect(shop.leaf).not.toBeNull();
    expect(requireSingleLeaf(shop)).toBe(shop.leaf);
    const order = findModel(shop, 'Order');
    expect(order.dbTable).toBe('shop_order');
    expect(findField(order, 'quantity', 'shop').column).toBe('quantity');
    expect(facts.djangoVersion).toMatch(/^\d+\.\d+$/);
    expect(facts.database).toBe('postgresql');
  });
});
