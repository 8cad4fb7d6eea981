/** Project facts as plain data, shaped like examples/shop, for playbook and renderer tests. */
import type { DjangoApp, DjangoField, DjangoModel } from '../../src/project/types.js';

export function field(name: string, fieldClass: string, kwargs: Record<string, string> = {}, extra: Partial<DjangoField> = {}): DjangoField {
  const relation = fieldClass === 'ForeignKey' || fieldClass === 'OneToOneField';
  return {
    name,
    fieldClass,
    callee: `models.${fieldClass}`,
    column: kwargs.db_column ? JSON.parse(kwargs.db_column) : relation ? `${name}_id` : name,
    args: [],
    kwargs,
    nullable: kwargs.null === 'True',
    unique: kwargs.unique === 'True' || fieldClass === 'OneToOneField',
    primaryKey: kwargs.primary_key === 'True',
    dbIndex: kwargs.db_index === 'True' || (relation && kwargs.db_index !== 'False'),
    defaultSource: kwargs.default ?? null,
    dbDefaultSource: kwargs.db_default ?? null,
    relatedModel: null,
    onDelete: null,
    range: { start: 0, end: 0 },
    line: 1,
    endLine: 1,
    ...extra,
  };
}

export function orderModel(fields?: DjangoField[], methods = ['__str__', 'save']): DjangoModel {
  return {
    name: 'Order',
    file: 'shop/models.py',
    dbTable: 'shop_order',
    abstract: false,
    bases: ['models.Model'],
    fields: fields ?? [
      field('customer', 'ForeignKey', { on_delete: 'models.PROTECT', related_name: '"orders"' }, { args: ['Customer'] }),
      field('quantity', 'IntegerField'),
      field('reference', 'CharField', { max_length: '20', unique: 'True' }),
      field('status', 'CharField', { max_length: '20', default: '"new"', db_index: 'True' }),
      field('note', 'TextField', { blank: 'True', default: '""' }),
    ],
    methods,
    otherAttributes: [],
    range: { start: 0, end: 0 },
    line: 1,
    bodyIndent: '    ',
  };
}

export function shopApp(models: DjangoModel[] = [orderModel()]): DjangoApp {
  return {
    label: 'shop',
    module: 'shop',
    dir: 'shop',
    modelFiles: ['shop/models.py'],
    migrationsDir: 'shop/migrations',
    migrations: [],
    leaf: '0003_shipment',
    leaves: ['0003_shipment'],
    nextNumber: 4,
    models,
  };
}
