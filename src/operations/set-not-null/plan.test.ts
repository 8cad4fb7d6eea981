import { describe, expect, it } from 'vitest';
import { field, orderModel, shopApp } from '../../../test/support/plan-fixtures.js';
import type { DjangoField } from '../../project/types.js';
import type { MigrationOperation, Phase } from '../shared/types.js';
import { setNotNullPlan, type SetNotNullInput } from './plan.js';
import { dropNotNullPlan } from '../drop-not-null/plan.js';

const gift = (kwargs: Record<string, string>) => field('gift_note', 'TextField', { null: 'True', ...kwargs });

function plan(target: DjangoField, overrides: Partial<SetNotNullInput> = {}) {
  const model = orderModel([...orderModel().fields, target]);
  return setNotNullPlan({ app: shopApp([model]), model, field: target, database: 'postgresql', lock: { lockTimeout: '1s', retries: 10 }, batchSize: 500, changeId: undefined, ...overrides });
}

const kinds = (phase: Phase) => phase.migration?.operations.map((op) => op.kind) ?? [];
const op = <K extends MigrationOperation['kind']>(phase: Phase, kind: K) => phase.migration!.operations.find((o): o is Extract<MigrationOperation, { kind: K }> => o.kind === kind)!;

describe('set-not-null plan', () => {
  describe('a field with a default: the previous release never writes NULL by leaving it out, so one release', () => {
    const p = plan(gift({ default: '""' }), { fill: '' });
    const [only] = p.phases as [Phase];

    it('fills the NULL rows in batches, then sets NOT NULL through a validated check, then Django\'s state', () => {
      expect(p.strategy).toBe('single-release');
      expect(p.phases).toHaveLength(1);
      expect(kinds(only)).toEqual(['backfill', 'set-not-null', 'state-only']);
      expect(op(only, 'backfill')).toMatchObject({ table: 'shop_order', set: `"gift_note" = ('')`, where: '"gift_note" IS NULL' });
      expect(only.migration!.atomic).toBe(false);
    });

    it('takes null=True out of the field, in models.py and in the state', () => {
      expect(only.modelEdits).toEqual([{ kind: 'edit-field', model: 'Order', field: 'gift_note', rename: null, setKwargs: {}, removeKwargs: ['null'], note: 'NOT NULL' }]);
      expect(op(only, 'state-only').operations[0]).toMatchObject({ kind: 'AlterField', field: 'models.TextField(default="")' });
    });

    it('tells the previous release what it must no longer write', () => {
      expect(only.risks[0]).toMatch(/^The previous release must not write NULL into shop_order\.gift_note/);
    });

    it('without a fill, fills nothing: the migration stops on a NULL row, and PLAN.md says so', () => {
      const bare = plan(gift({ default: '""' }));
      expect(kinds(bare.phases[0]!)).toEqual(['set-not-null', 'state-only']);
      expect(bare.phases[0]!.database).toMatch(/^No fill was asked for: a NULL row left stops the migration/);
    });
  });

  describe('a field without a default: two releases, the default first', () => {
    const p = plan(gift({}), { fill: 'none' });
    const [first, second] = p.phases as [Phase, Phase];

    it('release 1 gives the field --fill as its default and takes null=True out, in Django only: the column still takes the previous release\'s NULLs', () => {
      expect(p.strategy).toBe('default-first');
      expect(kinds(first)).toEqual(['state-only']);
      expect(op(first, 'state-only').operations[0]).toMatchObject({ field: 'models.TextField(default="none")' });
      expect(first.modelEdits[0]).toMatchObject({ kind: 'edit-field', setKwargs: { default: '"none"' }, removeKwargs: ['null'] });
      expect(first.beforeNext[0]).toMatch(/^Retire the previous release everywhere: it inserts NULL into shop_order\.gift_note/);
    });

    it('release 2 fills the NULLs the previous release wrote meanwhile and sets NOT NULL in the database; models.py only loses its markers', () => {
      expect(kinds(second)).toEqual(['backfill', 'set-not-null']);
      expect(second.modelEdits).toEqual([{ kind: 'unmark', model: 'Order' }]);
      expect(second.serving.duringMigration).toBe('release 1, which must not write NULL into gift_note');
    });

    it('on SQLite release 1 keeps null=True, and release 2\'s AlterField sets NOT NULL in the schema', () => {
      const sqlite = plan(gift({}), { fill: 'none', database: 'sqlite' });
      expect(sqlite.phases[0]!.modelEdits[0]).toMatchObject({ removeKwargs: [] });
      expect(kinds(sqlite.phases[1]!)).toEqual(['backfill-sql-portable', 'django']);
    });

    it('--fill-sql fills the rows, but new rows still need --fill for their default', () => {
      expect(() => plan(gift({}), { fillSql: "coalesce(note, '')" })).toThrow(/has no default, so the previous release inserts NULL whenever it creates a Order without gift_note; give --fill VALUE/);
    });
  });

  it('refuses a field that is NOT NULL already, a relation that sets NULL on delete, and a fill that names no column of the table', () => {
    expect(() => plan(field('gift_note', 'TextField', {}))).toThrow(/already NOT NULL/);
    const setNull = field('coupon', 'ForeignKey', { null: 'True', on_delete: 'models.SET_NULL' }, { onDelete: 'SET_NULL' });
    expect(() => plan(setNull, { fill: '1' })).toThrow(/has on_delete=SET_NULL, which writes NULL when its target is deleted; change on_delete first/);
    expect(() => plan(gift({ default: '""' }), { fillSql: 'coalesce(nickname, note)' })).toThrow(/--fill-sql names "nickname", not a column of shop_order/);
  });

  it('on SQLite: the fill and Django\'s AlterField, in one transaction', () => {
    const p = plan(gift({ default: '""' }), { fill: '', database: 'sqlite' });
    expect(kinds(p.phases[0]!)).toEqual(['backfill-sql-portable', 'django']);
    expect(p.phases[0]!.migration!.atomic).toBe(true);
    expect(p.warnings).toHaveLength(1);
  });
});

