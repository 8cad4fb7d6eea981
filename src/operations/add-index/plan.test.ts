import { describe, expect, it } from 'vitest';
import { field, orderModel, shopApp } from '../../../test/support/plan-fixtures.js';
import { loadPythonParser } from '../../python/parser.js';
import type { MigrationOperation, Phase } from '../shared/types.js';
import { addCheckPlan } from '../add-check/plan.js';
import { addUniquePlan } from '../add-unique/plan.js';
import { removeIndexPlan } from '../remove-index/plan.js';
import { addIndexPlan } from './plan.js';

await loadPythonParser();

const model = orderModel([...orderModel().fields, field('placed_at', 'DateTimeField'), field('code', 'CharField', { max_length: '12' })]);
const app = shopApp([model]);
const common = { app, apps: [app], model, database: 'postgresql' as const, lock: { lockTimeout: '1s', retries: 10 }, batchSize: 500, changeId: undefined };
const byName = (name: string) => model.fields.find((f) => f.name === name)!;
const kinds = (phase: Phase) => phase.migration?.operations.map((op) => op.kind) ?? [];
const ops = (phase: Phase) => phase.migration!.operations as MigrationOperation[];

describe('add-index plan', () => {
  it("a field's own index: built CONCURRENTLY under Django's name, with Django's LIKE index beside it for text", () => {
    const [phase] = addIndexPlan({ ...common, field: byName('code') }).phases as [Phase];
    expect(kinds(phase)).toEqual(['create-index', 'create-index', 'state-only']);
    expect(ops(phase).slice(0, 2)).toMatchObject([
      { suffix: '', opclass: null, unique: false },
      { suffix: '_like', opclass: 'varchar_pattern_ops', unique: false },
    ]);
    expect(phase.migration!.atomic).toBe(false);
    expect(phase.modelEdits).toEqual([{ kind: 'edit-field', model: 'Order', field: 'code', rename: null, setKwargs: { db_index: 'True' }, removeKwargs: [], note: 'indexed' }]);
  });

  it('a Meta index: Django\'s AddIndex run CONCURRENTLY, named as makemigrations names it, its keywords in makemigrations\' order', () => {
    const p = addIndexPlan({ ...common, fields: 'customer,-placed_at', condition: "Q(status='new')" });
    const [phase] = p.phases as [Phase];
    const index = 'models.Index(condition=models.Q(status="new"), fields=["customer", "-placed_at"], name="shop_order_custome_2925ef_idx")';
    expect(ops(phase)).toEqual([{ kind: 'add-index-concurrently', comment: expect.any(String), modelName: 'order', index }]);
    expect(phase.modelEdits).toEqual([{ kind: 'add-meta-entry', model: 'Order', list: 'indexes', entry: index, note: 'indexed' }]);
    expect(p.change).toBe('order-customer-placed-at-index');
  });

  it('refuses an index the field has already, a lookup of no field, and both --field and --fields', () => {
    expect(() => addIndexPlan({ ...common, field: byName('status') })).toThrow(/Order\.status has its index already/);
    expect(() => addIndexPlan({ ...common, field: byName('reference') })).toThrow(/is unique, and its unique constraint is its index already/);
    expect(() => addIndexPlan({ ...common, fields: 'placed_at', condition: 'Q(shipped=True)' })).toThrow(/--condition looks up "shipped", which is not a field of Order/);
    expect(() => addIndexPlan({ ...common, field: byName('code'), fields: 'code' })).toThrow(/give one of --field/);
  });

  it('on SQLite: Django\'s own AddIndex, atomic', () => {
    const [phase] = addIndexPlan({ ...common, fields: 'placed_at', database: 'sqlite' }).phases as [Phase];
    expect(ops(phase)).toMatchObject([{ kind: 'django', operation: { kind: 'AddIndex', modelName: 'order' } }]);
    expect(phase.migration!.atomic).toBe(true);
  });
});

describe('remove-index plan', () => {
  it("drops a field's index and its LIKE index CONCURRENTLY; migrating backwards builds them again", () => {
    const [phase] = removeIndexPlan({ ...common, field: byName('status') }).phases as [Phase];
    expect(kinds(phase)).toEqual(['drop-index', 'drop-index', 'state-only']);
    expect(phase.risks[0]).toMatch(/^Queries that used the index run without it/);
  });
});

