/**
 * The changes the write-stall benchmark measures, all on the example's Order (table shop_order,
 * the table the load writes): what bg-scaffold generates for each, and beside it what
 * `makemigrations` writes for the same change.
 *
 * An operation is one line here. One whose command does not exist yet is left out of a run,
 * and the report names it.
 */

export type Operation =
  | 'rename-column'
  | 'add-column'
  | 'remove-column'
  | 'drop-table'
  | 'change-column-type'
  | 'add-index'
  | 'add-unique'
  | 'add-check'
  | 'add-foreign-key'
  | 'set-not-null';

/**
 * Columns the example's Order does not have, for the changes that need one: added to the bench's
 * copies of the project only (examples/shop stays as it is), by a migration of their own on top
 * of the example's, and filled in a copy of the base before the first phase. The changes without
 * a setup run on the base as it is.
 */
export interface BenchSetup {
  /** Names the setup's release 0 and its database. */
  id: string;
  /** The setup migration's name (after the example's leaf), as makemigrations derives it with -n. */
  name: string;
  /** models.py with the setup's fields. */
  models(source: string): string;
  /** The setup migration's operations, in makemigrations' formatting (it imports `models`). */
  operations: string;
  /** SQL that fills the new columns of a filled shop_order, leaving a compact table. */
  fill: string;
}

export interface BenchChange {
  /** Names the scenarios: `rename-column/trigger 1/2`. */
  id: string;
  operation: Operation;
  /** bg-scaffold's arguments (without --project and the lock settings). */
  cli: string[];
  /** Columns the change needs that the example lacks. */
  setup?: BenchSetup;
}

const ORDER = ['--app', 'shop', '--model', 'Order'];

/**
 * For add-foreign-key, a column holding customer ids without a foreign key (bigint, the type of
 * Customer's key, so that the naive AlterField changes no type); for set-not-null, a nullable
 * column with a default (the single-release plan), NULL in one row of ten. One ALTER ... TYPE
 * ... USING fills both: it rewrites the table once, so the copy is as compact as the base (an
 * UPDATE would leave a dead version of every row). The load writes both columns (never NULL).
 */
const ORDER_EXTRAS: BenchSetup = {
  id: 'order-extras',
  name: 'bench_order_extras',
  models: (source) =>
    replaceOnce(
      source,
      '    placed_at = models.DateTimeField(default=timezone.now)\n',
      '    placed_at = models.DateTimeField(default=timezone.now)\n    legacy_customer_id = models.BigIntegerField(null=True)\n    gift_note = models.TextField(null=True, default="")\n',
    ),
  operations: [
    field('AddField', ['model_name="order"', 'name="gift_note"', 'field=models.TextField(default="", null=True)']),
    field('AddField', ['model_name="order"', 'name="legacy_customer_id"', 'field=models.BigIntegerField(null=True)']),
  ].join('\n'),
  fill: `ALTER TABLE shop_order
           ALTER COLUMN legacy_customer_id TYPE bigint USING customer_id,
           ALTER COLUMN gift_note TYPE text USING CASE WHEN id % 10 = 0 THEN NULL ELSE '' END`,
};
const RENAME = ['rename-column', ...ORDER, '--field', 'quantity', '--to', 'qty'];

export const GENERATED: readonly BenchChange[] = [
  { id: 'rename-column/trigger', operation: 'rename-column', cli: [...RENAME, '--strategy', 'trigger'] },
  { id: 'rename-column/copy', operation: 'rename-column', cli: [...RENAME, '--strategy', 'copy', '--phases', '4'] },
  { id: 'rename-column/db-column', operation: 'rename-column', cli: [...RENAME, '--strategy', 'db-column'] },
  { id: 'add-column/backfill', operation: 'add-column', cli: ['add-column', ...ORDER, '--name', 'priority', '--type', 'IntegerField', '--backfill-sql', 'quantity * 2'] },
  { id: 'remove-column', operation: 'remove-column', cli: ['remove-column', ...ORDER, '--field', 'note'] },
  // Shipment is the model nothing points at; dropping it also drops its foreign key to shop_order.
  { id: 'drop-table', operation: 'drop-table', cli: ['drop-table', '--app', 'shop', '--model', 'Shipment'] },
  // A column swap in 3 phases: expand (new bigint column, sync trigger, backfill, indexes), swap, contract.
  { id: 'change-column-type/int-to-bigint', operation: 'change-column-type', cli: ['change-column-type', ...ORDER, '--field', 'quantity', '--type', 'BigIntegerField'] },
  // One release each: CREATE INDEX CONCURRENTLY; a unique index CONCURRENTLY, then attached; a CHECK NOT VALID, then validated.
  { id: 'add-index', operation: 'add-index', cli: ['add-index', ...ORDER, '--field', 'placed_at'] },
  { id: 'add-unique', operation: 'add-unique', cli: ['add-unique', ...ORDER, '--fields', 'customer,reference'] },
  // The load writes quantity 1-10, so the condition holds for every row, old and new.
  { id: 'add-check', operation: 'add-check', cli: ['add-check', ...ORDER, '--condition', 'Q(quantity__gte=0)'] },
  // Its index CONCURRENTLY, the constraint NOT VALID, then validated. Order points at Customer already, hence --related-name.
  {
    id: 'add-foreign-key',
    operation: 'add-foreign-key',
    cli: ['add-foreign-key', ...ORDER, '--field', 'legacy_customer_id', '--to', 'Customer', '--on-delete', 'PROTECT', '--related-name', 'legacy_orders'],
    setup: ORDER_EXTRAS,
  },
  // single-release (the field has a default): the NULL rows filled in batches, then NOT NULL through a validated CHECK.
  { id: 'set-not-null', operation: 'set-not-null', cli: ['set-not-null', ...ORDER, '--field', 'gift_note', '--fill', ''], setup: ORDER_EXTRAS },
];

