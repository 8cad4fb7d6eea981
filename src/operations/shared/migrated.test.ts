import { describe, expect, it } from 'vitest';
import { requireInMigrations } from './migrated.js';
import type { MigrationInfo, MigrationStateOperation } from '../../project/types.js';
import { field, orderModel, shopApp } from '../../../test/support/plan-fixtures.js';

const migration = (name: string, stateOperations: MigrationStateOperation[]): MigrationInfo => ({
  name,
  file: `shop/migrations/${name}.py`,
  number: Number(name.slice(0, 4)),
  dependencies: [],
  replaces: [],
  stateOperations,
});

const initial = migration('0001_initial', [{ kind: 'CreateModel', model: 'Order', fields: ['id', 'quantity', 'reference'] }]);
const order = orderModel();
const quantity = order.fields.find((f) => f.name === 'quantity')!;
const app = (...migrations: MigrationInfo[]) => ({ ...shopApp([order]), migrations });

describe('a model or field makemigrations has not seen', () => {
  it('a model no migration creates is refused: run makemigrations first', () => {
    expect(() => requireInMigrations(app(), order)).toThrow('shop.Order is not in any migration yet: run "python manage.py makemigrations shop" first');
    const other = migration('0001_initial', [{ kind: 'CreateModel', model: 'Customer', fields: ['id'] }]);
    expect(() => requireInMigrations(app(other), order)).toThrow(/shop\.Order is not in any migration yet/);
  });

  it('a model that CreateModel makes, under its name or one a RenameModel changed, is in the state', () => {
    expect(() => requireInMigrations(app(initial), order)).not.toThrow();
    const renamed = [
      migration('0001_initial', [{ kind: 'CreateModel', model: 'Purchase', fields: ['id', 'quantity'] }]),
      migration('0002_rename', [{ kind: 'RenameModel', oldName: 'Purchase', newName: 'Order' }]),
    ];
    expect(() => requireInMigrations(app(...renamed), order, quantity)).not.toThrow();
  });

  it('a field no migration adds is refused', () => {
    const status = order.fields.find((f) => f.name === 'status')!;
    expect(() => requireInMigrations(app(initial), order, status)).toThrow('shop.Order.status is not in any migration yet: run "python manage.py makemigrations shop" first');
  });

  it('a field that CreateModel, AddField or RenameField brings in is in the state', () => {
    expect(() => requireInMigrations(app(initial), order, quantity)).not.toThrow();
    const note = field('note', 'TextField');
    expect(() => requireInMigrations(app(initial, migration('0002_note', [{ kind: 'AddField', model: 'order', field: 'note' }])), order, note)).not.toThrow();
    const qty = field('qty', 'IntegerField');
    expect(() => requireInMigrations(app(initial, migration('0002_qty', [{ kind: 'RenameField', model: 'order', oldName: 'quantity', newName: 'qty' }])), order, qty)).not.toThrow();
  });

  it('a GenericForeignKey, which migrations never hold, is not asked for', () => {
    expect(() => requireInMigrations(app(initial), order, field('target', 'GenericForeignKey'))).not.toThrow();
  });
});
