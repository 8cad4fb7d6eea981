/**
 * add-meta-entry and remove-meta-entry: an index or constraint goes into (or out of) a model's
 * `Meta.indexes` / `Meta.constraints`, and only the lines that must change do.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../../src/errors.js';
import type { ModelEdit } from '../../../src/operations/shared/types.js';
import { loadPythonParser } from '../../../src/python/parser.js';
import { formatPython } from '../../../src/render/format.js';
import { applyModelEdits } from '../../../src/render/model-edits.js';

await loadPythonParser();

const FILE = 'shop/models.py';
const MARKER = { change: 'order-placed-at', phase: 1, of: 2 };
const MARK = '# bg-scaffold: order-placed-at 1/2 index added';

const PLACED_AT_IDX = 'models.Index(fields=["placed_at"], name="shop_order_placed_at_idx")';
const CUSTOMER_REFERENCE_UNIQ = 'models.UniqueConstraint(fields=["customer", "reference"], name="shop_order_customer_reference_uniq")';
const QUANTITY_CHECK = 'models.CheckConstraint(condition=models.Q(quantity__gte=0), name="shop_order_quantity_gte_0")';
/**
 * QUANTITY_CHECK as an item of a list at 12 spaces: 103 columns, so split as ruff format splits it
 * (its arguments fit on one line of their own), the marker last.
 */
const QUANTITY_CHECK_ITEM = [
  '            models.CheckConstraint(',
  '                condition=models.Q(quantity__gte=0), name="shop_order_quantity_gte_0"',
  '            ),  # bg-scaffold: order-placed-at 1/2 check added',
];

type AddMetaEntry = Extract<ModelEdit, { kind: 'add-meta-entry' }>;

const addIndex = (entry = PLACED_AT_IDX, model = 'Order'): AddMetaEntry => ({ kind: 'add-meta-entry', model, list: 'indexes', entry, note: 'index added' });
const addConstraint = (entry: string, note = 'constraint added'): AddMetaEntry => ({ kind: 'add-meta-entry', model: 'Order', list: 'constraints', entry, note });
const apply = (source: string, ...edits: ModelEdit[]) => applyModelEdits(source, FILE, edits, MARKER);

/**
 * The one run of lines where `after` differs from `before`: what was there and what is there now.
 * Every line above and below it is byte-for-byte the original. (Lines are matched from the end
 * first, so a block added after a blank line shows that blank line first, as it reads.)
 */
function hunk(before: string, after: string): { was: string[]; now: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  let bottom = 0;
  while (bottom < a.length && bottom < b.length && a[a.length - 1 - bottom] === b[b.length - 1 - bottom]) bottom += 1;
  let top = 0;
  while (top < a.length - bottom && top < b.length - bottom && a[top] === b[top]) top += 1;
  return { was: a.slice(top, a.length - bottom), now: b.slice(top, b.length - bottom) };
}

/** Non-ASCII before the target (offsets are UTF-16), a comment between fields, a manager, a method. */
const ORDER = `# Größe 😀: the shop's models
from django.db import models


class Order(models.Model):
    """An order."""

    customer = models.ForeignKey("Customer", on_delete=models.CASCADE)
    reference = models.CharField(max_length=20)
    # how many items
    quantity = models.IntegerField()  # user note
    placed_at = models.DateTimeField()

    objects = models.Manager()

    def __str__(self):
        return self.reference


class Customer(models.Model):
    name = models.CharField(max_length=100)
`;

/** `ORDER` with `meta` as its Meta class, right before `__str__`. */
const orderWithMeta = (meta: string) => ORDER.replace('    def __str__', `${meta}\n    def __str__`);

