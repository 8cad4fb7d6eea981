/**
 * Which model a reference belongs to, rule by rule, on small projects where `quantity` is a field of
 * two models: `shop.Order.quantity` (the target) and `stock.LineItem.quantity`. Each rule is shown
 * making a reference certain (the target's), dropped (the other model's) or possible (unknown).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InstalledModel } from '../../../src/check/model-catalog.js';
import { findReferences, type ReferenceTarget } from '../../../src/check/references.js';

const QUANTITY: ReferenceTarget = { app: 'shop', model: 'Order', name: 'quantity', kind: 'field' };

const SHOP_MODELS = `from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)


class Product(models.Model):
    sku = models.CharField(max_length=32)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    quantity = models.IntegerField()
    status = models.CharField(max_length=20)

    def ship(self):
        self.status = "shipped"

    @property
    def total(self):
        return self.quantity * 2
`;

const STOCK_MODELS = `from django.db import models

from shop.models import Product


class LineItem(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="line_items")
    quantity = models.IntegerField()

    def restock(self):
        return self.quantity
`;

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A project with both apps plus `files`; returns `[line text, certainty]` of every hit in `inFile`. */
async function attribute(files: Record<string, string>, inFile: string, target: ReferenceTarget = QUANTITY, installedModels: InstalledModel[] = []): Promise<Array<[string, string]>> {
  const root = mkdtempSync(join(tmpdir(), 'bg-attr-'));
  roots.push(root);
  const all: Record<string, string> = {
    'manage.py': '',
    'shop/__init__.py': '',
    'shop/models.py': SHOP_MODELS,
    'stock/__init__.py': '',
    'stock/models.py': STOCK_MODELS,
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const refs = await findReferences(root, [target], { explain: true, installedModels });
  return refs.filter((ref) => ref.file === inFile).map((ref) => [ref.text, ref.certainty]);
}

const py = (lines: string[]): string => `${lines.join('\n')}\n`;

describe('attribution: the receiver of x.quantity', () => {
  it('Model.objects chains, and the querysets and instances assigned from them', async () => {
    const hits = await attribute(
      {
        'shop/services.py': py([
          'from shop.models import Order',
          'from stock.models import LineItem',
          '',
          'def orders():',
          '    qs = Order.objects.filter(status="new")',
          '    for order in qs:',
          '        print(order.quantity)',
          '    first = Order.objects.get(pk=1)',
          '    return first.quantity',
          '',
          'def items():',
          '    return [item.quantity for item in LineItem.objects.all()]',
          '',
          'def unknown(thing):',
          '    return thing.quantity',
        ]),
      },
      'shop/services.py',
    );
    expect(hits).toEqual([
      ['print(order.quantity)', 'certain'],
      ['return first.quantity', 'certain'],
      ['return [item.quantity for item in LineItem.objects.all()]', 'dropped'],
      ['return thing.quantity', 'possible'],
    ]);
  });

  it('is certain, receiver or not, when no other model has a field of that name', async () => {
    const hits = await attribute(
      { 'shop/views.py': py(['def v(thing):', '    return thing.status']) },
      'shop/views.py',
      { ...QUANTITY, name: 'status' },
    );
    expect(hits).toEqual([['return thing.status', 'certain']]);
  });

  it('related managers, forward relations and reverse accessors (related_name and <model>_set)', async () => {
    const hits = await attribute(
      {
        'shop/services.py': py([
          'from shop.models import Customer, Product',
          '',
          'def f(customer: Customer, product: Product):',
          '    for order in customer.orders.all():',
          '        order.quantity',
          '    for item in product.line_items.filter(quantity__gt=0):',
          '        item.quantity',
          '    return product.order_set.first().quantity',
        ]),
      },
      'shop/services.py',
    );
    expect(hits).toEqual([
      ['order.quantity', 'certain'],
      ['for item in product.line_items.filter(quantity__gt=0):', 'dropped'],
      ['item.quantity', 'dropped'],
      ['return product.order_set.first().quantity', 'certain'],
    ]);
  });

  it('type annotations of parameters, variables, attributes and returns', async () => {
    const hits = await attribute(
      {
        'shop/typed.py': py([
          'from shop.models import Order',
          'from stock.models import LineItem',
          '',
          'class Holder:',
          '    item: LineItem',
          '',
          '    def read(self):',
          '        return self.item.quantity',
          '',
          'def latest() -> Order:',
          '    return load()',
          '',
          'def f(order: "Order", items: list[LineItem]):',
          '    x: Order = load()',
          '    x.quantity',
          '    latest().quantity',
          '    for i in items:',
          '        i.quantity',
          '    return order.quantity',
        ]),
      },
      'shop/typed.py',
    );
    expect(hits).toEqual([
      ['return self.item.quantity', 'dropped'],
      ['x.quantity', 'certain'],
      ['latest().quantity', 'certain'],
      ['i.quantity', 'dropped'],
      ['return order.quantity', 'certain'],
    ]);
  });

  it('self inside the model, and in the subclasses of an abstract model that declares the field', async () => {
    const hits = await attribute(
      {
        'billing/__init__.py': '',
        'billing/models.py': py([
          'from django.db import models',
          '',
          'class AbstractInvoice(models.Model):',
          '    quantity = models.IntegerField()',
          '',
          '    class Meta:',
          '        abstract = True',
          '',
          '    def double(self):',
          '        return self.quantity * 2',
          '',
          'class Invoice(AbstractInvoice):',
          '    pass',
        ]),
      },
      'billing/models.py',
      { app: 'billing', model: 'Invoice', name: 'quantity', kind: 'field' },
    );
    expect(hits).toEqual([['return self.quantity * 2', 'certain']]);
    const stock = await attribute({}, 'stock/models.py');
    expect(stock).toEqual([['return self.quantity', 'dropped']]);
  });


  it("a multi-table child or a proxy reads its parent's column: its hits are the parent field's", async () => {
    const models = py([
      SHOP_MODELS,
      'class RushOrder(Order):',
      '    deadline = models.DateTimeField()',
      '',
      'class OrderView(Order):',
      '    class Meta:',
      '        proxy = True',
      '',
      '    def label(self):',
      '        return self.quantity',
    ]);
    const views = py(['from shop.models import RushOrder', '', 'def rush(order: RushOrder):', '    return order.quantity']);
    expect(await attribute({ 'shop/models.py': models, 'shop/views.py': views }, 'shop/views.py')).toEqual([['return order.quantity', 'certain']]);
    expect(await attribute({ 'shop/models.py': models }, 'shop/models.py')).toEqual([
      ['return self.quantity * 2', 'certain'],
      ['return self.quantity', 'certain'],
    ]);
  });
  it('parameters typed by their callers in the module, and by what the code does with them', async () => {
    const hits = await attribute(
      {
        'shop/flows.py': py([
          'from stock.models import LineItem',
          '',
          'def restock_all():',
          '    for item in LineItem.objects.all():',
          '        _restock(item)',
          '',
          'def _restock(item):',
          '    return item.quantity',
          '',
          'def ship_it(thing):',
          '    thing.ship()',
          '    return thing.quantity',
        ]),
      },
      'shop/flows.py',
    );
    expect(hits).toEqual([
      ['return item.quantity', 'dropped'],
      ['return thing.quantity', 'certain'],
    ]);
  });

  it('models named through a loader call: get_model(app_label, name)', async () => {
    const hits = await attribute(
      {
        'shop/loaded.py': py([
          'from django.apps import apps',
          '',
          'Order = apps.get_model("shop", "Order")',
          'Item = apps.get_model("stock", "LineItem")',
          '',
          'def f():',
          '    Order.objects.filter(quantity=1)',
          '    Item.objects.filter(quantity=1)',
        ]),
      },
      'shop/loaded.py',
    );
    expect(hits).toEqual([
      ['Order.objects.filter(quantity=1)', 'certain'],
      ['Item.objects.filter(quantity=1)', 'dropped'],
    ]);
  });
});

describe('attribution: lookups and field paths', () => {
  it('Model(...), create, get_or_create and update_or_create keywords, defaults, and dicts unpacked into them', async () => {
    const hits = await attribute(
      {
        'shop/make.py': py([
          'from shop.models import Order',
          'from stock.models import LineItem',
          '',
          'def f(p):',
          '    Order(quantity=1)',
          '    LineItem(quantity=1)',
          '    LineItem.objects.get_or_create(product=p, defaults={"quantity": 1})',
          '    obj, created = Order.objects.update_or_create(product=p, defaults={"quantity": 2})',
          '    data = {"quantity": 3}',
          '    Order.objects.create(**data)',
          '    return obj.quantity',
        ]),
      },
      'shop/make.py',
    );
    expect(hits).toEqual([
      ['Order(quantity=1)', 'certain'],
      ['LineItem(quantity=1)', 'dropped'],
      ['LineItem.objects.get_or_create(product=p, defaults={"quantity": 1})', 'dropped'],
      ['obj, created = Order.objects.update_or_create(product=p, defaults={"quantity": 2})', 'certain'],
      ['data = {"quantity": 3}', 'certain'],
      ['return obj.quantity', 'certain'],
    ]);
  });

  it('lookups across relations: customer → orders, product → line_items', async () => {
    const hits = await attribute(
      {
        'shop/reports.py': py([
          'from shop.models import Customer, Product',
          '',
          'def f():',
          '    Customer.objects.filter(orders__quantity__gte=5)',
          '    Product.objects.filter(line_items__quantity=0)',
          '    Product.objects.values("order__quantity")',
        ]),
      },
      'shop/reports.py',
    );
    expect(hits).toEqual([
      ['Customer.objects.filter(orders__quantity__gte=5)', 'certain'],
      ['Product.objects.filter(line_items__quantity=0)', 'dropped'],
      ['Product.objects.values("order__quantity")', 'certain'],
    ]);
  });

  it('F(), Q(), aggregates, values(), order_by() and update_fields inside a chain rooted at a model', async () => {
    const hits = await attribute(
      {
        'shop/chains.py': py([
          'from django.db.models import F, Q, Sum',
          'from shop.models import Order',
          'from stock.models import LineItem',
          '',
          'def f(item: LineItem):',
          '    Order.objects.filter(Q(quantity__gt=1) | Q(status="new"))',
          '    LineItem.objects.update(quantity=F("quantity") + 1)',
          '    Order.objects.aggregate(total=Sum("quantity"))',
          '    LineItem.objects.values("quantity").order_by("-quantity")',
          '    expression = F("quantity") * 2',
          '    Order.objects.annotate(double=expression)',
          '    item.save(update_fields=["quantity"])',
        ]),
      },
      'shop/chains.py',
    );
    expect(hits).toEqual([
      ['Order.objects.filter(Q(quantity__gt=1) | Q(status="new"))', 'certain'],
      ['LineItem.objects.update(quantity=F("quantity") + 1)', 'dropped'],
      ['LineItem.objects.update(quantity=F("quantity") + 1)', 'dropped'],
      ['Order.objects.aggregate(total=Sum("quantity"))', 'certain'],
      ['LineItem.objects.values("quantity").order_by("-quantity")', 'dropped'],
      ['LineItem.objects.values("quantity").order_by("-quantity")', 'dropped'],
      ['expression = F("quantity") * 2', 'certain'],
      ['item.save(update_fields=["quantity"])', 'dropped'],
    ]);
  });

  it('drops a keyword that is not a field there: an annotation alias, a parameter of a project function', async () => {
    const hits = await attribute(
      {
        'shop/other.py': py([
          'from django.db.models import Sum',
          'from shop.models import Order',
          '',
          'def place(product, quantity):',
          '    return product',
          '',
          'def f(p):',
          '    place(p, quantity=3)',
          '    Order.objects.annotate(quantity=Sum("status"))',
        ]),
      },
      'shop/other.py',
    );
    expect(hits).toEqual([
      ['place(p, quantity=3)', 'dropped'],
      ['Order.objects.annotate(quantity=Sum("status"))', 'dropped'],
    ]);
  });
});

describe('attribution: classes configured for a model', () => {
  it('ModelAdmin registered with a decorator or admin.site.register, and inlines', async () => {
    const hits = await attribute(
      {
        'shop/admin.py': py([
          'from django.contrib import admin',
          'from shop.models import Order',
          'from stock.models import LineItem',
          '',
          '@admin.register(Order)',
          'class OrderAdmin(admin.ModelAdmin):',
          '    list_display = ["id", "quantity"]',
          '',
          'class LineItemAdmin(admin.ModelAdmin):',
          '    list_display = ["id", "quantity"]',
          '',
          'class LineItemInline(admin.TabularInline):',
          '    model = LineItem',
          '    fields = ["quantity"]',
          '',
          '    def get_fields(self, request, obj=None):',
          '        first = ("product", "quantity")',
          '        return list(first)',
          '',
          'admin.site.register(LineItem, LineItemAdmin)',
        ]),
      },
      'shop/admin.py',
    );
    expect(hits).toEqual([
      ['list_display = ["id", "quantity"]', 'certain'],
      ['list_display = ["id", "quantity"]', 'dropped'],
      ['fields = ["quantity"]', 'dropped'],
      ['first = ("product", "quantity")', 'dropped'],
    ]);
  });

  it('ModelForm Meta, its declared fields and self.instance', async () => {
    const hits = await attribute(
      {
        'shop/forms.py': py([
          'from django import forms',
          'from shop.models import Order',
          'from stock.models import LineItem',
          '',
          'class OrderForm(forms.ModelForm):',
          '    quantity = forms.IntegerField(min_value=1)',
          '',
          '    class Meta:',
          '        model = Order',
          '        fields = ["quantity"]',
          '',
          '    def clean(self):',
          '        return self.instance.quantity',
          '',
          'class ItemForm(forms.ModelForm):',
          '    class Meta:',
          '        model = LineItem',
          '        fields = ["quantity"]',
          '',
          'class QuickForm(forms.Form):',
          '    quantity = forms.IntegerField()',
        ]),
      },
      'shop/forms.py',
    );
    expect(hits).toEqual([
      ['quantity = forms.IntegerField(min_value=1)', 'certain'],
      ['fields = ["quantity"]', 'certain'],
      ['return self.instance.quantity', 'certain'],
      ['fields = ["quantity"]', 'dropped'],
    ]);
  });

  it('DRF ModelSerializer: a field declared by name, source= (through a relation), Meta.fields', async () => {
    const hits = await attribute(
      {
        'shop/serializers.py': py([
          'from rest_framework import serializers',
          'from shop.models import Order',
          'from stock.models import LineItem',
          '',
          'class OrderSerializer(serializers.ModelSerializer):',
          '    quantity = serializers.IntegerField(read_only=True)',
          '    units = serializers.IntegerField(source="quantity")',
          '    label = serializers.SerializerMethodField()',
          '',
          '    class Meta:',
          '        model = Order',
          '        fields = ["id", "quantity", "units"]',
          '',
          'class LineItemSerializer(serializers.ModelSerializer):',
          '    stock = serializers.IntegerField(source="quantity")',
          '',
          '    class Meta:',
          '        model = LineItem',
          '        fields = ["stock"]',
        ]),
      },
      'shop/serializers.py',
    );
    expect(hits).toEqual([
      ['quantity = serializers.IntegerField(read_only=True)', 'certain'],
      ['units = serializers.IntegerField(source="quantity")', 'certain'],
      ['fields = ["id", "quantity", "units"]', 'certain'],
      ['stock = serializers.IntegerField(source="quantity")', 'dropped'],
    ]);
  });

  it('django-filter FilterSets and factory_boy factories (Meta.model, LazyAttribute)', async () => {
    const hits = await attribute(
      {
        'shop/filters.py': py([
          'import django_filters',
          'import factory',
          'from shop.models import Order',
          'from stock.models import LineItem',
          '',
          'class OrderFilter(django_filters.FilterSet):',
          '    quantity = django_filters.NumberFilter(lookup_expr="gte")',
          '',
          '    class Meta:',
          '        model = Order',
          '        fields = ["quantity"]',
          '',
          'class LineItemFactory(factory.django.DjangoModelFactory):',
          '    quantity = 1',
          '    double = factory.LazyAttribute(lambda obj: obj.quantity * 2)',
          '',
          '    class Meta:',
          '        model = LineItem',
        ]),
      },
      'shop/filters.py',
    );
    expect(hits).toEqual([
      ['quantity = django_filters.NumberFilter(lookup_expr="gte")', 'certain'],
      ['fields = ["quantity"]', 'certain'],
      ['quantity = 1', 'dropped'],
      ['double = factory.LazyAttribute(lambda obj: obj.quantity * 2)', 'dropped'],
    ]);
  });
});

describe('attribution: models of installed apps, as Django reports them', () => {
  // django.contrib.auth's User has an `email` too; its source is not the project's.
  const EMAIL: ReferenceTarget = { app: 'shop', model: 'Customer', name: 'email', kind: 'field' };
  const SHOP_WITH_EMAIL = SHOP_MODELS.replace('    name = models.CharField(max_length=100)\n', '    name = models.CharField(max_length=100)\n    email = models.EmailField()\n');
  const AUTH_USER: InstalledModel = {
    key: 'auth.User',
    app: 'auth',
    name: 'User',
    module: 'django.contrib.auth.models',
    fields: [
      { name: 'username', relation: null },
      { name: 'email', relation: null },
      { name: 'groups', relation: { kind: 'm2m', target: 'auth.Group', relatedName: 'user_set' } },
    ],
  };
  const AUTH_GROUP: InstalledModel = { key: 'auth.Group', app: 'auth', name: 'Group', module: 'django.contrib.auth.models', fields: [{ name: 'name', relation: null }] };
  const views = py([
    'from django.contrib.auth.models import User',
    'from shop.models import Customer',
    '',
    'def notify(request, customer_id):',
    '    customer = Customer.objects.get(pk=customer_id)',
    '    staff = User.objects.filter(email__endswith="@shop.example")',
    '    return [customer.email, request.user.email, [user.email for user in staff]]',
    '',
    'def greet(someone):',
    '    return someone.email',
  ]);

  it('without them, a receiver nothing says anything about is the only model with the name: certain', async () => {
    const hits = await attribute({ 'shop/models.py': SHOP_WITH_EMAIL, 'shop/views.py': views }, 'shop/views.py', EMAIL);
    expect(hits).toEqual([
      ['staff = User.objects.filter(email__endswith="@shop.example")', 'certain'],
      ['return [customer.email, request.user.email, [user.email for user in staff]]', 'certain'],
      ['return [customer.email, request.user.email, [user.email for user in staff]]', 'certain'],
      ['return [customer.email, request.user.email, [user.email for user in staff]]', 'certain'],
      ['return someone.email', 'certain'],
    ]);
  });

  it("with them, the installed model's own hits are dropped and an unknown receiver is only possible", async () => {
    const hits = await attribute({ 'shop/models.py': SHOP_WITH_EMAIL, 'shop/views.py': views }, 'shop/views.py', EMAIL, [AUTH_USER, AUTH_GROUP]);
    expect(hits).toEqual([
      ['staff = User.objects.filter(email__endswith="@shop.example")', 'dropped'],
      ['return [customer.email, request.user.email, [user.email for user in staff]]', 'certain'],
      // request.user: named like the model (`user`), and so it is, in Django.
      ['return [customer.email, request.user.email, [user.email for user in staff]]', 'dropped'],
      ['return [customer.email, request.user.email, [user.email for user in staff]]', 'dropped'],
      ['return someone.email', 'possible'],
    ]);
  });

  it('a relation of a project model to an installed model is followed: order.placed_by.email', async () => {
    const models = SHOP_WITH_EMAIL.replace('from django.db import models\n', 'from django.contrib.auth.models import User\nfrom django.db import models\n').replace(
      '    status = models.CharField(max_length=20)\n',
      '    status = models.CharField(max_length=20)\n    placed_by = models.ForeignKey(User, on_delete=models.PROTECT)\n',
    );
    const code = py(['from shop.models import Order', '', 'def who(order_id):', '    order = Order.objects.get(pk=order_id)', '    return order.placed_by.email, order.customer.email']);
    const hits = await attribute({ 'shop/models.py': models, 'shop/who.py': code }, 'shop/who.py', EMAIL, [AUTH_USER, AUTH_GROUP]);
    expect(hits).toEqual([
      ['return order.placed_by.email, order.customer.email', 'dropped'],
      ['return order.placed_by.email, order.customer.email', 'certain'],
    ]);
  });
});
