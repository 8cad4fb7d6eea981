/**
 * The model catalog's reader of class bodies from text (no parse): what it takes from a module, and
 * that strings and comments never end a block or open a bracket.
 */
import { describe, expect, it } from 'vitest';
import { blankStringsAndComments, keywordStringIn, readModuleText, splitArguments } from '../../../src/check/model-source.js';

const SOURCE = `"""Models.

class NotAClass(models.Model):
"""
from django.db import models
from oscar.core.loading import (
    get_class,
    get_model,  # the loader
)
from .abstract_models import *
import decimal as D

Order = get_model("order", "Order")

if not is_model_registered("order", "Line"):

    class Line(AbstractLine, models.Model, metaclass=Base):
        """A line: (not a bracket"""

        order = models.ForeignKey(
            "order.Order",  # a comment with ) in it
            on_delete=models.CASCADE,
            related_name="lines",
        )
        quantity = models.PositiveIntegerField(_("Quantity (units)"), default=1)
        label = "x = models.CharField("

        class Meta:
            abstract = True
            app_label = "order"

        def save(self, *args, **kwargs):
            self.cached_total = 3
            if self.quantity:
                self.flag: bool = True
            return super().save(*args, **kwargs)

        @property
        def total(self):
            return 1


def factory():
    class Inner(models.Model):
        x = models.IntegerField()
`;

describe('readModuleText', () => {
  const module = readModuleText(SOURCE);

  it('reads module-level classes, in if blocks too, never those in docstrings or functions', () => {
    expect(module.classes.map((cls) => cls.name)).toEqual(['Line']);
    const line = module.classes[0]!;
    expect(SOURCE.slice(line.start, line.start + 10)).toBe('class Line');
    expect(line.bases).toEqual(['AbstractLine', 'models.Model']);
  });

  it('reads fields with their arguments, across lines, strings and comments kept in the arguments', () => {
    const [order, quantity] = module.classes[0]!.fields;
    expect(order).toMatchObject({ name: 'order', callee: 'models.ForeignKey' });
    expect(keywordStringIn(order!.args, 'related_name')).toBe('lines');
    expect(splitArguments(order!.args)[0]).toBe('"order.Order"');
    expect(quantity).toMatchObject({ name: 'quantity', callee: 'models.PositiveIntegerField' });
    expect(module.classes[0]!.fields).toHaveLength(2);
  });

  it('reads Meta, the other names of the class, and self attributes', () => {
    const line = module.classes[0]!;
    expect(line).toMatchObject({ abstract: true, appLabel: 'order' });
    expect(line.names).toEqual(expect.arrayContaining(['order', 'quantity', 'label', 'Meta', 'save', 'total', 'cached_total', 'flag']));
  });

  it('reads imports, star imports and module-level assignments', () => {
    expect(module.imports.get('get_model')).toEqual({ module: 'oscar.core.loading', name: 'get_model' });
    expect(module.imports.get('models')).toEqual({ module: 'django.db', name: 'models' });
    expect(module.imports.get('D')).toEqual({ module: 'decimal', name: null });
    expect(module.starImports).toEqual(['.abstract_models']);
    expect(module.assignments.get('Order')).toBe('get_model("order", "Order")');
  });
});

describe('blankStringsAndComments', () => {
  it('keeps offsets and newlines, blanks string insides and comments, handles escapes and unterminated strings', () => {
    const source = 'a = "x(y)" # c(\nb = """q\n(r)""" + \'s\\\'t\'\nc = "open\nd = 1\n';
    const blank = blankStringsAndComments(source);
    expect(blank).toHaveLength(source.length);
    expect(blank).toBe('a = "    "     \nb = """ \n   """ + \'    \'\nc = "    \nd = 1\n');
  });
});
