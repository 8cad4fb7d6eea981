import { describe, expect, it } from 'vitest';
import { orderModel, shopApp } from '../../../test/support/plan-fixtures.js';
import type { Phase } from '../shared/types.js';
import { changeColumnTypePlan, type ChangeColumnTypeInput } from './plan.js';

function plan(overrides: Partial<ChangeColumnTypeInput> = {}) {
  const model = orderModel();
  return changeColumnTypePlan({
    app: shopApp([model]),
    model,
    field: model.fields.find((f) => f.name === 'quantity')!,
    fieldName: 'quantity',
    type: 'BigIntegerField',
    database: 'postgresql',
    lock: { lockTimeout: '1s', retries: 10 },
    batchSize: 10_000,
    changeId: undefined,
    ...overrides,
  });
}

const kinds = (phase: Phase) => phase.migration?.operations.map((op) => op.kind) ?? [];

describe('change-column-type --backfill background (int → bigint, a column swap)', () => {
  const inMigrate = plan();
  const p = plan({ backfill: 'background' });
  const [expand, swap, contract] = p.phases as [Phase, Phase, Phase];

  it('keeps three releases: the sync trigger makes release 1 the registering release, and release 2 already waits for the filled column', () => {
    expect(p.phases.map((phase) => phase.name)).toEqual(inMigrate.phases.map((phase) => phase.name));
    expect(p.background).toMatchObject({ registeredIn: 1, guardedIn: 2 });
  });

  it('release 1 registers the fill right after the trigger, and builds nothing that needs the filled rows', () => {
    expect(kinds(inMigrate.phases[0]!)).toEqual(['ddl', 'sync-column', 'backfill', 'set-not-null', 'mirror-column']);
    expect(kinds(expand)).toEqual(['ddl', 'sync-column', 'register-backfill']);
    expect(expand.migration!.operations[2]).toMatchObject({ name: 'order-quantity-to-biginteger/shop_order.quantity_bg_new', set: '"quantity_bg_new" = "quantity"' });
  });

  it('release 2 begins with the guard, then NOT NULL and the mirrored indexes and constraints, then the swap', () => {
    expect(kinds(swap)).toEqual(['require-backfill-finished', 'set-not-null', 'mirror-column', ...kinds(inMigrate.phases[1]!)]);
  });

  it('release 3 is unchanged', () => {
    expect(contract).toEqual(inMigrate.phases[2]);
  });

  it('refuses it where the change is metadata only, and off PostgreSQL', () => {
    expect(() => plan({ fieldName: 'reference', field: orderModel().fields.find((f) => f.name === 'reference')!, type: 'TextField', backfill: 'background' })).toThrow(
      /is a change of metadata only, which fills nothing/,
    );
    expect(() => plan({ database: 'sqlite', backfill: 'background' })).toThrow(/^--backfill background needs PostgreSQL/);
  });
});
