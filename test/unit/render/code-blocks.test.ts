import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import { loadPythonParser } from '../../../src/python/parser.js';
import { insertCodeBlock, removeCodeBlocks, type CodeBlockPlacement } from '../../../src/render/code-blocks.js';

await loadPythonParser();

const FILE = 'shop/models.py';
const MARKER = { change: 'order-qty', phase: 1, of: 2, role: 'dual-write' };

const MODELS = `# Größe — 数量 😀
from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)


# Orders placed by customers.
@register
class Order(models.Model):
    """An order."""

    quantity = models.IntegerField()

    def save(self, *args, **kwargs):
        """Keep the total in step."""

        self.total = self.quantity * 2
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        # no docstring here
        super().delete(*args, **kwargs)
`;

const place = (
  anchor: CodeBlockPlacement['anchor'],
  body: string,
  method: string | null = null,
): CodeBlockPlacement => ({
  model: 'Order',
  anchor,
  method,
  body,
});

describe('insertCodeBlock', () => {
  it('puts a module-level block above the class, its decorators and the comments on it, two blank lines around', () => {
    const out = insertCodeBlock(
      MODELS,
      FILE,
      place('before-class', 'def copy_quantity(order):\n    order.qty = order.quantity\n'),
      MARKER,
    );
    expect(out).toBe(
      MODELS.replace(
        '# Orders placed by customers.\n',
        '# >>> bg-scaffold order-qty 1/2 dual-write\ndef copy_quantity(order):\n    order.qty = order.quantity\n# <<< bg-scaffold order-qty 1/2\n\n\n# Orders placed by customers.\n',
      ),
    );
  });

  it('adds the blank lines PEP 8 wants when the class follows other code closely', () => {
    const tight = 'import x\nclass Order(models.Model):\n    pass\n';
    const out = insertCodeBlock(tight, FILE, place('before-class', 'X = 1'), MARKER);
    expect(out).toBe(
      'import x\n\n\n# >>> bg-scaffold order-qty 1/2 dual-write\nX = 1\n# <<< bg-scaffold order-qty 1/2\n\n\nclass Order(models.Model):\n    pass\n',
    );
  });

  it('appends a class-body block after the last statement, one blank line before, one blank line between methods', () => {
    const body = 'def sync(self):\n    self.qty = self.quantity\n\n\ndef other(self):\n    pass\n';
    const out = insertCodeBlock(MODELS, FILE, place('class-body-end', body), MARKER);
    expect(out).toBe(
      `${MODELS}\n    # >>> bg-scaffold order-qty 1/2 dual-write\n    def sync(self):\n        self.qty = self.quantity\n\n    def other(self):\n        pass\n    # <<< bg-scaffold order-qty 1/2\n`,
    );
  });

  it('starts a method body after its docstring, at the body indent', () => {
    const out = insertCodeBlock(
      MODELS,
      FILE,
      place('method-start', 'if self.qty is None:\n    self.qty = self.quantity', 'save'),
      MARKER,
    );
    expect(out).toBe(
      MODELS.replace(
        '"""Keep the total in step."""\n',
        '"""Keep the total in step."""\n        # >>> bg-scaffold order-qty 1/2 dual-write\n        if self.qty is None:\n            self.qty = self.quantity\n        # <<< bg-scaffold order-qty 1/2\n',
      ),
    );
  });

  it('starts a method body right after the def line when there is no docstring', () => {
    const out = insertCodeBlock(MODELS, FILE, place('method-start', 'log(self)', 'delete'), MARKER);
    expect(out).toContain(
      '    def delete(self, *args, **kwargs):\n        # >>> bg-scaffold order-qty 1/2 dual-write\n        log(self)\n        # <<< bg-scaffold order-qty 1/2\n        # no docstring here\n',
    );
  });

  it('keeps CRLF line endings', () => {
    const crlf = MODELS.replace(/\n/g, '\r\n');
    const out = insertCodeBlock(crlf, FILE, place('method-start', 'a = 1\nb = 2', 'save'), MARKER);
    expect(out.replace(/\r\n/g, '')).not.toContain('\n');
    expect(out).toContain('        a = 1\r\n        b = 2\r\n');
  });

  it('handles a file that does not end with a line break', () => {
    const out = insertCodeBlock('class Order(models.Model):\n    pass', FILE, place('class-body-end', 'x = 1'), MARKER);
    expect(out).toBe(
      'class Order(models.Model):\n    pass\n\n    # >>> bg-scaffold order-qty 1/2 dual-write\n    x = 1\n    # <<< bg-scaffold order-qty 1/2\n',
    );
  });

  it('puts a second block at the end of the body after the first, not inside it (a model without save())', () => {
    const plain = 'class Order(models.Model):\n    name = models.CharField(max_length=100)\n';
    let out = insertCodeBlock(plain, FILE, place('class-body-end', 'objects = Manager()'), { ...MARKER, role: 'manager' });
    out = insertCodeBlock(out, FILE, place('class-body-end', 'def save(self):\n    pass'), MARKER);
    expect(out).toBe(
      [
        'class Order(models.Model):',
        '    name = models.CharField(max_length=100)',
        '',
        '    # >>> bg-scaffold order-qty 1/2 manager',
        '    objects = Manager()',
        '    # <<< bg-scaffold order-qty 1/2',
        '',
        '    # >>> bg-scaffold order-qty 1/2 dual-write',
        '    def save(self):',
        '        pass',
        '    # <<< bg-scaffold order-qty 1/2',
        '',
      ].join('\n'),
    );
    expect(removeCodeBlocks(out, FILE, 'order-qty')).toEqual({ source: plain, removed: 2 });
  });

  it('keeps a comment at module level after the class outside the body', () => {
    const commented = 'class Order(models.Model):\n    name = 1\n# end of models\n';
    const out = insertCodeBlock(commented, FILE, place('class-body-end', 'x = 1'), MARKER);
    expect(out).toContain('    # <<< bg-scaffold order-qty 1/2\n# end of models\n');
  });

  it('refuses a missing method or class, and a body that would not parse', () => {
    expect(() => insertCodeBlock(MODELS, FILE, place('method-start', 'x = 1', 'clean'), MARKER)).toThrow(
      /has no method "clean"/,
    );
    expect(() => insertCodeBlock(MODELS, FILE, { ...place('before-class', 'x = 1'), model: 'Ordr' }, MARKER)).toThrow(
      BgScaffoldError,
    );
    expect(() => insertCodeBlock(MODELS, FILE, place('class-body-end', 'def broken(:'), MARKER)).toThrow(
      BgScaffoldError,
    );
  });
});

