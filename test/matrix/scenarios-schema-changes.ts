/**
 * The index, constraint and NOT NULL operations in the matrix: each migration runs while the
 * previous release writes, and both releases then write on the new schema. set-not-null on the
 * zoo's Book.pages is the one whose previous release breaks a naive plan: it creates books without
 * pages, so NULL, until the release that gives the field its default is everywhere.
 *
 * These plans run the same code on both sides and change no row (but the fill), so each runs on
 * one Django line, alternating, with fewer writes per phase, and drop-not-null and remove-index
 * only outside the suite, to keep its time (`BG_MATRIX_ALL_LINES=1 npm run matrix` runs all on both).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type DjangoEnv, runManageChecked } from '../harness/index.js';
import { backgroundForm } from './background-backfill.js';
import type { MatrixTarget, Scenario } from './matrix.js';
import { edit } from './scenarios-remove.js';
import { checksAre, indexesAre } from './scenarios-zoo.js';

const BOOK: MatrixTarget = { example: 'zoo', model: 'library.Book' };
const RACK: MatrixTarget = { example: 'zoo', model: 'stock.Rack', appDir: 'inventory' };
const INVOICE: MatrixTarget = { example: 'legacy', model: 'billing.Invoice' };
const same = (field: string, releases: number) => Array.from({ length: releases + 1 }, () => field);

/** Null when `query` prints `expected`, else what differs. */
async function expectValue(sql: (query: string) => Promise<string>, what: string, query: string, expected: string): Promise<string | null> {
  const found = (await sql(query)).trim();
  return found === expected ? null : `${what}: expected ${expected}, found ${found || '(nothing)'}`;
}

// Inserts only, through release 2's save() (which writes the default over a None): copies of books, NULL pages included.
const BOOK_INSERTS = [
  'import random',
  'from library.models import Book',
  'for i in range(300):',
  '    book = Book.objects.order_by("?").first()',
  '    book.pk = None',
  '    book.id = None',
  '    book.title = f"BG-{random.randrange(10**9)}"',
  '    book.save()',
].join('\n');

const pagesInTheBackground = backgroundForm({
  change: 'book-pages-not-null',
  registeredIn: 2,
  table: 'library_book',
  app: 'library',
  remaining: 'SELECT count(*) FROM library_book WHERE pages IS NULL',
  notNullColumn: 'pages',
  inserts: BOOK_INSERTS,
});

const notNull = (table: string, column: string) => `SELECT attnotnull FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attname = '${column}'`;

