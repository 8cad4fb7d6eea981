import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import type { ModelEdit } from '../../../src/operations/shared/types.js';
import { loadPythonParser } from '../../../src/python/parser.js';
import { applyModelEdits } from '../../../src/render/model-edits.js';

await loadPythonParser();

const FILE = 'shop/models.py';
const MARKER = { change: 'order-add-priority', phase: 1, of: 2 };

/** Non-ASCII before the target (offsets are UTF-16), a comment between fields, a multi-line last field. */
const MODELS = `# Größe 😀
from django.db import models


class Order(models.Model):
    """An order."""

    quantity = models.IntegerField()  # user note
    # the back office filters on it
    status = models.CharField(
        max_length=20,
        db_index=True,
    )

    objects = models.Manager()

    def __str__(self):
        return "order"


class Empty(models.Model):
    """Nothing yet."""

    def __str__(self):
        return "empty"
`;

const lines = (text: string) => text.split('\n');
const lineOf = (text: string, needle: string) => lines(text).findIndex((line) => line.includes(needle));

function insert(overrides: Partial<Extract<ModelEdit, { kind: 'insert-field' }>> = {}, source = MODELS): string {
  const edit: ModelEdit = {
    kind: 'insert-field',
    model: 'Order',
    after: null,
    name: 'priority',
    call: 'models.IntegerField(null=True)',
    note: 'added, nullable until filled',
    ...overrides,
  };
  return applyModelEdits(source, FILE, [edit], MARKER);
}

/** The output is the input with exactly `added` lines inserted at `at`. */
function expectInsertedAt(before: string, after: string, at: number, added: string[]) {
  const b = lines(after);
  expect(b.slice(at, at + added.length)).toEqual(added);
  expect([...b.slice(0, at), ...b.slice(at + added.length)].join('\n')).toBe(before);
}

describe('insert-field', () => {
  it("goes after the model's last field (a multi-line one), marked, and nothing else changes", () => {
    const out = insert();
    const closing = lineOf(MODELS, 'db_index=True,') + 1;
    expectInsertedAt(MODELS, out, closing + 1, [
      '    priority = models.IntegerField(null=True)  # bg-scaffold: order-add-priority 1/2 added, nullable until filled',
    ]);
  });

  it('goes right after a named field, past its trailing comment', () => {
    const out = insert({ after: 'quantity', note: '' });
    expectInsertedAt(MODELS, out, lineOf(MODELS, 'quantity =') + 1, [
      '    priority = models.IntegerField(null=True)  # bg-scaffold: order-add-priority 1/2',
    ]);
  });

  it('lays a long call out one argument per line, marker after the opening parenthesis', () => {
    const call = 'models.ForeignKey("Customer", on_delete=models.SET_NULL, null=True, related_name="referrals")';
    const out = insert({ name: 'referred_by', call, note: 'added' });
    const closing = lineOf(MODELS, 'db_index=True,') + 1;
    expectInsertedAt(MODELS, out, closing + 1, [
      '    referred_by = models.ForeignKey(  # bg-scaffold: order-add-priority 1/2 added',
      '        "Customer",',
      '        on_delete=models.SET_NULL,',
      '        null=True,',
      '        related_name="referrals",',
      '    )',
    ]);
  });

  it('is the first statement after the docstring of a model without fields', () => {
    const out = insert({ model: 'Empty' });
    expectInsertedAt(MODELS, out, lineOf(MODELS, '"""Nothing yet."""') + 1, [
      '    priority = models.IntegerField(null=True)  # bg-scaffold: order-add-priority 1/2 added, nullable until filled',
    ]);
  });

  it('keeps CRLF line endings', () => {
    const crlf = MODELS.replace(/\n/g, '\r\n');
    const out = insert({ after: 'quantity' });
    expect(insert({ after: 'quantity' }, crlf)).toBe(out.replace(/\n/g, '\r\n'));
  });

  it('adds a line break when the last field ends the file without one', () => {
    const source = 'from django.db import models\n\n\nclass Order(models.Model):\n    quantity = models.IntegerField()';
    expect(insert({}, source)).toBe(`${source}\n    priority = models.IntegerField(null=True)  # bg-scaffold: order-add-priority 1/2 added, nullable until filled\n`);
  });

  it('refuses a field name the class already declares (the phase was applied by hand)', () => {
    expect(() => insert({ name: 'quantity' })).toThrow(BgScaffoldError);
    expect(() => insert({ name: 'quantity' })).toThrow(/already declares a field "quantity"/);
  });

  it('names an anchor field that is not there', () => {
    expect(() => insert({ after: 'qty' })).toThrow(/declares no field "qty"/);
  });

  it('refuses a class whose body sits on its header line', () => {
    const source = 'from django.db import models\n\n\nclass Order(models.Model): pass\n';
    expect(() => insert({}, source)).toThrow(/own lines/);
  });
});
