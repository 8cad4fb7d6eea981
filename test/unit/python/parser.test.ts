import { beforeAll, describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import {
  assertParses,
  firstSyntaxError,
  loadPythonParser,
  parsePython,
  positionOf,
} from '../../../src/python/parser.js';

beforeAll(async () => {
  await loadPythonParser();
});

describe('loadPythonParser', () => {
  it('can be awaited again and again', async () => {
    await loadPythonParser();
    await loadPythonParser();
    expect(parsePython('x = 1\n').rootNode.type).toBe('module');
  });
});

describe('node offsets', () => {
  it('are JS string indices (UTF-16 code units), not UTF-8 bytes, after non-ASCII text', () => {
    const source = [
      '# Größe — 数量 😀 (an emoji is two UTF-16 code units, four UTF-8 bytes)',
      'class Order(models.Model):',
      '    label = models.CharField(default="Ä")',
      '    quantity = models.IntegerField()',
      '',
    ].join('\n');
    const tree = parsePython(source);
    const field = tree.rootNode.descendantsOfType('identifier').find((node) => node?.text === 'quantity')!;
    expect(field.startIndex).toBe(source.indexOf('quantity'));
    expect(source.slice(field.startIndex, field.endIndex)).toBe('quantity');
    expect(Buffer.byteLength(source.slice(0, field.startIndex))).toBeGreaterThan(field.startIndex);
  });
});

describe('assertParses', () => {
  it('returns the tree of valid Python', () => {
    expect(assertParses('class A:\n    pass\n', 'a.py').rootNode.hasError).toBe(false);
  });

  it('names file:line:column of the first error in one line', () => {
    const source =
      'from django.db import models\n\n\nclass Order(models.Model):\n    quantity = models.IntegerField(\n    note = 1\n';
    expect(() => assertParses(source, 'shop/models.py')).toThrow(BgScaffoldError);
    try {
      assertParses(source, 'shop/models.py');
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(
        /^shop\/models\.py:\d+:\d+: does not parse as Python; fix the syntax error and run bg-scaffold again$/,
      );
      expect(message).not.toContain('\n');
    }
  });

  it('finds a missing token (MISSING node) too', () => {
    const source = 'def f(:\n    pass\n';
    const error = firstSyntaxError(parsePython(source))!;
    expect(error.isMissing || error.isError).toBe(true);
    expect(() => assertParses(source, 'x.py')).toThrow('x.py:1:7: does not parse as Python');
  });

  it('counts columns in characters after non-ASCII text', () => {
    expect(() => assertParses('s = "Größe" +\n', 'x.py')).toThrow(/^x\.py:1:\d+:/);
    expect(positionOf('ä😀\nab', 5)).toEqual({ line: 2, column: 2 });
  });
});