describe('drop-not-null plan', () => {
  it('one release: DROP NOT NULL (metadata only) and null=True; code writes None only once the previous release is gone', () => {
    const model = orderModel();
    const quantity = model.fields.find((f) => f.name === 'quantity')!;
    const p = dropNotNullPlan({ app: shopApp([model]), model, field: quantity, database: 'postgresql', lock: { lockTimeout: '1s', retries: 10 }, batchSize: 500, changeId: undefined });
    expect(p.change).toBe('order-quantity-nullable');
    expect(kinds(p.phases[0]!)).toEqual(['drop-not-null', 'state-only']);
    expect(p.phases[0]!.modelEdits[0]).toMatchObject({ setKwargs: { null: 'True' } });
    expect(p.phases[0]!.beforeNext).toEqual(['Retire the previous release before any code writes None into quantity.']);
  });
});

describe('set-not-null --backfill background', () => {
  it('with a default already: release 1 only registers the fill, release 2 begins with the guard and sets NOT NULL', () => {
    const p = plan(gift({ default: '""' }), { fill: '', backfill: 'background' });
    const [fill, enforce] = p.phases as [Phase, Phase];
    expect(p.phases.map((phase) => `${phase.number}/${phase.of} ${phase.name}`)).toEqual(['1/2 fill', '2/2 not-null']);
    expect(kinds(fill)).toEqual(['register-backfill']);
    expect(op(fill, 'register-backfill')).toMatchObject({ table: 'shop_order', set: `"gift_note" = ('')`, where: '"gift_note" IS NULL' });
    expect(fill.modelEdits).toEqual([]);
    expect(kinds(enforce)).toEqual(['require-backfill-finished', 'set-not-null', 'state-only']);
    expect(enforce.modelEdits[0]).toMatchObject({ kind: 'edit-field', removeKwargs: ['null'] });
  });

  it('default first: the default release, then the fill registered, then the guard and NOT NULL; the save() block stays while the command fills', () => {
    const p = plan(gift({}), { fill: 'none given', backfill: 'background' });
    const [first, fill, enforce] = p.phases as [Phase, Phase, Phase];
    expect(p.phases.map((phase) => `${phase.number}/${phase.of} ${phase.name}`)).toEqual(['1/3 default', '2/3 fill', '3/3 not-null']);
    expect(kinds(first)).toEqual(['state-only']);
    expect(kinds(fill)).toEqual(['register-backfill']);
    expect(fill.codeBlocks.map((block) => block.role)).toEqual(['fill-on-save']);
    expect(kinds(enforce)).toEqual(['require-backfill-finished', 'set-not-null']);
    expect(p.background).toMatchObject({ registeredIn: 2, guardedIn: 3 });
  });

  it('refuses it without a fill, and off PostgreSQL', () => {
    expect(() => plan(gift({ default: '""' }), { backfill: 'background' })).toThrow(/^--backfill background: no --fill or --fill-sql was given/);
    expect(() => plan(gift({ default: '""' }), { fill: '', backfill: 'background', database: 'sqlite' })).toThrow(/^--backfill background needs PostgreSQL/);
  });
});
