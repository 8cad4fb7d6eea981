import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findReferences, scanSource, type ReferenceTarget } from '../../../src/check/references.js';
import { loadPythonParser } from '../../../src/python/parser.js';

const QUANTITY: ReferenceTarget = { app: 'shop', model: 'Order', name: 'quantity', kind: 'field' };
const SHIPMENT: ReferenceTarget = { app: 'shop', model: 'Shipment', name: 'Shipment', kind: 'model' };

beforeAll(async () => {
  await loadPythonParser();
});

/** The lines of a Python source where `quantity` is reported, as [line text, kind]. */
function pythonHits(source: string, target: ReferenceTarget = QUANTITY): Array<[string, string]> {
  return scanSource({ path: 'shop/services.py', language: 'python' }, source, [target]).map((ref) => [ref.text, ref.kind]);
}

function templateHits(source: string): Array<[string, string]> {
  return scanSource({ path: 'shop/templates/shop/order.html', language: 'template' }, source, [QUANTITY]).map((ref) => [
    ref.text,
    ref.kind,
  ]);
}

describe('findReferences in Python: what counts as a reference to a field', () => {
  it.each([
    ['attribute access', 'total = order.quantity * price', 'attribute'],
    ['attribute on self', '        return self.product.price * self.quantity', 'attribute'],
    ['attribute assignment', 'order.quantity = 3', 'attribute'],
    ['an f-string interpolation', 'label = f"{order.quantity} units"', 'attribute'],
    ['a keyword lookup', 'Order.objects.create(customer=c, quantity=2)', 'lookup'],
    ['a lookup with a transform', 'Order.objects.filter(quantity__gte=50)', 'lookup'],
    ['a lookup across a relation', 'Shipment.objects.filter(order__quantity__lt=3)', 'lookup'],
    ['a splatted lookup dict', 'Order.objects.filter(**{"quantity__gte": 3})', 'lookup'],
    ['F()', 'Order.objects.update(quantity=F("quantity") + 1)', 'lookup'],
    ['values()', 'Order.objects.values("product__sku", "quantity")', 'orm-string'],
    ['values_list()', 'Order.objects.values_list("quantity", flat=True)', 'orm-string'],
    ['only()', 'Order.objects.only("quantity")', 'orm-string'],
    ['defer()', 'Order.objects.defer("quantity")', 'orm-string'],
    ['order_by() descending', 'Order.objects.order_by("-quantity")', 'orm-string'],
    ['an aggregate', 'totals = orders.aggregate(units=Sum("quantity"))', 'orm-string'],
    ['getattr', 'value = getattr(order, "quantity")', 'orm-string'],
    ['update_fields', 'order.save(update_fields=["status", "quantity"])', 'field-list'],
    ['refresh_from_db(fields=...)', 'order.refresh_from_db(fields=["quantity"])', 'field-list'],
    ['bulk_update', 'Order.objects.bulk_update(orders, ["quantity"])', 'orm-string'],
    ['defaults of update_or_create', 'Order.objects.update_or_create(reference=r, defaults={"quantity": 1})', 'field-list'],
    ['a serializer source', 'units = serializers.IntegerField(source="quantity")', 'field-list'],
    ['raw SQL in a cursor', 'cursor.execute("SELECT id, quantity FROM shop_order WHERE id = %s", [pk])', 'raw-sql'],
    ['raw SQL in an f-string', 'cursor.execute(f"UPDATE {table} SET quantity = 0")', 'raw-sql'],
    ['Manager.raw()', 'Order.objects.raw("SELECT * FROM shop_order ORDER BY quantity")', 'raw-sql'],
    ['RawSQL', 'qs.annotate(double=RawSQL("quantity * 2", []))', 'raw-sql'],
    ['QuerySet.extra()', 'qs.extra(where=["quantity > 5"])', 'raw-sql'],
  ])('finds %s', (_what, line, kind) => {
    const hits = pythonHits(`${line}\n`);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every(([text]) => text === line.trim())).toBe(true);
    expect(hits.map(([, k]) => k)).toContain(kind);
  });

  it('finds the field lists of admin classes, forms and DRF serializers', () => {
    const source = [
      'class OrderAdmin(admin.ModelAdmin):',
      '    list_display = ["reference", "quantity", "status"]',
      '    list_filter = ("status", "quantity")',
      '    readonly_fields = ["quantity"]',
      '    search_fields = ["=quantity", "reference"]',
      '    ordering = ["-quantity"]',
      '    fieldsets = [(None, {"fields": ["reference", "quantity"]})]',
      '',
      'class OrderForm(forms.ModelForm):',
      '    class Meta:',
      '        model = Order',
      '        fields = ["customer", "quantity"]',
      '        widgets = {"quantity": forms.NumberInput()}',
      '',
      'class OrderSerializer(serializers.ModelSerializer):',
      '    class Meta:',
      '        model = Order',
      '        fields = ("id", "quantity")',
      '        read_only_fields = ["quantity"]',
      '        extra_kwargs = {"quantity": {"min_value": 1}}',
      '',
    ].join('\n');
    const lines = pythonHits(source).map(([text]) => text.split(' = ')[0]);
    expect(lines).toEqual([
      'list_display',
      'list_filter',
      'readonly_fields',
      'search_fields',
      'ordering',
      'fieldsets',
      'fields',
      'widgets',
      'fields',
      'read_only_fields',
      'extra_kwargs',
    ]);
  });

  it('reports line and column of the name itself, after non-ASCII text', () => {
    const source = '# Größe 😀\nx = "é"; y = order.quantity\n';
    const [ref] = scanSource({ path: 'a.py', language: 'python' }, source, [QUANTITY]);
    expect(ref).toMatchObject({ line: 2, column: source.split('\n')[1]!.indexOf('quantity') + 1 });
  });
});

