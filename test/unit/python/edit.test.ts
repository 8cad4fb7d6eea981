import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import {
  applyEdits,
  assignmentOf,
  bodyStatements,
  docstringOf,
  findMethod,
  findModuleClass,
  indentLines,
  indentationAt,
  keywordArgument,
  lineContentEnd,
  lineEnd,
  lineEnding,
  lineStart,
  moduleClasses,
  nextLineStart,
  outerDefinition,
  startsLine,
  stringValue,
} from '../../../src/python/edit.js';
import { loadPythonParser, parsePython } from '../../../src/python/parser.js';

await loadPythonParser();

describe('applyEdits', () => {
  const source = 'a = 1\nb = 2\n';

  it('applies edits given in any order against the original text', () => {
    const edits = [
      { start: 10, end: 11, text: '20' },
      { start: 0, end: 1, text: 'alpha' },
    ];
    expect(applyEdits(source, edits, 'x.py')).toBe('alpha = 1\nb = 20\n');
  });

  it('keeps inserts at the same offset in the order given', () => {
    const edits = [
      { start: 6, end: 6, text: 'c = 3\n' },
      { start: 6, end: 6, text: 'd = 4\n' },
    ];
    expect(applyEdits(source, edits, 'x.py')).toBe('a = 1\nc = 3\nd = 4\nb = 2\n');
  });

  it('accepts an insert right where a replacement ends', () => {
    const edits = [
      { start: 5, end: 5, text: '  # note' },
      { start: 4, end: 5, text: '10' },
    ];
    expect(applyEdits(source, edits, 'x.py')).toBe('a = 10  # note\nb = 2\n');
  });

  it('treats overlapping edits as a programming error, not a user error', () => {
    const edits = [
      { start: 0, end: 3, text: '' },
      { start: 2, end: 4, text: '' },
    ];
    expect(() => applyEdits(source, edits, 'x.py')).toThrow(/overlapping edits/);
    expect(() => applyEdits(source, edits, 'x.py')).not.toThrow(BgScaffoldError);
  });

  it('refuses a result that does not parse, naming file and line', () => {
    expect(() => applyEdits(source, [{ start: 10, end: 11, text: '(' }], 'shop/models.py')).toThrow(BgScaffoldError);
    expect(() => applyEdits(source, [{ start: 10, end: 11, text: '(' }], 'shop/models.py')).toThrow(
      /^shop\/models\.py:\d+:\d+: /,
    );
  });
});

describe('line helpers', () => {
  const crlf = 'a = 1\r\n    b = 2  \r\nc\r\n';

  it('tell CRLF files from LF files', () => {
    expect(lineEnding(crlf)).toBe('\r\n');
    expect(lineEnding('a\nb\r\n')).toBe('\n');
    expect(lineEnding('no break')).toBe('\n');
  });

  it('find line starts, ends, content ends and indentation', () => {
    const b = crlf.indexOf('b');
    expect(lineStart(crlf, b)).toBe(7);
    expect(crlf[lineEnd(crlf, b)]).toBe('\n');
    expect(crlf.slice(lineStart(crlf, b), lineContentEnd(crlf, b))).toBe('    b = 2');
    expect(crlf.slice(nextLineStart(crlf, b))).toBe('c\r\n');
    expect(indentationAt(crlf, b)).toBe('    ');
    expect(startsLine(crlf, b)).toBe(true);
    expect(startsLine(crlf, b + 1)).toBe(false);
  });

  it('indent non-blank lines only', () => {
    expect(indentLines('if x:\n    y()\n\nz()', '    ', '\r\n')).toBe('    if x:\r\n        y()\r\n\r\n    z()');
  });
});

describe('syntax helpers', () => {
  const source = [
    'import dataclasses',
    '',
    '',
    '@dataclasses.dataclass',
    'class Point:',
    '    """A point."""',
    '',
    '    x: int = 0',
    '',
    '    @property',
    '    def norm(self):',
    '        """Length."""',
    '        return abs(self.x)',
    '',
    '',
    'def helper():',
    '    class Inner:',
    '        pass',
    '    return call(1, key="v", other=2)',
    '',
  ].join('\n');
  const root = parsePython(source).rootNode;

  it('find module-level classes, decorated or not, and not nested ones', () => {
    expect(moduleClasses(root).map((node) => node.childForFieldName('name')!.text)).toEqual(['Point']);
    expect(findModuleClass(root, 'Inner')).toBeNull();
    const point = findModuleClass(root, 'Point')!;
    expect(outerDefinition(point).text.startsWith('@dataclasses.dataclass')).toBe(true);
  });

  it('find body statements, docstrings, methods and assignments', () => {
    const point = findModuleClass(root, 'Point')!;
    expect(bodyStatements(point)).toHaveLength(3);
    expect(docstringOf(point)!.text).toBe('"""A point."""');
    const norm = findMethod(point, 'norm')!;
    expect(docstringOf(norm)!.text).toBe('"""Length."""');
    expect(assignmentOf(bodyStatements(point)[1]!)!.childForFieldName('left')!.text).toBe('x');
  });

  it('find keyword arguments of a call', () => {
    const call = root.descendantsOfType('call').find((node) => node?.text.startsWith('call('))!;
    expect(keywordArgument(call, 'key')!.childForFieldName('value')!.text).toBe('"v"');
    expect(keywordArgument(call, 'missing')).toBeNull();
  });

  it('decode string literals the way Python does', () => {
    const values = parsePython(
      `a = "q\\"x\\n"\nb = r"c:\\no"\nc = 'ab' "cd"\nd = f"{x}"\ne = """tri\nple"""\nf = "\\u00e4\\x41"\n`,
    ).rootNode.namedChildren.map((statement) => stringValue(assignmentOf(statement)!.childForFieldName('right')!));
    expect(values).toEqual(['q"x\n', 'c:\\no', 'abcd', null, 'tri\nple', 'äA']);
  });
});
