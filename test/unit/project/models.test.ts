import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import { modelsFromSource } from '../../../src/project/models.js';
import { loadPythonParser } from '../../../src/python/parser.js';

await loadPythonParser();

const SHOP_MODELS = `# Größe — 数量: the shop's models (non-ASCII before every offset below)
from django.conf import settings
from django.db import models


class OrderQuerySet(models.QuerySet):
    def open(self):
        return self.filter(closed=False)


class Helper:
    value = models.IntegerField()  # not a model: looks like a field, is not one


class TimeStamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Status(models.TextChoices):
    OPEN = "open"
    DONE = "done"


@admin_registered
class Order(TimeStamped):
    """An order placed by a customer."""

    customer = models.ForeignKey(
        "Customer",
        on_delete=models.CASCADE,
        related_name="orders",  # reverse name
    )
    # how many items; 数量 in the warehouse system
    quantity: int = models.IntegerField(default=1, db_default=1)  # user note
    product = models.ForeignKey(to=Product, on_delete=models.PROTECT, db_index=False, null=True)
    code = models.CharField(max_length=20, unique=True, db_column="order\\"code")
    buyer = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET(None))
    tags = models.ManyToManyField("Tag", blank=True)
    uid = models.UUIDField(primary_key=True)
    ref = models.CharField(max_length=10, db_index=True)
    status = models.CharField(max_length=4, choices=Status.choices)

    objects = OrderQuerySet.as_manager()
    MAX_ITEMS = 10

    class Meta:
        db_table = "shop_orders"
        ordering = ["-created"]

    def __str__(self):
        return f"Order {self.pk}"

    @property
    def total(self):
        return self.quantity * 2

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)


class Customer(models.Model):
    name = models.CharField(max_length=100)
`;

const models = modelsFromSource(SHOP_MODELS, 'shop/models.py', 'shop');
const order = models.find((model) => model.name === 'Order')!;
const field = (name: string) => order.fields.find((candidate) => candidate.name === name)!;

describe('which classes are models', () => {
  it('takes subclasses of models.Model and of other models of the app, nothing else', () => {
    expect(models.map((model) => model.name)).toEqual(['TimeStamped', 'Order', 'Customer']);
  });

  it('knows abstract models by their Meta', () => {
    expect(models.find((model) => model.name === 'TimeStamped')!.abstract).toBe(true);
    expect(order.abstract).toBe(false);
  });
});

describe('model facts', () => {
  it('reads db_table from Meta, else <label>_<name lowercased>', () => {
    expect(order.dbTable).toBe('shop_orders');
    expect(models.find((model) => model.name === 'Customer')!.dbTable).toBe('shop_customer');
  });

  it('lists methods (properties included) and other class attributes', () => {
    expect(order.methods).toEqual(['__str__', 'total', 'save']);
    expect(order.otherAttributes).toEqual(['objects', 'MAX_ITEMS']);
    expect(order.bases).toEqual(['TimeStamped']);
  });

  it('names the QuerySet of objects = SomeQuerySet.as_manager() when the module defines it above the model', () => {
    expect(order.objectsQuerySet).toBe('OrderQuerySet');
    expect(models.find((model) => model.name === 'Customer')!.objectsQuerySet).toBeNull();
    const elsewhere = (source: string) => modelsFromSource(source, 'shop/models.py', 'shop')[0]!.objectsQuerySet;
    // Imported, defined below, or built with arguments: not one bg-scaffold can extend in place.
    expect(elsewhere('from .qs import OrderQuerySet\nclass Order(models.Model):\n    objects = OrderQuerySet.as_manager()\n')).toBeNull();
    expect(elsewhere('class Order(models.Model):\n    objects = Later.as_manager()\n\n\nclass Later(models.QuerySet):\n    pass\n')).toBeNull();
  });

  it('covers the whole class, decorators included, and knows its body indent', () => {
    const text = SHOP_MODELS.slice(order.range.start, order.range.end);
    expect(text.startsWith('@admin_registered\nclass Order(TimeStamped):')).toBe(true);
    expect(text.endsWith('super().save(*args, **kwargs)')).toBe(true);
    expect(order.line).toBe(SHOP_MODELS.slice(0, SHOP_MODELS.indexOf('class Order(')).split('\n').length);
    expect(order.bodyIndent).toBe('    ');
    expect(order.file).toBe('shop/models.py');
  });
});