export const SCENARIOS: Scenario[] = [
  {
    name: 'set-not-null, default first: the previous release inserts NULL (zoo Book.pages)',
    target: BOOK,
    cli: ['set-not-null', '--app', 'library', '--model', 'Book', '--field', 'pages', '--fill', '0', '--batch-size', '100'],
    codeField: same('title', 2),
    djangoLines: ['5.2'],
    loadOps: 120,
    verify: {
      check: 'pages is NOT NULL only in phase 2, and no row is NULL then',
      run: async (_tree, phase, _env, sql) =>
        (await expectValue(sql, 'library_book.pages NOT NULL', notNull('library_book', 'pages'), phase === 2 ? 't' : 'f')) ??
        (phase === 2 ? expectValue(sql, 'books without pages', 'SELECT count(*) FROM library_book WHERE pages IS NULL', '0') : null),
    },
    verifyAfterRollback: {
      check: 'the rollback lets pages be NULL again, with no check left behind',
      run: async (_phase, sql) =>
        (await expectValue(sql, 'library_book.pages NOT NULL', notNull('library_book', 'pages'), 'f')) ??
        expectValue(sql, 'checks left behind', `SELECT count(*) FROM pg_constraint WHERE conrelid = 'library_book'::regclass AND conname LIKE '%bg_notnull'`, '0'),
    },
  },
  {
    // --backfill background: release 1 gives the default, release 2 only registers the fill of the
    // NULL rows (those release 0 wrote); bg_scaffold_backfill fills them while releases 1 and 2
    // write; release 3's guard refuses migrate before the command ran, then sets NOT NULL.
    name: 'set-not-null, background backfill (zoo Book.pages)',
    target: BOOK,
    cli: ['set-not-null', '--app', 'library', '--model', 'Book', '--field', 'pages', '--fill', '0', '--batch-size', '100', '--backfill', 'background'],
    codeField: same('title', 3),
    // One line in npm test (the in-migrate fill runs on 5.2); BG_MATRIX_ALL_LINES=1 runs both.
    djangoLines: ['latest'],
    loadOps: 120,
    developer: pagesInTheBackground.beforeRelease,
    verify: {
      check: "release 1 registers nothing; in release 2 release 3's guard stops migrate before the command ran, which then fills every NULL pages while both releases write; in release 3 pages is NOT NULL",
      run: pagesInTheBackground.verify,
    },
  },
  {
    name: 'drop-not-null (shop Order.note)',
    cli: ['drop-not-null', '--app', 'shop', '--model', 'Order', '--field', 'note'],
    codeField: same('quantity', 1),
    djangoLines: ['latest'],
    // Metadata only, and its backwards path is set-not-null's, which the suite runs.
    extended: true,
    loadOps: 60,
    verify: { check: 'note accepts NULL', run: (_tree, _phase, _env, sql) => expectValue(sql, 'shop_order.note NOT NULL', notNull('shop_order', 'note'), 'f') },
  },
  {
    name: 'add-index, a partial Meta index built CONCURRENTLY (shop Order)',
    cli: ['add-index', '--app', 'shop', '--model', 'Order', '--fields', 'customer,-placed_at', '--condition', "Q(status='new')", '--name', 'order_new_customer_idx'],
    codeField: same('quantity', 1),
    djangoLines: ['5.2'],
    loadOps: 60,
    verify: { check: 'the partial index is valid', run: (_tree, _phase, _env, sql) => indexesAre(sql, { order_new_customer_idx: 'customer_id, placed_at DESC' }) },
    verifyAfterRollback: { check: 'the rollback drops the index', run: (_phase, sql) => indexesAre(sql, { order_new_customer_idx: null }) },
  },
  {
    name: 'add-index on an expression, with a covering field (shop Order)',
    cli: ['add-index', '--app', 'shop', '--model', 'Order', '--expressions', 'Lower("reference"), F("placed_at").desc()', '--include', 'status', '--name', 'order_lower_ref_idx'],
    codeField: same('quantity', 1),
    djangoLines: ['latest'],
    loadOps: 60,
    verify: { check: 'the index is valid, on lower(reference) and placed_at, with status', run: (_tree, _phase, _env, sql) => indexesAre(sql, { order_lower_ref_idx: 'lower((reference)::text), placed_at DESC) INCLUDE (status' }) },
    verifyAfterRollback: { check: 'the rollback drops the index', run: (_phase, sql) => indexesAre(sql, { order_lower_ref_idx: null }) },
  },
  {
    name: 'add-unique on an expression, NULLs not distinct (shop Order)',
    cli: ['add-unique', '--app', 'shop', '--model', 'Order', '--expressions', 'Upper("reference")', '--name', 'order_upper_ref_uniq', '--nulls-not-distinct'],
    codeField: same('quantity', 1),
    djangoLines: ['5.2'],
    // The same runtime step as the expression index above, built UNIQUE.
    extended: true,
    loadOps: 60,
    verify: {
      check: 'the unique index is valid, on upper(reference), NULLS NOT DISTINCT',
      run: (_tree, _phase, _env, sql) =>
        expectValue(sql, 'order_upper_ref_uniq', `SELECT indisvalid, pg_get_indexdef(indexrelid) FROM pg_index WHERE indexrelid = to_regclass('order_upper_ref_uniq')`, 't|CREATE UNIQUE INDEX order_upper_ref_uniq ON public.shop_order USING btree (upper((reference)::text)) NULLS NOT DISTINCT'),
    },
    verifyAfterRollback: { check: 'the rollback drops it', run: (_phase, sql) => indexesAre(sql, { order_upper_ref_uniq: null }) },
  },
  {
    name: 'remove-index, a Meta index dropped CONCURRENTLY (zoo Rack)',
    target: RACK,
    cli: ['remove-index', '--app', 'stock', '--model', 'Rack', '--name', 'stock_rack_site_height_idx'],
    codeField: same('name', 1),
    djangoLines: ['latest'],
    // DROP INDEX CONCURRENTLY changes no row; the zoo's remove-column drops that index the same way.
    extended: true,
    loadOps: 60,
    verify: { check: 'the index is gone', run: (_tree, _phase, _env, sql) => indexesAre(sql, { stock_rack_site_height_idx: null }) },
    verifyAfterRollback: { check: 'the rollback builds it again', run: (_phase, sql) => indexesAre(sql, { stock_rack_site_height_idx: 'site_id, u_height' }) },
  },
  {
    name: 'add-unique, a UniqueConstraint attached to its index built CONCURRENTLY (shop Order)',
    cli: ['add-unique', '--app', 'shop', '--model', 'Order', '--fields', 'customer,reference'],
    codeField: same('quantity', 1),
    djangoLines: ['latest'],
    loadOps: 60,
    verify: {
      check: 'the constraint is UNIQUE (customer_id, reference)',
      run: (_tree, _phase, _env, sql) =>
        expectValue(sql, 'shop_order_customer_id_reference_uniq', `SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'shop_order'::regclass AND conname = 'shop_order_customer_id_reference_uniq'`, 'UNIQUE (customer_id, reference)'),
    },
    verifyAfterRollback: { check: 'the rollback drops it', run: (_phase, sql) => indexesAre(sql, { shop_order_customer_id_reference_uniq: null }) },
  },
  {
    name: 'add-check, NOT VALID then validated (shop Order.quantity)',
    cli: ['add-check', '--app', 'shop', '--model', 'Order', '--condition', 'Q(quantity__gte=-2147483648)'],
    codeField: same('quantity', 1),
    djangoLines: ['5.2'],
    loadOps: 60,
    verify: { check: 'the check is validated', run: (_tree, _phase, _env, sql) => checksAre(sql, 'shop_order', { shop_order_quantity_check: true }) },
    verifyAfterRollback: { check: 'the rollback drops it', run: (_phase, sql) => checksAre(sql, 'shop_order', { shop_order_quantity_check: null }) },
  },
  {
    // The previous release writes invoices while the constraint is added.
    name: 'add-foreign-key on an integer column, ON DELETE SET NULL (legacy Invoice.approved_by_id)',
    target: INVOICE,
    cli: ['add-foreign-key', '--app', 'billing', '--model', 'Invoice', '--field', 'approved_by_id', '--to', 'accounts.Account', '--on-delete', 'SET_NULL'],
    codeField: same('number', 1),
    djangoLines: ['latest'],
    loadOps: 60,
    verify: {
      check: 'the foreign key is validated, ON DELETE SET NULL',
      run: (_tree, _phase, _env, sql) =>
        expectValue(sql, 'billing_invoice.approved_by_id', `SELECT convalidated, confdeltype FROM pg_constraint WHERE conrelid = 'billing_invoice'::regclass AND contype = 'f' AND confrelid = 'accounts_account'::regclass AND conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = 'billing_invoice'::regclass AND attname = 'approved_by_id')]`, 't|n'),
    },
    verifyAfterRollback: {
      check: 'the rollback drops it',
      run: (_phase, sql) => expectValue(sql, 'foreign keys on approved_by_id', `SELECT count(*) FROM pg_constraint WHERE conrelid = 'billing_invoice'::regclass AND contype = 'f' AND confrelid = 'accounts_account'::regclass AND conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = 'billing_invoice'::regclass AND attname = 'approved_by_id')]`, '0'),
    },
  },
  {
    // The shop's code moves to the new name in release 1 (the alias keeps the old one working
    // for what it missed); release 2 takes the alias out.
    name: 'rename-model keeping the table (shop Order → Purchase)',
    target: { example: 'shop', model: 'shop.Order,shop.Purchase' },
    cli: ['rename-model', '--app', 'shop', '--model', 'Order', '--to', 'Purchase'],
    codeField: same('quantity', 2),
    djangoLines: ['5.2'],
    loadOps: 60,
    developer: async (project, release) => {
      if (release !== 1) return;
      for (const file of ['shop/services.py', 'shop/admin.py', 'shop/views.py']) await edit(project, file, [[/\bOrder\b/g, 'Purchase']]);
    },
    verify: {
      check: 'the table keeps its name; the content type is shop.purchase',
      run: async (_tree, _phase, _env, sql) =>
        (await expectValue(sql, 'shop_order', `SELECT to_regclass('shop_order') IS NOT NULL`, 't')) ??
        expectValue(sql, 'content types of the order model', `SELECT string_agg(model, ',' ORDER BY model) FROM django_content_type WHERE app_label = 'shop' AND model IN ('order', 'purchase')`, 'purchase'),
    },
  },
  {
    name: 'rename-model moving the table behind a view (shop Order → Purchase)',
    target: { example: 'shop', model: 'shop.Order,shop.Purchase' },
    cli: ['rename-model', '--app', 'shop', '--model', 'Order', '--to', 'Purchase', '--strategy', 'move-table'],
    codeField: same('quantity', 2),
    djangoLines: ['latest'],
    // The zoo's clubs scenario below runs the same plan shape in the suite, with a many-to-many table as well.
    extended: true,
    loadOps: 60,
    developer: async (project, release) => {
      if (release !== 1) return;
      for (const file of ['shop/services.py', 'shop/admin.py', 'shop/views.py']) await edit(project, file, [[/\bOrder\b/g, 'Purchase']]);
    },
    verify: {
      check: 'the table is shop_purchase; shop_order is a view in release 1, gone in release 2',
      run: async (_tree, phase, _env, sql) =>
        (await expectValue(sql, 'shop_purchase', relkind('shop_purchase'), 'r')) ?? expectValue(sql, 'shop_order', relkind('shop_order'), phase === 1 ? 'v' : ''),
    },
    verifyAfterRollback: {
      check: 'the rollback puts the table back under its name (release 1) or the view (release 2)',
      run: async (phase, sql) =>
        phase === 1
          ? ((await expectValue(sql, 'shop_order', relkind('shop_order'), 'r')) ?? expectValue(sql, 'shop_purchase', relkind('shop_purchase'), ''))
          : expectValue(sql, 'shop_order', relkind('shop_order'), 'v'),
    },
  },
  {
    name: 'rename-model moving the table and its many-to-many table (zoo clubs.Club → Circle)',
    target: { example: 'zoo', model: 'clubs.Club,clubs.Circle' },
    cli: ['rename-model', '--app', 'clubs', '--model', 'Club', '--to', 'Circle', '--strategy', 'move-table'],
    codeField: same('name', 2),
    djangoLines: ['latest'],
    loadOps: 60,
    verify: {
      check: "the previous release's many-to-many writes go through the view, and the new release reads them",
      run: async (tree, phase, env, sql, databaseUrl) => {
        const moved = (await expectValue(sql, 'clubs_circle_topics', relkind('clubs_circle_topics'), 'r')) ?? (await expectValue(sql, 'clubs_club_topics', relkind('clubs_club_topics'), phase === 1 ? 'v' : ''));
        if (moved || phase !== 1) return moved;
        const previous = path.join(path.dirname(tree), 'release-0');
        const written = await djangoCode(env, previous, databaseUrl, [
          'from clubs.models import Club',
          'from library.models import Tag',
          'poetry, crime = Tag.objects.create(name="Poetry"), Tag.objects.create(name="Crime")',
          'club = Club.objects.create(name="Tuesday")',
          'club.topics.add(poetry, crime)',
          'club.topics.add(crime)',
          'club.topics.remove(poetry)',
          'print(",".join(club.topics.values_list("name", flat=True)))',
        ]);
        const read = await djangoCode(env, tree, databaseUrl, ['from clubs.models import Circle', 'print(",".join(Circle.objects.get(name="Tuesday").topics.values_list("name", flat=True)))']);
        return written === 'Crime' && read === 'Crime' ? null : `topics of the club: the previous release wrote ${written}, the new one reads ${read}`;
      },
    },
    verifyAfterRollback: {
      check: 'the rollback puts the tables back under their names (release 1) or the views (release 2)',
      run: async (phase, sql) =>
        phase === 1
          ? ((await expectValue(sql, 'clubs_club', relkind('clubs_club'), 'r')) ?? expectValue(sql, 'clubs_club_topics', relkind('clubs_club_topics'), 'r'))
          : expectValue(sql, 'clubs_club_topics', relkind('clubs_club_topics'), 'v'),
    },
  },
];

