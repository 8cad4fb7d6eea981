import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import type { ModelEdit } from '../../../src/operations/shared/types.js';
import { loadPythonParser } from '../../../src/python/parser.js';
import { applyModelEdits, removeReexport, stripMarkers } from '../../../src/render/model-edits.js';

await loadPythonParser();

const FILE = 'shop/models.py';
const MARKER = { change: 'order-qty', phase: 1, of: 2 };

/** Non-ASCII before the targets (offsets are UTF-16), comments between fields, odd spacing. */
const MODELS = `# Größe — 数量 😀: the shop's models
from django.db import models


class OrderManager(models.Manager):
    pass


class Order(models.Model):
    """An order."""

    customer = models.ForeignKey(
        "Customer",
        on_delete=models.CASCADE,
        related_name="orders",  # reverse name
    )
    # how many items;   odd   spacing stays
    quantity: int = models.IntegerField(default=1)  # user note
    note = models.TextField(blank=True,  null=True)
    hanging = models.CharField("x", max_length=3,
                               null=True)
    no_trailing_comma = models.CharField(
        max_length=3,
        null=True
    )
    body = models.TextField(help_text="""first
second""")

    objects = OrderManager()

    class Meta:
        db_table = "shop_orders"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)


class Customer(models.Model):
    name = models.CharField(max_length=100)
`;

const lines = (text: string) => text.split('\n');
const lineOf = (text: string, needle: string) => lines(text).findIndex((line) => line.includes(needle));

/** Everything but lines [from, to] of the original stays byte-identical. */
function expectOnlyLinesChanged(before: string, after: string, from: number, to: number, added: number) {
  const a = lines(before);
  const b = lines(after);
  expect(b.slice(0, from)).toEqual(a.slice(0, from));
  expect(b.slice(to + 1 + added)).toEqual(a.slice(to + 1));
  expect(b.length).toBe(a.length + added);
}

const editField = (field: string, change: Partial<Extract<ModelEdit, { kind: 'edit-field' }>>): ModelEdit => ({
  kind: 'edit-field',
  model: 'Order',
  field,
  rename: null,
  setKwargs: {},
  removeKwargs: [],
  note: '',
  ...change,
});