describe('removeCodeBlocks', () => {
  it('removes every block of the change, any phase, and restores the file byte for byte', () => {
    let out = insertCodeBlock(MODELS, FILE, place('before-class', 'X = 1'), MARKER);
    out = insertCodeBlock(out, FILE, place('class-body-end', 'def sync(self):\n    pass'), { ...MARKER, role: 'sync' });
    out = insertCodeBlock(out, FILE, place('method-start', 'self.sync()', 'save'), { ...MARKER, phase: 2 });
    const removed = removeCodeBlocks(out, FILE, 'order-qty');
    expect(removed.removed).toBe(3);
    expect(removed.source).toBe(MODELS);
  });

  it("leaves other changes' blocks alone", () => {
    const other = insertCodeBlock(MODELS, FILE, place('method-start', 'pass', 'save'), { ...MARKER, change: 'other' });
    const ours = insertCodeBlock(other, FILE, place('method-start', 'pass', 'delete'), MARKER);
    expect(removeCodeBlocks(ours, FILE, 'order-qty')).toEqual({ source: other, removed: 1 });
    expect(removeCodeBlocks(MODELS, FILE, 'order-qty')).toEqual({ source: MODELS, removed: 0 });
  });

  it('names file:line of an opening marker without its closing one', () => {
    const broken = insertCodeBlock(MODELS, FILE, place('method-start', 'pass', 'save'), MARKER).replace(
      '        # <<< bg-scaffold order-qty 1/2\n',
      '',
    );
    expect(() => removeCodeBlocks(broken, FILE, 'order-qty')).toThrow(BgScaffoldError);
    expect(() => removeCodeBlocks(broken, FILE, 'order-qty')).toThrow(
      /^shop\/models\.py:18: "# >>> bg-scaffold order-qty 1\/2 dual-write" has no closing/,
    );
  });
});