describe('findReferences in Python: what does not count', () => {
  it.each([
    ['a look-alike attribute', 'left = line.quantity_allocated'],
    ['a look-alike with a prefix', 'x = order.myquantity'],
    ['a look-alike lookup', 'Order.objects.filter(quantity_allocated__gte=1)'],
    ['a look-alike string', 'Order.objects.values("quantity_allocated")'],
    ['a comment', 'x = 1  # quantity is checked elsewhere'],
    ['a comment with code in it', '# order.quantity = F("quantity")'],
    ['a docstring', 'def f():\n    """Returns the quantity."""'],
    ['a one-word docstring', 'def f():\n    """quantity"""'],
    ['a log message', 'logger.info("quantity changed for %s", order.pk)'],
    ['an exception message', 'raise ValueError("quantity")'],
    ['a context dict key', 'context = {"quantity": 3}'],
    ['a plain variable', 'def place_order(product, quantity):\n    return quantity * 2'],
    ['a module constant', 'BULK_ORDER_QUANTITY = 50'],
    ['a string that is not a field path', 'Order.objects.values("quantity of items")'],
    ['a byte string', 'x = Order.objects.values(b"quantity")'],
    ['text in an f-string', 'msg = f"quantity: {n}"'],
    ['the field definition in its model', 'class Order(models.Model):\n    quantity = models.IntegerField()'],
    ['a dict access with the name as a key', 'row["quantity"]'],
    ['a look-alike column in raw SQL', 'cursor.execute("SELECT quantity_allocated FROM stock")'],
    ['SQL-like prose in a log message', 'logger.info("update of quantity failed")'],
  ])('ignores %s', (_what, source) => {
    expect(pythonHits(`${source}\n`)).toEqual([]);
  });

  it('ignores code generated by bg-scaffold, and lines marked "bg-scaffold: ignore"', () => {
    const source = [
      'class Order(models.Model):',
      '    qty = models.IntegerField(db_column="quantity")  # bg-scaffold: order-quantity-to-qty 1/1 renamed',
      '    # >>> bg-scaffold order-quantity-to-qty 1/4 dual-write',
      '    def save(self, *args, **kwargs):',
      '        self.qty = self.quantity',
      '    # <<< bg-scaffold order-quantity-to-qty 1/4',
      '',
      'x = line.quantity  # bg-scaffold: ignore (LineItem.quantity, not Order.quantity)',
      'y = order.quantity',
      '',
    ].join('\n');
    expect(pythonHits(source)).toEqual([['y = order.quantity', 'attribute']]);
  });
});

describe('findReferences in Python: a model', () => {
  it('finds the class name in imports, managers, FK targets and strings', () => {
    const source = [
      'from shop.models import Order, Shipment',
      'from shop import models as shop_models',
      'def f(order):',
      '    return Shipment.objects.filter(order=order)',
      'class Parcel(models.Model):',
      '    shipment = models.ForeignKey("Shipment", on_delete=models.CASCADE)',
      '    other = models.ForeignKey("shop.Shipment", on_delete=models.CASCADE)',
      '    lower = models.ForeignKey("shop.shipment", on_delete=models.CASCADE)',
      '    direct = models.ForeignKey(shop_models.Shipment, on_delete=models.CASCADE)',
      'Model = apps.get_model("shop", "Shipment")',
      '',
    ].join('\n');
    expect(pythonHits(source, SHIPMENT)).toEqual([
      ['from shop.models import Order, Shipment', 'model-name'],
      ['return Shipment.objects.filter(order=order)', 'model-name'],
      ['shipment = models.ForeignKey("Shipment", on_delete=models.CASCADE)', 'model-string'],
      ['other = models.ForeignKey("shop.Shipment", on_delete=models.CASCADE)', 'model-string'],
      ['lower = models.ForeignKey("shop.shipment", on_delete=models.CASCADE)', 'model-string'],
      ['direct = models.ForeignKey(shop_models.Shipment, on_delete=models.CASCADE)', 'model-name'],
      ['Model = apps.get_model("shop", "Shipment")', 'model-string'],
    ]);
  });

  it('ignores look-alike classes, prose, the definition and another app\'s model', () => {
    const source = [
      'class Shipment(models.Model):',
      '    """A Shipment leaves the warehouse."""',
      'class ShipmentAdmin(admin.ModelAdmin):',
      '    pass',
      'shipment = ShipmentInline',
      'label = "Shipment"',
      'x = models.ForeignKey("billing.Shipment", on_delete=models.CASCADE)',
      '# Shipment is going away',
      '',
    ].join('\n');
    expect(pythonHits(source, SHIPMENT)).toEqual([]);
  });
});