describe('edit-field', () => {
  it('renames only the identifier and keeps the annotation and the user comment, marker appended', () => {
    const out = applyModelEdits(
      MODELS,
      FILE,
      [editField('quantity', { rename: 'qty', setKwargs: { db_column: '"quantity"' }, note: 'renamed' })],
      MARKER,
    );
    const at = lineOf(MODELS, 'quantity: int');
    expect(lines(out)[at]).toBe(
      '    qty: int = models.IntegerField(default=1, db_column="quantity")  # user note  # bg-scaffold: order-qty 1/2 renamed',
    );
    expectOnlyLinesChanged(MODELS, out, at, at, 0);
  });

  it('replaces the value of an existing kwarg in place', () => {
    const out = applyModelEdits(MODELS, FILE, [editField('note', { setKwargs: { null: 'False' }, note: 'n' })], MARKER);
    const at = lineOf(MODELS, 'note = models.TextField');
    expect(lines(out)[at]).toBe('    note = models.TextField(blank=True,  null=False)  # bg-scaffold: order-qty 1/2 n');
    expectOnlyLinesChanged(MODELS, out, at, at, 0);
  });

  it('adds a kwarg to a multi-line call on its own line, in its trailing-comma style', () => {
    const out = applyModelEdits(
      MODELS,
      FILE,
      [editField('customer', { setKwargs: { null: 'True' }, note: 'nullable' })],
      MARKER,
    );
    const at = lineOf(MODELS, 'customer = models.ForeignKey(');
    expect(lines(out).slice(at, at + 6)).toEqual([
      '    customer = models.ForeignKey(  # bg-scaffold: order-qty 1/2 nullable',
      '        "Customer",',
      '        on_delete=models.CASCADE,',
      '        related_name="orders",  # reverse name',
      '        null=True,',
      '    )',
    ]);
    expectOnlyLinesChanged(MODELS, out, at, at + 4, 1);
  });

  it('removes a kwarg with its line, its comma and its comment', () => {
    const out = applyModelEdits(
      MODELS,
      FILE,
      [editField('customer', { removeKwargs: ['related_name'], note: 'x' })],
      MARKER,
    );
    const at = lineOf(MODELS, 'customer = models.ForeignKey(');
    expect(lines(out).slice(at, at + 4)).toEqual([
      '    customer = models.ForeignKey(  # bg-scaffold: order-qty 1/2 x',
      '        "Customer",',
      '        on_delete=models.CASCADE,',
      '    )',
    ]);
    expectOnlyLinesChanged(MODELS, out, at, at + 4, -1);
  });

  it('keeps a list without a trailing comma without one', () => {
    const removed = applyModelEdits(MODELS, FILE, [editField('no_trailing_comma', { removeKwargs: ['null'] })], MARKER);
    const at = lineOf(MODELS, 'no_trailing_comma =');
    expect(lines(removed).slice(at, at + 3)).toEqual([
      '    no_trailing_comma = models.CharField(  # bg-scaffold: order-qty 1/2',
      '        max_length=3',
      '    )',
    ]);
    const added = applyModelEdits(
      MODELS,
      FILE,
      [editField('no_trailing_comma', { setKwargs: { db_index: 'True' } })],
      MARKER,
    );
    expect(lines(added).slice(at + 1, at + 5)).toEqual([
      '        max_length=3,',
      '        null=True,',
      '        db_index=True',
      '    )',
    ]);
  });

  it('removes a kwarg from a one-line call', () => {
    const out = applyModelEdits(
      MODELS,
      FILE,
      [editField('note', { removeKwargs: ['null'], setKwargs: { default: '""' }, note: 'n' })],
      MARKER,
    );
    expect(lines(out)[lineOf(MODELS, 'note = models.TextField')]).toBe(
      '    note = models.TextField(blank=True, default="")  # bg-scaffold: order-qty 1/2 n',
    );
  });

  it('rewrites a hanging argument list one argument per line', () => {
    const out = applyModelEdits(
      MODELS,
      FILE,
      [editField('hanging', { setKwargs: { db_index: 'True' }, note: 'h' })],
      MARKER,
    );
    const at = lineOf(MODELS, 'hanging =');
    expect(lines(out).slice(at, at + 6)).toEqual([
      '    hanging = models.CharField(  # bg-scaffold: order-qty 1/2 h',
      '        "x",',
      '        max_length=3,',
      '        null=True,',
      '        db_index=True,',
      '    )',
    ]);
    expectOnlyLinesChanged(MODELS, out, at, at + 1, 4);
  });

  it('keeps a user comment on the first line of a rewritten hanging list', () => {
    const source = MODELS.replace(
      'models.CharField("x", max_length=3,',
      'models.CharField("x",  # legacy\n                               max_length=3,',
    );
    const out = applyModelEdits(source, FILE, [editField('hanging', { removeKwargs: ['null'] })], MARKER);
    expect(out).toContain(
      '    hanging = models.CharField(  # legacy  # bg-scaffold: order-qty 1/2\n        "x",\n        max_length=3,\n    )\n',
    );
  });

  it('replaces its own earlier marker instead of stacking markers', () => {
    const phase1 = applyModelEdits(
      MODELS,
      FILE,
      [editField('note', { setKwargs: { null: 'True' }, note: 'first' })],
      MARKER,
    );
    const phase2 = applyModelEdits(
      phase1,
      FILE,
      [editField('note', { setKwargs: { null: 'False' }, note: 'second' })],
      { ...MARKER, phase: 2 },
    );
    expect(lines(phase2)[lineOf(MODELS, 'note = models.TextField')]).toBe(
      '    note = models.TextField(blank=True,  null=False)  # bg-scaffold: order-qty 2/2 second',
    );
  });

  it('leaves the markers of other changes alone', () => {
    const other = applyModelEdits(MODELS, FILE, [editField('note', { note: 'theirs' })], {
      change: 'other',
      phase: 1,
      of: 3,
    });
    const ours = applyModelEdits(other, FILE, [editField('note', { note: 'ours' })], MARKER);
    expect(lines(ours)[lineOf(MODELS, 'note = models.TextField')]).toBe(
      '    note = models.TextField(blank=True,  null=True)  # bg-scaffold: other 1/3 theirs  # bg-scaffold: order-qty 1/2 ours',
    );
  });

  it('puts the marker on the last line when the first line ends inside a triple-quoted string', () => {
    const out = applyModelEdits(MODELS, FILE, [editField('body', { note: 'b' })], MARKER);
    expect(out).toContain(
      '    body = models.TextField(help_text="""first\nsecond""")  # bg-scaffold: order-qty 1/2 b\n',
    );
  });
});

