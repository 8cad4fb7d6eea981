/** examples/shop as plain data, with every model, for the remove-column and drop-table plans. */
import type { DjangoApp, DjangoField, DjangoModel } from '../../src/project/types.js';
import { field, shopApp } from './plan-fixtures.js';

function model(name: string, fields: DjangoField[], extra: Partial<DjangoModel> = {}): DjangoModel {
  return {
    name,
    file: 'shop/models.py',
    dbTable: `shop_${name.toLowerCase()}`,
    abstract: false,
    bases: ['models.Model'],
    fields,
    methods: ['__str__'],
    otherAttributes: [],
    range: { start: 0, end: 0 },
    line: 1,
    bodyIndent: '    ',
    ...extra,
  };
}

const relation = (name: string, cls: string, target: string, onDelete: string, kwargs: Record<string, string> = {}) =>
  field(name, cls, { on_delete: `models.${onDelete}`, ...kwargs }, { args: [target], relatedModel: target, onDelete });

export function shopModels(): { customer: DjangoModel; product: DjangoModel; order: DjangoModel; shipment: DjangoModel } {
  return {
    customer: model('Customer', [
      field('email', 'EmailField', { unique: 'True' }),
      field('name', 'CharField', { max_length: '100' }),
      field('created_at', 'DateTimeField', { auto_now_add: 'True' }),
    ]),
    product: model('Product', [
      field('sku', 'CharField', { max_length: '32', unique: 'True' }),
      field('name', 'CharField', { max_length: '200', db_index: 'True' }),
      field('price', 'DecimalField', { max_digits: '10', decimal_places: '2' }),
      field('active', 'BooleanField', { default: 'True' }),
    ]),
    order: model(
      'Order',
      [
        relation('customer', 'ForeignKey', 'Customer', 'PROTECT', { related_name: '"orders"' }),
        relation('product', 'ForeignKey', 'Product', 'CASCADE', { related_name: '"orders"' }),
        field('quantity', 'IntegerField'),
        field('reference', 'CharField', { max_length: '20', unique: 'True' }),
        field('status', 'CharField', { max_length: '20', default: '"new"', db_index: 'True' }),
        field('note', 'TextField', { blank: 'True', default: '""' }),
        field('placed_at', 'DateTimeField', { default: 'timezone.now' }),
      ],
      { methods: ['__str__', 'save', 'total'] },
    ),
    shipment: model('Shipment', [
      relation('order', 'OneToOneField', 'Order', 'CASCADE'),
      field('carrier', 'CharField', { max_length: '50' }),
      field('tracking_code', 'CharField', { max_length: '64', blank: 'True', db_index: 'True' }),
      field('shipped_at', 'DateTimeField', { null: 'True', blank: 'True' }),
    ]),
  };
}

export function shop(models = shopModels()): DjangoApp {
  return shopApp([models.customer, models.product, models.order, models.shipment]);
}

export { field, model, relation };
