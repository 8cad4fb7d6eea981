/**
 * `bg-scaffold check` with references attributed to models: certain findings fail the gate, possible
 * ones are listed and fail only under --strict (or config check.strict), hits of another model are
 * dropped (listed with --explain), and --json says certainty and reason per finding. On a copy of
 * examples/shop after phase 1 of renaming Order.quantity, with a second app whose LineItem also has a
 * `quantity`. Also: generation's warning list and check count the same references.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProject } from '../../src/check/check.js';
import { stageAdvance } from '../../src/commands/advance.js';
import { stageRemoveColumn } from '../../src/operations/remove-column/operation.js';
import { stageRenameColumn } from '../../src/operations/rename-column/operation.js';
import { runMain } from './in-process.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'shop');
let work: string;
/** Every use of Order.quantity renamed, plus the files below. */
let project: string;

const write = (root: string, path: string, text: string): void => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

/** Renames the example's uses of `quantity` to `qty`, as a developer does after phase 1. */
function renameUses(dir: string): void {
  for (const file of ['shop/admin.py', 'shop/services.py', 'shop/views.py', 'shop/templates/shop/order_detail.html', 'shop/models.py']) {
    const text = readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .map((line) => (line.includes('bg-scaffold') ? line : line.replace(/(?<![-\w])quantity(?=__|[^\w-]|$)/g, 'qty')))
      .join('\n');
    writeFileSync(join(dir, file), text);
  }
}

const STOCK_MODELS = `from django.db import models


class LineItem(models.Model):
    sku = models.CharField(max_length=32)
    quantity = models.IntegerField()
`;

/** Left behind: a DRF serializer that reads Order.quantity by its declared name and by source=. */
const SERIALIZERS = `from rest_framework import serializers

from .models import Order


class OrderSerializer(serializers.ModelSerializer):
    quantity = serializers.IntegerField(read_only=True)
    units = serializers.IntegerField(source="quantity")

    class Meta:
        model = Order
        fields = ["id", "quantity", "units"]
`;

