/** The matrix's scenarios: every rename-column strategy, and the negative controls that must fail. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { backgroundForm } from './background-backfill.js';
import type { Scenario } from './matrix.js';

// Small batches, so the backfill of 1,000+ rows runs as many transactions while both releases write.
const rename = ['rename-column', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--to', 'qty', '--batch-size', '100'];

const copyInTheBackground = backgroundForm({ change: 'order-quantity-to-qty', registeredIn: 2, remaining: 'SELECT count(*) FROM shop_order WHERE qty IS DISTINCT FROM quantity', notNullColumn: 'qty' });

export const SCENARIOS: Scenario[] = [
  { name: 'rename-column db-column', cli: [...rename, '--strategy', 'db-column'], codeField: ['quantity', 'qty'], djangoLines: ['latest'] },
  { name: 'rename-column trigger', cli: [...rename, '--strategy', 'trigger'], codeField: ['quantity', 'qty', 'qty'] },
  // copy: release 1 reads the old field (and writes both), release 2 reads the new one.
  { name: 'rename-column copy (4 phases)', cli: [...rename, '--strategy', 'copy'], codeField: ['quantity', 'quantity', 'qty', 'qty', 'qty'], djangoLines: ['latest'] },
  {
    // --backfill background: release 2 registers the copy (its code is release 1's); the command copies
    // while both write; release 3 begins with the guard, then reads qty.
    name: 'rename-column copy, background backfill',
    djangoLines: ['5.2'],
    cli: [...rename, '--strategy', 'copy', '--backfill', 'background'],
    codeField: ['quantity', 'quantity', 'quantity', 'qty', 'qty', 'qty'],
    developer: copyInTheBackground.beforeRelease,
    verify: {
      check: "release 1 registers nothing; in release 2 release 3's guard stops migrate before the command ran, which then copies every row while both releases write; in release 3 qty is NOT NULL",
      run: copyInTheBackground.verify,
    },
  },
  {
    name: 'rename-column copy (3 phases)',
    djangoLines: ['5.2'],
    cli: [...rename, '--strategy', 'copy', '--phases', '3'],
    codeField: ['quantity', 'quantity', 'qty', 'qty'],
    // The plan stamps it: release 1 reads "quantity", which release 2 no longer writes.
    staleReadsDeclared: [2],
  },
];

/** The migration `makemigrations` writes when told "yes, quantity was renamed to qty". */
export const NAIVE_RENAME_MIGRATION = `from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0003_shipment"),
    ]

    operations = [
        migrations.RenameField(
            model_name="order",
            old_name="quantity",
            new_name="qty",
        ),
    ]
`;

/** The migration that drops Order.note's column in the release its field leaves the model. */
export const NAIVE_REMOVE_NOTE_MIGRATION = `from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0003_shipment"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="order",
            name="note",
        ),
    ]
`;

async function editFile(file: string, edit: (text: string) => string): Promise<void> {
  const text = await fs.readFile(file, 'utf8');
  const changed = edit(text);
  if (changed === text) throw new Error(`negative control: nothing to change in ${file}`);
  await fs.writeFile(file, changed);
}

/** What `makemigrations` writes when told "yes, quantity was renamed to qty". */
async function naiveRename(project: string): Promise<void> {
  await editFile(path.join(project, 'shop', 'models.py'), (t) => t.replace('    quantity = models.IntegerField()', '    qty = models.IntegerField()'));
  await fs.writeFile(
    path.join(project, 'shop', 'migrations', '0004_rename_quantity_order_qty.py'),
    NAIVE_RENAME_MIGRATION,
  );
}

/** The field leaves the model and its column is dropped in the same release. */
async function dropWithField(project: string): Promise<void> {
  await editFile(path.join(project, 'shop', 'models.py'), (t) => t.replace(/\n    note = models\.TextField\([^\n]*\)/, ''));
  await fs.writeFile(
    path.join(project, 'shop', 'migrations', '0004_remove_order_note.py'),
    NAIVE_REMOVE_NOTE_MIGRATION,
  );
}

// On one Django line: the zoo's naive rename runs on the newest, and test/verify runs these
// controls again through the user's command.
export const NEGATIVE_CONTROLS: Scenario[] = [
  { name: 'negative: naive RenameField in one release', naive: naiveRename, codeField: ['quantity', 'qty'], expectBroken: true, djangoLines: ['5.2'] },
  { name: 'negative: drop the column with the field', naive: dropWithField, codeField: ['quantity', 'quantity'], expectBroken: true, djangoLines: ['5.2'] },
];
