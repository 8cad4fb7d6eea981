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
      const [rename, view, grants] = op(first, 'ddl').sql;
      expect([rename, view]).toEqual(['ALTER TABLE "shop_order" RENAME TO "shop_purchase"', 'CREATE OR REPLACE VIEW "shop_order" AS SELECT * FROM "shop_purchase"']);
      // A view starts with its owner's privileges alone: the roles the table grants to get them on the view.
      expect(grants).toContain(`WHERE c.oid = '"shop_purchase"'::regclass AND a.grantee <> c.relowner`);
      expect(grants).toContain(`EXECUTE format('GRANT %s ON %I TO %s', granted.privilege_type, 'shop_order', granted.grantee);`);
      expect(op(first, 'ddl').reverseSql).toEqual(['DROP VIEW IF EXISTS "shop_order"', 'ALTER TABLE "shop_purchase" RENAME TO "shop_order"']);
      expect(first.migration!.atomic).toBe(true);
    });

    it('pins no db_table: the model takes Django\'s default table name', () => {
      expect(first.modelEdits.map((e) => e.kind)).toEqual(['rename-class', 'add-alias', 'retarget-relation']);
    });

    it('release 2 drops the view (backwards: creates it again) and retires the old permissions', () => {
      expect(second.name).toBe('drop-view');
      expect(kinds(second)).toEqual(['ddl', 'rename-model-records']);
      expect(op(second, 'ddl').sql).toEqual(['DROP VIEW IF EXISTS "shop_order"']);
      expect(op(second, 'ddl').reverseSql![0]).toBe('CREATE OR REPLACE VIEW "shop_order" AS SELECT * FROM "shop_purchase"');
      expect(op(second, 'ddl').reverseSql![1]).toContain("'shop_order', granted.grantee");
    });

    it('tells the previous release what no longer works on a view, and to retire before release 2', () => {
      expect(first.risks.at(-1)).toMatch(/^Raw SQL of the previous release that needs a table, not a view/);
      expect(first.beforeNext[0]).toBe('Retire the previous release: it checks the permissions named after order, which release 2 deletes; it reads and writes the view shop_order, which release 2 drops.');
    });
  });

  describe("move-table moves the model's own many-to-many tables with it", () => {
    const topics = (kwargs: Record<string, string> = {}, target = 'Tag') => field('topics', 'ManyToManyField', { blank: 'True', ...kwargs }, { relatedModel: target, args: [target], column: '' });
    const withTopics = (m2m = topics()) => [orderModel([...orderModel().fields, m2m]), shipment];

    it('the table and the column named after the model move; a view gives the previous release the old names', () => {
      const [first, second] = plan({ strategy: 'move-table' }, withTopics()).phases as [Phase, Phase];
      const moves = first.migration!.operations.filter((o): o is Extract<MigrationOperation, { kind: 'ddl' }> => o.kind === 'ddl');
      expect(moves[1]!.sql.slice(0, 3)).toEqual([
        'ALTER TABLE "shop_order_topics" RENAME TO "shop_purchase_topics"',
        'ALTER TABLE "shop_purchase_topics" RENAME COLUMN "order_id" TO "purchase_id"',
        'CREATE OR REPLACE VIEW "shop_order_topics" AS SELECT "id", "purchase_id" AS "order_id", "tag_id" FROM "shop_purchase_topics"',
      ]);
      expect(moves[1]!.sql[3]).toContain(`'"shop_purchase_topics"'::regclass`);
      expect(moves[1]!.reverseSql).toEqual([
        'DROP VIEW IF EXISTS "shop_order_topics"',
        'ALTER TABLE "shop_purchase_topics" RENAME COLUMN "purchase_id" TO "order_id"',
        'ALTER TABLE "shop_purchase_topics" RENAME TO "shop_order_topics"',
      ]);
      expect(op(second, 'ddl').sql).toEqual(['DROP VIEW IF EXISTS "shop_order"', 'DROP VIEW IF EXISTS "shop_order_topics"']);
    });

    it.each<[string, Partial<RenameModelInput>, DjangoModel[], RegExp]>([
      ['keeping the table (its column would need the new name)', {}, withTopics(), /Order\.topics is a many-to-many field whose table has a column named after Order \(order_id\); --strategy move-table moves that table too/],
      ['a table the field names', { strategy: 'move-table' }, withTopics(topics({ db_table: '"order_topics"' })), /Order\.topics names its many-to-many table \(db_table\)/],
      ['to the model itself', { strategy: 'move-table' }, withTopics(topics({}, '"self"')), /Order\.topics is a many-to-many field to Order itself/],
    ])('refused: %s', (_what, overrides, models, message) => {
      expect(() => plan(overrides, models)).toThrow(message);
    });
  });

  it("depends on the latest migration of each other app with a relation to the model, so that Django's state renames it there", () => {
    const invoice: DjangoModel = { ...shipment, name: 'Invoice', file: 'billing/models.py', dbTable: 'billing_invoice', fields: [field('order', 'ForeignKey', {}, { relatedModel: '"shop.Order"' })] };
    const shop = shopApp([orderModel()]);
    const billing = { ...shopApp([invoice]), label: 'billing', leaf: '0002_invoice_total' };
    const p = renameModelPlan({ app: shop, apps: [shop, billing], model: shop.models[0]!, to: 'Purchase', contribInstalled: true, database: 'postgresql', lock: { lockTimeout: '1s', retries: 10 }, batchSize: 500, changeId: undefined });
    expect(p.phases[0]!.migration!.extraDependencies).toEqual([
      ['billing', '0002_invoice_total'],
      ['contenttypes', '0002_remove_content_type_name'],
      ['auth', '0001_initial'],
    ]);
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
