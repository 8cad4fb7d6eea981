import { describe, expect, it } from 'vitest';
import { deriveChangeId, MAX_CHANGE_ID, validateChangeId, validateNewFieldName } from './names.js';
import type { DjangoModelFacts } from '../../project/types.js';
import { field, model, relation, shop, shopModels } from '../../../test/support/remove-fixtures.js';

describe('change ids', () => {
  it('are the model, field and new name, dashed and lower case', () => {
    expect(deriveChangeId(['Order', 'quantity', 'to', 'qty'])).toBe('order-quantity-to-qty');
  });

  it('a long one is shortened to fit the limit, keeps a readable prefix and stays distinct', () => {
    const model = 'ProviderNetworkInterfaceAssignment';
    const a = deriveChangeId([model, 'secondary_ipv6_address_prefix_length', 'to', 'secondary_ipv6_prefix_length_bits']);
    const b = deriveChangeId([model, 'secondary_ipv6_address_prefix_length', 'to', 'secondary_ipv6_prefix_length_total']);
    expect(a.length).toBeLessThanOrEqual(MAX_CHANGE_ID);
    expect(a).toMatch(/^providernetworkinterfaceassignment-secondary-ipv6-address-prefix/);
    expect(a).toMatch(/-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(() => validateChangeId(a)).not.toThrow();
  });

  it('names in other alphabets keep their ASCII spelling and stay distinct', () => {
    const a = deriveChangeId(['Order', 'add', 'größe']);
    expect(a).toMatch(/^order-add-grosse-[0-9a-f]{8}$/);
    expect(deriveChangeId(['Order', 'add', '数量'])).toMatch(/^order-add-[0-9a-f]{8}$/);
    expect(deriveChangeId(['Order', 'add', '数量'])).not.toBe(deriveChangeId(['Order', 'add', '价格']));
    expect(() => validateChangeId(a)).not.toThrow();
  });

  it('one that fits is left as it is', () => {
    const fits = deriveChangeId(['a'.repeat(40), 'b'.repeat(30), 'to', 'c']);
    expect(fits).toBe(`${'a'.repeat(40)}-${'b'.repeat(30)}-to-c`);
  });
});

describe('a new field name', () => {
  const apps = (models = shopModels()) => [shop(models)];
  const check = (name: string, modelName: keyof ReturnType<typeof shopModels> = 'order', models = shopModels()) => () =>
    validateNewFieldName(name, models[modelName], '--to', { appLabel: 'shop', apps: apps(models) });

  it('may be a Python soft keyword: match, case and type are ordinary names outside their statements', () => {
    for (const name of ['match', 'case', 'type']) expect(check(name), name).not.toThrow();
  });

  it('"_" is refused for what Django says of it (a trailing underscore), not as a keyword', () => {
    expect(check('_')).toThrow(/ends with "_".*fields\.E001/);
  });

  it('may be any identifier Python accepts, in any alphabet', () => {
    for (const name of ['größe', '数量', 'ñandú']) expect(check(name), name).not.toThrow();
    expect(check('2qty')).toThrow(/not a valid Python identifier/);
  });

  it('is refused when Python would read it as another name (NFKC)', () => {
    expect(check('ﬁeld')).toThrow(/read by Python as "field"/);
  });

  it('is not "id" on a model whose primary key Django adds as id (models.E004)', () => {
    expect(check('id')).toThrow(/"id" is the name of the primary key Django adds to Order.*models\.E004/);
  });

  it('may be "id" on a model whose declared primary key has another name', () => {
    const models = shopModels();
    models.product.fields[0] = field('sku', 'CharField', { max_length: '32', primary_key: 'True' }, { primaryKey: true });
    expect(check('id', 'product', models)).not.toThrow();
  });

  it('is not "objects" on a model that relies on the default manager', () => {
    expect(check('objects')).toThrow(/"objects" is the name Django gives Order's default manager.*custom Manager/);
  });

  it('may be "objects" when Django reports a manager under another name', () => {
    const models = shopModels();
    models.order = { ...models.order, django: djangoFacts([{ name: 'orders', className: 'django.db.models.Manager', isDefault: true }]) };
    expect(check('objects', 'order', models)).not.toThrow();
  });

  it('differs from every column by more than case (SQLite and MySQL fold it)', () => {
    expect(check('Quantity')).toThrow(/"Quantity" differs only in case from the column "quantity" of Order\.quantity/);
    expect(check('ID')).toThrow(/differs only in case from the column "id" of Order's primary key/);
    expect(check('Customer_Id')).toThrow(/differs only in case from the column "customer_id" of Order\.customer/);
  });

  it('is not a reverse accessor another model\'s foreign key gives this one (fields.E302)', () => {
    expect(check('orders', 'customer')).toThrow(/clashes with the reverse accessor that shop\.Order\.customer gives Customer \(fields\.E302\)/);
    // A one-to-one without related_name: the other model's name.
    expect(check('shipment', 'order')).toThrow(/reverse accessor that shop\.Shipment\.order gives Order/);
  });

  it('is not the reverse accessor or query name of a foreign key without related_name (<model>_set, <model>)', () => {
    const models = shopModels();
    models.shipment.fields.push(relation('product', 'ForeignKey', 'Product', 'PROTECT'));
    expect(check('shipment_set', 'product', models)).toThrow(/reverse accessor that shop\.Shipment\.product gives Product/);
    expect(check('shipment', 'product', models)).toThrow(/reverse query name that shop\.Shipment\.product gives Product \(fields\.E303\)/);
  });

  it('may be anything a hidden relation (related_name ending in "+") would have been called', () => {
    const models = shopModels();
    models.shipment.fields.push(relation('product', 'ForeignKey', 'Product', 'PROTECT', { related_name: '"+"' }));
    expect(check('shipment_set', 'product', models)).not.toThrow();
  });

  it('uses related_name as Django reports it, placeholders filled', () => {
    const models = shopModels();
    models.shipment.fields.push(relation('product', 'ForeignKey', 'Product', 'PROTECT', { related_name: '"%(app_label)s_%(class)s_items"' }));
    expect(check('shop_shipment_items', 'product', models)).toThrow(/reverse accessor that shop\.Shipment\.product/);
  });

  it('is not a method every Django model has', () => {
    expect(check('save', 'customer')).toThrow(/attribute every Django model has \(Model\.save\)/);
    expect(check('full_clean', 'customer')).toThrow(/Model\.full_clean/);
  });

  it('is not a method or property the model class defines', () => {
    expect(check('total')).toThrow(/already a method of Order/);
  });

  describe('with multi-table inheritance', () => {
    const withChild = () => {
      const models = shopModels();
      const child = model('DigitalProduct', [field('download_url', 'URLField')], { bases: ['Product'] });
      return { models, all: { ...shop(models), models: [...shop(models).models, child] }, child };
    };

    it('a child\'s new field does not take a field of its parent (models.E006), nor the parent link', () => {
      const { all, child } = withChild();
      const inChild = (name: string) => () => validateNewFieldName(name, child, '--name', { appLabel: 'shop', apps: [all] });
      expect(inChild('price')).toThrow(/already a field of Product, which DigitalProduct inherits \(models\.E006\)/);
      expect(inChild('id')).toThrow(/the primary key of Product, which DigitalProduct inherits/);
      expect(inChild('product_ptr')).toThrow(/the parent link Django adds to DigitalProduct/);
    });

    it('a parent\'s new field does not take the accessor of its child', () => {
      const { all, models } = withChild();
      expect(() => validateNewFieldName('digitalproduct', models.product, '--name', { appLabel: 'shop', apps: [all] })).toThrow(
        /reverse accessor that shop\.DigitalProduct gives Product/,
      );
    });
  });
});

function djangoFacts(managers: DjangoModelFacts['managers']): DjangoModelFacts {
  return {
    module: 'shop.models',
    proxy: false,
    parents: [],
    ownSave: true,
    managers,
    autoPk: { name: 'id', column: 'id', postgresType: 'bigint' },
    meta: { line: null, ordering: [], uniqueTogether: [], indexes: [], constraints: [], getLatestBy: null, orderWithRespectTo: null },
  };
}
