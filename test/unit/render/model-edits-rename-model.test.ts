/**
 * The model edits of rename-model. Release 1 renames the class, pins its table in Meta, keeps the
 * old name importable with `Order = Purchase` after the class, and points relations written as
 * strings at the new name; release 2 removes the alias and the markers. Every other byte stays.
 *
 * In one batch, every edit names a model as the file has it before the batch (`Order`), except
 * add-alias, whose `model` is what its statement points at: the class's name after the batch.
 */
import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import type { ModelEdit } from '../../../src/operations/shared/types.js';
import { loadPythonParser } from '../../../src/python/parser.js';
import { formatPython } from '../../../src/render/format.js';
import { applyModelEdits } from '../../../src/render/model-edits.js';

await loadPythonParser();

const FILE = 'shop/models.py';
const RELEASE_1 = { change: 'rename-order', phase: 1, of: 2 };
const RELEASE_2 = { change: 'rename-order', phase: 2, of: 2 };
const mark = (note: string) => `# bg-scaffold: rename-order 1/2 ${note}`;
const apply = (source: string, ...edits: ModelEdit[]) => applyModelEdits(source, FILE, edits, RELEASE_1);

type Edit<Kind extends ModelEdit['kind']> = Extract<ModelEdit, { kind: Kind }>;

const renameClass: Edit<'rename-class'> = { kind: 'rename-class', model: 'Order', to: 'Purchase', note: 'renamed from Order' };
const pinTable: Edit<'set-meta-option'> = { kind: 'set-meta-option', model: 'Order', option: 'db_table', value: '"shop_order"', note: 'table kept' };
const addAlias: Edit<'add-alias'> = { kind: 'add-alias', model: 'Purchase', alias: 'Order', note: 'old name, until release 2' };
const retarget = (model: string, from = 'Order', to = 'Purchase'): Edit<'retarget-relation'> => ({ kind: 'retarget-relation', model, field: 'order', from, to, note: `points at ${to}` });

/**
 * A small shop, as ruff formats it: Order is referred to as a string ("Order"), as a class
 * (Order) and with to="shop.Order". Non-ASCII first: offsets are UTF-16.
 */
const SHOP = `# Größe 😀: the shop's models
from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)


class Order(models.Model):
    """An order placed by a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    placed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Order {self.pk}"


class Shipment(models.Model):
    order = models.ForeignKey("Order", on_delete=models.CASCADE)  # one per parcel


class Invoice(models.Model):
    order = models.OneToOneField(Order, on_delete=models.PROTECT)


class Refund(models.Model):
    order = models.ForeignKey(
        to="shop.Order",
        on_delete=models.CASCADE,
        related_name="refunds",
    )
`;

const RELEASE_1_BATCH: ModelEdit[] = [renameClass, pinTable, addAlias, retarget('Shipment'), retarget('Invoice'), retarget('Refund', 'shop.Order', 'shop.Purchase')];

/** SHOP after release 1: Invoice's `Order` is left alone, the alias keeps it working. */
const SHOP_RELEASE_1 = `# Größe 😀: the shop's models
from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)


class Purchase(models.Model):  ${mark('renamed from Order')}
    """An order placed by a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    placed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "shop_order"  ${mark('table kept')}

    def __str__(self):
        return f"Order {self.pk}"


Order = Purchase  ${mark('old name, until release 2')}


class Shipment(models.Model):
    order = models.ForeignKey("Purchase", on_delete=models.CASCADE)  # one per parcel  ${mark('points at Purchase')}


class Invoice(models.Model):
    order = models.OneToOneField(Order, on_delete=models.PROTECT)


class Refund(models.Model):
    order = models.ForeignKey(  ${mark('points at shop.Purchase')}
        to="shop.Purchase",
        on_delete=models.CASCADE,
        related_name="refunds",
    )
`;

/** Between the releases the team moves its code off the old name, as release 2 requires. */
const SHOP_BEFORE_RELEASE_2 = SHOP_RELEASE_1.replace('OneToOneField(Order,', 'OneToOneField(Purchase,');