/** What `makemigrations` writes for the same change: the model edit and the migration. */
export interface NaiveChange {
  id: string;
  operation: Operation;
  /** The migration's name, as makemigrations derives it. */
  name: string;
  /** models.py after the developer's edit (of the setup's models.py, when it has a setup). */
  models(source: string): string;
  /** The migration's operations, in makemigrations' formatting. */
  operations: string;
  /** Whether it imports `models` (AddField and AlterField do). */
  importsModels?: boolean;
  /** Modules it imports first, as makemigrations does for a callable default or on_delete. */
  imports?: string[];
  /** Columns the change needs that the example lacks: the same setup as the generated change's. */
  setup?: BenchSetup;
}

export const NAIVE: readonly NaiveChange[] = [
  {
    // makemigrations asks "Was order.quantity renamed to order.qty?"; the developer says yes.
    id: 'rename-column naive',
    operation: 'rename-column',
    name: 'rename_quantity_order_qty',
    models: (source) => replaceOnce(source, '    quantity = models.IntegerField()\n', '    qty = models.IntegerField()\n'),
    operations: field('RenameField', ['model_name="order"', 'old_name="quantity"', 'new_name="qty"']),
  },
  {
    // A NOT NULL field without a default: makemigrations asks for a one-off default (here 0).
    id: 'add-column naive',
    operation: 'add-column',
    name: 'order_priority',
    models: (source) => replaceOnce(source, '    quantity = models.IntegerField()\n', '    quantity = models.IntegerField()\n    priority = models.IntegerField()\n'),
    operations: field('AddField', ['model_name="order"', 'name="priority"', 'field=models.IntegerField(default=0)', 'preserve_default=False']),
    importsModels: true,
  },
  {
    id: 'remove-column naive',
    operation: 'remove-column',
    name: 'remove_order_note',
    models: (source) => replaceOnce(source, '    note = models.TextField(blank=True, default="")\n', ''),
    operations: field('RemoveField', ['model_name="order"', 'name="note"']),
  },
  {
    id: 'drop-table naive',
    operation: 'drop-table',
    name: 'delete_shipment',
    models: (source) => {
      const start = source.indexOf('\n\nclass Shipment(');
      if (start < 0) throw new Error('bench: examples/shop/shop/models.py has no class Shipment');
      const next = source.indexOf('\n\nclass ', start + 2);
      return source.slice(0, start) + (next < 0 ? '\n' : source.slice(next));
    },
    operations: field('DeleteModel', ['name="Shipment"']),
  },
  {
    // int -> bigint in place: PostgreSQL rewrites shop_order and its indexes under ACCESS EXCLUSIVE.
    id: 'change-column-type naive',
    operation: 'change-column-type',
    name: 'alter_order_quantity',
    models: (source) => replaceOnce(source, '    quantity = models.IntegerField()\n', '    quantity = models.BigIntegerField()\n'),
    operations: field('AlterField', ['model_name="order"', 'name="quantity"', 'field=models.BigIntegerField()']),
    importsModels: true,
  },
  {
    // CREATE INDEX (not CONCURRENTLY) in the migration's transaction: its SHARE lock stops writes for the build.
    id: 'add-index naive',
    operation: 'add-index',
    name: 'alter_order_placed_at',
    models: (source) => replaceOnce(source, '    placed_at = models.DateTimeField(default=timezone.now)\n', '    placed_at = models.DateTimeField(default=timezone.now, db_index=True)\n'),
    operations: field('AlterField', ['model_name="order"', 'name="placed_at"', 'field=models.DateTimeField(db_index=True, default=django.utils.timezone.now)']),
    importsModels: true,
    imports: ['django.utils.timezone'],
  },
  {
    // ALTER TABLE ADD CONSTRAINT UNIQUE builds its index under ACCESS EXCLUSIVE. Same name as bg-scaffold's.
    id: 'add-unique naive',
    operation: 'add-unique',
    name: 'order_shop_order_customer_id_reference_uniq',
    models: (source) => metaConstraint(source, 'models.UniqueConstraint(fields=["customer", "reference"], name="shop_order_customer_id_reference_uniq")'),
    operations: field('AddConstraint', ['model_name="order"', 'constraint=models.UniqueConstraint(fields=("customer", "reference"), name="shop_order_customer_id_reference_uniq")']),
    importsModels: true,
  },
  {
    // ADD CONSTRAINT CHECK scans the table under ACCESS EXCLUSIVE. Same name as bg-scaffold's.
    id: 'add-check naive',
    operation: 'add-check',
    name: 'order_shop_order_quantity_check',
    models: (source) => metaConstraint(source, 'models.CheckConstraint(condition=models.Q(quantity__gte=0), name="shop_order_quantity_check")'),
    operations: field('AddConstraint', ['model_name="order"', 'constraint=models.CheckConstraint(condition=models.Q(("quantity__gte", 0)), name="shop_order_quantity_check")']),
    importsModels: true,
  },
  {
    // The field keeps its name and column, so makemigrations writes an AlterField (renaming it to
    // legacy_customer, as bg-scaffold does, makes it a RemoveField and an AddField: the ids lost).
    // PostgreSQL: ADD CONSTRAINT FOREIGN KEY, validated at once (SHARE ROW EXCLUSIVE on shop_order),
    // and CREATE INDEX (SHARE), in one transaction: writes wait for both.
    id: 'add-foreign-key naive',
    operation: 'add-foreign-key',
    name: 'alter_order_legacy_customer_id',
    models: (source) =>
      replaceOnce(
        source,
        '    legacy_customer_id = models.BigIntegerField(null=True)\n',
        '    legacy_customer_id = models.ForeignKey(\n        Customer, on_delete=models.PROTECT, null=True, related_name="legacy_orders", db_column="legacy_customer_id"\n    )\n',
      ),
    operations: field('AlterField', [
      'model_name="order"',
      'name="legacy_customer_id"',
      'field=models.ForeignKey(db_column="legacy_customer_id", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="legacy_orders", to="shop.customer")',
    ]),
    importsModels: true,
    imports: ['django.db.models.deletion'],
    setup: ORDER_EXTRAS,
  },
  {
    // The field has a default, so makemigrations asks nothing. Django's AlterField sets the default,
    // UPDATEs the NULL rows and sets NOT NULL (a scan), all under ACCESS EXCLUSIVE in one transaction.
    id: 'set-not-null naive',
    operation: 'set-not-null',
    name: 'alter_order_gift_note',
    models: (source) => replaceOnce(source, '    gift_note = models.TextField(null=True, default="")\n', '    gift_note = models.TextField(default="")\n'),
    operations: field('AlterField', ['model_name="order"', 'name="gift_note"', 'field=models.TextField(default="")']),
    importsModels: true,
    setup: ORDER_EXTRAS,
  },
];