describe('add-field', () => {
  it('adds a one-line copy of another field right after the named one, kwargs changed', () => {
    const edit: ModelEdit = {
      kind: 'add-field',
      model: 'Order',
      after: 'quantity',
      name: 'qty',
      copyOf: 'customer',
      setKwargs: { null: 'True', related_name: '"+"' },
      removeKwargs: ['on_delete'],
      note: 'new column',
    };
    const out = applyModelEdits(MODELS, FILE, [edit], MARKER);
    const at = lineOf(MODELS, 'quantity: int');
    expect(lines(out)[at + 1]).toBe(
      '    qty = models.ForeignKey("Customer", related_name="+", null=True)  # bg-scaffold: order-qty 1/2 new column',
    );
    expectOnlyLinesChanged(MODELS, out, at + 1, at, 1);
  });

  it('goes after the last line of a multi-line field', () => {
    const edit: ModelEdit = {
      kind: 'add-field',
      model: 'Order',
      after: 'customer',
      name: 'buyer',
      copyOf: 'quantity',
      setKwargs: {},
      removeKwargs: [],
      note: '',
    };
    const out = applyModelEdits(MODELS, FILE, [edit], MARKER);
    const closing = lineOf(MODELS, 'related_name="orders"') + 1;
    expect(lines(out)[closing + 1]).toBe('    buyer = models.IntegerField(default=1)  # bg-scaffold: order-qty 1/2');
  });
});

describe('remove-field', () => {
  it('deletes the whole statement lines, trailing comment included, and nothing else', () => {
    const out = applyModelEdits(MODELS, FILE, [{ kind: 'remove-field', model: 'Order', field: 'customer' }], MARKER);
    const at = lineOf(MODELS, 'customer = models.ForeignKey(');
    expect(lines(out)[at]).toBe('    # how many items;   odd   spacing stays');
    expectOnlyLinesChanged(MODELS, out, at, at + 4, -5);
  });

  it('takes our marker line directly above the field with it', () => {
    const marked = MODELS.replace(
      '    note = models',
      '    # bg-scaffold: order-qty 1/2 going away\n    note = models',
    );
    const out = applyModelEdits(marked, FILE, [{ kind: 'remove-field', model: 'Order', field: 'note' }], MARKER);
    expect(out).toBe(MODELS.replace('    note = models.TextField(blank=True,  null=True)\n', ''));
  });
});

