import { describe, expect, it } from 'vitest';
import { goneNames } from '../../../src/check/gone-names.js';
import { renameColumnPlan } from '../../../src/operations/rename-column/plan.js';
import { renameModelPlan } from '../../../src/operations/rename-model/plan.js';
import type { ChangePlan, MigrationOperation, Phase, RenameStrategy } from '../../../src/operations/shared/types.js';
import { field, orderModel, shopApp } from '../../support/plan-fixtures.js';

function rename(strategy: RenameStrategy, phases?: 3 | 4, fieldName = 'quantity', to = 'qty'): ChangePlan {
  const model = orderModel();
  return renameColumnPlan({
    app: shopApp([model]),
    model,
    field: model.fields.find((f) => f.name === fieldName)!,
    to,
    strategy,
    phases,
    database: 'postgresql',
    lock: { lockTimeout: '1s', retries: 10 },
    batchSize: 10_000,
    changeId: undefined,
  });
}

/** `name@phase` of what is gone after `applied` phases. */
const gone = (plan: ChangePlan, applied: number) => goneNames(plan, applied).map((g) => `${g.target.kind}:${g.target.model}.${g.target.name}@${g.phase}`);

/** A plan of hand-written phases, as remove-column and drop-table will produce. */
function planOf(phases: Array<{ operations: MigrationOperation[] }>): ChangePlan {
  const base = rename('trigger');
  return {
    ...base,
    change: 'synthetic',
    phases: phases.map(
      (p, i): Phase => ({
        ...base.phases[0]!,
        number: i + 1,
        of: phases.length,
        modelEdits: [],
        codeBlocks: [],
        migration: { ...base.phases[0]!.migration!, operations: p.operations },
      }),
    ),
  };
}

describe('goneNames: what an applied phase took away, from the plan data', () => {
  it('rename-column trigger: the old name is gone after phase 1', () => {
    const plan = rename('trigger');
    expect(gone(plan, 0)).toEqual([]);
    expect(gone(plan, 1)).toEqual(['field:Order.quantity@1']);
    expect(gone(plan, 2)).toEqual(['field:Order.quantity@1']);
    expect(goneNames(plan, 1)[0]!.how).toBe('renamed to `qty`');
  });

  it('rename-column db-column: the old attribute name is gone after its only phase', () => {
    expect(gone(rename('db-column'), 1)).toEqual(['field:Order.quantity@1']);
  });

  it('rename-column copy: the old name stays through the dual-write phases and is gone once it leaves the state', () => {
    const four = rename('copy', 4);
    expect(gone(four, 1)).toEqual([]);
    expect(gone(four, 2)).toEqual([]);
    expect(gone(four, 3)).toEqual(['field:Order.quantity@3']);
    const three = rename('copy', 3);
    expect(gone(three, 1)).toEqual([]);
    expect(gone(three, 2)).toEqual(['field:Order.quantity@2']);
  });

  it('a relation renamed with db-column also takes its attname (customer_id) away', () => {
    const model = orderModel([field('customer', 'ForeignKey', { on_delete: 'models.PROTECT' }, { args: ['Customer'], relatedModel: 'Customer' }), field('quantity', 'IntegerField')]);
    const plan = renameColumnPlan({
      app: shopApp([model]),
      model,
      field: model.fields[0]!,
      to: 'buyer',
      strategy: 'db-column',
      phases: undefined,
      database: 'postgresql',
      lock: { lockTimeout: '1s', retries: 10 },
      batchSize: 10_000,
      changeId: undefined,
    });
    expect(gone(plan, 1)).toEqual(['field:Order.customer@1', 'field:Order.customer_id@1']);
  });

  it('reads RemoveField and DeleteModel wherever they nest, and ignores database-only and backwards-only operations', () => {
    const plan = planOf([
      {
        operations: [
          { kind: 'drop-not-null', comment: '', table: 'shop_order', column: 'note' },
          {
            kind: 'separate',
            comment: '',
            databaseOperations: [{ kind: 'RemoveField', modelName: 'order', name: 'status' }],
            stateOperations: [],
          },
          { kind: 'backwards-only', comment: '', operation: { kind: 'state-only', comment: '', operations: [{ kind: 'RemoveField', modelName: 'order', name: 'reference' }] } },
        ],
      },
      { operations: [{ kind: 'state-only', comment: '', operations: [{ kind: 'RemoveField', modelName: 'order', name: 'note' }] }] },
      // A future operation kind: the walk finds the state operation inside it all the same.
      { operations: [{ kind: 'state-only', comment: '', operations: [{ kind: 'DeleteModel', name: 'Shipment' } as never] }] },
    ]);
    expect(gone(plan, 1)).toEqual([]);
    expect(gone(plan, 2)).toEqual(['field:Order.note@2']);
    expect(gone(plan, 3)).toEqual(['field:Order.note@2', 'model:Shipment.Shipment@3']);
    expect(goneNames(plan, 3).map((g) => g.how)).toEqual(['removed from the model', 'deleted']);
  });

  it('a name added back by a later applied phase is not gone', () => {
    const plan = planOf([
      { operations: [{ kind: 'state-only', comment: '', operations: [{ kind: 'RemoveField', modelName: 'order', name: 'note' }] }] },
      { operations: [{ kind: 'django', comment: '', operation: { kind: 'AddField', modelName: 'order', name: 'note', field: 'models.TextField()' } }] },
    ]);
    expect(gone(plan, 1)).toEqual(['field:Order.note@1']);
    expect(gone(plan, 2)).toEqual([]);
  });
});

describe('rename-model: the alias keeps the old class name in the code until release 2 takes it out', () => {
  const model = orderModel();
  const app = shopApp([model]);
  const plan = renameModelPlan({ app, apps: [app], model, to: 'Purchase', contribInstalled: true, database: 'postgresql', lock: { lockTimeout: '1s', retries: 10 }, batchSize: 10_000, changeId: undefined });

  it('nothing is gone after release 1: Order = Purchase stands beside the class', () => {
    expect(gone(plan, 1)).toEqual([]);
  });

  it('Order is gone after release 2, which removes the alias', () => {
    expect(gone(plan, 2)).toEqual(['model:Order.Order@2']);
  });
});