const RELEASE_2_BATCH: ModelEdit[] = [
  { kind: 'remove-alias', alias: 'Order' },
  { kind: 'unmark', model: 'Purchase' },
  { kind: 'unmark', model: 'Shipment' },
  { kind: 'unmark', model: 'Refund' },
];

const SHOP_RELEASE_2 = `# Größe 😀: the shop's models
from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)


class Purchase(models.Model):
    """An order placed by a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    placed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "shop_order"

    def __str__(self):
        return f"Order {self.pk}"


class Shipment(models.Model):
    order = models.ForeignKey("Purchase", on_delete=models.CASCADE)  # one per parcel


class Invoice(models.Model):
    order = models.OneToOneField(Purchase, on_delete=models.PROTECT)


class Refund(models.Model):
    order = models.ForeignKey(
        to="shop.Purchase",
        on_delete=models.CASCADE,
        related_name="refunds",
    )
`;

describe('rename-model, release by release', () => {
  it('starts from a models file as ruff formats it', () => {
    expect(formatPython(SHOP, FILE)).toBe(SHOP);
  });

  it('release 1 renames the class, pins its table, adds the alias after it and retargets the string references, marking each line', () => {
    expect(applyModelEdits(SHOP, FILE, RELEASE_1_BATCH, RELEASE_1)).toBe(SHOP_RELEASE_1);
  });

  it('release 2 removes the alias and every marker of the change, leaving the file as ruff writes it', () => {
    const out = applyModelEdits(SHOP_BEFORE_RELEASE_2, FILE, RELEASE_2_BATCH, RELEASE_2);
    expect(out).toBe(SHOP_RELEASE_2);
    expect(formatPython(out, FILE)).toBe(out);
  });

  it("keeps CRLF line endings in both releases, on the lines whose user's comment gets or loses a marker too", () => {
    const crlf = (text: string) => text.replace(/\n/g, '\r\n');
    const release1 = applyModelEdits(crlf(SHOP), FILE, RELEASE_1_BATCH, RELEASE_1);
    expect(release1).toBe(crlf(SHOP_RELEASE_1));
    const release2 = applyModelEdits(crlf(SHOP_BEFORE_RELEASE_2), FILE, RELEASE_2_BATCH, RELEASE_2);
    expect(release2).toBe(crlf(SHOP_RELEASE_2));
  });

  it('works on the last class of the file: its new Meta, then the alias, then the end of the file', () => {
    const last = `from django.db import models


class Order(models.Model):
    placed_at = models.DateTimeField()
`;
    const release1 = `from django.db import models


class Purchase(models.Model):  ${mark('renamed from Order')}
    placed_at = models.DateTimeField()

    class Meta:
        db_table = "shop_order"  ${mark('table kept')}


Order = Purchase  ${mark('old name, until release 2')}
`;
    expect(apply(last, renameClass, pinTable, addAlias)).toBe(release1);
    // A file without its last line break gets one, once.
    expect(apply(last.slice(0, -1), renameClass, pinTable, addAlias)).toBe(release1);
    const release2 = applyModelEdits(release1, FILE, [{ kind: 'remove-alias', alias: 'Order' }, { kind: 'unmark', model: 'Purchase' }], RELEASE_2);
    expect(release2).toBe(`from django.db import models


class Purchase(models.Model):
    placed_at = models.DateTimeField()

    class Meta:
        db_table = "shop_order"
`);
    expect(formatPython(release2, FILE)).toBe(release2);
  });

  it('in a one-phase batch that also unmarks the model, stamps no marker', () => {
    const out = applyModelEdits(SHOP, FILE, [renameClass, pinTable, addAlias, { kind: 'unmark', model: 'Order' }], { ...RELEASE_1, of: 1 });
    expect(out).not.toContain('bg-scaffold');
    expect(out).toContain('class Purchase(models.Model):\n');
    expect(out).toContain('        db_table = "shop_order"\n');
    expect(out).toContain('\n\n\nOrder = Purchase\n\n\nclass Shipment');
  });

  it('refuses a batch whose other edits name the model by its new name (a bug in the plan)', () => {
    const byNewName = { ...pinTable, model: 'Purchase' };
    expect(() => apply(SHOP, renameClass, byNewName)).toThrow(/class Purchase is still Order .*: name it Order/);
  });
});

