/**
 * A column a plan adds by hand gets the CHECK Django's own schema editor would give it
 * (Positive*IntegerField: "col" >= 0): NOT VALID at once, validated once the column is filled.
 * (add-column offers no positive types.)
 */
import { describe, expect, it } from 'vitest';
import { removeColumnPlan } from '../remove-column/plan.js';
import { renameColumnPlan } from '../rename-column/plan.js';
import type { MigrationOperation, Phase } from './types.js';
import { field, orderModel, shopApp } from '../../../test/support/plan-fixtures.js';

const model = orderModel([field('quantity', 'PositiveSmallIntegerField'), field('note', 'TextField')]);
const app = shopApp([model]);
const lock = { lockTimeout: '1s', retries: 10 };
const quantity = model.fields[0]!;

/** Every SQL statement of a phase, forwards and (with `<-`) backwards, in the migration's order. */
function statements(phase: Phase): string[] {
  const of = (op: MigrationOperation, back: boolean): string[] => {
    if (op.kind === 'ddl') return [...op.sql, ...(op.reverseSql ?? []).map((sql) => `<- ${sql}`)];
    if (op.kind === 'backwards-only') return of(op.operation, true).map((sql) => (sql.startsWith('<-') ? sql : `<- ${sql}`));
    return back ? [] : [`(${op.kind})`];
  };
  return (phase.migration?.operations ?? []).flatMap((op) => of(op, false));
}

const addNotValid = (constraint: string, column: string) =>
  expect.stringContaining(`ADD CONSTRAINT "${constraint}" CHECK ("${column}" >= 0) NOT VALID`);

describe("Django's CHECK on a column a plan adds", () => {
  it('rename trigger: the new column gets it NOT VALID right after ADD COLUMN, validated after the backfill; a rollback re-adds the old one', () => {
    const [expand, contract] = renameColumnPlan({ app, model, field: quantity, to: 'qty', strategy: 'trigger', phases: undefined, database: 'postgresql', lock, batchSize: 100, changeId: undefined }).phases;
    const forward = statements(expand!).filter((sql) => !sql.startsWith('<-'));
    const add = forward.findIndex((sql) => sql.includes('ADD COLUMN IF NOT EXISTS "qty"'));
    const check = forward.findIndex((sql) => sql.includes('ADD CONSTRAINT "shop_order_qty_check" CHECK ("qty" >= 0) NOT VALID'));
    const backfill = forward.indexOf('(backfill)');
    const validate = forward.indexOf('ALTER TABLE "shop_order" VALIDATE CONSTRAINT "shop_order_qty_check"');
    expect([add, check, backfill, validate].every((i) => i >= 0)).toBe(true);
    expect(add < check && check < backfill && backfill < validate).toBe(true);
    expect(statements(contract!)).toContainEqual(expect.stringMatching(/^<- DO \$bg\$[\s\S]*ADD CONSTRAINT "shop_order_quantity_check" CHECK \("quantity" >= 0\) NOT VALID/));
    expect(statements(contract!)).toContain('<- ALTER TABLE "shop_order" VALIDATE CONSTRAINT "shop_order_quantity_check"');
  });

  it('rename copy: added with the new column in release 1, validated with the backfill in release 2', () => {
    const phases = renameColumnPlan({ app, model, field: quantity, to: 'qty', strategy: 'copy', phases: undefined, database: 'postgresql', lock, batchSize: 100, changeId: undefined }).phases;
    expect(statements(phases[0]!)).toContainEqual(addNotValid('shop_order_qty_check', 'qty'));
    expect(statements(phases[1]!)).toContain('ALTER TABLE "shop_order" VALIDATE CONSTRAINT "shop_order_qty_check"');
    expect(statements(phases[3]!)).toContainEqual(expect.stringMatching(/^<- DO \$bg\$[\s\S]*"shop_order_quantity_check"/));
  });

  it('remove-column: the rollback of the drop re-adds the column with its CHECK', () => {
    const phases = removeColumnPlan({ app, apps: [app], model, field: quantity, fill: undefined, database: 'postgresql', djangoVersion: '5.2', lock, batchSize: 100, changeId: undefined }).phases;
    const drop = statements(phases.at(-1)!);
    expect(drop).toContainEqual(expect.stringMatching(/^<- DO \$bg\$[\s\S]*ADD CONSTRAINT "shop_order_quantity_check" CHECK \("quantity" >= 0\) NOT VALID/));
    expect(drop).toContain('<- ALTER TABLE "shop_order" VALIDATE CONSTRAINT "shop_order_quantity_check"');
  });

  it('other types get none', () => {
    const [expand] = renameColumnPlan({ app, model, field: model.fields[1]!, to: 'remark', strategy: 'trigger', phases: undefined, database: 'postgresql', lock, batchSize: 100, changeId: undefined }).phases;
    expect(statements(expand!).some((sql) => sql.includes('CHECK ("remark"'))).toBe(false);
  });
});
