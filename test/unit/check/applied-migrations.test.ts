import { describe, expect, it } from 'vitest';
import { firstEdit } from '../../../src/check/applied-migrations.js';

const RENDERED = `BG_SCAFFOLD = {"change": "c", "op": "add-column", "phase": 2, "phases": 2}


def rating_for(row):
    """The value of Book.rating for an existing row that has none yet."""
    # >>> bg-scaffold c 2/2 todo
    # TODO: return rating for this row. Then delete the raise below and these marker lines.
    raise NotImplementedError("bg-scaffold c: complete rating_for()")
    # <<< bg-scaffold c 2/2


def fill_book_rating(apps, schema_editor):
    pass
`;

const lines = (text: string) => text.split('\n');
const lineOf = (text: string, needle: string) => lines(text).findIndex((line) => line.includes(needle)) + 1;
const between = (text: string, code: string) =>
  text.slice(0, text.indexOf('    # >>>')) + code + text.slice(text.indexOf('\n', text.indexOf('    # <<<')) + 1);

describe('a phase migration compared with the copy bg-scaffold rendered', () => {
  it('is unedited when equal, or when only its layout changed', () => {
    expect(firstEdit(RENDERED, RENDERED)).toBeNull();
    expect(firstEdit(RENDERED, RENDERED.replace(/\n/g, '\r\n').replace(/ {4}/g, '\t'))).toBeNull();
  });

  it('is unedited when the todo block, markers and all, gave way to the user’s code (or to nothing)', () => {
    expect(firstEdit(RENDERED, between(RENDERED, '    return row.pages // 100\n'))).toBeNull();
    expect(firstEdit(RENDERED, between(RENDERED, '    if row.pages:\n        return 1\n\n    return 0\n'))).toBeNull();
    expect(firstEdit(RENDERED, between(RENDERED, ''))).toBeNull();
    // Completed inside the markers, which the user kept.
    expect(firstEdit(RENDERED, RENDERED.replace(/ {4}raise NotImplementedError.*\n/, '    return 3\n'))).toBeNull();
  });

  it('is edited anywhere outside the todo block, at the line that differs', () => {
    const completed = between(RENDERED, '    return 3\n');
    const before = completed.replace('"""The value of Book.rating', '"""The value');
    expect(firstEdit(RENDERED, before)).toBe(lineOf(before, '"""The value for'));
    const after = completed.replace('    pass', '    return');
    expect(firstEdit(RENDERED, after)).toBe(lines(after).indexOf('    return') + 1);
    const header = `import os\n${completed}`;
    expect(firstEdit(RENDERED, header)).toBe(1);
    const notCompleted = RENDERED.replace('    pass', '    return');
    expect(firstEdit(RENDERED, notCompleted)).toBe(lines(notCompleted).indexOf('    return') + 1);
  });

  it('tolerates only todo blocks: another bg-scaffold block in a migration is compared like any code', () => {
    const rendered = RENDERED.replace('# >>> bg-scaffold c 2/2 todo', '# >>> bg-scaffold c 2/2 dual-write');
    expect(firstEdit(rendered, between(rendered, '    return 3\n'))).toBe(lineOf(rendered, '# >>> bg-scaffold'));
  });
});
