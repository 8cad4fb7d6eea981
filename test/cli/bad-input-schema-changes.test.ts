/**
 * The index, constraint and NOT NULL operations: bad input gets one clear line on stderr, exit code
 * 2, and a project tree that is byte-for-byte unchanged. Runs main() in-process (read statically,
 * on the shop and the zoo).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { runMain } from './in-process.js';
import { expectRefused as expectRefusedBy } from './run-cli.js';

/** In-process: the binary's own refusals are bad-input.test.ts's; here the operations' checks. */
const expectRefused = (dir: string, args: string[], message: RegExp) => expectRefusedBy(dir, args, message, (a) => runMain(a));

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const work = mkdtempSync(join(tmpdir(), 'bg-bad-input-schema-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function project(example: 'shop' | 'zoo' | 'legacy' = 'shop'): string {
  const dir = join(work, `p${counter++}`);
  cpSync(join(examples, example), dir, { recursive: true });
  return dir;
}

const run = (dir: string, op: string, app: string, model: string, ...extra: string[]) => [op, '--project', dir, '--no-django', '--app', app, '--model', model, '--yes', ...extra];

describe('add-index, remove-index, add-unique, add-check: bad input gets one line, exit 2, nothing written', () => {
  it('a model that is not in the app, and an unknown field among --fields', async () => {
    const dir = project();
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Ordr', '--field', 'placed_at'), /unknown model "Ordr" in app "shop" \(did you mean "Order"\?\)/);
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Order', '--fields', 'customer,placd_at'), /--fields: Order has no field "placd_at"; its fields: /);
  });

  it('expressions, covering fields and operator classes that cannot work', async () => {
    const dir = project();
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Product', '--expressions', 'Lower("name")'), /--expressions needs --name: Django gives no default name to an index on expressions/);
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Product', '--expressions', 'Slugify("name")', '--name', 'product_slug_idx'), /--expressions: Slugify\(\) is not one of Django's functions or expressions/);
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Product', '--expressions', 'Lower("title")', '--name', 'product_title_idx'), /--expressions names "title" in Lower\(\), which is not a field of Product/);
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Product', '--fields', 'name', '--expressions', 'Lower("name")', '--name', 'product_name_idx'), /give one of --field .*, --fields .* or --expressions/);
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Product', '--fields', 'name,sku', '--opclasses', 'varchar_pattern_ops'), /--opclasses gives 1 operator class for 2 fields; give one per field of --fields, in order/);
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Product', '--fields', 'name', '--include', 'price', '--database', 'sqlite'), /--include is PostgreSQL's; Django leaves it out on sqlite: leave it out too/);
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Product', '--field', 'price', '--include', 'name'), /--name, --condition, --include and --opclasses are for a Meta index: give --fields instead of --field/);
    await expectRefused(dir, run(dir, 'add-unique', 'shop', 'Order', '--fields', 'customer,note', '--nulls-not-distinct', '--database', 'sqlite'), /--nulls-not-distinct is PostgreSQL's/);
    await expectRefused(dir, run(dir, 'add-unique', 'shop', 'Order', '--field', 'note', '--nulls-not-distinct'), /are for a Meta UniqueConstraint: give --fields instead of --field/);
  });

  it('an index that exists already: a field indexed, a unique field, the same Meta index, and a name taken', async () => {
    const dir = project('zoo');
    await expectRefused(dir, run(dir, 'add-index', 'library', 'Loan', '--field', 'book'), /Loan\.book has its index already \(db_index=True, as every ForeignKey has\); bg-scaffold remove-index takes it away/);
    await expectRefused(dir, run(dir, 'add-index', 'stock', 'Rack', '--field', 'asset_tag'), /Rack\.asset_tag is unique, and its unique constraint is its index already/);
    await expectRefused(dir, run(dir, 'add-index', 'stock', 'Rack', '--fields', 'name', '--name', 'stock_rack_site_height_idx'), /--name "stock_rack_site_height_idx" is taken: stock\.Rack's Meta already has an index or constraint of that name; choose another$/);
    await expectRefused(dir, run(dir, 'add-unique', 'library', 'Loan', '--fields', 'book,borrower', '--name', 'library_loan_due_after_lent'), /--name "library_loan_due_after_lent" is taken/);
  });

  it('a condition that does not parse, one that is not a Q, and one that looks up no field of the model', async () => {
    const dir = project();
    await expectRefused(dir, run(dir, 'add-check', 'shop', 'Order', '--condition', 'Q(quantity__gte=1'), /--condition "Q\(quantity__gte=1" does not parse as Python \(at column \d+\); give a Q expression, e\.g\. --condition "Q\(quantity__gte=0\)"/);
    await expectRefused(dir, run(dir, 'add-check', 'shop', 'Order', '--condition', 'quantity >= 1'), /--condition "quantity >= 1" is not a Q expression/);
    await expectRefused(dir, run(dir, 'add-check', 'shop', 'Order', '--condition', 'Q(qty__gte=1)'), /--condition looks up "qty", which is not a field of Order; its fields: /);
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Order', '--fields', 'placed_at', '--condition', 'Q(status="new"'), /does not parse as Python/);
  });

  it('--field and --fields together, a unique ForeignKey, a name that is no identifier, and an index name Django would refuse', async () => {
    const dir = project();
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Order', '--field', 'placed_at', '--fields', 'placed_at'), /give one of --field \(the field's own index\), --fields \(a Meta index on one or more fields\) or --expressions \(a Meta index on expressions\)/);
    await expectRefused(dir, run(dir, 'add-unique', 'shop', 'Order', '--field', 'customer'), /Order\.customer is a ForeignKey: a unique one is a OneToOneField/);
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Order', '--fields', 'placed_at', '--name', 'order-placed'), /--name "order-placed" is not a valid index or constraint name/);
    await expectRefused(dir, run(dir, 'add-index', 'shop', 'Order', '--fields', 'placed_at', '--name', 'shop_order_placed_at_for_reports_idx'), /is 36 characters; Django allows an index name at most 30: give a shorter one/);
  });

  it('remove-index: no such Meta index, and a field without an index of its own', async () => {
    const dir = project('zoo');
    await expectRefused(dir, run(dir, 'remove-index', 'stock', 'Rack', '--name', 'stock_rack_height_idx'), /Rack's Meta has no index "stock_rack_height_idx"; its indexes: stock_rack_site_height_idx/);
    await expectRefused(dir, run(dir, 'remove-index', 'stock', 'Rack', '--field', 'name'), /Rack\.name has no index of its own \(no db_index=True\); a Meta index goes with --name/);
  });
});

describe('set-not-null and drop-not-null: bad input gets one line, exit 2, nothing written', () => {
  it('a field NOT NULL already, or nullable already', async () => {
    const dir = project();
    await expectRefused(dir, run(dir, 'set-not-null', 'shop', 'Order', '--field', 'quantity'), /Order\.quantity is already NOT NULL \(it has no null=True\); bg-scaffold drop-not-null does the opposite/);
    await expectRefused(dir, run(dir, 'drop-not-null', 'shop', 'Shipment', '--field', 'shipped_at'), /Shipment\.shipped_at is already nullable \(null=True\); bg-scaffold set-not-null does the opposite/);
  });

  it('a field without a default needs --fill, and a --fill the column cannot hold is refused', async () => {
    const dir = project('zoo');
    await expectRefused(dir, run(dir, 'set-not-null', 'library', 'Book', '--field', 'pages'), /Book\.pages has no default, so the previous release inserts NULL whenever it creates a Book without pages; give --fill VALUE: release 1 makes it the field's default/);
    await expectRefused(dir, run(dir, 'set-not-null', 'library', 'Book', '--field', 'pages', '--fill', 'many'), /--fill "many" is not a whole number for PositiveIntegerField pages/);
  });

  it('--fill-sql that names a column the table does not have', async () => {
    const dir = project('zoo');
    await expectRefused(dir, run(dir, 'set-not-null', 'stock', 'Rack', '--field', 'asset_tag', '--fill', 'x', '--fill-sql', 'name'), /give --fill or --fill-sql, not both/);
    await expectRefused(dir, run(dir, 'set-not-null', 'library', 'Book', '--field', 'published', '--fill-sql', 'coalesce(printed_on, now())'), /has no default|--fill-sql names "printed_on", not a column of library_book/);
  });
});

describe('add-foreign-key: bad input gets one line, exit 2, nothing written', () => {
  it('a column not named <name>_id, one that is no integer, a target that does not exist, and SQLite', async () => {
    const dir = project('legacy');
    await expectRefused(dir, run(dir, 'add-foreign-key', 'billing', 'Invoice', '--field', 'total', '--to', 'accounts.Account', '--on-delete', 'PROTECT'), /Invoice\.total is a DecimalField; a foreign key goes on an integer column that holds another model's keys/);
    await expectRefused(dir, run(dir, 'add-foreign-key', 'billing', 'Invoice', '--field', 'approved_by_id', '--to', 'accounts.Acount', '--on-delete', 'PROTECT'), /cannot find the model "accounts\.Acount" that Invoice\.approved_by points at/);
    await expectRefused(dir, run(dir, 'add-foreign-key', 'billing', 'Invoice', '--field', 'approved_by_id', '--to', 'accounts.Account', '--on-delete', 'PROTECT', '--database', 'sqlite'), /add-foreign-key is planned for PostgreSQL only \(SQLite rebuilds the table for a new constraint\): let makemigrations write it for sqlite/);
    await expectRefused(dir, run(dir, 'add-foreign-key', 'billing', 'Invoice', '--field', 'approved_by_id', '--to', 'accounts.Account'), /--on-delete is needed: what deleting the target does \(CASCADE, PROTECT, RESTRICT, SET_NULL, DO_NOTHING\)/);
    await expectRefused(dir, run(dir, 'add-foreign-key', 'billing', 'Invoice', '--field', 'account'), /Invoice\.account has its foreign key constraint already \(no db_constraint=False\)/);
  });

  it('a field that shares its reverse accessor with another relation to the same model needs --related-name', async () => {
    const dir = project('legacy');
    const models = join(dir, 'billing', 'models.py');
    writeFileSync(models, readFileSync(models, 'utf8').replace('related_name="invoices"', 'db_index=True'));
    await expectRefused(dir, run(dir, 'add-foreign-key', 'billing', 'Invoice', '--field', 'approved_by_id', '--to', 'accounts.Account', '--on-delete', 'PROTECT'), /Invoice\.account points at accounts\.Account too, and two reverse accessors would clash \(fields\.E304\); give --related-name, e\.g\. --related-name invoices_as_approved_by/);
  });
});

describe('rename-model: bad input gets one line, exit 2, nothing written', () => {
  it('a name that is no class name or is taken, the same name, and a model whose name other tables carry', async () => {
    const dir = project('zoo');
    await expectRefused(dir, run(dir, 'rename-model', 'library', 'Author', '--to', 'writer'), /--to "writer" is not a class name; give one like Purchase/);
    await expectRefused(dir, run(dir, 'rename-model', 'library', 'Author', '--to', 'book'), /--to "book" is not a class name/);
    await expectRefused(dir, run(dir, 'rename-model', 'library', 'Author', '--to', 'BOOK'), /app "library" has a model Book already; Django tells models apart by their lower-cased names/);
    await expectRefused(dir, run(dir, 'rename-model', 'library', 'Author', '--to', 'Author'), /library\.Author is called Author already/);
    await expectRefused(dir, run(dir, 'rename-model', 'library', 'Book', '--to', 'Title'), /Book\.tags is a many-to-many field whose table has a column named after Book \(book_id\); --strategy move-table moves that table too \(PostgreSQL\), or give it a through model first/);
    await expectRefused(dir, run(dir, 'rename-model', 'library', 'Tag', '--to', 'Label'), /clubs\.Club\.topics is a many-to-many field to Tag whose table has a column named after it/);
  });

  it('move-table where it cannot work: SQLite, a table Meta names, an unknown strategy', async () => {
    const dir = project('zoo');
    await expectRefused(dir, run(dir, 'rename-model', 'library', 'Author', '--to', 'Writer', '--strategy', 'move-table', '--database', 'sqlite'), /--strategy move-table needs PostgreSQL, which writes through a view; sqlite keeps the table \(--strategy keep-table\)/);
    await expectRefused(dir, run(dir, 'rename-model', 'stock', 'Site', '--to', 'Location', '--strategy', 'move-table'), /--strategy move-table Meta\.db_table names its table \(inventory_site\): it keeps that name \(--strategy keep-table\)/);
    await expectRefused(dir, run(dir, 'rename-model', 'library', 'Author', '--to', 'Writer', '--strategy', 'move'), /--strategy/);
  });
});