describe('add-meta-entry into an existing list', () => {
  it('goes on a new line after the last item of a list laid out one item per line, at its indentation, with a trailing comma', () => {
    const before = orderWithMeta(`    class Meta:
        ordering = ["-placed_at"]
        indexes = [
            models.Index(fields=["customer"], name="shop_order_customer_idx"),  # the account page
        ]
`);
    const out = apply(before, addIndex());
    expect(out).toBe(
      orderWithMeta(`    class Meta:
        ordering = ["-placed_at"]
        indexes = [
            models.Index(fields=["customer"], name="shop_order_customer_idx"),  # the account page
            ${PLACED_AT_IDX},  ${MARK}
        ]
`),
    );
    expect(hunk(before, out)).toEqual({ was: [], now: [`            ${PLACED_AT_IDX},  ${MARK}`] });
  });

  it('puts a comma after a last item that had none, and keeps its comment', () => {
    const before = orderWithMeta(`    class Meta:
        indexes = [
            models.Index(
                fields=["customer", "placed_at"], name="shop_order_customer_placed_idx"
            )  # the account page
        ]
`);
    expect(hunk(before, apply(before, addIndex()))).toEqual({
      was: ['            )  # the account page'],
      now: ['            ),  # the account page', `            ${PLACED_AT_IDX},  ${MARK}`],
    });
  });

  it("rewrites a one-line list one item per line, the items' text kept as is, the new item last", () => {
    const before = orderWithMeta(`    class Meta:
        indexes = [models.Index(fields=["customer"], name="customer_idx"), models.Index(fields=["reference"],name="ref_idx")]  # hot paths
        ordering = ["-placed_at"]
`);
    const out = apply(before, addIndex());
    expect(out).toBe(
      orderWithMeta(`    class Meta:
        indexes = [
            models.Index(fields=["customer"], name="customer_idx"),
            models.Index(fields=["reference"],name="ref_idx"),
            ${PLACED_AT_IDX},  ${MARK}
        ]  # hot paths
        ordering = ["-placed_at"]
`),
    );
  });

  it('rewrites a hanging list one item per line too', () => {
    const before = orderWithMeta(`    class Meta:
        indexes = [models.Index(fields=["customer"], name="customer_idx"),
                   models.Index(fields=["reference"], name="ref_idx")]
`);
    expect(hunk(before, apply(before, addIndex()))).toEqual({
      was: ['        indexes = [models.Index(fields=["customer"], name="customer_idx"),', '                   models.Index(fields=["reference"], name="ref_idx")]'],
      now: [
        '        indexes = [',
        '            models.Index(fields=["customer"], name="customer_idx"),',
        '            models.Index(fields=["reference"], name="ref_idx"),',
        `            ${PLACED_AT_IDX},  ${MARK}`,
        '        ]',
      ],
    });
  });

  it('turns an empty list into a list of one', () => {
    const before = orderWithMeta(`    class Meta:
        indexes = []
`);
    expect(hunk(before, apply(before, addIndex()))).toEqual({
      was: ['        indexes = []'],
      now: ['        indexes = [', `            ${PLACED_AT_IDX},  ${MARK}`, '        ]'],
    });
  });

  it('keeps a tuple a tuple: appended the same way, a one-line one laid out one item per line', () => {
    const spread = orderWithMeta(`    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["reference"], name="shop_order_reference_uniq"),
        )
`);
    expect(hunk(spread, apply(spread, addConstraint(QUANTITY_CHECK, 'check added')))).toEqual({
      was: [],
      now: QUANTITY_CHECK_ITEM,
    });
    const oneLine = orderWithMeta(`    class Meta:
        constraints = (models.UniqueConstraint(fields=["reference"], name="shop_order_reference_uniq"),)
`);
    expect(hunk(oneLine, apply(oneLine, addConstraint(QUANTITY_CHECK, 'check added')))).toEqual({
      was: ['        constraints = (models.UniqueConstraint(fields=["reference"], name="shop_order_reference_uniq"),)'],
      now: [
        '        constraints = (',
        '            models.UniqueConstraint(fields=["reference"], name="shop_order_reference_uniq"),',
        ...QUANTITY_CHECK_ITEM,
        '        )',
      ],
    });
  });
});