/** Runs `lines` of Python in a release's tree with Django set up on the scenario's database: what it prints. */
async function djangoCode(env: DjangoEnv, tree: string, databaseUrl: string, lines: string[]): Promise<string> {
  return (await runManageChecked(env, tree, ['shell', '-v', '0', '-c', lines.join('\n')], { databaseUrl })).trim();
}

/** What a relation is (`r` a table, `v` a view), or nothing when there is none. */
const relkind = (name: string) => `SELECT relkind FROM pg_class WHERE oid = to_regclass('${name}')`;

/**
 * What makemigrations writes for `pages = PositiveIntegerField(blank=True, default=0)`: one
 * AlterField that fills the NULLs and sets NOT NULL in one release, while the previous release
 * still creates books without pages.
 */
async function naiveSetNotNull(project: string): Promise<void> {
  await edit(project, 'library/models/books.py', [['    pages = models.PositiveIntegerField(null=True, blank=True)', '    pages = models.PositiveIntegerField(blank=True, default=0)']]);
  await fs.writeFile(
    path.join(project, 'library', 'migrations', '0004_alter_book_pages.py'),
    `from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0003_pseudonym"),
    ]

    operations = [
        migrations.AlterField(
            model_name="book",
            name="pages",
            field=models.PositiveIntegerField(blank=True, default=0),
        ),
    ]
`,
  );
}

export const NEGATIVE_CONTROLS: Scenario[] = [
  {
    // The previous release's create() writes NULL into pages: it fails once the column is NOT NULL.
    name: 'negative: naive NOT NULL in one release while the previous release inserts NULL (zoo Book.pages)',
    target: BOOK,
    naive: naiveSetNotNull,
    codeField: same('title', 1),
    djangoLines: ['latest'],
    loadOps: 60,
    expectBroken: true,
  },
];