describe('add-unique plan', () => {
  it('a field that has a plain index: the unique index (duplicates named first), then the plain one goes, as Django drops it', () => {
    const [phase] = addUniquePlan({ ...common, field: byName('status') }).phases as [Phase];
    expect(ops(phase).map((op) => (op.kind === 'create-index' || op.kind === 'drop-index' ? `${op.kind}${op.suffix}` : op.kind))).toEqual(['create-index_uniq', 'drop-index', 'state-only']);
  });

  it('a conditional UniqueConstraint: AddConstraint run CONCURRENTLY, named <table>_<columns>_uniq', () => {
    const [phase] = addUniquePlan({ ...common, fields: 'customer,code', condition: 'Q(status="new")' }).phases as [Phase];
    expect(ops(phase)).toMatchObject([
      { kind: 'add-constraint-concurrently', constraint: 'models.UniqueConstraint(condition=models.Q(status="new"), fields=["customer", "code"], name="shop_order_customer_id_code_uniq")' },
    ]);
  });
});

describe('add-check plan', () => {
  it('writes condition= from Django 5.1 and check= before it', () => {
    const newer = addCheckPlan({ ...common, condition: 'Q(quantity__gte=1)', djangoVersion: '5.2' });
    const older = addCheckPlan({ ...common, condition: 'Q(quantity__gte=1)', djangoVersion: '4.2' });
    expect(newer.phases[0]!.modelEdits[0]).toMatchObject({ entry: 'models.CheckConstraint(condition=models.Q(quantity__gte=1), name="shop_order_quantity_check")' });
    expect(older.phases[0]!.modelEdits[0]).toMatchObject({ entry: 'models.CheckConstraint(check=models.Q(quantity__gte=1), name="shop_order_quantity_check")' });
  });

  it('refuses a condition that does not parse, and one that is not a Q', () => {
    expect(() => addCheckPlan({ ...common, condition: 'Q(quantity__gte=1', djangoVersion: '5.2' })).toThrow(/does not parse as Python/);
    expect(() => addCheckPlan({ ...common, condition: 'quantity >= 1', djangoVersion: '5.2' })).toThrow(/is not a Q expression/);
  });
});

describe('a Meta index or UniqueConstraint beyond plain fields', () => {
  it('an index on expressions, named as given, with covering fields', () => {
    const [phase] = addIndexPlan({ ...common, extras: { expressions: 'Lower("code"), F("placed_at").desc()', include: 'status' }, name: 'order_code_lower_idx' }).phases as [Phase];
    const index = 'models.Index(models.functions.Lower("code"), models.F("placed_at").desc(), include=["status"], name="order_code_lower_idx")';
    expect(ops(phase)).toMatchObject([{ kind: 'add-index-concurrently', modelName: 'order', index }]);
    expect(phase.modelEdits).toEqual([{ kind: 'add-meta-entry', model: 'Order', list: 'indexes', entry: index, note: 'indexed' }]);
  });

  it("operator classes beside the fields, under Django's name for them", () => {
    const plan = addIndexPlan({ ...common, fields: 'code', extras: { opclasses: 'varchar_pattern_ops' } });
    expect(ops(plan.phases[0]!)[0]).toMatchObject({ index: expect.stringMatching(/^models\.Index\(fields=\["code"\], name="shop_order_code_[0-9a-f]{6}_idx", opclasses=\["varchar_pattern_ops"\]\)$/) });
    expect(plan.inputs).toMatchObject({ fields: 'code', opclasses: 'varchar_pattern_ops' });
  });

  it('a UniqueConstraint with NULLs not distinct stays a constraint; one on expressions stays a unique index, as in Django', () => {
    const nulls = addUniquePlan({ ...common, fields: 'code,note', extras: { nullsNotDistinct: true } });
    expect(ops(nulls.phases[0]!)[0]).toMatchObject({ constraint: 'models.UniqueConstraint(fields=["code", "note"], name="shop_order_code_note_uniq", nulls_distinct=False)' });
    expect(nulls.phases[0]!.risks.at(-1)).toMatch(/^NULLS NOT DISTINCT needs PostgreSQL 15 or later/);
    const lower = addUniquePlan({ ...common, extras: { expressions: 'Lower("code")' }, name: 'order_code_ci_uniq' });
    expect(lower.change).toBe('order-code-ci-uniq');
    expect(ops(lower.phases[0]!).at(-1)).toMatchObject({ constraint: 'models.UniqueConstraint(models.functions.Lower("code"), name="order_code_ci_uniq")', comment: expect.stringContaining('kept as the index') });
  });
});
