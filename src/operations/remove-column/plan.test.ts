import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../errors.js';
import { removeColumnPlan, type RemoveColumnInput } from './plan.js';
import type { MigrationOperation, Phase } from '../shared/types.js';
import { field, relation, shop, shopModels } from '../../../test/support/remove-fixtures.js';

type ModelKey = keyof ReturnType<typeof shopModels>;

function plan(modelKey: ModelKey, fieldName: string, overrides: Partial<RemoveColumnInput> = {}) {
  const models = shopModels();
  const app = shop(models);
  const model = overrides.model ?? models[modelKey];
  return removeColumnPlan({
    app,
    apps: [app],
    model,
    field: model.fields.find((f) => f.name === fieldName)!,
    fill: undefined,
    database: 'postgresql',
    djangoVersion: '5.2',
    lock: { lockTimeout: '1s', retries: 10 },
    batchSize: 10_000,
    changeId: undefined,
    ...overrides,
  });
}

const kinds = (phase: Phase) => phase.migration?.operations.map((op) => op.kind) ?? [];
const op = <K extends MigrationOperation['kind']>(phase: Phase, kind: K) =>
  phase.migration!.operations.find((o): o is Extract<MigrationOperation, { kind: K }> => o.kind === kind)!;
const backwardsOnly = (phase: Phase) =>
  phase.migration!.operations.filter((o): o is Extract<MigrationOperation, { kind: 'backwards-only' }> => o.kind === 'backwards-only').map((o) => o.operation);