describe('unmark', () => {
  it("strips this change's markers in the model and keeps the user's comments and other changes' markers", () => {
    const marked = applyModelEdits(
      MODELS,
      FILE,
      [editField('quantity', { note: 'a' }), editField('note', { note: 'b' }), editField('customer', { note: 'c' })],
      MARKER,
    );
    const withOther = applyModelEdits(marked, FILE, [editField('note', { note: 'theirs' })], {
      change: 'other',
      phase: 1,
      of: 1,
    });
    const out = applyModelEdits(withOther, FILE, [{ kind: 'unmark', model: 'Order' }], { ...MARKER, phase: 2 });
    expect(out).toBe(MODELS.replace('null=True)\n', 'null=True)  # bg-scaffold: other 1/1 theirs\n'));
  });

  it('can run with other edits of the same call', () => {
    const marked = applyModelEdits(
      MODELS,
      FILE,
      [editField('quantity', { note: 'a' }), editField('note', { note: 'b' })],
      MARKER,
    );
    const out = applyModelEdits(
      marked,
      FILE,
      [
        { kind: 'remove-field', model: 'Order', field: 'quantity' },
        { kind: 'unmark', model: 'Order' },
      ],
      { ...MARKER, phase: 2 },
    );
    expect(out).toBe(MODELS.replace('    quantity: int = models.IntegerField(default=1)  # user note\n', ''));
  });

  it('with an edit-field of the same model, the edited line is left unmarked too: a complete change leaves no marker', () => {
    const last = { ...MARKER, phase: 2 };
    const marked = applyModelEdits(MODELS, FILE, [editField('note', { note: 'added' }), editField('no_trailing_comma', { note: 'added' }), editField('hanging', { note: 'added' })], MARKER);
    expect(marked.match(/# bg-scaffold: order-qty 1\/2 added/g)).toHaveLength(3);
    const out = applyModelEdits(
      marked,
      FILE,
      [
        editField('note', { removeKwargs: ['null'], note: 'NOT NULL' }),
        editField('no_trailing_comma', { removeKwargs: ['null'], note: 'NOT NULL' }),
        editField('hanging', { removeKwargs: ['null'], note: 'NOT NULL' }),
        { kind: 'unmark', model: 'Order' },
      ],
      last,
    );
    expect(out).not.toContain('bg-scaffold');
    expect(out).toContain('    note = models.TextField(blank=True)\n');
    expect(out).toContain('    no_trailing_comma = models.CharField(\n        max_length=3\n    )\n');
    expect(out).toContain('    hanging = models.CharField(\n        "x",\n        max_length=3,\n    )\n');
    // Without the unmark, the same edits stamp their marker, as every other phase does.
    const stamped = applyModelEdits(marked, FILE, [editField('note', { removeKwargs: ['null'], note: 'NOT NULL' })], last);
    expect(stamped).toContain('    note = models.TextField(blank=True)  # bg-scaffold: order-qty 2/2 NOT NULL\n');
  });
});

describe('CRLF files', () => {
  it('keep their line endings everywhere', () => {
    const crlf = MODELS.replace(/\n/g, '\r\n');
    const out = applyModelEdits(
      crlf,
      FILE,
      [
        editField('customer', { setKwargs: { null: 'True' }, note: 'c' }),
        {
          kind: 'add-field',
          model: 'Order',
          after: 'note',
          name: 'note2',
          copyOf: 'note',
          setKwargs: {},
          removeKwargs: [],
          note: '',
        },
      ],
      MARKER,
    );
    expect(out.replace(/\r\n/g, '')).not.toContain('\n');
    expect(out).toContain('        related_name="orders",  # reverse name\r\n        null=True,\r\n    )\r\n');
    expect(out).toContain('    note2 = models.TextField(blank=True, null=True)  # bg-scaffold: order-qty 1/2\r\n');
  });
});

describe('refusals', () => {
  it('names a field that is not there (edited by hand)', () => {
    expect(() => applyModelEdits(MODELS, FILE, [editField('qty', {})], MARKER)).toThrow(BgScaffoldError);
    expect(() => applyModelEdits(MODELS, FILE, [editField('qty', {})], MARKER)).toThrow(
      /^shop\/models\.py:9: class Order declares no field "qty"/,
    );
  });

  it('names a model that is not there', () => {
    expect(() => applyModelEdits(MODELS, FILE, [{ kind: 'unmark', model: 'Ordr' }], MARKER)).toThrow(/no class "Ordr"/);
  });

  it('refuses a file that does not parse', () => {
    expect(() => applyModelEdits(MODELS.replace('max_length=100)', 'max_length=100'), FILE, [], MARKER)).toThrow(
      /^shop\/models\.py:\d+:\d+: does not parse as Python/,
    );
  });

  it('refuses a result that does not parse (a value that is not Python)', () => {
    expect(() => applyModelEdits(MODELS, FILE, [editField('note', { setKwargs: { null: 'True,,' } })], MARKER)).toThrow(
      BgScaffoldError,
    );
  });
});

describe('stripMarkers', () => {
  it('removes only the given change', () => {
    expect(stripMarkers('# bg-scaffold: a 1/2 x', 'a')).toBe('');
    expect(stripMarkers('# mine  # bg-scaffold: a 1/2 x  # bg-scaffold: ab 1/1', 'a')).toBe(
      '# mine  # bg-scaffold: ab 1/1',
    );
  });
});

describe('rename-in-meta', () => {
  const LOANS = `class Loan(models.Model):
    due_back = models.DateField()
    due_backup = models.DateField()

    class Meta:
        verbose_name = "due_back"
        ordering = ["-due_back", "due_backup"]
        get_latest_by = "due_back"
        constraints = [
            models.CheckConstraint(
                condition=Q(due_back__gte=F("lent_on")) | Q(due_backup=None),
                name="due_back_after_lent",
            ),
        ]
`;
  const edit: ModelEdit = { kind: 'rename-in-meta', model: 'Loan', from: 'due_back', to: 'due', note: 'due_back renamed to due' };

  it("renames the field's paths and Q keywords in the options that name fields, and stamps each statement it changes", () => {
    const out = applyModelEdits(LOANS, FILE, [edit], MARKER);
    expect(out).toContain('        verbose_name = "due_back"\n');
    expect(out).toContain('        ordering = ["-due", "due_backup"]  # bg-scaffold: order-qty 1/2 due_back renamed to due\n');
    expect(out).toContain('        get_latest_by = "due"  # bg-scaffold: order-qty 1/2 due_back renamed to due\n');
    expect(out).toContain('condition=Q(due__gte=F("lent_on")) | Q(due_backup=None),');
    // A constraint's name is not a field path, though it starts like one.
    expect(out).toContain('name="due_back_after_lent",');
    expect(out).toContain('        constraints = [  # bg-scaffold: order-qty 1/2 due_back renamed to due\n');
  });

  it("leaves a keyword that is not a lookup alone: a field called name beside UniqueConstraint(name=...)", () => {
    const racks = 'class Rack(models.Model):\n    name = models.CharField(max_length=9)\n\n    class Meta:\n        constraints = [models.UniqueConstraint(fields=["name"], name="rack_name", condition=Q(name__gt=""))]\n';
    const out = applyModelEdits(racks, FILE, [{ ...edit, model: 'Rack', from: 'name', to: 'label' }], MARKER);
    expect(out).toContain('models.UniqueConstraint(fields=["label"], name="rack_name", condition=Q(label__gt=""))]');
  });

  it('changes nothing on a model without Meta', () => {
    const plain = 'class Loan(models.Model):\n    due_back = models.DateField()\n';
    expect(applyModelEdits(plain, FILE, [edit], MARKER)).toBe(plain);
  });
});

describe('remove-meta-index', () => {
  const RACKS = `class Rack(models.Model):
    height = models.IntegerField()

    class Meta:
        ordering = ["name"]  # by label
        indexes = [
            models.Index(
                fields=["site", "height"], name="rack_site_height_idx"
            ),  # the floor plan
            models.Index(fields=["name"], name="rack_name_idx"),
        ]
`;
  const edit: ModelEdit = { kind: 'remove-meta-index', model: 'Rack', name: 'rack_site_height_idx' };

  it('takes out the named index, its lines and comment, and leaves the other lines byte for byte', () => {
    expect(applyModelEdits(RACKS, FILE, [edit], MARKER)).toBe(RACKS.replace(/ {12}models\.Index\(\n.*\n {12}\),  # the floor plan\n/, ''));
  });

  it('takes out the whole statement when the index was the only one, and leaves pass where Meta would be empty', () => {
    const single = 'class Rack(models.Model):\n    height = models.IntegerField()\n\n    class Meta:\n        ordering = ["name"]\n        indexes = [models.Index(fields=["height"], name="h_idx")]\n';
    expect(applyModelEdits(single, FILE, [{ ...edit, name: 'h_idx' }], MARKER)).toBe(single.replace('        indexes = [models.Index(fields=["height"], name="h_idx")]\n', ''));
    const alone = 'class Rack(models.Model):\n    height = models.IntegerField()\n\n    class Meta:\n        indexes = [models.Index(fields=["height"], name="h_idx")]\n';
    expect(applyModelEdits(alone, FILE, [{ ...edit, name: 'h_idx' }], MARKER)).toBe(alone.replace(/ {8}indexes = .*\n/, '        pass\n'));
  });

  it('refuses an index that is not there, naming it', () => {
    expect(() => applyModelEdits(RACKS, FILE, [{ ...edit, name: 'gone_idx' }], MARKER)).toThrow(
      `shop/models.py: Rack's Meta.indexes has no index named "gone_idx"; was it renamed or removed by hand? restore it or update the change`,
    );
  });
});

describe("a models package's re-export of a dropped model", () => {
  const INIT = 'library/models/__init__.py';

  it('leaves the import line and __all__ with the other names, byte for byte around them', () => {
    const source = 'from .books import Book, Loan, Tag  # the shelf\nfrom .people import Author\n\n__all__ = ["Author", "Book", "Loan"]\n';
    expect(removeReexport(source, INIT, 'books', 'Loan')).toBe(
      'from .books import Book, Tag  # the shelf\nfrom .people import Author\n\n__all__ = ["Author", "Book"]\n',
    );
  });

  it('takes out a line of its own in a parenthesized list, and an import of that name alone', () => {
    const source = 'from .books import (\n    Book,\n    Loan,\n)\nfrom .loans import Loan\n__all__ = (\n    "Book",\n    "Loan",\n)\n';
    expect(removeReexport(source, INIT, 'books', 'Loan')).toBe('from .books import (\n    Book,\n)\nfrom .loans import Loan\n__all__ = (\n    "Book",\n)\n');
    expect(removeReexport('from library.models.loans import Loan\n', INIT, 'loans', 'Loan')).toBe('');
  });

  it('leaves alone a package that does not name the model, or names it from another module', () => {
    const source = 'from .books import Book\nfrom .other import Loan\n';
    expect(removeReexport(source, INIT, 'books', 'Loan')).toBe(source);
  });
});
