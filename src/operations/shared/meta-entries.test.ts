import { describe, expect, it } from 'vitest';
import { field, orderModel } from '../../../test/support/plan-fixtures.js';
import { loadPythonParser } from '../../python/parser.js';
import { metaEntryExtras, metaEntrySource, parseExpressions } from './meta-entries.js';

await loadPythonParser();

const model = orderModel([...orderModel().fields, field('placed_at', 'DateTimeField'), field('email', 'EmailField')]);
const extras = (request: Parameters<typeof metaEntryExtras>[0], fields: string[] | null = null, database: 'postgresql' | 'sqlite' = 'postgresql') =>
  metaEntryExtras(request, model, { database, fields, nameGiven: true, kind: 'index' });

describe('Meta entries beyond plain fields', () => {
  describe('--expressions: Django expressions, written through models so that no import is needed', () => {
    it.each([
      ['Lower("email")', 'models.functions.Lower("email")', ['email']],
      ["Lower('email').desc(), F(\"placed_at\").desc(), \"status\"", "models.functions.Lower('email').desc(), models.F(\"placed_at\").desc(), \"status\"", ['email', 'placed_at', 'status']],
      ['F("quantity") * 2', 'models.F("quantity") * 2', ['quantity']],
      ['Coalesce("note", Value("none"))', 'models.functions.Coalesce("note", models.Value("none"))', ['note']],
      ['ExtractYear("placed_at"), models.functions.Upper("status")', 'models.functions.ExtractYear("placed_at"), models.functions.Upper("status")', ['placed_at', 'status']],
    ])('%s', (given, written, fields) => {
      expect(parseExpressions(given, model)).toEqual({ source: written, fields });
    });

    it.each([
      ['Lower("colour")', /--expressions names "colour" in Lower\(\), which is not a field of Order/],
      ['"colour"', /--expressions names "colour" as an expression, which is not a field of Order/],
      ['"-placed_at"', /--expressions: "-placed_at" is not a field name; among expressions, write a descending field as F\("placed_at"\)\.desc\(\)/],
      ['Slugify("note")', /--expressions: Slugify\(\) is not one of Django's functions or expressions/],
      ['Lower("note"', /--expressions "Lower\("note"" does not parse as Python arguments/],
      ['Value(1)', /names no field of Order/],
      ['', /--expressions is empty/],
    ])('refuses %s', (given, message) => {
      expect(() => parseExpressions(given, model)).toThrow(message);
    });
  });

  it('include and opclasses are checked against the model and the fields, and are PostgreSQL\'s', () => {
    expect(extras({ include: 'status, placed_at', opclasses: 'varchar_pattern_ops' }, ['reference'])).toMatchObject({ include: ['status', 'placed_at'], opclasses: ['varchar_pattern_ops'] });
    expect(() => extras({ include: 'reference' }, ['reference'])).toThrow(/--include: reference is one of the key fields already/);
    expect(() => extras({ include: 'colour' }, ['reference'])).toThrow(/--include: Order has no field "colour"/);
    expect(() => extras({ opclasses: 'a_ops,b_ops' }, ['reference'])).toThrow(/--opclasses gives 2 operator classes for 1 field; give one per field of --fields/);
    expect(() => extras({ opclasses: 'text_pattern_ops' })).toThrow(/--opclasses goes with --fields/);
    expect(() => extras({ include: 'status' }, ['reference'], 'sqlite')).toThrow(/--include is PostgreSQL's; Django leaves it out on sqlite/);
    expect(() => metaEntryExtras({ expressions: 'Lower("email")' }, model, { database: 'postgresql', fields: null, nameGiven: false, kind: 'index' })).toThrow(/--expressions needs --name/);
  });

  it('is written as makemigrations writes it: expressions first, keyword arguments sorted by name', () => {
    const written = metaEntrySource('UniqueConstraint', {
      fields: ['customer', 'reference'],
      name: 'order_ref_uniq',
      condition: 'models.Q(status="new")',
      extras: { expressions: null, expressionFields: [], include: ['note'], opclasses: ['int4_ops', 'varchar_ops'], nullsNotDistinct: true },
    });
    expect(written).toBe('models.UniqueConstraint(condition=models.Q(status="new"), fields=["customer", "reference"], include=["note"], name="order_ref_uniq", nulls_distinct=False, opclasses=["int4_ops", "varchar_ops"])');
  });
});