describe('add-meta-entry where the list is missing', () => {
  it("adds the list as Meta's last statement", () => {
    const before = orderWithMeta(`    class Meta:
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["customer"], name="shop_order_customer_idx")]
`);
    const out = apply(before, addConstraint(CUSTOMER_REFERENCE_UNIQ, 'unique added'));
    expect(out).toBe(
      orderWithMeta(`    class Meta:
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["customer"], name="shop_order_customer_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "reference"],
                name="shop_order_customer_reference_uniq",
            ),  # bg-scaffold: order-placed-at 1/2 unique added
        ]
`),
    );
  });

  it('replaces a lone pass in Meta', () => {
    const before = orderWithMeta(`    class Meta:
        pass
`);
    expect(hunk(before, apply(before, addIndex()))).toEqual({
      was: ['        pass'],
      now: ['        indexes = [', `            ${PLACED_AT_IDX},  ${MARK}`, '        ]'],
    });
  });

  it('adds class Meta after the fields and managers and before the first method, one blank line on each side', () => {
    const out = apply(ORDER, addIndex());
    expect(out).toBe(`# Größe 😀: the shop's models
from django.db import models


class Order(models.Model):
    """An order."""

    customer = models.ForeignKey("Customer", on_delete=models.CASCADE)
    reference = models.CharField(max_length=20)
    # how many items
    quantity = models.IntegerField()  # user note
    placed_at = models.DateTimeField()

    objects = models.Manager()

    class Meta:
        indexes = [
            ${PLACED_AT_IDX},  ${MARK}
        ]

    def __str__(self):
        return self.reference


class Customer(models.Model):
    name = models.CharField(max_length=100)
`);
    expect(hunk(ORDER, out)).toEqual({ was: [], now: ['', '    class Meta:', '        indexes = [', `            ${PLACED_AT_IDX},  ${MARK}`, '        ]'] });
  });

  it('adds the blank line before the first method when the fields ran straight into it', () => {
    const before = 'class Order(models.Model):\n    placed_at = models.DateTimeField()\n    def __str__(self):\n        return "order"\n';
    expect(apply(before, addIndex())).toBe(
      `class Order(models.Model):\n    placed_at = models.DateTimeField()\n\n    class Meta:\n        indexes = [\n            ${PLACED_AT_IDX},  ${MARK}\n        ]\n\n    def __str__(self):\n        return "order"\n`,
    );
  });

  it('adds class Meta at the end of a body without methods; the blank lines before the next class stay', () => {
    const out = apply(ORDER, addIndex(PLACED_AT_IDX.replace('placed_at', 'name').replace('shop_order_placed_at_idx', 'shop_customer_name_idx'), 'Customer'));
    expect(out).toBe(`${ORDER}
    class Meta:
        indexes = [
            models.Index(fields=["name"], name="shop_customer_name_idx"),  ${MARK}
        ]
`);
  });

  it('adds a line break when the last field ends the file without one', () => {
    const before = 'class Order(models.Model):\n    placed_at = models.DateTimeField()';
    expect(apply(before, addIndex())).toBe(`${before}\n\n    class Meta:\n        indexes = [\n            ${PLACED_AT_IDX},  ${MARK}\n        ]\n`);
  });

  it('adds class Meta first in a body that starts with a method, above the comment about it', () => {
    const before = 'class Order(models.Model):\n    # the label\n    def __str__(self):\n        return "order"\n';
    expect(apply(before, addIndex())).toBe(
      `class Order(models.Model):\n    class Meta:\n        indexes = [\n            ${PLACED_AT_IDX},  ${MARK}\n        ]\n\n    # the label\n    def __str__(self):\n        return "order"\n`,
    );
  });

  it('puts every list a phase adds into one class Meta', () => {
    const out = apply(ORDER, addConstraint(QUANTITY_CHECK, 'check added'), addIndex(), addConstraint(CUSTOMER_REFERENCE_UNIQ, 'unique added'));
    expect(hunk(ORDER, out)).toEqual({
      was: [],
      now: [
        '',
        '    class Meta:',
        '        constraints = [',
        ...QUANTITY_CHECK_ITEM,
        '            models.UniqueConstraint(',
        '                fields=["customer", "reference"],',
        '                name="shop_order_customer_reference_uniq",',
        '            ),  # bg-scaffold: order-placed-at 1/2 unique added',
        '        ]',
        '        indexes = [',
        `            ${PLACED_AT_IDX},  ${MARK}`,
        '        ]',
      ],
    });
  });
});

