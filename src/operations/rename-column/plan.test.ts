import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../errors.js';
import { renameColumnPlan, type RenameColumnInput } from './plan.js';
import type { MigrationOperation, Phase } from '../shared/types.js';
import { field, orderModel, shopApp } from '../../../test/support/plan-fixtures.js';

function plan(overrides: Partial<RenameColumnInput> & { fieldName?: string } = {}) {
  const model = overrides.model ?? orderModel();
  const app = shopApp([model]);
  const target = model.fields.find((f) => f.name === (overrides.fieldName ?? 'quantity'))!;
  return renameColumnPlan({
    app,
    model,
    field: target,
    to: 'qty',
    strategy: undefined,
    phases: undefined,
    database: 'postgresql',
    lock: { lockTimeout: '1s', retries: 10 },
    batchSize: 10_000,
    changeId: undefined,
    ...overrides,
  });
}

const kinds = (phase: Phase) => phase.migration?.operations.map((op) => op.kind) ?? [];
const flat = (ops: MigrationOperation[]): MigrationOperation[] => ops.flatMap((op) => (op.kind === 'backwards-only' ? [op, op.operation] : [op]));
const allSql = (phase: Phase) =>
  flat(phase.migration?.operations ?? [])
    .flatMap((op) => (op.kind === 'ddl' ? [...op.sql, ...(op.reverseSql ?? [])] : []))
    .join('\n');