describe('rename-class', () => {
  it("changes only the class's name: decorator, bases, the user's comment and the body stay", () => {
    const source = `@admin.register
class Order(TimeStamped, models.Model):  # the checkout's
    pass
`;
    expect(apply(source, renameClass)).toBe(`@admin.register
class Purchase(TimeStamped, models.Model):  # the checkout's  ${mark('renamed from Order')}
    pass
`);
  });

  it('refuses a class that is not there', () => {
    expect(() => apply(SHOP, { ...renameClass, model: 'Ordr' })).toThrow(BgScaffoldError);
    expect(() => apply(SHOP, { ...renameClass, model: 'Ordr' })).toThrow(/^shop\/models\.py: no class "Ordr" at module level/);
  });

  it('refuses a new name another class already has, naming its line', () => {
    expect(() => apply(SHOP, { ...renameClass, to: 'Invoice' })).toThrow(BgScaffoldError);
    expect(() => apply(SHOP, { ...renameClass, to: 'Invoice' })).toThrow(/^shop\/models\.py:23: there is already a class Invoice, so Order cannot take its name; /);
  });
});

describe('set-meta-option', () => {
  /** SHOP with `meta` as Order's Meta, right before `__str__`. */
  const withMeta = (meta: string) => SHOP.replace('    def __str__', `${meta}\n    def __str__`);

  it('replaces the value of the option, keeping the comment after it', () => {
    const before = withMeta(`    class Meta:
        db_table = "orders"  # the legacy name
        ordering = ["-placed_at"]
`);
    expect(apply(before, pinTable)).toBe(
      withMeta(`    class Meta:
        db_table = "shop_order"  # the legacy name  ${mark('table kept')}
        ordering = ["-placed_at"]
`),
    );
  });

  it('puts the marker on the last line of a value that spanned several', () => {
    const before = withMeta(`    class Meta:
        db_table = (
            "orders"
        )  # legacy
`);
    expect(apply(before, pinTable)).toBe(
      withMeta(`    class Meta:
        db_table = "shop_order"  # legacy  ${mark('table kept')}
`),
    );
  });

  it('leaves a value that is already there alone, unmarked', () => {
    const before = withMeta(`    class Meta:
        db_table = "shop_order"
`);
    expect(apply(before, pinTable)).toBe(before);
  });

  it("adds the option as Meta's last statement; a lone pass gives way", () => {
    const ordered = withMeta(`    class Meta:
        ordering = ["-placed_at"]
`);
    expect(apply(ordered, pinTable)).toBe(
      withMeta(`    class Meta:
        ordering = ["-placed_at"]
        db_table = "shop_order"  ${mark('table kept')}
`),
    );
    expect(apply(withMeta('    class Meta:\n        pass\n'), pinTable)).toBe(
      withMeta(`    class Meta:
        db_table = "shop_order"  ${mark('table kept')}
`),
    );
  });

  it('adds class Meta where add-meta-entry adds one, and one Meta for both when a batch has both', () => {
    const index: ModelEdit = { kind: 'add-meta-entry', model: 'Order', list: 'indexes', entry: 'models.Index(fields=["placed_at"], name="placed_idx")', note: 'index added' };
    const withIndex = apply(SHOP, index);
    const withTable = apply(SHOP, pinTable);
    const metaLine = (text: string) => text.split('\n').indexOf('    class Meta:');
    expect(metaLine(withTable)).toBe(metaLine(withIndex));
    expect(apply(SHOP, index, pinTable)).toBe(
      withMeta(`    class Meta:
        db_table = "shop_order"  ${mark('table kept')}
        indexes = [
            models.Index(fields=["placed_at"], name="placed_idx"),  ${mark('index added')}
        ]
`),
    );
  });
});