describe("add-meta-entry follows the file's layout", () => {
  it('keeps CRLF line endings, also in the lines it adds', () => {
    const crlf = ORDER.replace(/\n/g, '\r\n');
    expect(apply(crlf, addIndex())).toBe(apply(ORDER, addIndex()).replace(/\n/g, '\r\n'));
    const oneLine = orderWithMeta('    class Meta:\n        indexes = [models.Index(fields=["customer"], name="c_idx")]\n');
    expect(apply(oneLine.replace(/\n/g, '\r\n'), addIndex())).toBe(apply(oneLine, addIndex()).replace(/\n/g, '\r\n'));
    const spread = orderWithMeta('    class Meta:\n        indexes = [\n            models.Index(fields=["customer"], name="c_idx")  # no comma\n        ]\n');
    expect(apply(spread.replace(/\n/g, '\r\n'), addIndex())).toBe(apply(spread, addIndex()).replace(/\n/g, '\r\n'));
    const pass = orderWithMeta('    class Meta:\n        pass\n');
    expect(apply(pass.replace(/\n/g, '\r\n'), addIndex())).toBe(apply(pass, addIndex()).replace(/\n/g, '\r\n'));
  });

  it('indents with tabs in a file indented with tabs', () => {
    const before = 'class Order(models.Model):\n\tplaced_at = models.DateTimeField()\n';
    expect(apply(before, addIndex())).toBe(`${before}\n\tclass Meta:\n\t\tindexes = [\n\t\t\t${PLACED_AT_IDX},  ${MARK}\n\t\t]\n`);
  });

  it('indents by two spaces in a file indented by two, a long entry too', () => {
    const before = 'class Order(models.Model):\n  placed_at = models.DateTimeField()\n\n  class Meta:\n    ordering = ["-placed_at"]\n';
    expect(apply(before, addConstraint(CUSTOMER_REFERENCE_UNIQ, 'unique added'))).toBe(`${before}    constraints = [
      models.UniqueConstraint(
        fields=["customer", "reference"],
        name="shop_order_customer_reference_uniq",
      ),  # bg-scaffold: order-placed-at 1/2 unique added
    ]
`);
  });

  it('keeps an entry of 88 columns (trailing comma included) on one line and splits one of 89 as ruff does, the marker last', () => {
    const before = orderWithMeta('    class Meta:\n        indexes = [\n        ]\n');
    // 12 columns of indentation, the call, its comma: 88 columns (the marker does not count).
    const name = 'x'.repeat(88 - 12 - 'models.Index(fields=["placed_at"], name=""),'.length);
    const fits = `models.Index(fields=["placed_at"], name="${name}")`;
    expect(`            ${fits},`).toHaveLength(88);
    expect(hunk(before, apply(before, addIndex(fits)))).toEqual({ was: [], now: [`            ${fits},  ${MARK}`] });
    const tooLong = `models.Index(fields=["placed_at"], name="${name}y")`;
    expect(hunk(before, apply(before, addIndex(tooLong)))).toEqual({
      was: [],
      now: ['            models.Index(', `                fields=["placed_at"], name="${name}y"`, `            ),  ${MARK}`],
    });
  });
});

/** A model whose check's condition alone is longer than ruff's line. */
const LOAN = `from django.db import models


class Loan(models.Model):
    lent_on = models.DateField()
    returned_on = models.DateField(null=True)

    class Meta:
        ordering = ["-lent_on"]
`;
const RETURNED_AFTER_LENT =
  'models.CheckConstraint(condition=models.Q(returned_on__isnull=True) | models.Q(returned_on__gte=models.F("lent_on")), name="library_loan_returned_after_lent")';
const addLoanCheck = (entry = RETURNED_AFTER_LENT): AddMetaEntry => ({ kind: 'add-meta-entry', model: 'Loan', list: 'constraints', entry, note: 'checked' });