describe('rename-column plan', () => {
  it('names the change after model, field and new name', () => {
    expect(plan().change).toBe('order-quantity-to-qty');
  });

  it('defaults to the trigger strategy on PostgreSQL and to copy elsewhere', () => {
    expect(plan().strategy).toBe('trigger');
    expect(plan({ database: 'sqlite' }).strategy).toBe('copy');
    expect(plan({ database: 'mysql' }).strategy).toBe('copy');
  });

  describe('db-column', () => {
    const p = plan({ strategy: 'db-column' });
    it('is one release that changes state only', () => {
      expect(p.phases).toHaveLength(1);
      expect(kinds(p.phases[0]!)).toEqual(['state-only']);
    });
    it('keeps the old column name through db_column in the model and the state', () => {
      const edit = p.phases[0]!.modelEdits[0]!;
      expect(edit).toMatchObject({ kind: 'edit-field', field: 'quantity', rename: 'qty', setKwargs: { db_column: '"quantity"' } });
      expect(JSON.stringify(p.phases[0]!.migration)).toContain('models.IntegerField(db_column=\\"quantity\\")');
    });
  });

  describe('trigger', () => {
    const p = plan();
    const [expand, contract] = p.phases as [Phase, Phase];

    it('takes two releases, and the first runs outside one big transaction', () => {
      expect(p.phases.map((ph) => `${ph.number}/${ph.of}`)).toEqual(['1/2', '2/2']);
      expect(expand.migration!.atomic).toBe(false);
    });

    it('adds the new column nullable, creates the trigger before the backfill, then NOT NULL, then renames in state', () => {
      expect(kinds(expand)).toEqual(['ddl', 'ddl', 'backfill', 'set-not-null', 'state-only']);
      const [addColumn, trigger] = expand.migration!.operations as [Extract<MigrationOperation, { kind: 'ddl' }>, Extract<MigrationOperation, { kind: 'ddl' }>];
      expect(addColumn.sql[0]).toBe('ALTER TABLE "shop_order" ADD COLUMN IF NOT EXISTS "qty" integer NULL');
      expect(trigger.sql.join('\n')).toMatch(/BEFORE INSERT OR UPDATE ON "shop_order" FOR EACH ROW/);
    });

    it('syncs both directions with IS DISTINCT FROM and refuses conflicting writes', () => {
      const sql = allSql(expand);
      expect(sql).toContain('NEW."quantity" := NEW."qty"');
      expect(sql).toContain('NEW."qty" := NEW."quantity"');
      expect(sql).toContain('IS DISTINCT FROM OLD."qty"');
      expect(sql).toContain('RAISE EXCEPTION');
    });

    it('backfills only rows that still differ', () => {
      const backfill = expand.migration!.operations.find((op) => op.kind === 'backfill')!;
      expect(backfill).toMatchObject({ table: 'shop_order', pk: 'id', set: '"qty" = "quantity"', where: '"qty" IS DISTINCT FROM "quantity"' });
    });

    it('rebuilds unique constraints and pattern indexes of the old column concurrently on the new one', () => {
      const ref = plan({ fieldName: 'reference', to: 'code' });
      const indexes = ref.phases[0]!.migration!.operations.filter((op) => op.kind === 'create-index');
      expect(indexes).toMatchObject([
        { column: 'code', suffix: '_uniq', unique: true },
        { column: 'code', suffix: '_like', opclass: 'varchar_pattern_ops', unique: false },
      ]);
      const status = plan({ fieldName: 'status', to: 'state' }).phases[0]!.migration!.operations.filter((op) => op.kind === 'create-index');
      expect(status).toMatchObject([{ suffix: '', unique: false }, { suffix: '_like' }]);
    });

    it('leaves NOT NULL out for a nullable field', () => {
      const model = orderModel([field('quantity', 'IntegerField', { null: 'True' })]);
      expect(kinds(plan({ model }).phases[0]!)).not.toContain('set-not-null');
    });

    it('drops the trigger before the old column in the same transaction, and can rebuild both on rollback', () => {
      expect(kinds(contract)).toEqual(['backwards-only', 'backwards-only', 'ddl']);
      const drop = contract.migration!.operations.at(-1) as Extract<MigrationOperation, { kind: 'ddl' }>;
      expect(drop.sql[0]).toMatch(/^DROP TRIGGER/);
      expect(drop.sql.at(-1)).toBe('ALTER TABLE "shop_order" DROP COLUMN IF EXISTS "quantity"');
      expect(drop.reverseSql![0]).toContain('ADD COLUMN IF NOT EXISTS "quantity" integer NULL');
      expect(drop.reverseSql!.join('\n')).toContain('CREATE TRIGGER');
      expect(contract.migration!.irreversible).toBeNull();
    });

    it('renames the field in the model in release 1 and unmarks it when complete', () => {
      expect(expand.modelEdits).toEqual([expect.objectContaining({ kind: 'edit-field', field: 'quantity', rename: 'qty' })]);
      expect(contract.modelEdits).toEqual([{ kind: 'unmark', model: 'Order' }]);
      expect(expand.codeBlocks).toEqual([]);
    });

    it('says which code serves during and after each migration', () => {
      expect(expand.serving.afterSwitch).toHaveLength(2);
      expect(contract.serving.duringMigration).toContain('release 1');
    });
  });

  describe('copy', () => {
    it('takes four releases by default: add, fill, retire, drop', () => {
      const p = plan({ strategy: 'copy' });
      expect(p.phases.map((ph) => ph.name)).toEqual(['expand', 'fill', 'retire', 'drop']);
      expect(p.warnings).toEqual([]);
    });

    it('writes both columns from release 1 and flips the dual write in release 2', () => {
      const p = plan({ strategy: 'copy' });
      const roles = (ph: Phase) => ph.codeBlocks.map((b) => `${b.role}:${b.data.source}->${b.data.target}`);
      expect(roles(p.phases[0]!)).toContain('dual-write:quantity->qty');
      expect(roles(p.phases[1]!)).toContain('dual-write:qty->quantity');
      expect(p.phases[2]!.codeBlocks).toEqual([]);
    });

    it('covers save() inside the model’s own save(), and update()/bulk methods through a queryset', () => {
      const blocks = plan({ strategy: 'copy' }).phases[0]!.codeBlocks;
      expect(blocks.map((b) => [b.role, b.anchor])).toEqual([
        ['dual-write-queryset', 'before-class'],
        ['dual-write-manager', 'class-body-end'],
        ['dual-write', 'method-start'],
      ]);
    });

    it('says update() and the bulk methods are not covered when the model has its own manager', () => {
      const model = { ...orderModel(), otherAttributes: ['objects'] };
      const blocks = plan({ strategy: 'copy', model }).phases[0]!.codeBlocks;
      expect(blocks).toHaveLength(1);
      expect(blocks[0]!.data.coversQuerySet).toBe(false);
    });

    it("extends the model's own QuerySet when its only manager is objects = SomeQuerySet.as_manager()", () => {
      const model = { ...orderModel(), otherAttributes: ['objects'], objectsQuerySet: 'OrderQuerySet' };
      const blocks = plan({ strategy: 'copy', model }).phases[0]!.codeBlocks;
      expect(blocks.map((b) => b.role)).toEqual(['dual-write-queryset', 'dual-write-manager', 'dual-write']);
      expect(blocks[0]!.data).toMatchObject({ baseClass: 'OrderQuerySet', replaces: 'OrderQuerySet', coversQuerySet: true });
      // Beside another manager, a second objects would change which one is the default: left to the developer.
      const twoManagers = { ...model, otherAttributes: ['objects', 'shelf'] };
      expect(plan({ strategy: 'copy', model: twoManagers }).phases[0]!.codeBlocks.map((b) => b.role)).toEqual(['dual-write']);
    });

    it('backfills only in release 2, when every serving release writes both columns', () => {
      const p = plan({ strategy: 'copy' });
      expect(kinds(p.phases[0]!)).not.toContain('backfill');
      expect(kinds(p.phases[1]!)).toContain('backfill');
    });

    it('makes the old column nullable when it leaves the state, and drops it one release later', () => {
      const p = plan({ strategy: 'copy' });
      expect(kinds(p.phases[2]!)).toEqual(['drop-not-null', 'backwards-only', 'state-only']);
      expect(allSql(p.phases[3]!)).toContain('DROP COLUMN IF EXISTS "quantity"');
    });

    it('merges fill and retire with --phases 3 and stamps the stale-read risk', () => {
      const p = plan({ strategy: 'copy', phases: 3 });
      expect(p.phases.map((ph) => ph.name)).toEqual(['expand', 'switch', 'drop']);
      expect(p.warnings[0]).toMatch(/stale/);
      expect(p.phases[1]!.risks[0]).toMatch(/Stale reads/);
    });

    it('uses plain Django operations on other databases', () => {
      const p = plan({ strategy: 'copy', database: 'sqlite' });
      expect(kinds(p.phases[0]!)).toEqual(['django']);
      expect(kinds(p.phases[1]!)).toEqual(['backfill-orm', 'django']);
      expect(p.phases[3]!.migration!.irreversible).toMatch(/sqlite/);
      expect(p.warnings.join(' ')).toMatch(/SQLite/);
    });

    it('describes what the migration does on that database, not the PostgreSQL steps', () => {
      for (const [database, phases] of [['sqlite', 4], ['mysql', 4], ['sqlite', 3]] as const) {
        const p = plan({ strategy: 'copy', database, phases });
        expect(p.phases[1]!.database, database).not.toMatch(/CONCURRENTLY|validated CHECK/);
        expect(p.phases[1]!.database, database).toMatch(database === 'sqlite' ? /AlterField, for which SQLite rebuilds the table/ : /MySQL's ALTER TABLE/);
      }
      expect(plan({ strategy: 'copy', database: 'postgresql' }).phases[1]!.database).toMatch(/validated CHECK, rebuilds indexes CONCURRENTLY/);
    });
  });

  describe('refuses bad input with one actionable line', () => {
    const cases: Array<[string, Partial<RenameColumnInput> & { fieldName?: string }, RegExp]> = [
      ['an invalid identifier', { to: '9lives' }, /not a valid Python identifier/],
      ['a Python keyword', { to: 'class' }, /Python keyword/],
      ['an SQL reserved word', { to: 'order' }, /reserved word in SQL/],
      ['a double underscore', { to: 'qty__x' }, /"__"/],
      ['a name taken by a field', { to: 'reference' }, /already a field of Order/],
      ['a name taken by a method', { to: 'save' }, /already a method of Order/],
      ['the same name', { to: 'quantity' }, /current name/],
      ['--phases without copy', { strategy: 'trigger', phases: 3 }, /--phases applies to --strategy copy/],
      ['trigger off PostgreSQL', { strategy: 'trigger', database: 'mysql' }, /needs PostgreSQL/],
      ['a relation column by trigger', { fieldName: 'customer', to: 'buyer', strategy: 'trigger' }, /db-column/],
      ['a bad change id', { changeId: 'Not OK' }, /change id/],
      ['a reserved change id', { changeId: 'templates' }, /reserved/],
    ];
    for (const [what, input, message] of cases) {
      it(what, () => {
        expect(() => plan(input)).toThrow(BgScaffoldError);
        expect(() => plan(input)).toThrow(message);
      });
    }
    it('names Django refuses: the auto primary key\'s id, objects, a column but for case, a reverse accessor', () => {
      expect(() => plan({ to: 'id' })).toThrow(/models\.E004/);
      expect(() => plan({ to: 'objects' })).toThrow(/default manager/);
      expect(() => plan({ to: 'Reference' })).toThrow(/differs only in case from the column "reference"/);
      const shipment = { ...orderModel([field('order', 'OneToOneField', { on_delete: 'models.CASCADE' }, { relatedModel: 'Order' })]), name: 'Shipment', dbTable: 'shop_shipment' };
      const order = orderModel();
      expect(() => plan({ model: order, to: 'shipment', apps: [shopApp([order, shipment])] })).toThrow(/reverse accessor that shop\.Shipment\.order gives Order/);
    });

    it('objects under the copy strategy, whose dual write adds a manager of that name', () => {
      const managers = [{ name: 'orders', className: 'django.db.models.Manager', isDefault: true }];
      const meta = { line: null, ordering: [], uniqueTogether: [], indexes: [], constraints: [], getLatestBy: null, orderWithRespectTo: null };
      const model = { ...orderModel(), django: { module: 'shop.models', proxy: false, parents: [], ownSave: true, managers, autoPk: null, meta } };
      expect(() => plan({ model, to: 'objects', strategy: 'copy', database: 'sqlite' })).toThrow(/dual-write manager the copy strategy adds/);
      expect(() => plan({ model, to: 'objects', strategy: 'db-column' })).not.toThrow();
    });

    it('and renames a relation with db-column', () => {
      const p = plan({ fieldName: 'customer', to: 'buyer', strategy: 'db-column' });
      expect(JSON.stringify(p.phases[0]!.migration)).toContain('db_column=\\"customer_id\\"');
      expect(JSON.stringify(p.phases[0]!.migration)).toContain('to=\\"shop.customer\\"');
    });
  });
});

describe('rename-column copy --backfill background', () => {
  const inMigrate = plan({ strategy: 'copy' });
  const p = plan({ strategy: 'copy', backfill: 'background' });

  it('gives the copy a release of its own between the dual write and the switch of reads: five releases', () => {
    expect(inMigrate.phases.map((phase) => phase.name)).toEqual(['expand', 'fill', 'retire', 'drop']);
    expect(p.phases.map((phase) => `${phase.number}/${phase.of} ${phase.name}`)).toEqual(['1/5 expand', '2/5 copy', '3/5 fill', '4/5 retire', '5/5 drop']);
  });

  it('registers the copy in release 2, whose code is release 1\'s: both columns written, the old one read', () => {
    const copy = p.phases[1]!;
    expect(kinds(copy)).toEqual(['register-backfill']);
    expect(copy.migration!.operations[0]).toMatchObject({ set: '"qty" = "quantity"', where: '"qty" IS DISTINCT FROM "quantity"', name: 'order-quantity-to-qty/shop_order.qty' });
    expect(copy.codeBlocks.map((block) => [block.role, block.data])).toEqual(p.phases[0]!.codeBlocks.map((block) => [block.role, block.data]));
    expect(copy.modelEdits).toEqual([]);
  });

  it('release 3 begins with the guard, then what needs the copied rows, as the in-migrate release 2 after its copy', () => {
    const guarded = p.phases[2]!;
    expect(kinds(guarded)).toEqual(['require-backfill-finished', ...kinds(inMigrate.phases[1]!).filter((kind) => kind !== 'backfill')]);
    expect(guarded.modelEdits).toEqual(inMigrate.phases[1]!.modelEdits);
  });

  it('with --phases 3, four releases: the guard begins the switch', () => {
    const three = plan({ strategy: 'copy', phases: 3, backfill: 'background' });
    expect(three.phases.map((phase) => phase.name)).toEqual(['expand', 'copy', 'switch', 'drop']);
    expect(kinds(three.phases[2]!)[0]).toBe('require-backfill-finished');
  });

  it('refuses it for the trigger strategy, whose code reads the new column in the release that fills it', () => {
    expect(() => plan({ backfill: 'background' })).toThrow(/trigger strategy switches the code .* use --strategy copy/);
    expect(() => plan({ strategy: 'db-column', backfill: 'background' })).toThrow(/db-column strategy renames the attribute only/);
  });
});
