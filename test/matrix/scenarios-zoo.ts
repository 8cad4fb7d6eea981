/**
 * The matrix on examples/zoo: every operation on a model of each key type (UUID: Author, CharField:
 * Tag, BigAutoField: Book, Rack, Site), on models without a save() of their own (Author, Rack, Site),
 * and on the composite-index and Meta-ordering cases. The driver fills the rows of these models from
 * what their fields require (driver.py `fill`); their values are text, dates and numbers.
 *
 * Each plan shape here is also proven on the shop; a zoo scenario repeats it on other shapes, so it
 * runs on one line, alternating, to keep the suite's time (both lines are covered).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { MatrixTarget, Scenario } from './matrix.js';
import { edit } from './scenarios-remove.js';

const zoo = (model: string, appDir?: string): MatrixTarget => ({ example: 'zoo', model, appDir });
const AUTHOR = zoo('library.Author');
const TAG = zoo('library.Tag');
const BOOK = zoo('library.Book');
const RACK = zoo('stock.Rack', 'inventory');
const SITE = zoo('stock.Site', 'inventory');

const rename = (model: string, field: string, to: string, strategy: string) => [
  'rename-column', '--app', 'library', '--model', model, '--field', field, '--to', to, '--strategy', strategy, '--batch-size', '100',
];
const same = (field: string, releases: number) => Array.from({ length: releases + 1 }, () => field);

/**
 * Each named index as PostgreSQL has it: null when every one is there, valid and
 * on `columns` (null: must not exist), else what differs.
 */