describe('add-meta-entry lays the entry out as ruff format does', () => {
  // The expected texts are ruff 0.17's (`ruff format -`, line length 88) on the same file without the marker.
  it('splits an argument longer than the line where ruff splits it, at its binary operator', () => {
    expect(applyModelEdits(LOAN, FILE, [addLoanCheck()], MARKER)).toBe(`from django.db import models


class Loan(models.Model):
    lent_on = models.DateField()
    returned_on = models.DateField(null=True)

    class Meta:
        ordering = ["-lent_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(returned_on__isnull=True)
                | models.Q(returned_on__gte=models.F("lent_on")),
                name="library_loan_returned_after_lent",
            ),  # bg-scaffold: order-placed-at 1/2 checked
        ]
`);
  });

  it('lays it out the same in a file indented with tabs (a tab is 4 columns to ruff), indented with tabs', () => {
    const tabbed = LOAN.replace(/^( {4})+/gm, (spaces) => '\t'.repeat(spaces.length / 4));
    expect(tabbed).toContain('\n\tclass Meta:\n\t\tordering');
    expect(applyModelEdits(tabbed, FILE, [addLoanCheck()], MARKER)).toBe(
      `${tabbed}\t\tconstraints = [
\t\t\tmodels.CheckConstraint(
\t\t\t\tcondition=models.Q(returned_on__isnull=True)
\t\t\t\t| models.Q(returned_on__gte=models.F("lent_on")),
\t\t\t\tname="library_loan_returned_after_lent",
\t\t\t),  # bg-scaffold: order-placed-at 1/2 checked
\t\t]
`,
    );
  });

  it('writes an entry that fits on one line as ruff writes it: double quotes, one space after a comma', () => {
    const before = orderWithMeta('    class Meta:\n        indexes = [\n        ]\n');
    expect(hunk(before, apply(before, addIndex("models.Index(fields=['placed_at'],name='shop_order_placed_at_idx')")))).toEqual({
      was: [],
      now: [`            ${PLACED_AT_IDX},  ${MARK}`],
    });
  });

  it('refuses, in one line, an entry that ruff cannot parse though the call parser took it', () => {
    const entry = 'models.Index(name="shop_order_placed_at_idx", models.F("placed_at"))';
    expect(() => apply(ORDER, addIndex(entry))).toThrow(BgScaffoldError);
    expect(() => apply(ORDER, addIndex(entry))).toThrow(
      `shop/models.py: the index to add to Order's Meta.indexes is not valid Python (Positional argument cannot follow keyword argument): ${entry}; correct the change's options, then run this again`,
    );
  });
});