/** A receiver nothing says anything about (possible), and the other model's field (dropped). */
const STOCK_CODE = `from stock.models import LineItem


def restock(thing):
    return thing.quantity


def empty_lines():
    return LineItem.objects.filter(quantity=0)
`;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bg-check-certainty-'));
  project = join(work, 'shop');
  cpSync(example, project, { recursive: true });
  await (await stageRenameColumn({ projectDir: project, app: 'shop', model: 'Order', field: 'quantity', to: 'qty' })).stage.commit();
  renameUses(project);
  write(project, 'stock/__init__.py', '');
  write(project, 'stock/models.py', STOCK_MODELS);
  write(project, 'stock/services.py', STOCK_CODE);
  write(project, 'shop/serializers.py', SERIALIZERS);
  write(project, 'shop/templates/shop/order.jinja', '<p>{{ order.quantity }} units</p>\n');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('check: certain, possible and dropped references', () => {
  it('fails on the certain ones (the serializer, the Jinja2 template) and lists the possible one without failing on it', async () => {
    const { code, stdout } = await runMain(['check', '--project', project, '--max-age', 'off']);
    expect(code).toBe(1);
    expect(stdout).toBe(
      [
        'order-quantity-to-qty (rename-column, trigger), phase 1/2: 5 findings (1 possible)',
        '  shop/serializers.py:7:5: reference: refers to Order.quantity, renamed to `qty` in phase 1/2 (applied) [declared-field]',
        '      quantity = serializers.IntegerField(read_only=True)',
        '  shop/serializers.py:8:46: reference: refers to Order.quantity, renamed to `qty` in phase 1/2 (applied) [field-list]',
        '      units = serializers.IntegerField(source="quantity")',
        '  shop/serializers.py:12:26: reference: refers to Order.quantity, renamed to `qty` in phase 1/2 (applied) [field-list]',
        '      fields = ["id", "quantity", "units"]',
        '  shop/templates/shop/order.jinja:1:13: reference: refers to Order.quantity, renamed to `qty` in phase 1/2 (applied) [template]',
        '      <p>{{ order.quantity }} units</p>',
        '  stock/services.py:5:18: reference (possible): refers to Order.quantity, renamed to `qty` in phase 1/2 (applied) [attribute]',
        '      return thing.quantity',
        '      possible: `thing` could be shop.Order or stock.LineItem',
        '',
        'check failed: 4 findings in 1 change; 1 possible reference listed, not failing without --strict (1 change, 24 files scanned)',
        '',
      ].join('\n'),
    );
  });

  it('passes when only possible references are left, and --strict fails on them', async () => {
    const dir = join(work, 'possible-only');
    cpSync(project, dir, { recursive: true });
    rmSync(join(dir, 'shop/serializers.py'));
    rmSync(join(dir, 'shop/templates/shop/order.jinja'));
    const relaxed = await runMain(['check', '--project', dir, '--max-age', 'off']);
    expect(relaxed.code).toBe(0);
    expect(relaxed.stdout).toContain('stock/services.py:5:18: reference (possible):');
    expect(relaxed.stdout.trim().split('\n').at(-1)).toBe('check passed: 1 possible reference listed, not failing without --strict (1 change, 22 files scanned)');
    const strict = await runMain(['check', '--project', dir, '--max-age', 'off', '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stdout.trim().split('\n').at(-1)).toBe('check failed: 1 finding in 1 change (1 change, 22 files scanned)');
  });

  it.each([
    ['bg-scaffold.config.json', '{ "check": { "strict": true } }\n'],
    ['pyproject.toml', '[tool.bg-scaffold.check]\nstrict = true\n'],
    ['package.json', '{ "name": "shop", "bg-scaffold": { "check": { "strict": true } } }\n'],
  ])('config check.strict in %s fails on possible references as --strict does', async (file, text) => {
    const dir = join(work, `strict-${file}`);
    cpSync(project, dir, { recursive: true });
    rmSync(join(dir, 'shop/serializers.py'));
    rmSync(join(dir, 'shop/templates/shop/order.jinja'));
    write(dir, file, text);
    const { code, stdout } = await runMain(['check', '--project', dir, '--max-age', 'off']);
    expect(code).toBe(1);
    expect(stdout).toContain('check failed: 1 finding in 1 change');
  });

  it('refuses a check.strict that is not true or false (exit 2, one line)', async () => {
    const dir = join(work, 'strict-bad');
    cpSync(project, dir, { recursive: true });
    write(dir, 'bg-scaffold.config.json', '{ "check": { "strict": "yes" } }\n');
    const { code, stdout, stderr } = await runMain(['check', '--project', dir]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('bg-scaffold: bg-scaffold.config.json: "check.strict" must be true or false\n');
  });

  it('--explain says why for every reference and lists the hits of another model', async () => {
    const { code, stdout } = await runMain(['check', '--project', project, '--max-age', 'off', '--explain']);
    expect(code).toBe(1);
    expect(stdout).toContain(['  shop/serializers.py:7:5: reference: refers to Order.quantity, renamed to `qty` in phase 1/2 (applied) [declared-field]', '      quantity = serializers.IntegerField(read_only=True)', "      certain: OrderSerializer's model is shop.Order"].join('\n'));
    expect(stdout).toContain(['  not counted, another model\'s (1):', '  stock/services.py:9:36: `LineItem.objects` is stock.LineItem [lookup]', '      return LineItem.objects.filter(quantity=0)'].join('\n'));
  });

  it('--json has the certainty and the reason per finding, the counts, and with --explain the dropped hits', async () => {
    const { code, stdout } = await runMain(['check', '--project', project, '--max-age', 'off', '--json', '--explain']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ ok: false, findingCount: 5, failingCount: 4, possibleCount: 1, strict: false });
    const [change] = report.changes;
    expect(change.findings.map((f: { file: string; line: number; certainty: string }) => `${f.file}:${f.line} ${f.certainty}`)).toEqual([
      'shop/serializers.py:7 certain',
      'shop/serializers.py:8 certain',
      'shop/serializers.py:12 certain',
      'shop/templates/shop/order.jinja:1 certain',
      'stock/services.py:5 possible',
    ]);
    expect(change.findings[3].reason).toBe('`order` is shop.Order');
    expect(change.dropped).toEqual([
      {
        rule: 'reference',
        change: 'order-quantity-to-qty',
        file: 'stock/services.py',
        line: 9,
        column: 36,
        message: 'not counted: `LineItem.objects` is stock.LineItem [lookup]',
        text: 'return LineItem.objects.filter(quantity=0)',
        certainty: 'dropped',
        reason: '`LineItem.objects` is stock.LineItem',
      },
    ]);
    const plain = JSON.parse((await runMain(['check', '--project', project, '--max-age', 'off', '--json'])).stdout);
    expect(plain.changes[0].dropped).toBeUndefined();
  });
});

describe('generation and check count the same references', () => {
  it('one per source line and name, a relation\u2019s attname included, past the 20 shown', async () => {
    const dir = join(work, 'parity');
    cpSync(example, dir, { recursive: true });
    const uses = [
      'from .models import Order',
      '',
      ...Array.from({ length: 20 }, (_, i) => [`def product_${i}(order: Order):`, '    return order.product', '']).flat(),
      'def both(order: Order):',
      '    return (order.product, order.product.sku)',
      '',
      'def by_id(order: Order):',
      '    return order.product_id',
      '',
    ];
    write(dir, 'shop/reports.py', uses.join('\n'));
    const staged = await stageRemoveColumn({ projectDir: dir, app: 'shop', model: 'Order', field: 'product' });
    const header = staged.plan.warnings.find((warning) => warning.includes('still in the code'))!;
    await staged.stage.commit();
    await (await stageAdvance({ projectDir: dir, change: staged.plan.change })).stage.commit();
    const report = await checkProject(dir, { maxAge: null, now: new Date() });
    const references = report.changes[0]!.findings.filter((f) => f.rule === 'reference');
    // 11 lines of the example, 20 + 1 + 1 here: more than the 20 generation shows.
    expect(header).toMatch(/^33 references to Order\.product still in the code \(13 more not shown\)/);
    expect(references).toHaveLength(33);
    expect(references.filter((f) => f.file === 'shop/reports.py' && f.text === 'return (order.product, order.product.sku)')).toHaveLength(1);
    expect(references.some((f) => f.text === 'return order.product_id')).toBe(true);
  });
});