describe('remove-column plan', () => {
  it('names the change after model and field', () => {
    expect(plan('order', 'note').change).toBe('remove-order-note');
  });

  describe('a field with a default: two releases, the column gets that default first', () => {
    const p = plan('order', 'note');
    const [remove, drop] = p.phases as [Phase, Phase];

    it('sets the database default, then removes the field from the state only', () => {
      expect(p.strategy).toBe('with-default');
      expect(p.phases.map((ph) => `${ph.number}/${ph.of} ${ph.name}`)).toEqual(['1/2 remove', '2/2 drop']);
      expect(kinds(remove)).toEqual(['ddl', 'state-only']);
      expect(op(remove, 'ddl')).toMatchObject({
        sql: [`ALTER TABLE "shop_order" ALTER COLUMN "note" SET DEFAULT ''`],
        reverseSql: ['ALTER TABLE "shop_order" ALTER COLUMN "note" DROP DEFAULT'],
      });
      expect(op(remove, 'state-only').operations).toEqual([{ kind: 'RemoveField', modelName: 'order', name: 'note' }]);
      expect(remove.modelEdits).toEqual([{ kind: 'remove-field', model: 'Order', field: 'note' }]);
    });

    it('drops the column in release 2; the rollback re-adds it with the default, refills it and restores NOT NULL', () => {
      expect(op(drop, 'ddl')).toMatchObject({
        sql: ['ALTER TABLE "shop_order" DROP COLUMN IF EXISTS "note"'],
        reverseSql: ['ALTER TABLE "shop_order" ADD COLUMN IF NOT EXISTS "note" text NULL', `ALTER TABLE "shop_order" ALTER COLUMN "note" SET DEFAULT ''`],
      });
      expect(backwardsOnly(drop).map((o) => o.kind)).toEqual(['set-not-null', 'backfill']);
      expect(backwardsOnly(drop)[1]).toMatchObject({ set: `"note" = ''`, where: '"note" IS NULL' });
      expect(drop.migration!.irreversible).toBeNull();
      expect(drop.migration!.why.join(' ')).toMatch(/values the column held are gone for good/);
    });

    it('writes a callable default as its SQL function (placed_at: timezone.now → now())', () => {
      const placed = plan('order', 'placed_at');
      expect(placed.strategy).toBe('with-default');
      expect(op(placed.phases[0]!, 'ddl').sql[0]).toBe('ALTER TABLE "shop_order" ALTER COLUMN "placed_at" SET DEFAULT now()');
    });

    it('rebuilds the indexes of an indexed field when migrating backwards (status: index and LIKE index)', () => {
      const status = plan('order', 'status');
      const rebuilt = backwardsOnly(status.phases[1]!).filter((o) => o.kind === 'create-index');
      expect(rebuilt.map((o) => (o as { suffix: string }).suffix)).toEqual(['', '_like']);
    });

    it('a field with db_default already has its database default: release 1 changes the state only', () => {
      const models = shopModels();
      const model = { ...models.order, fields: [...models.order.fields, field('priority', 'IntegerField', { db_default: '3' })] };
      const p = plan('order', 'priority', { model });
      expect(p.strategy).toBe('with-default');
      expect(kinds(p.phases[0]!)).toEqual(['state-only']);
      expect(op(p.phases[1]!, 'ddl').reverseSql).toContain('ALTER TABLE "shop_order" ALTER COLUMN "priority" SET DEFAULT 3');
    });
  });

  describe('--fill', () => {
    it('gives a NOT NULL field without a default the two-release plan, typed for its column', () => {
      const p = plan('product', 'price', { fill: '0.00' });
      expect(p.strategy).toBe('with-default');
      expect(op(p.phases[0]!, 'ddl').sql[0]).toBe('ALTER TABLE "shop_product" ALTER COLUMN "price" SET DEFAULT 0.00');
      expect(plan('order', 'quantity', { fill: '1' }).phases).toHaveLength(2);
    });

    it('quotes text and doubles quotes in it', () => {
      const p = plan('order', 'note', { fill: "it's" });
      expect(op(p.phases[0]!, 'ddl').sql[0]).toBe(`ALTER TABLE "shop_order" ALTER COLUMN "note" SET DEFAULT 'it''s'`);
    });

    it('refuses a value of the wrong type, a foreign key and a unique column', () => {
      expect(() => plan('product', 'price', { fill: 'cheap' })).toThrow(/--fill "cheap" is not a number/);
      expect(() => plan('order', 'quantity', { fill: '1.5' })).toThrow(/not a whole number/);
      expect(() => plan('product', 'active', { fill: 'maybe' })).toThrow(/not a boolean/);
      expect(() => plan('order', 'product', { fill: '1' })).toThrow(/--fill does not apply to the foreign key Order\.product/);
      expect(() => plan('order', 'reference', { fill: 'X' })).toThrow(/unique column "reference" refuses/);
      expect(() => plan('order', 'status', { fill: 'x'.repeat(21) })).toThrow(/longer than max_length 20/);
    });
  });

  describe('NOT NULL without a default: three releases, nullable first', () => {
    const p = plan('product', 'price');
    const [nullable, remove, drop] = p.phases as [Phase, Phase, Phase];

    it('makes the field nullable in the database and the model while the code still writes it', () => {
      expect(p.strategy).toBe('null-first');
      expect(p.phases.map((ph) => ph.name)).toEqual(['nullable', 'remove', 'drop']);
      expect(kinds(nullable)).toEqual(['drop-not-null', 'state-only']);
      expect(op(nullable, 'state-only').operations[0]).toEqual({
        kind: 'AlterField',
        modelName: 'product',
        name: 'price',
        field: 'models.DecimalField(decimal_places=2, max_digits=10, null=True)',
      });
      expect(nullable.modelEdits[0]).toMatchObject({ kind: 'edit-field', field: 'price', setKwargs: { null: 'True' } });
    });

    it('then removes it from the state, then drops the column; the rollback re-adds it nullable', () => {
      expect(kinds(remove)).toEqual(['state-only']);
      expect(remove.modelEdits).toEqual([{ kind: 'remove-field', model: 'Product', field: 'price' }]);
      expect(op(drop, 'ddl').reverseSql).toEqual(['ALTER TABLE "shop_product" ADD COLUMN IF NOT EXISTS "price" numeric(10, 2) NULL']);
      expect(backwardsOnly(drop)).toEqual([]);
    });

    it('a unique field goes this way too: a default would collide in the unique constraint', () => {
      const reference = plan('order', 'reference');
      expect(reference.strategy).toBe('null-first');
      expect(backwardsOnly(reference.phases[2]!)).toMatchObject([{ kind: 'create-index', suffix: '_uniq', unique: true }, { kind: 'create-index', suffix: '_like' }]);
    });

    it('says so when the field has a default bg-scaffold cannot write as SQL', () => {
      const models = shopModels();
      const model = { ...models.order, fields: [...models.order.fields, field('code', 'CharField', { max_length: '8', default: 'list' })] };
      const p = plan('order', 'code', { model });
      expect(p.strategy).toBe('null-first');
      expect(p.warnings.join('\n')).toMatch(/default=list, which bg-scaffold cannot write as a database default.*--fill/);
    });
  });

  describe('an already nullable field: two releases', () => {
    const p = plan('shipment', 'shipped_at');
    it('removes it from the state, then drops the column', () => {
      expect(p.strategy).toBe('nullable');
      expect(kinds(p.phases[0]!)).toEqual(['state-only']);
      expect(op(p.phases[1]!, 'ddl').reverseSql).toEqual(['ALTER TABLE "shop_shipment" ADD COLUMN IF NOT EXISTS "shipped_at" timestamp with time zone NULL']);
    });
  });

  describe('foreign keys', () => {
    const p = plan('order', 'product');
    const [nullable, remove, drop] = p.phases as [Phase, Phase, Phase];

    it('a NOT NULL foreign key takes three releases', () => {
      expect(p.strategy).toBe('null-first');
      expect(kinds(nullable)).toEqual(['drop-not-null', 'state-only']);
      expect(nullable.code).toMatch(/LEFT OUTER JOIN/);
    });

    it("replaces Django's constraint by one with the previous release's on_delete when the field leaves the state", () => {
      expect(kinds(remove)).toEqual(['replace-foreign-key', 'state-only']);
      expect(op(remove, 'replace-foreign-key')).toMatchObject({ table: 'shop_order', column: 'product_id', toTable: 'shop_product', toColumn: 'id', onDelete: 'CASCADE' });
    });

    it('maps PROTECT, RESTRICT and DO_NOTHING to a plain constraint and SET_NULL to ON DELETE SET NULL', () => {
      expect(op(plan('order', 'customer').phases[1]!, 'replace-foreign-key').onDelete).toBe('NO ACTION');
      const models = shopModels();
      const model = { ...models.order, fields: [...models.order.fields, relation('coupon', 'ForeignKey', 'Product', 'SET_NULL', { null: 'True' })] };
      const coupon = plan('order', 'coupon', { model });
      expect(coupon.strategy).toBe('nullable');
      expect(kinds(coupon.phases[0]!)).toEqual(['replace-foreign-key', 'state-only']);
      expect(op(coupon.phases[0]!, 'replace-foreign-key').onDelete).toBe('SET NULL');
    });

    it('drops the column (and its constraint) last; the rollback takes the type of the key it points at and restores constraint and index', () => {
      const ddl = op(drop, 'ddl');
      expect(ddl.reverseSql![0]).toContain(`EXECUTE format('ALTER TABLE "shop_order" ADD COLUMN IF NOT EXISTS "product_id" %s NULL'`);
      expect(ddl.reverseSql![0]).toContain(`WHERE attrelid = '"shop_product"'::regclass AND attname = 'id'`);
      expect(backwardsOnly(drop).map((o) => o.kind)).toEqual(['create-index', 'replace-foreign-key']);
      expect(drop.database).toMatch(/its foreign key/);
    });

    it('a one-to-one field rebuilds its unique constraint on rollback', () => {
      const order = plan('shipment', 'order');
      expect(backwardsOnly(order.phases[2]!)[0]).toMatchObject({ kind: 'create-index', suffix: '_uniq', unique: true });
    });

    it('refuses an on_delete the database cannot do', () => {
      const models = shopModels();
      const model = { ...models.order, fields: [...models.order.fields, relation('fallback', 'ForeignKey', 'Product', 'SET_DEFAULT', { default: '1' })] };
      expect(() => plan('order', 'fallback', { model })).toThrow(/on_delete=SET_DEFAULT.*cannot carry over/);
    });

    it('adds no constraint where Django made none (db_constraint=False), and warns', () => {
      const models = shopModels();
      const model = { ...models.order, fields: [...models.order.fields, relation('loose', 'ForeignKey', 'Product', 'CASCADE', { db_constraint: 'False' })] };
      const loose = plan('order', 'loose', { model });
      expect(kinds(loose.phases[1]!)).toEqual(['state-only']);
      expect(loose.warnings.join('\n')).toMatch(/db_constraint=False/);
    });

    it('refuses a target it cannot find', () => {
      const models = shopModels();
      const model = { ...models.order, fields: [...models.order.fields, relation('seller', 'ForeignKey', '"market.Seller"', 'CASCADE')] };
      expect(() => plan('order', 'seller', { model })).toThrow(/cannot find the model "market.Seller"/);
    });
  });

  describe('refusals', () => {
    it('refuses the primary key, a many-to-many field and an abstract model', () => {
      const models = shopModels();
      const withPk = { ...models.order, fields: [field('code', 'CharField', { primary_key: 'True', max_length: '5' }), ...models.order.fields] };
      expect(() => plan('order', 'code', { model: withPk })).toThrow(BgScaffoldError);
      const withTags = { ...models.order, fields: [...models.order.fields, field('tags', 'ManyToManyField', {}, { column: '', relatedModel: '"Tag"', args: ['"Tag"'] })] };
      expect(() => plan('order', 'tags', { model: withTags })).toThrow(/many-to-many/);
      expect(() => plan('order', 'note', { model: { ...models.order, abstract: true } })).toThrow(/abstract/);
    });
  });

  describe('other databases', () => {
    it('sets the default through db_default with Django operations, and drops the column through the schema editor', () => {
      const p = plan('order', 'note', { database: 'sqlite' });
      expect(kinds(p.phases[0]!)).toEqual(['separate']);
      expect(op(p.phases[0]!, 'separate').databaseOperations[0]).toMatchObject({ kind: 'AlterField', field: 'models.TextField(blank=True, db_default="", default="")' });
      expect(kinds(p.phases[1]!)).toEqual(['drop-column-portable']);
      expect(p.phases[1]!.migration!.irreversible).toMatch(/does not generate the re-add/);
      expect(JSON.stringify(p)).not.toMatch(/RunDDL|SET DEFAULT|lock_timeout/);
      expect(p.verifiedOn[0]).toMatch(/Not verified on sqlite/);
    });

    it('before Django 5.0 (no db_default) takes the nullable-first path and says why', () => {
      const p = plan('order', 'note', { database: 'mysql', djangoVersion: '4.2' });
      expect(p.strategy).toBe('null-first');
      expect(kinds(p.phases[0]!)).toEqual(['django']);
      expect(p.warnings.join('\n')).toMatch(/Django 4.2 has no db_default/);
    });

    it('refuses a foreign key, whose constraint replacement is PostgreSQL-only', () => {
      expect(() => plan('order', 'product', { database: 'mysql' })).toThrow(/for PostgreSQL only/);
    });
  });

  it('keeps the models file in the plan, so that advance finds it', () => {
    expect(plan('order', 'note').inputs.modelsFile).toBe('shop/models.py');
  });
});
