import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../errors.js';
import { indexesRemovedWithField, metaReferences, metaReferencesToRename, refuseRelatedMetaReferences } from './meta-references.js';
import { removeColumnPlan } from '../remove-column/plan.js';
import { renameColumnPlan } from '../rename-column/plan.js';
import type { Database, DjangoModel, DjangoModelFacts } from '../../project/types.js';
import { field, orderModel, shopApp } from '../../../test/support/plan-fixtures.js';

type Meta = DjangoModelFacts['meta'];

function withMeta(meta: Partial<Meta>): DjangoModel {
  const model = orderModel([field('quantity', 'IntegerField'), field('customer', 'ForeignKey', {}, { column: 'customer_id' }), field('note', 'TextField')]);
  return {
    ...model,
    django: {
      module: 'shop.models',
      proxy: false,
      parents: [],
      ownSave: true,
      managers: [],
      autoPk: { name: 'id', column: 'id', postgresType: 'bigint' },
      meta: {
        line: null,
        ordering: [],
        uniqueTogether: [],
        indexes: [],
        constraints: [],
        getLatestBy: null,
        orderWithRespectTo: null,
        alterOptions: { ordering: { source: "['-quantity', 'note']", imports: [] }, verbose_name: { source: "'order'", imports: [] } },
        ...meta,
      },
    },
  };
}

const named = (model: DjangoModel, name: string) => model.fields.find((f) => f.name === name)!;

