/**
 * Golden files: every file the index, constraint and NOT NULL plans write, release by release, on
 * the shop (no Meta on some models, a field indexed already) and the zoo (Meta lists spread over
 * lines, Q imported bare, a models package): set-not-null with its default first, drop-not-null,
 * a field's index and a partial Meta index added and removed, a field made unique and a conditional
 * UniqueConstraint, a CheckConstraint, an integer column made a foreign key (legacy), a model
 * renamed with its table kept (shop, and the zoo's models package) or moved behind a view (with its
 * many-to-many table: the zoo's clubs), and the SQLite forms.
 * Refresh with `UPDATE_GOLDEN=1 npx vitest run test/golden`.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageAdvance } from '../../src/commands/advance.js';
import { OPERATIONS } from '../../src/operations/index.js';
import { stageOperation } from '../../src/operations/operation.js';
import type { Operation as OperationName } from '../../src/operations/shared/types.js';
import { discoverProject } from '../../src/project/discover.js';
import { formatPython } from '../../src/render/format.js';
import { compareRelease } from './golden-files.js';
import { asGoldenFiles } from './runtime-copies.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Scenario {
  op: OperationName;
  name: string;
  example: 'shop' | 'zoo' | 'legacy';
  request: Record<string, unknown>;
}

const scenarios: Scenario[] = [
  { op: 'set-not-null', name: 'default-first', example: 'zoo', request: { app: 'library', model: 'Book', field: 'pages', fill: '0' } },
  { op: 'set-not-null', name: 'default-first-background', example: 'zoo', request: { app: 'library', model: 'Book', field: 'pages', fill: '0', backfill: 'background' } },
  { op: 'set-not-null', name: 'sqlite', example: 'zoo', request: { app: 'library', model: 'Book', field: 'pages', fill: '0', database: 'sqlite' } },
  { op: 'drop-not-null', name: 'postgresql', example: 'shop', request: { app: 'shop', model: 'Order', field: 'quantity' } },
  { op: 'add-index', name: 'field', example: 'shop', request: { app: 'shop', model: 'Order', field: 'placed_at' } },
  { op: 'add-index', name: 'meta-partial', example: 'shop', request: { app: 'shop', model: 'Order', fields: 'customer,-placed_at', condition: "Q(status='new')", name: 'order_new_customer_idx' } },
  { op: 'add-index', name: 'meta-zoo', example: 'zoo', request: { app: 'library', model: 'Loan', fields: 'borrower,due_back' } },
  { op: 'add-index', name: 'expressions', example: 'shop', request: { app: 'shop', model: 'Product', expressions: 'Lower("name"), F("price").desc()', name: 'product_lower_name_idx' } },
  { op: 'add-index', name: 'covering-opclasses', example: 'zoo', request: { app: 'library', model: 'Book', fields: 'isbn', include: 'title', opclasses: 'varchar_pattern_ops', name: 'library_book_isbn_like_idx' } },
  { op: 'remove-index', name: 'field', example: 'shop', request: { app: 'shop', model: 'Shipment', field: 'tracking_code' } },
  { op: 'remove-index', name: 'meta', example: 'zoo', request: { app: 'stock', model: 'Rack', name: 'stock_rack_site_height_idx' } },
  { op: 'add-unique', name: 'field-indexed', example: 'shop', request: { app: 'shop', model: 'Shipment', field: 'tracking_code' } },
  { op: 'add-unique', name: 'conditional', example: 'zoo', request: { app: 'library', model: 'Loan', fields: 'borrower,book', condition: 'Q(returned_on__isnull=True)', name: 'library_loan_one_open_per_borrower' } },
  { op: 'add-unique', name: 'sqlite', example: 'shop', request: { app: 'shop', model: 'Order', fields: 'customer,placed_at', database: 'sqlite' } },
  { op: 'add-check', name: 'postgresql', example: 'shop', request: { app: 'shop', model: 'Order', condition: 'Q(quantity__gte=1)' } },
  { op: 'add-check', name: 'zoo-list', example: 'zoo', request: { app: 'library', model: 'Loan', condition: 'Q(returned_on__isnull=True) | Q(returned_on__gte=F("lent_on"))', name: 'library_loan_returned_after_lent' } },
  { op: 'add-foreign-key', name: 'integer-column', example: 'legacy', request: { app: 'billing', model: 'Invoice', field: 'approved_by_id', to: 'accounts.Account', onDelete: 'SET_NULL' } },
  { op: 'rename-model', name: 'keep-table', example: 'shop', request: { app: 'shop', model: 'Order', to: 'Purchase' } },
  // A models package, a model other models point at with strings ("Book") and classes (Book).
  { op: 'rename-model', name: 'zoo-package', example: 'zoo', request: { app: 'library', model: 'Author', to: 'Writer' } },
  { op: 'rename-model', name: 'move-table', example: 'shop', request: { app: 'shop', model: 'Order', to: 'Purchase', strategy: 'move-table' } },
  { op: 'rename-model', name: 'move-table-zoo', example: 'zoo', request: { app: 'library', model: 'Author', to: 'Writer', strategy: 'move-table' } },
  { op: 'rename-model', name: 'move-table-many-to-many', example: 'zoo', request: { app: 'clubs', model: 'Club', to: 'Circle', strategy: 'move-table' } },
  { op: 'rename-model', name: 'relation-from-another-app', example: 'legacy', request: { app: 'accounts', model: 'Account', to: 'Customer', strategy: 'move-table' } },
];

let work: string;
const savedEpoch = process.env.SOURCE_DATE_EPOCH;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bg-golden-'));
  process.env.SOURCE_DATE_EPOCH = '1790000000';
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  if (savedEpoch === undefined) delete process.env.SOURCE_DATE_EPOCH;
  else process.env.SOURCE_DATE_EPOCH = savedEpoch;
});

describe.each(scenarios)('$op golden files: $name', ({ op, name, example, request }) => {
  it('writes the expected files in every release, and generated Python is ruff-formatted', async () => {
    const project = join(work, `${op}-${name}`);
    cpSync(join(repo, 'examples', example), project, { recursive: true });
    const read = { static: true };
    const operation = OPERATIONS.find((candidate) => candidate.name === op)! as unknown as Parameters<typeof stageOperation>[0];
    const facts = await discoverProject(project, read);
    let staged = await stageOperation(operation, facts, { ...request, ...read, projectDir: project } as never);
    const phases = staged.plan.phases.length;
    for (let release = 1; release <= phases; release++) {
      if (release > 1) staged = await stageAdvance({ ...read, projectDir: project, change: staged.plan.change });
      const files = staged.stage.files();
      const written = new Map(files.map((f) => (f.after === null ? [`${f.path}.deleted`, ''] : [f.path, f.after]) as [string, string]));
      for (const [path, content] of written) {
        if (path.endsWith('.py') && !/models(\/\w+)?\.py$/.test(path)) expect(formatPython(content, path), `${path} is ruff-formatted`).toBe(content);
      }
      await staged.stage.commit();
      compareRelease(join(repo, 'test', 'golden', op), name, release, asGoldenFiles(repo, written));
    }
    await expect(stageAdvance({ ...read, projectDir: project, change: staged.plan.change })).rejects.toThrow(/complete/);
  });
});
