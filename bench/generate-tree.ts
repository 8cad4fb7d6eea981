/**
 * A large synthetic Django project for the `check` benchmark: one `shop` app whose `Order.quantity`
 * is the field a change takes away, and many other apps full of look-alikes (`quantity_allocated`,
 * `myquantity`, `quantity_total`), prose that says "quantity" (docstrings, comments, log messages)
 * and, in a few files, real references to `Order.quantity`, each of which `check` must report.
 *
 * Deterministic (seeded), so every run measures the same tree. The generator counts the real
 * references it plants, so the benchmark can also assert that check found exactly those.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface TreeSize {
  /** Python files outside migrations (models, views, services, ...). */
  pythonFiles: number;
  templates: number;
  /** Python files per app. */
  filesPerApp?: number;
  /** Share of Python files whose prose mentions "quantity" as a word (docstrings, comments, logs). */
  proseShare?: number;
  /** Share of Python files (and templates) that really use `Order.quantity`. */
  referenceShare?: number;
  seed?: number;
}

export interface GeneratedTree {
  root: string;
  pythonFiles: number;
  templates: number;
  /** How many references to `Order.quantity` were planted (what check must report). */
  plantedReferences: number;
  /** Files with at least one planted reference. */
  filesWithReferences: number;
}

/** A small linear congruential generator: the same tree for the same seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const SHOP_MODELS = `from django.db import models


class Customer(models.Model):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=100)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    quantity = models.IntegerField()
    reference = models.CharField(max_length=20, unique=True)

    def __str__(self):
        return f"Order {self.reference}"
`;

const SHOP_INITIAL = `from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("email", models.EmailField(max_length=254, unique=True)),
                ("name", models.CharField(max_length=100)),
            ],
        ),
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("quantity", models.IntegerField()),
                ("reference", models.CharField(max_length=20, unique=True)),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="orders", to="shop.customer")),
            ],
        ),
    ]
`;

function appModels(app: string): string {
  return `from django.db import models


class StockLine(models.Model):
    sku = models.CharField(max_length=32)
    quantity_allocated = models.IntegerField(default=0)
    quantity_total = models.IntegerField(default=0)
    myquantity = models.IntegerField(default=0)

    class Meta:
        db_table = "${app}_stock_line"
`;
}

/** Functions full of look-alikes: none of these lines may be reported. */
function lookAlikeFunction(i: number, prose: boolean): string {
  const doc = prose ? 'Moves stock; the quantity on hand never goes below zero.' : 'Moves stock between lines.';
  const comment = prose ? '# quantity_allocated never exceeds the quantity on hand' : '# allocated never exceeds the total';
  const log = prose ? 'logger.info("quantity allocated for %s", line.pk)' : 'logger.info("allocated for %s", line.pk)';
  return `

def allocate_${i}(line, amount):
    """${doc}"""
    ${comment}
    line.quantity_allocated = F("quantity_allocated") + amount
    line.save(update_fields=["quantity_allocated"])
    ${log}
    if line.myquantity > line.quantity_total:
        raise ValueError("over-allocated")
    return line.myquantity


def report_${i}():
    rows = StockLine.objects.values("sku", "quantity_allocated").order_by("-quantity_total")
    totals = rows.aggregate(total=Sum("quantity_total"), left=Sum("myquantity"))
    return {"rows": list(rows), "quantity_allocated": totals["total"]}
`;
}

/** Real references to Order.quantity: three per function, all of which check must report. */
function referenceFunction(i: number): { text: string; references: number } {
  return {
    text: `

def order_units_${i}(order):
    bulk = Order.objects.filter(quantity__gte=50).values_list("id", flat=True)
    return order.quantity if order.pk in bulk else Order.objects.aggregate(n=Sum("quantity"))["n"]
`,
    references: 3,
  };
}

function pythonModule(app: string, index: number, prose: boolean, reference: boolean): { text: string; references: number } {
  const header = `"""${prose ? 'Stock helpers: the quantity on hand per line.' : 'Stock helpers.'} (${app}, module ${index})"""
import logging

from django.db.models import F, Sum

from shop.models import Order
from .models import StockLine

logger = logging.getLogger(__name__)
`;
  let text = header;
  let references = 0;
  for (let f = 0; f < 5; f++) text += lookAlikeFunction(f, prose);
  if (reference) {
    const planted = referenceFunction(index);
    text += planted.text;
    references += planted.references;
  }
  return { text, references };
}

function template(app: string, index: number, reference: boolean): { text: string; references: number } {
  const real = reference ? `\n  <td>{{ order.quantity }}</td>\n  {% if order.quantity > 50 %}<b>bulk</b>{% endif %}` : '';
  return {
    text: `{% extends "base.html" %}
{# ${app} line ${index}: shows quantity_allocated, never the order quantity #}
{% block content %}
<table>
{% for line in lines %}
  <tr>
    <td>{{ line.sku }}</td>
    <td>{{ line.quantity_allocated|default:0 }}</td>
    <td>{{ line.quantity_total|floatformat:0 }}</td>
    <td>{% if line.myquantity %}{{ line.myquantity }}{% endif %}</td>
  </tr>
{% endfor %}
</table>
<p>The quantity shown is per line.</p>${real}
{% endblock %}
`,
    references: reference ? 2 : 0,
  };
}

export function generateDjangoTree(root: string, size: TreeSize): GeneratedTree {
  const filesPerApp = size.filesPerApp ?? 100;
  const proseShare = size.proseShare ?? 0.2;
  const referenceShare = size.referenceShare ?? 0.02;
  const next = random(size.seed ?? 42);
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  write('manage.py', '#!/usr/bin/env python\nimport os\nimport sys\n\nif __name__ == "__main__":\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")\n    from django.core.management import execute_from_command_line\n\n    execute_from_command_line(sys.argv)\n');
  write('requirements.txt', 'Django==5.2\npsycopg[binary]\n');
  write('config/__init__.py', '');
  write('config/settings.py', 'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "bench"}}\n');
  write('shop/__init__.py', '');
  write('shop/models.py', SHOP_MODELS);
  write('shop/migrations/__init__.py', '');
  write('shop/migrations/0001_initial.py', SHOP_INITIAL);

  let pythonFiles = 1; // shop/models.py
  let plantedReferences = 0;
  let filesWithReferences = 0;
  const apps: string[] = [];
  for (let app = 0; pythonFiles < size.pythonFiles; app++) {
    const name = `stock${String(app).padStart(3, '0')}`;
    apps.push(name);
    write(`${name}/__init__.py`, '');
    write(`${name}/models.py`, appModels(name));
    write(`${name}/migrations/__init__.py`, '');
    pythonFiles += 1;
    for (let i = 0; i < filesPerApp - 1 && pythonFiles < size.pythonFiles; i++) {
      const reference = next() < referenceShare;
      const module = pythonModule(name, i, next() < proseShare, reference);
      write(`${name}/logic/module_${String(i).padStart(3, '0')}.py`, module.text);
      pythonFiles += 1;
      plantedReferences += module.references;
      if (reference) filesWithReferences += 1;
    }
  }
  for (let i = 0; i < size.templates; i++) {
    const app = apps[i % apps.length] ?? 'shop';
    const reference = next() < referenceShare * 2;
    const page = template(app, i, reference);
    write(`${app}/templates/${app}/line_${String(i).padStart(4, '0')}.html`, page.text);
    plantedReferences += page.references;
    if (reference) filesWithReferences += 1;
  }
  return { root, pythonFiles, templates: size.templates, plantedReferences, filesWithReferences };
}