/** The migration file makemigrations would write, on top of `leaf`. */
export function naiveMigration(change: Pick<NaiveChange, 'operations' | 'importsModels' | 'imports'>, leaf: string): string {
  return [
    ...(change.imports ?? []).map((module) => `import ${module}`),
    `from django.db import migrations${change.importsModels ? ', models' : ''}`,
    '',
    '',
    'class Migration(migrations.Migration):',
    '    dependencies = [',
    `        ("shop", "${leaf}"),`,
    '    ]',
    '',
    '    operations = [',
    change.operations,
    '    ]',
    '',
  ].join('\n');
}

function field(operation: string, args: string[]): string {
  return [`        migrations.${operation}(`, ...args.map((arg) => `            ${arg},`), '        ),'].join('\n');
}

/** Order's Meta with `constraints = [constraint]` after its ordering. */
function metaConstraint(source: string, constraint: string): string {
  const ordering = '        ordering = ["-placed_at"]\n';
  return replaceOnce(source, ordering, `${ordering}        constraints = [\n            ${constraint},\n        ]\n`);
}

function replaceOnce(source: string, from: string, to: string): string {
  const at = source.indexOf(from);
  if (at < 0 || source.indexOf(from, at + 1) >= 0) throw new Error(`bench: examples/shop/shop/models.py must contain exactly one ${JSON.stringify(from.trim())}`);
  return source.slice(0, at) + to + source.slice(at + from.length);
}
