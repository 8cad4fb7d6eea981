/**
 * The changes the write-stall benchmark measures, all on the example's Order (table shop_order,
 * the table the load writes): what bg-scaffold generates for each, and beside it what
 * `makemigrations` writes for the same change.
 *
 * An operation is one line here. One whose command does not exist yet is left out of a run,
 * and the report names it.
 */

export type Operation = 'rename-column' | 'add-column' | 'remove-column' | 'drop-table' | 'change-column-type';

export interface BenchChange {
  /** Names the scenarios: `rename-column/trigger 1/2`. */
  id: string;
  operation: Operation;
  /** bg-scaffold's arguments (without --project and the lock settings). */
  cli: string[];
}

const ORDER = ['--app', 'shop', '--model', 'Order'];
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
];

/** What `makemigrations` writes for the same change: the model edit and the migration. */
export interface NaiveChange {
  id: string;
  operation: Operation;
  /** The migration's name, as makemigrations derives it. */
  name: string;
  /** models.py after the developer's edit. */
  models(source: string): string;
  /** The migration's operations, in makemigrations' formatting. */
  operations: string;
  /** Whether it imports `models` (AddField and AlterField do). */
  importsModels?: boolean;
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
];

/** The migration file makemigrations would write, on top of `leaf`. */
export function naiveMigration(change: NaiveChange, leaf: string): string {
  return [
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

function replaceOnce(source: string, from: string, to: string): string {
  const at = source.indexOf(from);
  if (at < 0 || source.indexOf(from, at + 1) >= 0) throw new Error(`bench: examples/shop/shop/models.py must contain exactly one ${JSON.stringify(from.trim())}`);
  return source.slice(0, at) + to + source.slice(at + from.length);
}
