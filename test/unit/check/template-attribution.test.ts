/**
 * Which model a template's `{{ line.quantity }}` belongs to: its loop, `with` or `set`, the views that
 * render the template (DetailView / ListView context, get_context_data, render()), its name; Django
 * and Jinja2 templates. `quantity` is a field of two line models, and `lines` the related name of both.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findReferences, type Reference } from '../../../src/check/references.js';

const MODELS = `from django.db import models


class Basket(models.Model):
    pass


class Order(models.Model):
    number = models.CharField(max_length=20)


class BasketLine(models.Model):
    basket = models.ForeignKey(Basket, on_delete=models.CASCADE, related_name="lines")
    quantity = models.IntegerField()


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    quantity = models.IntegerField()
`;

const VIEWS = `from django.shortcuts import render
from django.views.generic import DetailView, ListView

from .models import BasketLine, Order, OrderLine


class LineDetail(DetailView):
    model = OrderLine
    context_object_name = "line"
    template_name = "shop/line_detail.html"


class BasketLines(ListView):
    model = BasketLine
    template_name = "shop/basket_lines.html"


class OrderDetail(DetailView):
    model = Order
    template_name = "shop/order_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["lines"] = self.object.lines.all()
        return ctx


def summary(request):
    return render(request, "shop/summary.html", {"line": BasketLine.objects.get(pk=1)})
`;

const TEMPLATES: Record<string, string> = {
  'order.html': '{% for line in order.lines.all %}{{ line.quantity }}{% endfor %}\n',
  'basket.html': '{% for line in basket.lines.all %}{{ line.quantity }}{% endfor %}\n',
  'unknown.html': '{% for line in thing.lines.all %}{{ line.quantity }}{% endfor %}\n',
  'with.html': '{% with first=order.lines.first %}{{ first.quantity }}{% endwith %}\n{{ first.quantity }}\n',
  'line_detail.html': '{{ line.quantity }}\n{{ object.quantity }}\n',
  'basket_lines.html': '{% for l in object_list %}{{ l.quantity }}{% endfor %}\n',
  'order_detail.html': '{% for line in lines %}{{ line.quantity }}{% endfor %}\n',
  'summary.html': '{{ line.quantity }}\n',
  'order.jinja': [
    '{% for line in order.lines.all() %}{{ line.quantity }}{% endfor %}',
    '{% set b = basket.lines.first() %}{{ b.quantity }}',
    '{% raw %}{{ line.quantity }}{% endraw %}',
    '{#- line.quantity -#}',
    '',
  ].join('\n'),
};

let root: string;
let refs: Reference[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'bg-tpl-attr-'));
  const files: Record<string, string> = { 'manage.py': '', 'shop/__init__.py': '', 'shop/models.py': MODELS, 'shop/views.py': VIEWS };
  for (const [name, text] of Object.entries(TEMPLATES)) files[`shop/templates/shop/${name}`] = text;
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  refs = await findReferences(root, [{ app: 'shop', model: 'OrderLine', name: 'quantity', kind: 'field' }], { explain: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `line:column certainty` of the hits in one template. */
function hits(template: string): string[] {
  return refs.filter((ref) => ref.file === `shop/templates/shop/${template}`).map((ref) => `${ref.line}:${ref.column} ${ref.certainty}`);
}

describe('template attribution', () => {
  it('a loop over a relation of a variable named after its model', () => {
    expect(hits('order.html')).toEqual(['1:42 certain']);
    expect(hits('basket.html')).toEqual(['1:43 dropped']);
  });

  it('possible when nothing says which of the models with that relation it is', () => {
    expect(hits('unknown.html')).toEqual(['1:42 possible']);
    expect(refs.find((ref) => ref.file.endsWith('unknown.html'))!.reason).toMatch(/BasketLine.*OrderLine/);
  });

  it('a with block binds a name only inside it', () => {
    expect(hits('with.html')).toEqual(['1:44 certain', '2:10 possible']);
  });

  it('the DetailView that renders it: context_object_name and object', () => {
    expect(hits('line_detail.html')).toEqual(['1:9 certain', '2:11 certain']);
  });

  it('the ListView that renders it: object_list', () => {
    expect(hits('basket_lines.html')).toEqual(['1:32 dropped']);
  });

  it('keys set by get_context_data', () => {
    expect(hits('order_detail.html')).toEqual(['1:32 certain']);
  });

  it('the context dict of a render() call', () => {
    expect(hits('summary.html')).toEqual(['1:9 dropped']);
  });

  it('a Jinja2 template: calls with parentheses, set, raw blocks and comments', () => {
    expect(hits('order.jinja')).toEqual(['1:44 certain', '2:40 dropped']);
  });
});