describe('fields', () => {
  it('inherits the fields of abstract bases first, then its own in source order', () => {
    expect(order.fields.map((candidate) => candidate.name)).toEqual([
      'created',
      'updated',
      'customer',
      'quantity',
      'product',
      'code',
      'buyer',
      'tags',
      'uid',
      'ref',
      'status',
    ]);
  });

  it('reads a field spanning several lines with a trailing comma and a comment inside', () => {
    const customer = field('customer');
    expect(customer).toMatchObject({
      fieldClass: 'ForeignKey',
      callee: 'models.ForeignKey',
      column: 'customer_id',
      args: ['"Customer"'],
      kwargs: { on_delete: 'models.CASCADE', related_name: '"orders"' },
      relatedModel: '"Customer"',
      onDelete: 'CASCADE',
      dbIndex: true,
      nullable: false,
      unique: false,
    });
    expect(SHOP_MODELS.slice(customer.range.start, customer.range.end)).toMatch(
      /^customer = models\.ForeignKey\([\s\S]*\n    \)$/,
    );
    expect(customer.endLine - customer.line).toBe(4);
  });

  it('reads annotated assignments, with ranges in JS string indices after non-ASCII comments', () => {
    const quantity = field('quantity');
    expect(SHOP_MODELS.slice(quantity.range.start, quantity.range.end)).toBe(
      'quantity: int = models.IntegerField(default=1, db_default=1)',
    );
    expect(quantity).toMatchObject({ column: 'quantity', defaultSource: '1', dbDefaultSource: '1', dbIndex: false });
    expect(SHOP_MODELS.split('\n')[quantity.line - 1]).toContain('quantity: int');
  });

  it('takes to= as the related model and honours db_index=False on a foreign key', () => {
    expect(field('product')).toMatchObject({
      relatedModel: 'Product',
      onDelete: 'PROTECT',
      dbIndex: false,
      nullable: true,
    });
  });

  it('decodes string escapes in db_column', () => {
    expect(field('code')).toMatchObject({
      column: 'order"code',
      unique: true,
      kwargs: { db_column: '"order\\"code"' },
    });
  });

  it('treats a one-to-one as unique and indexed, and reads on_delete=models.SET(...)', () => {
    expect(field('buyer')).toMatchObject({
      column: 'buyer_id',
      unique: true,
      dbIndex: true,
      relatedModel: 'settings.AUTH_USER_MODEL',
      onDelete: 'SET',
    });
  });

  it('records a many-to-many with no column of its own ("")', () => {
    expect(field('tags')).toMatchObject({ fieldClass: 'ManyToManyField', column: '', relatedModel: '"Tag"' });
  });

  it('reads primary_key and db_index', () => {
    expect(field('uid')).toMatchObject({ primaryKey: true, dbIndex: false });
    expect(field('ref')).toMatchObject({ dbIndex: true, relatedModel: null, onDelete: null });
    expect(field('status').kwargs).toEqual({ max_length: '4', choices: 'Status.choices' });
  });
});

describe('inheritance', () => {
  it('lets a model override or drop a field of its abstract base', () => {
    const source = [
      'from django.db import models',
      'class Base(models.Model):',
      '    a = models.IntegerField()',
      '    b = models.IntegerField()',
      '    c = models.IntegerField()',
      '    class Meta:',
      '        abstract = True',
      'class Child(Base):',
      '    b = models.CharField(max_length=3)',
      '    c = None',
      '',
    ].join('\n');
    const child = modelsFromSource(source, 'app/models.py', 'app').find((model) => model.name === 'Child')!;
    expect(child.fields.map((candidate) => `${candidate.name}:${candidate.fieldClass}`)).toEqual([
      'a:IntegerField',
      'b:CharField',
    ]);
  });

  it('does not copy the fields of a concrete parent (multi-table inheritance)', () => {
    const source =
      'from django.db import models\nclass Place(models.Model):\n    name = models.CharField()\nclass Shop(Place):\n    size = models.IntegerField()\n';
    const shop = modelsFromSource(source, 'app/models.py', 'app').find((model) => model.name === 'Shop')!;
    expect(shop.fields.map((candidate) => candidate.name)).toEqual(['size']);
  });
});

describe('a models file that does not parse', () => {
  it('is refused with file:line', () => {
    expect(() =>
      modelsFromSource('class Order(models.Model):\n    x = models.IntegerField(\n', 'shop/models.py', 'shop'),
    ).toThrow(BgScaffoldError);
  });
});