describe('where Meta names a field', () => {
  it('finds ordering and get_latest_by paths, descending, random or through a relation', () => {
    const model = withMeta({ ordering: ['-quantity', 'customer__name', 'note'], getLatestBy: ['quantity'] });
    expect(metaReferences(model, named(model, 'quantity'))).toEqual([
      { option: 'ordering', entry: '"-quantity"' },
      { option: 'get_latest_by', entry: '"quantity"' },
    ]);
    expect(metaReferences(model, named(model, 'customer'))).toEqual([{ option: 'ordering', entry: '"customer__name"' }]);
  });

  it('finds *_together groups, index fields, expressions and conditions, constraint fields and conditions', () => {
    const model = withMeta({
      uniqueTogether: [['customer', 'note']],
      indexTogether: [['quantity', 'note']],
      indexes: [{ name: 'by_qty', fields: ['-quantity'], condition: null }, { name: 'other', fields: ['note'], condition: "(AND: ('quantity__gt', 0))" }],
      indexExpressions: { by_qty: [], other: [] },
      constraints: [{ name: 'qty_positive', type: 'CheckConstraint', fields: [], condition: "(AND: ('note__isnull', False), ('quantity__gte', F(customer_id)))" }],
    });
    expect(metaReferences(model, named(model, 'quantity'))).toEqual([
      { option: 'index_together', entry: '("quantity", "note")' },
      { option: 'indexes', entry: 'by_qty' },
      { option: 'indexes', entry: 'other' },
      { option: 'constraints', entry: 'qty_positive' },
    ]);
    // A foreign key by its attname too.
    expect(metaReferences(model, named(model, 'customer'))!.map((r) => r.entry)).toEqual(['("customer", "note")', 'qty_positive']);
  });

  it('does not take a field for another whose name it starts with', () => {
    const model = withMeta({ ordering: ['quantity_total', 'notes'] });
    expect(metaReferences(model, named(model, 'quantity'))).toEqual([]);
    expect(metaReferences(model, named(model, 'note'))).toEqual([]);
  });

  it('is unknown without Django, and a rename then refuses only when the Meta text may name the field', () => {
    const plain = { ...orderModel([field('quantity', 'IntegerField')]), metaText: 'class Meta:\n    ordering = ["-quantity"]' };
    expect(metaReferences(plain, named(plain, 'quantity'))).toBeNull();
    expect(() => metaReferencesToRename(plain, named(plain, 'quantity'), true)).toThrow(/reads only through Django; run it with the project's Python/);
    const unrelated = { ...plain, metaText: 'class Meta:\n    ordering = ["-quantity_total"]' };
    expect(metaReferencesToRename(unrelated, named(unrelated, 'quantity'), true)).toEqual([]);
  });
});

/** rename-column's input: Order.quantity to qty on PostgreSQL. */
const input = (model: DjangoModel, strategy: 'db-column' | 'trigger' | 'copy') => ({
  app: shopApp([model]),
  model,
  field: named(model, 'quantity'),
  to: 'qty',
  strategy,
  phases: undefined,
  database: 'postgresql' as Database,
  lock: { lockTimeout: '1s', retries: 10 },
  batchSize: 10_000,
  changeId: undefined,
});

describe('a rename of a field Meta names', () => {

  it('writes AlterModelOptions with every option the state holds, the new name in ordering', () => {
    const model = withMeta({ ordering: ['-quantity', 'note'] });
    const plan = renameColumnPlan(input(model, 'trigger'));
    const state = JSON.stringify(plan.phases[0]!.migration!.operations);
    expect(state).toContain(
      JSON.stringify({ kind: 'AlterModelOptions', name: 'order', options: [{ key: 'ordering', value: "['-qty', 'note']" }, { key: 'verbose_name', value: "'order'" }] }),
    );
    expect(plan.phases[0]!.modelEdits).toContainEqual({ kind: 'rename-in-meta', model: 'Order', from: 'quantity', to: 'qty', note: 'quantity renamed to qty' });
  });

  it('moves Meta to the new name in the release whose model loses the old field (copy)', () => {
    const model = withMeta({ ordering: ['-quantity', 'note'] });
    const plan = renameColumnPlan(input(model, 'copy'));
    const phasesWithMetaEdit = plan.phases.filter((p) => p.modelEdits.some((e) => e.kind === 'rename-in-meta')).map((p) => p.name);
    expect(phasesWithMetaEdit).toEqual(['retire']);
  });

  it('keeps unique_together, indexes and constraints to the db-column strategy, which restates them in the state only', () => {
    const together = withMeta({ uniqueTogether: [['quantity', 'note']] });
    expect(renameColumnPlan(input(together, 'db-column')).phases).toHaveLength(1);
    expect(() => renameColumnPlan(input(together, 'trigger'))).toThrow(/use --strategy db-column/);
    const definition = { source: "models.Index(fields=['-quantity', 'note'], name='by_qty')", imports: ['from django.db import models'] };
    const indexed = withMeta({ indexes: [{ name: 'by_qty', fields: ['-quantity', 'note'], condition: null, definition }] });
    const operations = JSON.stringify(renameColumnPlan(input(indexed, 'db-column')).phases[0]!.migration!.operations);
    expect(operations).toContain(JSON.stringify({ kind: 'RemoveIndex', modelName: 'order', name: 'by_qty' }));
    expect(operations).toContain(JSON.stringify({ kind: 'AddIndex', modelName: 'order', index: "models.Index(fields=['-qty', 'note'], name='by_qty')" }));
    // On a new column, a plain index is rebuilt on PostgreSQL (below); elsewhere it points to db-column.
    expect(() => renameColumnPlan({ ...input(indexed, 'copy'), database: 'mysql' })).toThrow(/a new column would need it rebuilt/);
    // Without Django's spelling of the index, not even db-column can restate it.
    const unspelled = withMeta({ indexes: [{ name: 'by_qty', fields: ['quantity'], condition: null }] });
    expect(() => renameColumnPlan(input(unspelled, 'db-column'))).toThrow(BgScaffoldError);
  });

  it('a removal refuses, naming every entry and that DROP COLUMN takes the indexes with it', () => {
    const model = withMeta({ ordering: ['quantity'], indexes: [{ name: 'by_qty', fields: ['quantity'], condition: null }] });
    expect(() => indexesRemovedWithField(model, named(model, 'quantity'), true)).toThrow(
      'Order.quantity is named in Meta.ordering "quantity"; Meta.indexes by_qty of Order: take it out of Meta first and ship that migration (makemigrations; build a replacement index or constraint CONCURRENTLY if the table still needs one, since DROP COLUMN drops the ones that include the column), then remove the field',
    );
  });

  it('a removal takes a plain index (fields and a name, nothing else) with the field, on PostgreSQL', () => {
    const plain = { source: "models.Index(fields=['customer', '-quantity'], name='by_qty')", imports: [] };
    const partial = { source: "models.Index(fields=['quantity'], name='open_qty', condition=models.Q(note=''))", imports: [] };
    const model = withMeta({
      indexes: [
        { name: 'by_qty', fields: ['customer', '-quantity'], condition: null, definition: plain },
        { name: 'by_note', fields: ['note'], condition: null, definition: { source: "models.Index(fields=['note'], name='by_note')", imports: [] } },
      ],
    });
    expect(indexesRemovedWithField(model, named(model, 'quantity'), true)).toEqual([{ name: 'by_qty', fields: ['customer', '-quantity'], unique: false }]);
    expect(indexesRemovedWithField(model, named(model, 'customer'), true)).toEqual([{ name: 'by_qty', fields: ['customer', '-quantity'], unique: false }]);
    // Elsewhere the schema editor decides what DROP COLUMN does to it: refused, as before.
    expect(() => indexesRemovedWithField(model, named(model, 'quantity'), false)).toThrow(/Meta\.indexes by_qty of Order: take it out of Meta first/);
    // A condition, an expression, an opclass or anything beyond fields and a name: refused.
    const conditional = withMeta({ indexes: [{ name: 'open_qty', fields: ['quantity'], condition: "(AND: ('note', ''))", definition: partial }] });
    expect(() => indexesRemovedWithField(conditional, named(conditional, 'quantity'), true)).toThrow(/Meta\.indexes open_qty/);
    const opclass = { source: "models.Index(fields=['quantity'], name='q_ops', opclasses=['int4_ops'])", imports: [] };
    const withOpclass = withMeta({ indexes: [{ name: 'q_ops', fields: ['quantity'], condition: null, definition: opclass }] });
    expect(() => indexesRemovedWithField(withOpclass, named(withOpclass, 'quantity'), true)).toThrow(/Meta\.indexes q_ops/);
  });
});

describe("another model's Meta reaching the field through a relation", () => {
  const order = withMeta({});
  const line = (ordering: string[]): DjangoModel => {
    const base = withMeta({ ordering });
    const key = field('order', 'ForeignKey', {}, {
      column: 'order_id',
      django: { internalType: 'ForeignKey', postgresType: 'bigint', migration: { error: 'n/a' }, target: { appLabel: 'shop', modelName: 'Order', table: 'shop_order', column: 'id', toField: null }, relatedName: null, generic: null },
    });
    return { ...base, name: 'Line', fields: [key] };
  };

  it('refuses a rename or removal that would leave ordering = ["-order__quantity"] on Line pointing at nothing', () => {
    const apps = [{ label: 'shop', models: [order, line(['-order__quantity'])] }];
    expect(() => refuseRelatedMetaReferences(order, named(order, 'quantity'), 'shop', apps, 'rename')).toThrow(
      'Order.quantity is named through a relation in Meta.ordering "-order__quantity" of shop.Line: change that first (makemigrations), then rename the field',
    );
    expect(() => refuseRelatedMetaReferences(order, named(order, 'note'), 'shop', apps, 'remove')).not.toThrow();
    expect(() => refuseRelatedMetaReferences(order, named(order, 'quantity'), 'shop', [{ label: 'shop', models: [order, line(['order'])] }], 'remove')).not.toThrow();
  });
});

describe('remove-column of a field in a plain Meta index (PostgreSQL)', () => {
  const definition = { source: "models.Index(fields=['customer', '-quantity'], name='by_qty')", imports: [] };
  const model = withMeta({ indexes: [{ name: 'by_qty', fields: ['customer', '-quantity'], condition: null, definition }] });
  const app = shopApp([model]);
  const plan = removeColumnPlan({
    app,
    apps: [app],
    model,
    field: named(model, 'quantity'),
    fill: undefined,
    database: 'postgresql',
    djangoVersion: '5.2',
    lock: { lockTimeout: '1s', retries: 10 },
    batchSize: 1000,
    changeId: undefined,
  });
  const remove = plan.phases.find((phase) => phase.name === 'remove')!;
  const drop = plan.phases.find((phase) => phase.name === 'drop')!;

  it('takes the index out of Meta and Django state with the field; the database keeps it for the previous release', () => {
    expect(remove.modelEdits).toEqual([
      { kind: 'remove-meta-index', model: 'Order', name: 'by_qty' },
      { kind: 'remove-field', model: 'Order', field: 'quantity' },
    ]);
    const state = remove.migration!.operations.find((op) => op.kind === 'state-only');
    expect(state && state.kind === 'state-only' && state.operations).toEqual([
      { kind: 'RemoveIndex', modelName: 'order', name: 'by_qty' },
      { kind: 'RemoveField', modelName: 'order', name: 'quantity' },
    ]);
    expect(remove.migration!.operations.map((op) => op.kind)).not.toContain('run-sql');
    expect(remove.migration!.why.join(' ')).toContain('The index "by_qty" of Meta.indexes names quantity');
  });

  it('drops it CONCURRENTLY before the column, and rebuilds it on the columns, in order, once the column is back', () => {
    const kinds = drop.migration!.operations.map((op) => op.kind);
    expect(kinds.indexOf('run-sql')).toBe(0);
    expect(kinds.indexOf('run-sql')).toBeLessThan(kinds.indexOf('ddl'));
    expect(drop.migration!.operations[0]).toMatchObject({
      sql: ['DROP INDEX CONCURRENTLY IF EXISTS "by_qty"'],
      reverseSql: ['DROP INDEX CONCURRENTLY IF EXISTS "by_qty"', 'CREATE INDEX CONCURRENTLY "by_qty" ON "shop_order" ("customer_id", "quantity" DESC)'],
      stateOperations: [],
    });
    expect(drop.migration!.atomic).toBe(false);
    expect(drop.database).toBe('Drops the index "by_qty" (CONCURRENTLY), then "quantity".');
    expect(drop.migration!.why.join(' ')).toContain('rebuilds the index "by_qty"');
  });
});

describe('rename-column of a field in a plain Meta index, on a new column (PostgreSQL)', () => {
  const definition = { source: "models.Index(fields=['customer', '-quantity'], name='by_qty')", imports: [] };
  const model = withMeta({ indexes: [{ name: 'by_qty', fields: ['customer', '-quantity'], condition: null, definition }] });
  const plan = (strategy: 'trigger' | 'copy') => renameColumnPlan(input(model, strategy));
  const build = {
    kind: 'run-sql',
    sql: ['DROP INDEX CONCURRENTLY IF EXISTS "by_qty_bg_new"', 'CREATE INDEX CONCURRENTLY "by_qty_bg_new" ON "shop_order" ("customer_id", "qty" DESC)'],
    reverseSql: ['DROP INDEX CONCURRENTLY IF EXISTS "by_qty_bg_new"'],
  };
  const restore = {
    kind: 'run-sql',
    sql: [],
    reverseSql: ['DROP INDEX CONCURRENTLY IF EXISTS "by_qty"', 'CREATE INDEX CONCURRENTLY "by_qty" ON "shop_order" ("customer_id", "quantity" DESC)'],
  };

  it('trigger: builds it on the new column beside the old one in release 1; the column drop takes the old one and the new one takes its name', () => {
    const [expand, contract] = plan('trigger').phases;
    expect(expand!.migration!.operations).toContainEqual(expect.objectContaining(build));
    // Django's state names the new field in the index, under the same name.
    const state = JSON.stringify(expand!.migration!.operations.filter((op) => op.kind === 'state-only'));
    expect(state).toContain("models.Index(fields=['customer', '-qty'], name='by_qty')");
    expect(contract!.migration!.operations[0]).toMatchObject(restore);
    const drop = contract!.migration!.operations.at(-1)!;
    expect(drop).toMatchObject({ kind: 'ddl' });
    expect(drop.kind === 'ddl' && drop.sql.at(-1)).toBe('ALTER INDEX IF EXISTS "by_qty_bg_new" RENAME TO "by_qty"');
    expect(drop.kind === 'ddl' && drop.reverseSql?.[0]).toBe('ALTER INDEX IF EXISTS "by_qty" RENAME TO "by_qty_bg_new"');
    expect(contract!.database).toContain('the index "by_qty", rebuilt on "qty" in release 1, takes its name back');
  });

  it('copy: builds it with the backfill (release 2), restates it when the old field leaves (3), swaps names when its column goes (4)', () => {
    const phases = plan('copy').phases;
    const phaseOf = (predicate: (ops: string) => boolean) => phases.filter((phase) => predicate(JSON.stringify(phase.migration?.operations ?? []))).map((phase) => phase.name);
    expect(phaseOf((ops) => ops.includes('CREATE INDEX CONCURRENTLY \\"by_qty_bg_new\\"'))).toEqual(['fill']);
    expect(phaseOf((ops) => ops.includes('"AddIndex"'))).toEqual(['retire']);
    expect(phaseOf((ops) => ops.includes('RENAME TO \\"by_qty\\"'))).toEqual(['drop']);
  });

  it('elsewhere, and for any index that is not plain, it still points to db-column', () => {
    expect(() => renameColumnPlan({ ...input(model, 'copy'), database: 'sqlite' })).toThrow(/use --strategy db-column/);
    const partial = withMeta({ indexes: [{ name: 'open_qty', fields: ['quantity'], condition: "(AND: ('note', ''))", definition }] });
    expect(() => renameColumnPlan(input(partial, 'trigger'))).toThrow(/a new column would need it rebuilt/);
  });
});

describe('rename-column of a field in a plain UniqueConstraint, on a new column (PostgreSQL)', () => {
  const definition = { source: "models.UniqueConstraint(fields=('customer', 'quantity'), name='one_qty')", imports: [] };
  const model = withMeta({ constraints: [{ name: 'one_qty', type: 'UniqueConstraint', fields: ['customer', 'quantity'], condition: null, definition }] });
  const [expand, contract] = renameColumnPlan(input(model, 'trigger')).phases;

  it('builds a unique index on the new columns beside the constraint, and restates the constraint in the state', () => {
    expect(expand!.migration!.operations).toContainEqual(
      expect.objectContaining({ kind: 'run-sql', sql: ['DROP INDEX CONCURRENTLY IF EXISTS "one_qty_bg_new"', 'CREATE UNIQUE INDEX CONCURRENTLY "one_qty_bg_new" ON "shop_order" ("customer_id", "qty")'] }),
    );
    const state = JSON.stringify(expand!.migration!.operations.filter((op) => op.kind === 'state-only'));
    expect(state).toContain('"RemoveConstraint"');
    expect(state).toContain("models.UniqueConstraint(fields=('customer', 'qty'), name='one_qty')");
  });

  it('makes it the constraint when DROP COLUMN takes the old one, and undoes that on rollback, the old constraint rebuilt last', () => {
    const drop = contract!.migration!.operations.at(-1)!;
    expect(drop.kind === 'ddl' && drop.sql.at(-1)).toContain('ADD CONSTRAINT "one_qty" UNIQUE USING INDEX "one_qty_bg_new"');
    expect(drop.kind === 'ddl' && drop.reverseSql?.[0]).toBe('ALTER TABLE "shop_order" DROP CONSTRAINT IF EXISTS "one_qty"');
    const [constraint, build] = contract!.migration!.operations;
    expect(build).toMatchObject({
      kind: 'run-sql',
      sql: [],
      reverseSql: [
        'DROP INDEX CONCURRENTLY IF EXISTS "one_qty_bg_new"',
        'CREATE UNIQUE INDEX CONCURRENTLY "one_qty_bg_new" ON "shop_order" ("customer_id", "qty")',
        'DROP INDEX CONCURRENTLY IF EXISTS "one_qty"',
        'CREATE UNIQUE INDEX CONCURRENTLY "one_qty" ON "shop_order" ("customer_id", "quantity")',
      ],
    });
    expect(constraint).toMatchObject({ kind: 'backwards-only', operation: { kind: 'ddl' } });
    expect(JSON.stringify(constraint)).toContain('ADD CONSTRAINT \\"one_qty\\" UNIQUE USING INDEX \\"one_qty\\"');
  });

  it('a removal still refuses it: what stays unique without the field is the developer\'s call', () => {
    expect(() => indexesRemovedWithField(model, named(model, 'quantity'), true)).toThrow(/Meta\.constraints one_qty of Order: take it out of Meta first/);
  });
});
