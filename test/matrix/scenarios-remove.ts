/**
 * remove-column and drop-table in the matrix: one scenario per plan variant, and a negative
 * control that drops Django's foreign key without the database-level replacement.
 *
 * The driver writes `quantity` in every release, so the removed fields are others. In the release
 * where a field or model leaves the code, the developer's part (`developer`) takes its uses out of
 * the admin and the services, as a real release must: Django's system checks run with `migrate`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Scenario } from './matrix.js';

const remove = (model: string, field: string) => ['remove-column', '--app', 'shop', '--model', model, '--field', field];

/** Replaces each `from` in a file of the project; a `from` that is not there fails the scenario (the example drifted). */
export async function edit(project: string, file: string, replacements: Array<[string | RegExp, string]>): Promise<void> {
  const full = path.join(project, file);
  let text = await fs.readFile(full, 'utf8');
  for (const [from, to] of replacements) {
    const changed = text.replace(from, to);
    if (changed === text) throw new Error(`scenario: "${String(from)}" not found in ${file}`);
    text = changed;
  }
  await fs.writeFile(full, text);
}

/** Order.total reads product.price: it goes with the field it needs. */
const WITHOUT_TOTAL: [RegExp, string] = [/\n    @property\n    def total\(self\):\n        return self\.product\.price \* self\.quantity\n/, ''];

/** The admin and services without Shipment. */
export async function withoutShipment(project: string): Promise<void> {
  await edit(project, 'shop/admin.py', [
    ['from .models import Customer, Order, Product, Shipment', 'from .models import Customer, Order, Product'],
    [/\n\nclass ShipmentInline\(admin\.StackedInline\):\n(?: {4}.*\n)+/, ''],
    ['    inlines = [ShipmentInline]\n', ''],
    [/\n\n@admin\.register\(Shipment\)\n(?:.*\n?)*$/, ''],
  ]);
  await edit(project, 'shop/services.py', [
    ['from .models import Customer, Order, Product, Shipment', 'from .models import Customer, Order, Product'],
    [/\n\n@transaction\.atomic\ndef ship\((?:.*\n?)*$/, ''],
  ]);
}

const quantityEveryRelease = (releases: number) => Array.from({ length: releases + 1 }, () => 'quantity');

export const SCENARIOS: Scenario[] = [
  {
    // default="" → the column gets DEFAULT '' and leaves the model; then it is dropped.
    name: 'remove-column with a default (Order.note)',
    djangoLines: ['latest'],
    cli: remove('Order', 'note'),
    codeField: quantityEveryRelease(2),
    developer: async (project, release) => {
      if (release !== 1) return;
      await edit(project, 'shop/admin.py', [['"status", "note", "placed_at"', '"status", "placed_at"']]);
      await edit(project, 'shop/services.py', [
        ['quantity: int, note: str = "") -> Order:', 'quantity: int) -> Order:'],
        ['quantity=quantity, note=note)', 'quantity=quantity)'],
      ]);
    },
  },
  {
    // NOT NULL without a default: nullable first, then out of the model, then dropped.
    name: 'remove-column NOT NULL without a default (Product.price)',
    cli: remove('Product', 'price'),
    codeField: quantityEveryRelease(3),
    // The same three-release plan as the NOT NULL foreign key below, which runs on both lines.
    djangoLines: ['5.2'],
    developer: async (project, release) => {
      if (release !== 2) return;
      await edit(project, 'shop/admin.py', [['["sku", "name", "price", "active"]', '["sku", "name", "active"]']]);
      await edit(project, 'shop/models.py', [WITHOUT_TOTAL]);
    },
  },
  {
    name: 'remove-column already nullable (Shipment.shipped_at)',
    djangoLines: ['5.2'],
    cli: remove('Shipment', 'shipped_at'),
    codeField: quantityEveryRelease(2),
    developer: async (project, release) => {
      if (release !== 1) return;
      await edit(project, 'shop/admin.py', [['"tracking_code", "shipped_at"]', '"tracking_code"]']]);
    },
  },
  {
    // A NOT NULL foreign key (CASCADE): nullable first; when it leaves the model, its constraint
    // becomes ON DELETE CASCADE in the database, so the new release's product deletes cascade.
    name: 'remove-column NOT NULL foreign key (Order.product)',
    djangoLines: ['latest'],
    cli: remove('Order', 'product'),
    codeField: quantityEveryRelease(3),
    developer: async (project, release) => {
      if (release !== 2) return;
      await edit(project, 'shop/admin.py', [[/"customer", "product", /g, '"customer", ']]);
      await edit(project, 'shop/models.py', [WITHOUT_TOTAL]);
    },
  },
  {
    // Shipment.order (CASCADE) becomes ON DELETE CASCADE in the database while the previous
    // release still writes shipments; the new release deletes orders that have one.
    name: 'drop-table (Shipment)',
    djangoLines: ['5.2'],
    cli: ['drop-table', '--app', 'shop', '--model', 'Shipment'],
    codeField: quantityEveryRelease(2),
    developer: async (project, release) => {
      if (release === 1) await withoutShipment(project);
    },
  },
];

/** Shipment leaves Django's state, and only its foreign keys leave the database. */
export const DROP_SHIPMENT_FOREIGN_KEYS_MIGRATION = `from django.db import migrations

DROP_FOREIGN_KEYS = """
DO $$
DECLARE fk record;
BEGIN
    FOR fk IN SELECT conname FROM pg_constraint
              WHERE conrelid = 'shop_shipment'::regclass AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE shop_shipment DROP CONSTRAINT %I', fk.conname);
    END LOOP;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0003_shipment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(DROP_FOREIGN_KEYS, migrations.RunSQL.noop)],
            state_operations=[migrations.DeleteModel(name="Shipment")],
        ),
    ]
`;

/**
 * Release 1 of drop-table with Django's foreign key simply dropped: the new release deletes an
 * order that has a shipment, the shipment stays behind pointing at nothing, and the previous
 * release, which still has Shipment, loses it from select_related() (DESIGN §2, measured).
 */
async function dropShipmentWithoutReplacement(project: string): Promise<void> {
  await edit(project, 'shop/models.py', [[/\n\n\nclass Shipment\(models\.Model\):\n(?:(?: {4}.*)?\n)+$/, '\n']]);
  await withoutShipment(project);
  await fs.writeFile(
    path.join(project, 'shop', 'migrations', '0004_delete_shipment.py'),
    DROP_SHIPMENT_FOREIGN_KEYS_MIGRATION,
  );
}

export const NEGATIVE_CONTROLS: Scenario[] = [
  {
    name: "negative: drop Django's foreign key without a database-level replacement",
    naive: dropShipmentWithoutReplacement,
    codeField: ['quantity', 'quantity'],
    expectBroken: true,
    djangoLines: ['5.2'], // test/verify runs it again through the user's command
  },
];