describe('markers', () => {
  const WRAPPED = 'models.Index(fields=["customer", "placed_at"], name="shop_order_customer_placed_at_idx", condition=models.Q(quantity__gt=0))';

  it("the change's last phase (unmark) leaves the Meta it added without a marker", () => {
    const marked = apply(ORDER, addIndex(), addIndex(WRAPPED));
    expect(marked.match(/# bg-scaffold: order-placed-at 1\/2 index added/g)).toHaveLength(2);
    const done = applyModelEdits(marked, FILE, [{ kind: 'unmark', model: 'Order' }], { ...MARKER, phase: 2 });
    expect(hunk(ORDER, done)).toEqual({
      was: [],
      now: [
        '',
        '    class Meta:',
        '        indexes = [',
        `            ${PLACED_AT_IDX},`,
        '            models.Index(',
        '                fields=["customer", "placed_at"],',
        '                name="shop_order_customer_placed_at_idx",',
        '                condition=models.Q(quantity__gt=0),',
        '            ),',
        '        ]',
      ],
    });
  });

  it('unmark leaves the user\'s own comments on Meta lines, and in an existing list', () => {
    const before = orderWithMeta('    class Meta:\n        indexes = [\n            models.Index(fields=["customer"], name="c_idx"),  # the account page\n        ]\n');
    const done = applyModelEdits(apply(before, addIndex()), FILE, [{ kind: 'unmark', model: 'Order' }], { ...MARKER, phase: 2 });
    expect(hunk(before, done)).toEqual({ was: [], now: [`            ${PLACED_AT_IDX},`] });
  });

  it('an entry added in the phase that unmarks the model gets no marker', () => {
    const out = applyModelEdits(ORDER, FILE, [addIndex(), { kind: 'unmark', model: 'Order' }], { ...MARKER, phase: 2 });
    expect(hunk(ORDER, out).now).toEqual(['', '    class Meta:', '        indexes = [', `            ${PLACED_AT_IDX},`, '        ]']);
  });
});

describe('add-meta-entry refusals', () => {
  it('names a model that is not in the file', () => {
    expect(() => apply(ORDER, addIndex(PLACED_AT_IDX, 'Ordr'))).toThrow(BgScaffoldError);
    expect(() => apply(ORDER, addIndex(PLACED_AT_IDX, 'Ordr'))).toThrow(/^shop\/models\.py: no class "Ordr" at module level/);
  });

  it('refuses a list it cannot add to: an expression, not a list literal', () => {
    const before = orderWithMeta('    class Meta:\n        indexes = BASE_INDEXES + [models.Index(fields=["customer"], name="c_idx")]\n');
    expect(() => apply(before, addIndex())).toThrow(BgScaffoldError);
    expect(() => apply(before, addIndex())).toThrow(
      "shop/models.py:17: Order's Meta.indexes is not a list literal, so bg-scaffold cannot add to it; write it as indexes = [...] with its items spelled out, then run this again",
    );
    expect(() => apply(before, { kind: 'remove-meta-entry', model: 'Order', list: 'indexes', name: 'c_idx' })).toThrow(/Meta\.indexes is not a list literal, so bg-scaffold cannot take "c_idx" out of it/);
  });

  it('refuses an entry whose name is already in the list (the phase was applied by hand)', () => {
    const before = orderWithMeta(`    class Meta:\n        indexes = [${PLACED_AT_IDX.replace('"placed_at"', '"placed_at", "customer"')}]\n`);
    expect(() => apply(before, addIndex())).toThrow(
      `shop/models.py:17: Order's Meta.indexes already has an entry named "shop_order_placed_at_idx"; was this phase applied by hand? remove that entry, or rename the new one in the change`,
    );
    expect(() => apply(ORDER, addIndex(), addIndex())).toThrow(/already has an entry named "shop_order_placed_at_idx"/);
  });

  it('refuses to rewrite a list whose items share lines with comments', () => {
    const before = orderWithMeta('    class Meta:\n        indexes = [models.Index(fields=["customer"], name="c_idx"),  # the account page\n                   models.Index(fields=["reference"], name="r_idx")]\n');
    expect(() => apply(before, addIndex())).toThrow(/Meta\.indexes shares lines between items and comments; put each item on its own line/);
  });
});

describe('remove-meta-entry', () => {
  const CONSTRAINED = orderWithMeta(`    class Meta:
        indexes = [models.Index(fields=["customer"], name="shop_order_customer_idx")]
        constraints = [
            models.UniqueConstraint(fields=["customer", "reference"], name="shop_order_customer_reference_uniq"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="shop_order_quantity_gte_0"
            ),  # no returns
        ]
`);
  const removeConstraint = (name: string): ModelEdit => ({ kind: 'remove-meta-entry', model: 'Order', list: 'constraints', name });

  it('takes a constraint out by its name= keyword, with its lines and comment', () => {
    expect(hunk(CONSTRAINED, apply(CONSTRAINED, removeConstraint('shop_order_quantity_gte_0')))).toEqual({
      was: ['            models.CheckConstraint(', '                condition=models.Q(quantity__gte=0), name="shop_order_quantity_gte_0"', '            ),  # no returns'],
      now: [],
    });
  });

  it('says which list has no entry of that name', () => {
    expect(() => apply(CONSTRAINED, removeConstraint('shop_order_customer_idx'))).toThrow(
      `shop/models.py: Order's Meta.constraints has no constraint named "shop_order_customer_idx"; was it renamed or removed by hand? restore it or update the change`,
    );
  });

  it('is what remove-meta-index (in plans stored before it) does to Meta.indexes', () => {
    const legacy = apply(CONSTRAINED, { kind: 'remove-meta-index', model: 'Order', name: 'shop_order_customer_idx' });
    expect(legacy).toBe(apply(CONSTRAINED, { kind: 'remove-meta-entry', model: 'Order', list: 'indexes', name: 'shop_order_customer_idx' }));
    expect(hunk(CONSTRAINED, legacy)).toEqual({ was: ['        indexes = [models.Index(fields=["customer"], name="shop_order_customer_idx")]'], now: [] });
  });

  it('leaves a tuple of one a tuple', () => {
    const before = orderWithMeta('    class Meta:\n        indexes = (models.Index(fields=["customer"], name="c_idx"), models.Index(fields=["reference"], name="r_idx"))\n');
    const edit = (name: string): ModelEdit => ({ kind: 'remove-meta-entry', model: 'Order', list: 'indexes', name });
    expect(hunk(before, apply(before, edit('r_idx'))).now).toEqual(['        indexes = (models.Index(fields=["customer"], name="c_idx"),)']);
    expect(hunk(before, apply(before, edit('c_idx'))).now).toEqual(['        indexes = (models.Index(fields=["reference"], name="r_idx"),)']);
  });

  it('takes several entries out of one line in one phase', () => {
    const before = orderWithMeta('    class Meta:\n        indexes = [models.Index(fields=["customer"], name="c_idx"), models.Index(fields=["reference"], name="r_idx"), models.Index(fields=["quantity"], name="q_idx")]\n');
    const out = apply(before, { kind: 'remove-meta-index', model: 'Order', name: 'c_idx' }, { kind: 'remove-meta-index', model: 'Order', name: 'r_idx' });
    expect(hunk(before, out).now).toEqual(['        indexes = [models.Index(fields=["quantity"], name="q_idx")]']);
  });

  it('and add-meta-entry can replace an entry in one phase', () => {
    const atLeastOne = 'models.CheckConstraint(condition=models.Q(quantity__gte=1), name="shop_order_quantity_gte_1")';
    const out = apply(CONSTRAINED, removeConstraint('shop_order_quantity_gte_0'), addConstraint(atLeastOne, 'check added'));
    expect(out).toBe(
      orderWithMeta(`    class Meta:
        indexes = [models.Index(fields=["customer"], name="shop_order_customer_idx")]
        constraints = [
            models.UniqueConstraint(fields=["customer", "reference"], name="shop_order_customer_reference_uniq"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="shop_order_quantity_gte_1"
            ),  # bg-scaffold: order-placed-at 1/2 check added
        ]
`),
    );
  });
});

describe('the edited files', () => {
  it('are, once the change is complete and its markers gone, what ruff format makes of them', () => {
    const phases = (source: string, ...edits: ModelEdit[]) =>
      applyModelEdits(apply(source, ...edits), FILE, [{ kind: 'unmark', model: 'Order' }], { ...MARKER, phase: 2 });
    const sources = [
      phases(ORDER, addIndex(), addConstraint(CUSTOMER_REFERENCE_UNIQ), addConstraint(QUANTITY_CHECK)),
      phases(orderWithMeta('    class Meta:\n        indexes = [models.Index(fields=["customer"], name="c_idx")]\n'), addIndex(), addConstraint(QUANTITY_CHECK)),
      phases(orderWithMeta('    class Meta:\n        constraints = [\n            models.UniqueConstraint(fields=["reference"], name="r_uniq"),\n        ]\n'), addConstraint(QUANTITY_CHECK)),
    ];
    for (const source of sources) expect(formatPython(source, FILE)).toBe(source);
  });

  it('compile as Python (checked by Python itself, not by the parser that made the edits)', () => {
    const sources = [
      apply(ORDER, addIndex(), addConstraint(CUSTOMER_REFERENCE_UNIQ), addConstraint(QUANTITY_CHECK)),
      apply(orderWithMeta('    class Meta:\n        pass\n'), addIndex()),
      apply(orderWithMeta('    class Meta:\n        indexes = (models.Index(fields=["customer"], name="c_idx"),)\n'), addIndex()),
      apply('class Order(models.Model):\n\tplaced_at = models.DateTimeField()\n\tdef __str__(self):\n\t\treturn ""', addIndex()),
      apply(ORDER.replace(/\n/g, '\r\n'), addIndex()),
    ];
    const python = spawnSync('python3', ['-c', 'import json, sys\nfor source in json.load(sys.stdin): compile(source, "models.py", "exec")'], {
      input: JSON.stringify(sources),
      encoding: 'utf8',
    });
    expect(python.stderr).toBe('');
    expect(python.status).toBe(0);
  });
});