describe('add-alias and remove-alias', () => {
  it('add-alias writes the alias after the class with two blank lines before it; the two that followed the class follow it', () => {
    const out = apply(SHOP, { kind: 'add-alias', model: 'Shipment', alias: 'Parcel', note: 'old name' });
    expect(out).toBe(
      SHOP.replace(
        '# one per parcel\n\n\n',
        `# one per parcel\n\n\nParcel = Shipment  ${mark('old name')}\n\n\n`,
      ),
    );
  });

  it("add-alias goes after the comments that end the class's body: they are the class's", () => {
    const source = 'class Order(models.Model):\n    placed_at = models.DateTimeField()\n    # later: a status\n';
    expect(apply(source, renameClass, addAlias)).toBe(
      `class Purchase(models.Model):  ${mark('renamed from Order')}\n    placed_at = models.DateTimeField()\n    # later: a status\n\n\nOrder = Purchase  ${mark('old name, until release 2')}\n`,
    );
  });

  it('remove-alias takes the alias out with the blank lines before it: the file is as it was before add-alias', () => {
    const middle = { kind: 'add-alias', model: 'Shipment', alias: 'Parcel', note: 'old name' } as const;
    const last = { kind: 'add-alias', model: 'Refund', alias: 'Return', note: 'old name' } as const;
    const aliased = apply(SHOP, middle, last);
    expect(aliased.endsWith(`    )\n\n\nReturn = Refund  ${mark('old name')}\n`)).toBe(true);
    expect(apply(aliased, { kind: 'remove-alias', alias: 'Parcel' }, { kind: 'remove-alias', alias: 'Return' })).toBe(SHOP);
  });

  it('add-alias refuses a name a class keeps, or one already assigned', () => {
    expect(() => apply(SHOP, { ...addAlias, model: 'Customer' })).toThrow(/:9: class Order is still defined, so "Order = Customer" would replace it; /);
    const aliased = apply(SHOP, renameClass, addAlias);
    expect(() => apply(aliased, { ...addAlias, model: 'Customer' })).toThrow(/:19: Order is already assigned at module level; was this phase applied by hand\?/);
  });

  it('add-alias names a class that must be there, under that name or the one a rename of the batch gives it', () => {
    expect(() => apply(SHOP, { ...addAlias, alias: 'Sale' })).toThrow(/no class "Purchase" at module level/);
  });

  it('remove-alias refuses an alias that is not there', () => {
    expect(() => apply(SHOP, { kind: 'remove-alias', alias: 'Order' })).toThrow(BgScaffoldError);
    expect(() => apply(SHOP, { kind: 'remove-alias', alias: 'Order' })).toThrow(/^shop\/models\.py: no module-level "Order = <class>" to remove; /);
  });
});

describe('retarget-relation', () => {
  it('keeps the quotes the string had, and reads a to= keyword the same as a first argument', () => {
    const single = SHOP.replace('ForeignKey("Order"', "ForeignKey('Order'");
    expect(apply(single, retarget('Shipment'))).toBe(
      single.replace("ForeignKey('Order', on_delete=models.CASCADE)  # one per parcel", `ForeignKey('Purchase', on_delete=models.CASCADE)  # one per parcel  ${mark('points at Purchase')}`),
    );
    const keyword = SHOP.replace('ForeignKey("Order"', 'ForeignKey(to="Order"');
    expect(apply(keyword, retarget('Shipment'))).toContain(`ForeignKey(to="Purchase", on_delete=models.CASCADE)  # one per parcel  ${mark('points at Purchase')}\n`);
  });

  it('leaves a target written as a class alone: the alias keeps it working', () => {
    expect(apply(SHOP, retarget('Invoice'))).toBe(SHOP);
  });

  it('refuses a string that is not the one the plan saw, and a field that is not there', () => {
    expect(() => apply(SHOP, retarget('Refund'))).toThrow(/:28: Refund\.order relates to "shop\.Order", not "Order"; was it changed by hand\?/);
    expect(() => apply(SHOP, { ...retarget('Shipment'), field: 'parcel' })).toThrow(BgScaffoldError);
    expect(() => apply(SHOP, { ...retarget('Shipment'), field: 'parcel' })).toThrow(/class Shipment declares no field "parcel"/);
  });
});
