import { describe, expect, it } from 'vitest';
import { dropTablePlan, type DropTableInput } from './plan.js';
import type { MigrationOperation, Phase } from '../shared/types.js';
import type { DjangoApp } from '../../project/types.js';
import { field, model, relation, shop, shopModels } from '../../../test/support/remove-fixtures.js';

function plan(name: string, overrides: Partial<DropTableInput> & { apps?: DjangoApp[] } = {}) {
  const app = overrides.app ?? shop();
  return dropTablePlan({
    app,
    apps: overrides.apps ?? [app],
    model: app.models.find((m) => m.name === name)!,
    database: 'postgresql',
    lock: { lockTimeout: '1s', retries: 10 },
    batchSize: 10_000,
    changeId: undefined,
    ...overrides,
  });
}

const kinds = (phase: Phase) => phase.migration?.operations.map((op) => op.kind) ?? [];
const ops = <K extends MigrationOperation['kind']>(phase: Phase, kind: K) =>
  phase.migration!.operations.filter((o): o is Extract<MigrationOperation, { kind: K }> => o.kind === kind);

describe('drop-table plan', () => {
  const p = plan('Shipment');
  const [remove, drop] = p.phases as [Phase, Phase];

  it('takes two releases and names the change drop-<model>', () => {
    expect(p.change).toBe('drop-shipment');
    expect(p.phases.map((ph) => `${ph.number}/${ph.of} ${ph.name}`)).toEqual(['1/2 remove', '2/2 drop']);
  });

  it('release 1: the class leaves models.py and the state; its foreign keys become database-level ones', () => {
    expect(kinds(remove)).toEqual(['replace-foreign-key', 'state-only']);
    expect(ops(remove, 'replace-foreign-key')[0]).toMatchObject({ table: 'shop_shipment', column: 'order_id', toTable: 'shop_order', toColumn: 'id', onDelete: 'CASCADE' });
    expect(ops(remove, 'state-only')[0]!.operations).toEqual([{ kind: 'DeleteModel', name: 'Shipment' }]);
    expect(remove.modelEdits).toEqual([{ kind: 'remove-model', model: 'Shipment' }]);
  });

  it('release 2: drops the table, keeping the model as it was so that the rollback recreates it', () => {
    expect(kinds(drop)).toEqual(['backwards-only', 'drop-table']);
    const dropTable = ops(drop, 'drop-table')[0]!;
    expect(dropTable.table).toBe('shop_shipment');
    expect(dropTable.model!.fields.map((f) => f.name)).toEqual(['order', 'carrier', 'tracking_code', 'shipped_at']);
    expect(dropTable.model!.fields[0]!.field).toBe('models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, to="shop.order")');
    expect(dropTable.model!.options).toEqual({});
    expect(drop.migration!.imports).toEqual(['import django.db.models.deletion']);
    expect(drop.migration!.irreversible).toBeNull();
    expect(drop.modelEdits).toEqual([]);
  });

  it('keeps the models file in the plan: after release 1 the model is gone, and advance must still find the file', () => {
    expect(p.inputs.modelsFile).toBe('shop/models.py');
  });

  it('refuses while other models point at the model, naming them and the commands to run first', () => {
    expect(() => plan('Order')).toThrow(
      'Order is still referenced by shop.Shipment.order; remove that field first: bg-scaffold remove-column --app shop --model Shipment --field order',
    );
    expect(() => plan('Customer')).toThrow(/referenced by shop\.Order\.customer/);
  });

  it('finds references from other apps, by "app.Model" string', () => {
    const billing: DjangoApp = { ...shop(), label: 'billing', dir: 'billing', models: [model('Invoice', [relation('shipment', 'ForeignKey', '"shop.Shipment"', 'PROTECT')])] };
    const app = shop();
    expect(() => plan('Shipment', { app, apps: [app, billing] })).toThrow(/billing\.Invoice\.shipment.*--app billing --model Invoice --field shipment/);
  });

  it("maps each foreign key's on_delete, skips self-references, and handles many-to-many tables", () => {
    const models = shopModels();
    const gadget = model('Gadget', [
      relation('customer', 'ForeignKey', 'Customer', 'PROTECT'),
      relation('parent', 'ForeignKey', '"self"', 'CASCADE', { null: 'True' }),
      field('products', 'ManyToManyField', {}, { column: '', args: ['Product'], relatedModel: 'Product' }),
    ]);
    const app = shop(models);
    app.models.push(gadget);
    const p = plan('Gadget', { app, apps: [app] });
    expect(ops(p.phases[0]!, 'replace-foreign-key').map((o) => [o.table, o.column, o.toTable, o.onDelete])).toEqual([
      ['shop_gadget', 'customer_id', 'shop_customer', 'NO ACTION'],
      ['shop_gadget_products', 'product_id', 'shop_product', 'CASCADE'],
    ]);
    const drop = ops(p.phases[1]!, 'drop-table')[0]!;
    expect(drop.model!.fields.find((f) => f.name === 'products')!.field).toBe('models.ManyToManyField(to="shop.product")');
  });

  it('is irreversible, and says so, when the model cannot be written into a migration', () => {
    const models = shopModels();
    const weird = model('Weird', [field('code', 'CharField', { max_length: '8', default: 'make_code' })]);
    const app = shop(models);
    app.models.push(weird);
    const p = plan('Weird', { app, apps: [app] });
    expect(ops(p.phases[1]!, 'drop-table')[0]!.model).toBeNull();
    expect(p.phases[1]!.migration!.irreversible).toMatch(/make_code/);
    expect(p.warnings.join('\n')).toMatch(/cannot be reversed/);
  });

  it('refuses multi-table inheritance and abstract models', () => {
    const models = shopModels();
    const app = shop(models);
    app.models.push(model('GiftShipment', [field('message', 'TextField')], { bases: ['Shipment'] }));
    expect(() => plan('Shipment', { app, apps: [app] })).toThrow(/GiftShipment inherits from Shipment/);
    const abstract = shop();
    abstract.models.push(model('Base', [], { abstract: true }));
    expect(() => plan('Base', { app: abstract, apps: [abstract] })).toThrow(/abstract/);
  });

  it('on other databases: a model without foreign keys drops through the schema editor; one with them is refused', () => {
    const models = shopModels();
    const app = shop(models);
    app.models.push(model('Banner', [field('text', 'TextField')]));
    const p = plan('Banner', { app, apps: [app], database: 'sqlite' });
    expect(kinds(p.phases[0]!)).toEqual(['state-only']);
    expect(ops(p.phases[1]!, 'drop-table-portable')[0]!.tables).toEqual(['shop_banner']);
    expect(p.phases[1]!.migration!.irreversible).not.toBeNull();
    expect(() => plan('Shipment', { database: 'mysql' })).toThrow(/for PostgreSQL only/);
  });
});
