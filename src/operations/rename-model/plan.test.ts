import { describe, expect, it } from 'vitest';
import { field, orderModel, shopApp } from '../../../test/support/plan-fixtures.js';
import type { Database, DjangoModel } from '../../project/types.js';
import type { MigrationOperation, Phase } from '../shared/types.js';
import { renameModelPlan, type RenameModelInput } from './plan.js';

const shipment: DjangoModel = {
  ...orderModel([field('order', 'OneToOneField', { on_delete: 'models.CASCADE' }, { relatedModel: 'Order', args: ['Order'] })]),
  name: 'Shipment',
  dbTable: 'shop_shipment',
};

function plan(overrides: Partial<RenameModelInput> = {}, models: DjangoModel[] = [orderModel(), shipment]) {
  const app = shopApp(models);
  return renameModelPlan({ app, apps: [app], model: models[0]!, to: 'Purchase', contribInstalled: true, database: 'postgresql', lock: { lockTimeout: '1s', retries: 10 }, batchSize: 500, changeId: undefined, ...overrides });
}

const kinds = (phase: Phase) => phase.migration?.operations.map((op) => op.kind) ?? [];
const op = <K extends MigrationOperation['kind']>(phase: Phase, kind: K) => phase.migration!.operations.find((o): o is Extract<MigrationOperation, { kind: K }> => o.kind === kind)!;

describe('rename-model plan', () => {
  it('keeps the table by default: Meta.db_table pinned, the rename in Django\'s state only', () => {
    const p = plan();
    const [first] = p.phases as [Phase, Phase];
    expect(p.strategy).toBe('keep-table');
    expect(kinds(first)).toEqual(['state-only', 'rename-model-records']);
    expect(first.modelEdits.map((e) => e.kind)).toEqual(['rename-class', 'set-meta-option', 'add-alias', 'retarget-relation']);
  });

  describe('move-table: the table takes the new name, a view under the old one serves the previous release', () => {
    const p = plan({ strategy: 'move-table' });
    const [first, second] = p.phases as [Phase, Phase];

    it('release 1 renames the table and creates the view in one transaction, after Django\'s state renames the model', () => {
      expect(kinds(first)).toEqual(['state-only', 'ddl', 'rename-model-records']);
      expect(op(first, 'state-only').operations).toEqual([{ kind: 'RenameModel', oldName: 'Order', newName: 'Purchase' }]);
      expect(op(first, 'ddl').sql).toEqual(['ALTER TABLE "shop_order" RENAME TO "shop_purchase"', 'CREATE OR REPLACE VIEW "shop_order" AS SELECT * FROM "shop_purchase"']);
      expect(op(first, 'ddl').reverseSql).toEqual(['DROP VIEW IF EXISTS "shop_order"', 'ALTER TABLE "shop_purchase" RENAME TO "shop_order"']);
      expect(first.migration!.atomic).toBe(true);
    });

    it('pins no db_table: the model takes Django\'s default table name', () => {
      expect(first.modelEdits.map((e) => e.kind)).toEqual(['rename-class', 'add-alias', 'retarget-relation']);
    });

    it('release 2 drops the view (backwards: creates it again) and retires the old permissions', () => {
      expect(second.name).toBe('drop-view');
      expect(kinds(second)).toEqual(['ddl', 'rename-model-records']);
      expect(op(second, 'ddl')).toMatchObject({ sql: ['DROP VIEW IF EXISTS "shop_order"'], reverseSql: ['CREATE OR REPLACE VIEW "shop_order" AS SELECT * FROM "shop_purchase"'] });
    });

    it('tells the previous release what no longer works on a view, and to retire before release 2', () => {
      expect(first.risks.at(-1)).toMatch(/^Raw SQL of the previous release that needs a table, not a view/);
      expect(first.beforeNext[0]).toBe('Retire the previous release: it checks the permissions named after order, which release 2 deletes; it reads and writes the view shop_order, which release 2 drops.');
    });
  });

  describe('move-table is refused where it cannot work', () => {
    it.each<[string, Partial<RenameModelInput>, DjangoModel[] | undefined, RegExp]>([
      ['on SQLite', { database: 'sqlite' as Database }, undefined, /--strategy move-table needs PostgreSQL, which writes through a view; sqlite keeps the table \(--strategy keep-table\)/],
      ['for a table Meta names', {}, [{ ...orderModel(), dbTable: 'orders' }], /--strategy move-table Meta\.db_table names its table \(orders\): it keeps that name/],
      ['onto another model\'s table', {}, [orderModel(), { ...shipment, name: 'Ledger', dbTable: 'shop_purchase' }], /--strategy move-table: the table shop_purchase is shop\.Ledger's; give another --to, or --strategy keep-table/],
    ])('%s', (_what, overrides, models, message) => {
      expect(() => plan({ strategy: 'move-table', ...overrides }, models)).toThrow(message);
    });
  });
});