export async function indexesAre(sql: (query: string) => Promise<string>, expected: Record<string, string | null>): Promise<string | null> {
  const problems: string[] = [];
  for (const [name, columns] of Object.entries(expected)) {
    const found = (await sql(`SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indexrelid = to_regclass('${name}')`)).trim();
    if (columns === null) {
      if (found !== '') problems.push(`${name} should be gone: ${found}`);
    } else if (!found.includes(`(${columns})`) || !/^t\b/.test(found)) {
      problems.push(`${name} should be valid on (${columns}): ${found || 'missing'}`);
    }
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

/**
 * Each named CHECK constraint of `table`: null when each is as expected (true: validated, false:
 * NOT VALID, null: absent), else what differs.
 */
export async function checksAre(sql: (query: string) => Promise<string>, table: string, expected: Record<string, boolean | null>): Promise<string | null> {
  const problems: string[] = [];
  for (const [name, validated] of Object.entries(expected)) {
    const found = (await sql(`SELECT convalidated FROM pg_constraint WHERE conrelid = '${table}'::regclass AND conname = '${name}' AND contype = 'c'`)).trim();
    const state = found === '' ? null : /^t/.test(found);
    if (state !== validated) problems.push(`CHECK ${name} should be ${validated === null ? 'absent' : validated ? 'validated' : 'NOT VALID'}, is ${state === null ? 'absent' : state ? 'validated' : 'NOT VALID'}`);
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

const RACK_UNIQUE = 'stock_rack_unique_site_name';

/** Rack's (site, name) constraint on `constraint`'s columns, and its temporary unique index on `temporary`'s (null: none). */
async function uniqueAre(sql: (query: string) => Promise<string>, expected: { constraint: string; temporary: string | null }): Promise<string | null> {
  const defined = (await sql(`SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'stock_rack'::regclass AND conname = '${RACK_UNIQUE}'`)).trim();
  const problems: string[] = [];
  if (defined !== `UNIQUE (${expected.constraint})`) problems.push(`${RACK_UNIQUE} should be UNIQUE (${expected.constraint}): ${defined || 'missing'}`);
  const temporary = await indexesAre(sql, { [`${RACK_UNIQUE}_bg_new`]: expected.temporary });
  if (temporary) problems.push(temporary);
  if (expected.temporary !== null && !(await sql(`SELECT indisunique FROM pg_index WHERE indexrelid = to_regclass('${RACK_UNIQUE}_bg_new')`)).trim().startsWith('t')) {
    problems.push(`${RACK_UNIQUE}_bg_new should be unique`);
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

/** The first problem of several checks, or null. */
async function allOf(...checks: Array<Promise<string | null>>): Promise<string | null> {
  const problems = (await Promise.all(checks)).filter((problem) => problem !== null);
  return problems.length > 0 ? problems.join('; ') : null;
}

const PUB_IDX = 'library_book_author_pub_idx';
const PUB_IDX_NEW = 'library_book_author_pub_idx_bg_new';
const RACK_IDX = 'stock_rack_site_height_idx';
const RACK_IDX_NEW = 'stock_rack_site_height_idx_bg_new';
/** Django's CHECK ("u_height" >= 0) of the PositiveSmallIntegerField, and the one the new column must get. */
const OLD_CHECK = 'stock_rack_u_height_check';
const NEW_CHECK = 'stock_rack_height_check';

/** The developer's part of the release that switches Book.published to published_on. */
async function bookUsesPublishedOn(project: string): Promise<void> {
  await edit(project, 'library/admin.py', [[/"published"/g, '"published_on"']]);
  await edit(project, 'library/views.py', [[/"published"/g, '"published_on"']]);
  await edit(project, 'library/models/books.py', [['published__lte', 'published_on__lte']]);
}

/** Rack's (site, u_height) index: there while the previous release reads u_height, dropped by the plan's last phase. */
async function rackIndexFollowsThePlan(sql: (query: string) => Promise<string>, phase: number): Promise<string | null> {
  const found = (await sql("SELECT pg_get_indexdef(to_regclass('stock_rack_site_height_idx'))")).trim();
  if (phase === 1) return found.includes('(site_id, u_height)') ? null : `release 1: stock_rack_site_height_idx should still serve the previous release: ${found || 'missing'}`;
  return found === '' ? null : `release 2: stock_rack_site_height_idx is still there: ${found}`;
}

export const SCENARIOS: Scenario[] = [
  // The trigger rename of Author.website (UUID key, no save()) runs through `bg-scaffold verify`
  // itself, on both Django lines (test/verify/verify.test.ts).
  {
    // The copy strategy adds the dual-write save() and manager to a model that has neither, and
    // rewrites Meta.ordering = ["last_name", "first_name"] in the release that switches names.
    name: 'zoo: rename-column copy, UUID key, no save(), Meta.ordering (Author.last_name)',
    target: AUTHOR,
    cli: rename('Author', 'last_name', 'surname', 'copy'),
    codeField: ['last_name', 'last_name', 'surname', 'surname', 'surname'],
    djangoLines: ['latest'],
  },
  {
    // Keyset batches over a CharField key; Tag fills its slug in its own save().
    name: 'zoo: rename-column trigger, CharField key, own save() (Tag.colour)',
    target: TAG,
    cli: rename('Tag', 'colour', 'label_colour', 'trigger'),
    codeField: ['colour', 'label_colour', 'label_colour'],
    djangoLines: ['latest'],
  },
  {
    // published is in a composite index, Meta.ordering and get_latest_by: the state follows the
    // new name, the column and its index stay as they are.
    name: 'zoo: rename-column db-column, composite index, Meta.ordering, get_latest_by (Book.published)',
    target: BOOK,
    cli: rename('Book', 'published', 'published_on', 'db-column'),
    codeField: ['published', 'published_on'],
    djangoLines: ['5.2'],
    loadOps: 200,
    // The queryset method is called published() too: the developer renames the field's uses only.
    renamesByHand: true,
    developer: async (project, release) => {
      if (release === 1) await bookUsesPublishedOn(project);
    },
    verify: { check: 'the composite index is intact', run: (_tree, _phase, _env, sql) => indexesAre(sql, { [PUB_IDX]: 'author_id, published' }) },
  },
  {
    // On a new column the composite index is built again beside the old one (release 1); the
    // column drop takes the old one and the new one takes its name (release 2).
    name: 'zoo: rename-column trigger, composite index rebuilt, Meta.ordering, get_latest_by (Book.published)',
    target: BOOK,
    cli: rename('Book', 'published', 'published_on', 'trigger'),
    codeField: ['published', 'published_on', 'published_on'],
    djangoLines: ['latest'],
    loadOps: 200,
    renamesByHand: true,
    developer: async (project, release) => {
      if (release === 1) await bookUsesPublishedOn(project);
    },
    verify: {
      check: 'the composite index follows the plan',
      run: (_tree, phase, _env, sql) =>
        indexesAre(
          sql,
          phase === 1 ? { [PUB_IDX]: 'author_id, published', [PUB_IDX_NEW]: 'author_id, published_on' } : { [PUB_IDX]: 'author_id, published_on', [PUB_IDX_NEW]: null },
        ),
    },
    verifyAfterRollback: {
      check: 'the rollback restores the composite index',
      run: (phase, sql) =>
        indexesAre(
          sql,
          phase === 1 ? { [PUB_IDX]: 'author_id, published', [PUB_IDX_NEW]: null } : { [PUB_IDX]: 'author_id, published', [PUB_IDX_NEW]: 'author_id, published_on' },
        ),
    },
  },
  {
    // On a new column the composite index is built again beside the old one, and the new column
    // gets the CHECK ("u_height" >= 0) Django gives a PositiveSmallIntegerField: NOT VALID at once,
    // validated after the backfill (release 1). The copy strategy's index steps run on Book below.
    name: 'zoo: rename-column trigger, composite index rebuilt, positive CHECK, no save() (Rack.u_height)',
    target: RACK,
    cli: ['rename-column', '--app', 'stock', '--model', 'Rack', '--field', 'u_height', '--to', 'height', '--strategy', 'trigger', '--batch-size', '100'],
    codeField: ['u_height', 'height', 'height'],
    djangoLines: ['5.2'],
    loadOps: 200,
    verify: {
      check: 'the composite index and the positive CHECK follow the plan',
      run: (_tree, phase, _env, sql) =>
        allOf(
          indexesAre(sql, phase === 1 ? { [RACK_IDX]: 'site_id, u_height', [RACK_IDX_NEW]: 'site_id, height' } : { [RACK_IDX]: 'site_id, height', [RACK_IDX_NEW]: null }),
          checksAre(sql, 'stock_rack', phase === 1 ? { [OLD_CHECK]: true, [NEW_CHECK]: true } : { [OLD_CHECK]: null, [NEW_CHECK]: true }),
        ),
    },
    verifyAfterRollback: {
      check: 'the rollback restores the composite index and the positive CHECK',
      run: (phase, sql) =>
        allOf(
          indexesAre(sql, phase === 1 ? { [RACK_IDX]: 'site_id, u_height', [RACK_IDX_NEW]: null } : { [RACK_IDX]: 'site_id, u_height', [RACK_IDX_NEW]: 'site_id, height' }),
          checksAre(sql, 'stock_rack', phase === 1 ? { [OLD_CHECK]: true, [NEW_CHECK]: null } : { [OLD_CHECK]: true, [NEW_CHECK]: true }),
        ),
    },
  },
  {
    // Book's manager is BookQuerySet.as_manager(): the dual write extends BookQuerySet, so that
    // update() and the bulk methods write both columns; its save() of its own gets the dual write too.
    name: 'zoo: rename-column copy, own save(), custom QuerySet manager, composite index (Book.published)',
    target: BOOK,
    cli: rename('Book', 'published', 'published_on', 'copy'),
    codeField: ['published', 'published', 'published_on', 'published_on', 'published_on'],
    djangoLines: ['latest'],
    loadOps: 200,
    renamesByHand: true,
    developer: async (project, release) => {
      if (release === 2) await bookUsesPublishedOn(project);
    },
    verify: {
      check: 'the composite index follows the plan',
      run: (_tree, phase, _env, sql) =>
        indexesAre(
          sql,
          phase === 1
            ? { [PUB_IDX]: 'author_id, published', [PUB_IDX_NEW]: null }
            : phase < 4
              ? { [PUB_IDX]: 'author_id, published', [PUB_IDX_NEW]: 'author_id, published_on' }
              : { [PUB_IDX]: 'author_id, published_on', [PUB_IDX_NEW]: null },
        ),
    },
  },
  {
    // name is in a UniqueConstraint (site, name) and Meta.ordering: a unique index is built on the
    // new column beside the constraint (release 1), and becomes the constraint when the old column
    // goes (release 2). The previous and the new release both write names the constraint checks.
    name: 'zoo: rename-column trigger, UniqueConstraint rebuilt, Meta.ordering (Rack.name)',
    target: RACK,
    cli: ['rename-column', '--app', 'stock', '--model', 'Rack', '--field', 'name', '--to', 'label', '--strategy', 'trigger', '--batch-size', '100'],
    codeField: ['name', 'label', 'label'],
    djangoLines: ['5.2'],
    loadOps: 200,
    // "name" is also Site's: the developer renames Rack's uses only.
    renamesByHand: true,
    developer: async (project, release) => {
      if (release !== 1) return;
      await edit(project, 'inventory/admin.py', [
        ['["name", "site", "asset_tag", "u_height"]', '["label", "site", "asset_tag", "u_height"]'],
        ['["name", "asset_tag", "site__name"]', '["label", "asset_tag", "site__name"]'],
      ]);
      await edit(project, 'inventory/services.py', [['.order_by("name")', '.order_by("label")']]);
    },
    verify: {
      check: 'the unique constraint follows the plan',
      run: (_tree, phase, _env, sql) => uniqueAre(sql, phase === 1 ? { constraint: 'site_id, name', temporary: 'site_id, label' } : { constraint: 'site_id, label', temporary: null }),
    },
    verifyAfterRollback: {
      check: 'the rollback restores the unique constraint',
      run: (phase, sql) => uniqueAre(sql, phase === 1 ? { constraint: 'site_id, name', temporary: null } : { constraint: 'site_id, name', temporary: 'site_id, label' }),
    },
  },
  {
    name: 'zoo: remove-column, UUID key (Author.born)',
    target: AUTHOR,
    cli: ['remove-column', '--app', 'library', '--model', 'Author', '--field', 'born'],
    codeField: same('first_name', 2),
    djangoLines: ['latest'],
    loadOps: 200,
    developer: async (project, release) => {
      if (release === 1) await edit(project, 'library/admin.py', [['["last_name", "first_name", "born"]', '["last_name", "first_name"]']]);
    },
  },
  {
    name: 'zoo: remove-column with a default, CharField key (Tag.colour)',
    target: TAG,
    cli: ['remove-column', '--app', 'library', '--model', 'Tag', '--field', 'colour'],
    codeField: same('name', 2),
    djangoLines: ['5.2'],
    loadOps: 200,
  },
  {
    // u_height is in a composite Meta index: it leaves Meta with the field, and the last phase
    // drops it CONCURRENTLY before the column (the rollback rebuilds it).
    name: 'zoo: remove-column in a composite Meta index, with a default (Rack.u_height)',
    target: RACK,
    cli: ['remove-column', '--app', 'stock', '--model', 'Rack', '--field', 'u_height'],
    codeField: same('name', 2),
    djangoLines: ['5.2'],
    loadOps: 200,
    developer: async (project, release) => {
      if (release === 1) await edit(project, 'inventory/admin.py', [['["name", "site", "asset_tag", "u_height"]', '["name", "site", "asset_tag"]']]);
    },
    verify: { check: 'the composite index follows the plan', run: (_tree, phase, _env, sql) => rackIndexFollowsThePlan(sql, phase) },
    // Backwards from either phase, the schema is release 0's: the index is there, on the same
    // columns, and the column has its CHECK again.
    verifyAfterRollback: {
      check: 'the rollback leaves the composite index and the positive CHECK in place',
      run: (_phase, sql) => allOf(rackIndexFollowsThePlan(sql, 1), checksAre(sql, 'stock_rack', { [OLD_CHECK]: true })),
    },
  },
  {
    name: 'zoo: add-column with a database default, UUID key (Author)',
    target: AUTHOR,
    cli: ['add-column', '--app', 'library', '--model', 'Author', '--name', 'awards', '--type', 'IntegerField', '--default', '0'],
    codeField: ['first_name', 'first_name'],
    sets: [{}, { awards: 2 }],
    djangoLines: ['5.2'],
    loadOps: 200,
  },
  {
    name: 'zoo: add-column nullable, CharField key (Tag)',
    target: TAG,
    cli: ['add-column', '--app', 'library', '--model', 'Tag', '--name', 'note', '--type', 'TextField', '--null'],
    codeField: ['name', 'name'],
    sets: [{}, { note: 'shelf 3, ünïcode ✓' }],
    djangoLines: ['latest'],
    loadOps: 200,
  },
  {
    // The generic relation's table goes while the previous release still journals retirements.
    name: 'zoo: drop-table, BigAutoField key (stock.JournalEntry)',
    target: SITE,
    cli: ['drop-table', '--app', 'stock', '--model', 'JournalEntry'],
    codeField: same('name', 2),
    djangoLines: ['5.2'],
    loadOps: 200,
    developer: async (project, release) => {
      if (release !== 1) return;
      await edit(project, 'inventory/admin.py', [
        ['from .models import JournalEntry, Rack, Site', 'from .models import Rack, Site'],
        [/\n\n@admin\.register\(JournalEntry\)\n(?:.*\n?)*$/, '\n'],
      ]);
      await edit(project, 'inventory/services.py', [
        ['from django.contrib.contenttypes.models import ContentType\n', ''],
        ['from .models import JournalEntry, Rack, Site', 'from .models import Rack, Site'],
        [/\n\ndef journal\(obj(?:.*\n)+?(?=\n\n@transaction)/, ''],
        [/\n {4}journal\(site, .*\n/, '\n'],
      ]);
    },
  },
  {
    // A UUID-keyed table with a foreign key (CASCADE) to Author: its constraint becomes ON DELETE
    // CASCADE in the database while the previous release still has the model.
    name: 'zoo: drop-table, UUID key, FK to another UUID key (library.Pseudonym)',
    target: AUTHOR,
    cli: ['drop-table', '--app', 'library', '--model', 'Pseudonym'],
    codeField: same('first_name', 2),
    djangoLines: ['latest'],
    loadOps: 200,
  },
  {
    name: 'zoo: drop-table, CharField key (stock.Vendor)',
    target: SITE,
    cli: ['drop-table', '--app', 'stock', '--model', 'Vendor'],
    codeField: same('name', 2),
    djangoLines: ['latest'],
    loadOps: 200,
  },
];

/** What makemigrations writes when told "yes, website was renamed to homepage". */
async function naiveRenameAuthorWebsite(project: string): Promise<void> {
  await edit(project, 'library/models/people.py', [['    website = models.URLField(blank=True)', '    homepage = models.URLField(blank=True)']]);
  await fs.writeFile(
    path.join(project, 'library', 'migrations', '0003_rename_website_author_homepage.py'),
    `from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0003_pseudonym"),
    ]

    operations = [
        migrations.RenameField(
            model_name="author",
            old_name="website",
            new_name="homepage",
        ),
    ]
`,
  );
}

export const NEGATIVE_CONTROLS: Scenario[] = [
  {
    // The driver's generic rows catch it too: the previous release's writes fail on a UUID-keyed model.
    name: 'negative: zoo naive RenameField in one release (Author.website)',
    target: AUTHOR,
    naive: naiveRenameAuthorWebsite,
    codeField: ['website', 'homepage'],
    djangoLines: ['latest'],
    loadOps: 200,
    expectBroken: true,
  },
];
