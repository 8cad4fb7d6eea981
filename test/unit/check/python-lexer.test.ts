import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { lexicalContexts, lexPython } from '../../../src/check/python-lexer.js';
import { classifyFieldOccurrence } from '../../../src/check/python-references.js';
import { scanSource, type ReferenceTarget } from '../../../src/check/references.js';
import { loadPythonParser, parsePython } from '../../../src/python/parser.js';

const QUANTITY: ReferenceTarget = { app: 'shop', model: 'Order', name: 'quantity', kind: 'field' };

/** The context of every occurrence of `quantity` in `source`. */
function contexts(source: string): unknown[] {
  const indices: number[] = [];
  for (let i = source.indexOf('quantity'); i !== -1; i = source.indexOf('quantity', i + 1)) indices.push(i);
  return lexicalContexts(source, indices).map((context) => (context.in === 'string' ? `string:${context.text}` : context.in));
}

describe('lexicalContexts: the shortcut that spares parsing', () => {
  it('tells code, comments and plain strings apart', () => {
    expect(contexts('x = order.quantity  # quantity\ny = "quantity"\n')).toEqual(['code', 'comment', 'string:quantity']);
  });

  it('knows triple-quoted docstrings span lines, and a # inside a string is not a comment', () => {
    expect(contexts('"""\nThe quantity.\n"""\ns = "# not a comment"; order.quantity\n')).toEqual(['string:\nThe quantity.\n', 'code']);
  });

  it('is not fooled by escaped quotes, in plain and raw strings', () => {
    expect(contexts('a = "say \\"hi\\""; b = order.quantity\n')).toEqual(['code']);
    expect(contexts('a = r"\\""; b = order.quantity\n')).toEqual(['code']);
    expect(contexts("a = 'it''s'; b = order.quantity\n")).toEqual(['code']);
  });

  it('reads string prefixes, but not a name glued to a quote', () => {
    expect(contexts('a = rb"quantity"\n')).toEqual(['string:quantity']);
  });

  it('gives up (unknown) inside f-strings with interpolations, so the parser decides', () => {
    expect(contexts('a = f"{order.quantity}"\n')).toEqual(['unknown']);
    expect(contexts('a = f"{order["x"]} quantity"; b = order.quantity\n')).toEqual(['unknown', 'unknown']);
    expect(contexts('a = f"{{quantity}}"\n')).toEqual(['unknown']);
  });

  it('gives up on an unterminated string', () => {
    expect(contexts('a = "quantity\nb = order.quantity\n')).toEqual(['unknown', 'unknown']);
  });
});

describe('findReferences with the shortcut: nothing is lost', () => {
  beforeAll(async () => {
    await loadPythonParser();
  });
  const hits = (source: string) => scanSource({ path: 'a.py', language: 'python' }, source, [QUANTITY]).map((ref) => ref.kind);

  it('finds a reference inside an f-string that nests quotes (Python 3.12)', () => {
    expect(hits('label = f"{order["ref"]}: {order.quantity}"\n')).toEqual(['attribute']);
  });

  it('finds a field path string even when prose strings mention the name too', () => {
    expect(hits('"""The quantity helpers."""\nrows = Order.objects.values("quantity")\n')).toEqual(['orm-string']);
  });

  it('finds nothing in a file whose every mention is prose', () => {
    expect(hits('"""The quantity helpers."""\n# quantity\nlog.info("quantity changed")\n')).toEqual([]);
  });
});

describe('lexPython: top-level statements, so that only the statements around an occurrence are parsed', () => {
  const starts = (source: string) => {
    const at = source.lastIndexOf('LAST');
    return lexPython(source, [at]).statements!.map((start) => source.slice(start, source.indexOf('\n', start)));
  };

  it('keeps decorators with their definition, and else/except/finally with their statement', () => {
    const source = [
      'import os',
      '@admin.register(Order)',
      '@other',
      'class A:',
      '    pass',
      'try:',
      '    x = 1',
      'except ValueError:',
      '    pass',
      'finally:',
      '    pass',
      'if x:',
      '    y = 1',
      'elif z:',
      '    y = 2',
      'else:',
      '    y = 3',
      'LAST = 1',
      'after = 2',
      'never = 3',
      '',
    ].join('\n');
    expect(starts(source)).toEqual(['import os', '@admin.register(Order)', 'try:', 'if x:', 'LAST = 1', 'after = 2']);
  });

  it('does not cut inside brackets, strings, after a backslash, or at comment lines', () => {
    const source = [
      'x = [',
      'quantity,',
      ']',
      'doc = """',
      'not a statement',
      '"""',
      'y = 1 + \\',
      '2',
      '# a comment at column 0',
      'LAST = 1',
      '',
    ].join('\n');
    expect(starts(source)).toEqual(['x = [', 'doc = """', 'y = 1 + \\', 'LAST = 1']);
  });
});

describe('the shortcuts agree with classifying every occurrence on the whole file', () => {
  beforeAll(async () => {
    await loadPythonParser();
  });
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const corpus: Array<[string, string]> = [
    ...['services.py', 'admin.py', 'views.py', 'models.py'].map((name): [string, string] => [name, readFileSync(join(repo, 'examples/shop/shop', name), 'utf8')]),
    [
      'tricky.py',
      [
        '@admin.display(ordering="quantity")',
        'def units(obj):',
        '    return obj.quantity',
        'try:',
        '    pass',
        'except KeyError:',
        '    Order.objects.filter(quantity=1)',
        'x = [',
        '"quantity",',
        ']',
        'class Order(models.Model):',
        '    """quantity"""',
        '    quantity = models.IntegerField()',
        '    def total(self):',
        '        return self.quantity  # quantity',
        'y = f"{order.quantity}" + "quantity"',
        'cursor.execute("SELECT quantity FROM t")',
        'z = 1 + \\',
        '    order.quantity',
        '',
      ].join('\n'),
    ],
  ];

  it.each(corpus)('%s', (path, source) => {
    const occurrences: number[] = [];
    for (let i = source.indexOf('quantity'); i !== -1; i = source.indexOf('quantity', i + 1)) occurrences.push(i);
    const tree = parsePython(source);
    const expected = occurrences
      .map((index) => [index, classifyFieldOccurrence(tree.rootNode, index, 'quantity', 'Order', true)] as const)
      .filter(([, kind]) => kind !== null)
      .map(([index, kind]) => `${index} ${kind}`);
    tree.delete();
    const lines = source.split('\n');
    const indexOf = (line: number, column: number) => lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0) + column - 1;
    const actual = scanSource({ path: `shop/${path}`, language: 'python' }, source, [QUANTITY], true).map((ref) => `${indexOf(ref.line, ref.column)} ${ref.kind}`);
    expect(actual).toEqual(expected);
    expect(actual.length).toBeGreaterThan(0);
  });
});