describe('findReferences in templates', () => {
  it.each([
    ['a variable', '<td>{{ line.quantity }}</td>'],
    ['a variable with a filter', '<td>{{ line.quantity|floatformat:0 }}</td>'],
    ['a nested variable', '{{ shipment.order.quantity }}'],
    ['a filter argument', '{{ value|default:order.quantity }}'],
    ['an if tag', '{% if order.quantity > 50 %}bulk{% endif %}'],
    ['a for tag', '{% for unit in order.quantity.units %}x{% endfor %}'],
    ['a with tag', '{% with units=order.quantity %}{{ units }}{% endwith %}'],
  ])('finds %s', (_what, source) => {
    expect(templateHits(`${source}\n`)).toEqual([[source, 'template']]);
  });

  it.each([
    ['text outside tags', '<p>order.quantity is shown below</p>'],
    ['a look-alike', '{{ line.quantity_allocated }}'],
    ['a bare context variable', '{{ quantity }}'],
    ['a filter named like it', '{{ value|quantity }}'],
    ['a string literal in a tag', '{% trans "order.quantity" %}'],
    ['a comment', '{# order.quantity #}'],
    ['a comment block', '{% comment %}{{ order.quantity }}{% endcomment %}'],
    ['a verbatim block', '{% verbatim %}{{ order.quantity }}{% endverbatim %}'],
    ['an ignored line', '{{ line.quantity }} {# bg-scaffold: ignore #}'],
  ])('ignores %s', (_what, source) => {
    expect(templateHits(`${source}\n`)).toEqual([]);
  });
});

describe('findReferences over a project tree', () => {
  let root: string;
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bg-refs-'));
    write('shop/views.py', 'def v(order):\n    return order.quantity\n');
    write('shop/templates/shop/o.html', '{{ order.quantity }}\n');
    write('shop/templates/shop/o.txt', 'Units: {{ order.quantity }}\n');
    write('shop/static/readme.txt', '{{ order.quantity }}\n');
    write('shop/migrations/0004_order_qty.py', 'x = F("quantity")\n');
    write('.bg-scaffold/order-quantity-to-qty/phase-2/0005_x.py', 'order.quantity\n');
    write('.venv/lib/site.py', 'order.quantity\n');
    write('shop/stock.py', 'def f(line):\n    return line.quantity_allocated  # quantity\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reports Python and templates, never migrations, records, virtualenvs or non-template text files', async () => {
    const refs = await findReferences(root, [QUANTITY]);
    expect(refs.map((ref) => `${ref.file}:${ref.line}:${ref.column} ${ref.kind}`)).toEqual([
      'shop/templates/shop/o.html:1:10 template',
      'shop/templates/shop/o.txt:1:17 template',
      'shop/views.py:2:18 attribute',
    ]);
    expect(refs[2]).toMatchObject({ target: QUANTITY, text: 'return order.quantity' });
  });

  it('honours the exclude option and reports progress', async () => {
    const seen: number[] = [];
    const refs = await findReferences(root, [QUANTITY], {
      exclude: (path) => path.endsWith('.html'),
      onProgress: (done) => seen.push(done),
    });
    expect(refs.map((ref) => ref.file)).toEqual(['shop/templates/shop/o.txt', 'shop/views.py']);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('returns nothing for no targets', async () => {
    expect(await findReferences(root, [])).toEqual([]);
  });
});

describe('findReferences in a git work tree', () => {
  let root: string;
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], { cwd: root, stdio: 'ignore' });

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'bg-refs-git-'));
    write('.gitignore', 'build/\n');
    write('shop/views.py', 'def v(order):\n    return order.quantity\n');
    write('shop/gone.py', 'def g(order):\n    return order.quantity\n');
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'tracked');
    rmSync(join(root, 'shop/gone.py'));
    write('shop/new_view.py', 'def n(order):\n    return order.quantity\n');
    write('build/lib/shop/views.py', 'def v(order):\n    return order.quantity\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads what a pre-commit hook sees: tracked files, and untracked ones git does not ignore', async () => {
    const refs = await findReferences(root, [QUANTITY]);
    // Not build/ (ignored), not shop/gone.py (tracked, deleted from the tree).
    expect(refs.map((ref) => `${ref.file}:${ref.line}`)).toEqual(['shop/new_view.py:2', 'shop/views.py:2']);
  });
});
