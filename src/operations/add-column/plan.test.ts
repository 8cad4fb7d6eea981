import { describe, expect, it } from 'vitest';
import { BgScaffoldError } from '../../errors.js';
import { addColumnPlan, isVolatileDefault, type AddColumnInput } from './plan.js';
import type { MigrationOperation, ModelEdit, Phase, StateOperation } from '../shared/types.js';
import { field, orderModel, shopApp } from '../../../test/support/plan-fixtures.js';

const customer = { ...orderModel([field('email', 'EmailField', { unique: 'True' })]), name: 'Customer', dbTable: 'shop_customer' };

function plan(overrides: Partial<AddColumnInput> = {}) {
  const model = overrides.model ?? orderModel();
  const app = shopApp([model, customer]);
  return addColumnPlan({
    apps: [app],
    app,
    model,
    name: 'priority',
    type: 'IntegerField',
    null: false,
    dbIndex: false,
    unique: false,
    database: 'postgresql',
    djangoVersion: '5.2',
    defaultAutoFields: { shop: 'django.db.models.BigAutoField' },
    lock: { lockTimeout: '1s', retries: 10 },
    batchSize: 10_000,
    ...overrides,
  });
}

const refused = (overrides: Partial<AddColumnInput>) => () => plan(overrides);
const ops = (phase: Phase) => phase.migration?.operations ?? [];
const kinds = (phase: Phase) => ops(phase).map((op) => op.kind);
const op = <K extends MigrationOperation['kind']>(phase: Phase, kind: K) =>
  ops(phase).find((o): o is Extract<MigrationOperation, { kind: K }> => o.kind === kind)!;
const stateOf = (phase: Phase): StateOperation[] =>
  ops(phase).flatMap((o) => (o.kind === 'state-only' ? o.operations : o.kind === 'django' ? [o.operation] : o.kind === 'run-sql' ? o.stateOperations : []));
const insertEdit = (phase: Phase) => phase.modelEdits.find((e): e is Extract<ModelEdit, { kind: 'insert-field' }> => e.kind === 'insert-field')!;

describe('add-column --backfill-sql over the row', () => {
  const unknownColumns = (backfillSql: string) => plan({ backfillSql }).warnings.filter((warning) => warning.startsWith('--backfill-sql'));

  it('says which names in the expression the table has no column of: the backfill would fail at migrate', () => {
    expect(unknownColumns('nonexistent_col + 1')).toEqual([
      '--backfill-sql "nonexistent_col + 1" names "nonexistent_col", which shop_order has no column of as Order declares it (its columns: id, customer_id, quantity, reference, status, note): the backfill fails at migrate unless it is a function or word of SQL; fix the expression and generate again',
    ]);
  });

  it('says nothing of columns, the primary key, functions, casts, literals and SQL words', () => {
    expect(unknownColumns("coalesce(quantity, 0)::bigint * 2 + id")).toEqual([]);
    expect(unknownColumns("CASE WHEN status = 'paid' THEN length(note) ELSE 0 END")).toEqual([]);
  });
});

describe('add-column plan', () => {
  it('names the change <model>-add-<name>', () => {
    expect(plan({ null: true }).change).toBe('order-add-priority');
    expect(plan({ null: true, changeId: 'prio' }).change).toBe('prio');
  });

  it("says in every plan that rolling the first release back drops the column and the values written to it", () => {
    const lost = (column: string) => `Migrating backwards drops "${column}": the values written to it are lost.`;
    expect(plan({ null: true }).phases[0]!.migration!.rollbackLoses).toBe(lost('priority'));
    expect(plan({ default: '0' }).phases[0]!.migration!.rollbackLoses).toBe(lost('priority'));
    expect(plan({ default: '0', djangoVersion: '4.2' }).phases[0]!.migration!.rollbackLoses).toBe(lost('priority'));
    expect(plan({ backfillSql: 'quantity * 2', strategy: 'single-release' }).phases[0]!.migration!.rollbackLoses).toBe(lost('priority'));
    expect(plan({ name: 'buyer', type: 'ForeignKey', to: 'Customer', onDelete: 'SET_NULL', null: true }).phases[0]!.migration!.rollbackLoses).toBe(lost('buyer_id'));
  });

  describe('nullable (--null), PostgreSQL', () => {
    const p = plan({ null: true });
    const [add] = p.phases as [Phase];

    it('is one release: ADD COLUMN under lock_timeout, then the state', () => {
      expect(p.strategy).toBe('nullable');
      expect(p.phases).toHaveLength(1);
      expect(kinds(add)).toEqual(['ddl', 'state-only']);
      expect(op(add, 'ddl').sql).toEqual(['ALTER TABLE "shop_order" ADD COLUMN IF NOT EXISTS "priority" integer NULL']);
      expect(op(add, 'ddl').reverseSql).toEqual(['ALTER TABLE "shop_order" DROP COLUMN IF EXISTS "priority"']);
      expect(stateOf(add)).toEqual([{ kind: 'AddField', modelName: 'order', name: 'priority', field: 'models.IntegerField(null=True)' }]);
    });

    it('inserts the field after the last field of the model, marked', () => {
      expect(add.modelEdits).toEqual([
        { kind: 'insert-field', model: 'Order', after: null, name: 'priority', call: 'models.IntegerField(null=True)', note: 'added' },
      ]);
      expect(add.codeBlocks).toEqual([]);
    });
  });

  describe('nullable on other databases', () => {
    it('uses a plain AddField, and PLAN.md says what is not verified', () => {
      const p = plan({ null: true, database: 'mysql' });
      expect(kinds(p.phases[0]!)).toEqual(['django']);
      expect(p.phases[0]!.migration!.atomic).toBe(true);
      expect(p.verifiedOn.join('\n')).toMatch(/Not verified on mysql/);
      expect(p.verifiedOn.join('\n')).toMatch(/no lock_timeout or retries/);
      expect(p.verifiedOn.join('\n')).toMatch(/no transactional DDL/);
    });
  });

  describe('with a default on Django 5.0+', () => {
    const p = plan({ default: '0' });
    const [add] = p.phases as [Phase];

    it('adds DEFAULT ... NOT NULL (metadata only) and keeps it as db_default, with default= for Python', () => {
      expect(p.strategy).toBe('db-default');
      expect(op(add, 'ddl').sql).toEqual(['ALTER TABLE "shop_order" ADD COLUMN IF NOT EXISTS "priority" integer DEFAULT 0 NOT NULL']);
      expect(stateOf(add)[0]).toMatchObject({ kind: 'AddField', field: 'models.IntegerField(default=0, db_default=0)' });
      expect(insertEdit(add).call).toBe('models.IntegerField(default=0, db_default=0)');
    });

    it('is a plain AddField(db_default=...) outside PostgreSQL', () => {
      const sqlite = plan({ default: '0', database: 'sqlite' });
      expect(ops(sqlite.phases[0]!)).toEqual([
        expect.objectContaining({ kind: 'django', operation: expect.objectContaining({ field: 'models.IntegerField(default=0, db_default=0)' }) }),
      ]);
    });

    it('quotes text defaults for SQL and Python, and gives JSON {} a callable default', () => {
      const text = plan({ type: 'CharField', maxLength: 20, default: "it's" });
      expect(op(text.phases[0]!, 'ddl').sql[0]).toBe(`ALTER TABLE "shop_order" ADD COLUMN IF NOT EXISTS "priority" varchar(20) DEFAULT 'it''s' NOT NULL`);
      expect(insertEdit(text.phases[0]!).call).toBe(`models.CharField(max_length=20, default="it's", db_default="it's")`);
      const json = plan({ type: 'JSONField', default: '{}' });
      expect(op(json.phases[0]!, 'ddl').sql[0]).toContain(`jsonb DEFAULT '{}'::jsonb NOT NULL`);
      expect(insertEdit(json.phases[0]!).call).toBe('models.JSONField(default=dict, db_default={})');
    });

    it('normalizes decimals and booleans', () => {
      const decimal = plan({ type: 'DecimalField', maxDigits: 8, decimalPlaces: 2, default: '1.5' });
      expect(op(decimal.phases[0]!, 'ddl').sql[0]).toContain('numeric(8, 2) DEFAULT 1.50 NOT NULL');
      expect(insertEdit(decimal.phases[0]!).call).toBe('models.DecimalField(max_digits=8, decimal_places=2, default="1.50", db_default="1.50")');
      const flag = plan({ type: 'BooleanField', default: 'TRUE' });
      expect(op(flag.phases[0]!, 'ddl').sql[0]).toContain('boolean DEFAULT true NOT NULL');
      expect(insertEdit(flag.phases[0]!).call).toBe('models.BooleanField(default=True, db_default=True)');
    });

    it('assumes Django 5.0+ when the version is unknown, and says so', () => {
      const p2 = plan({ default: '0', djangoVersion: null });
      expect(p2.strategy).toBe('db-default');
      expect(p2.warnings.join('\n')).toMatch(/--django-version 4\.2/);
    });
  });

  describe('with a default before Django 5.0', () => {
    const p = plan({ default: '0', djangoVersion: '4.2' });
    const [add] = p.phases as [Phase];

    it("is the seed's RunSQL with state_operations, under lock_timeout and statement_timeout, in one atomic migration", () => {
      expect(p.strategy).toBe('runsql-default');
      expect(kinds(add)).toEqual(['run-sql']);
      expect(add.migration!.atomic).toBe(true);
      const runSql = op(add, 'run-sql');
      expect(runSql.sql).toEqual([
        "SET LOCAL lock_timeout = '1s'",
        "SET LOCAL statement_timeout = '2000ms'",
        'ALTER TABLE "shop_order" ADD COLUMN "priority" integer DEFAULT 0 NOT NULL',
      ]);
      expect(runSql.reverseSql).toEqual(["SET LOCAL lock_timeout = '1s'", "SET LOCAL statement_timeout = '2000ms'", 'ALTER TABLE "shop_order" DROP COLUMN "priority"']);
      // django-migration-linter reads a RunSQL's reverse too: its DROP COLUMN is on purpose.
      expect(runSql.onPurpose?.does).toEqual(['drop-column-backwards']);
      expect(runSql.stateOperations).toEqual([{ kind: 'AddField', modelName: 'order', name: 'priority', field: 'models.IntegerField(default=0)' }]);
      expect(insertEdit(add).call).toBe('models.IntegerField(default=0)');
    });

    it("writes MySQL's own quoting and types", () => {
      const mysql = plan({ type: 'TextField', default: 'x', djangoVersion: '4.2', database: 'mysql' });
      expect(op(mysql.phases[0]!, 'run-sql').sql).toEqual(["ALTER TABLE `shop_order` ADD COLUMN `priority` longtext DEFAULT ('x') NOT NULL"]);
    });

    it('refuses --db-index, which cannot be built CONCURRENTLY inside RunSQL’s transaction', () => {
      expect(refused({ default: '0', djangoVersion: '4.2', dbIndex: true })).toThrow(/CONCURRENTLY/);
    });
  });

  describe('NOT NULL without a default (backfill)', () => {
    const p = plan({ backfillSql: 'quantity * 2' });
    const [expand, enforce] = p.phases as [Phase, Phase];

    it('takes two releases: add nullable, then backfill and NOT NULL through the check-constraint path', () => {
      expect(p.strategy).toBe('backfill');
      expect(p.phases.map((ph) => `${ph.number}/${ph.of} ${ph.name}`)).toEqual(['1/2 expand', '2/2 enforce']);
      expect(kinds(expand)).toEqual(['ddl', 'state-only']);
      expect(kinds(enforce)).toEqual(['backfill', 'set-not-null', 'state-only']);
      expect(enforce.migration!.atomic).toBe(false);
    });

    it('says that rolling release 1 back loses the values written to the new column; rolling release 2 back loses nothing', () => {
      expect(expand.migration!.rollbackLoses).toBe('Migrating backwards drops "priority": the values written to it are lost.');
      expect(enforce.migration!.rollbackLoses).toBeUndefined();
    });

    it('backfills with the given SQL, only the rows still NULL', () => {
      expect(op(enforce, 'backfill')).toMatchObject({ table: 'shop_order', pk: 'id', set: '"priority" = (quantity * 2)', where: '"priority" IS NULL' });
    });

    it('adds the field null=True with a marked TODO naming the write paths, then drops null=True and leaves no marker', () => {
      expect(insertEdit(expand).call).toBe('models.IntegerField(null=True)');
      expect(expand.codeBlocks).toEqual([
        expect.objectContaining({ role: 'todo', model: 'Order', anchor: 'class-body-end', template: 'snippets/add-column-write-todo' }),
      ]);
      expect(expand.codeBlocks[0]!.data.writePaths).toEqual(['save()', 'create()', 'bulk_create()', 'update()']);
      expect(expand.code).toMatch(/reads NULL as "not yet filled"/);
      expect(enforce.modelEdits).toEqual([
        expect.objectContaining({ kind: 'edit-field', field: 'priority', removeKwargs: ['null'] }),
        { kind: 'unmark', model: 'Order' },
      ]);
      expect(enforce.codeBlocks).toEqual([]);
      expect(stateOf(enforce)).toEqual([{ kind: 'AlterField', modelName: 'order', name: 'priority', field: 'models.IntegerField()' }]);
    });

    it('without --backfill-sql: a marked function the user completes, announced loudly', () => {
      const todo = plan({});
      const [, fill] = todo.phases as [Phase, Phase];
      expect(op(fill, 'backfill-function')).toMatchObject({
        modelName: 'Order',
        field: 'priority',
        functionName: 'fill_order_priority',
        valueFunction: 'priority_for',
        marker: { change: 'order-add-priority', phase: 2, of: 2 },
      });
      expect(todo.warnings.join('\n')).toMatch(/NotImplementedError/);
      expect(fill.risks.join('\n')).toMatch(/complete priority_for\(\)/);
    });

    it('backfills through a portable batched UPDATE outside PostgreSQL', () => {
      const sqlite = plan({ backfillSql: 'quantity * 2', database: 'sqlite' });
      expect(kinds(sqlite.phases[1]!)).toEqual(['backfill-sql-portable', 'django']);
      expect(op(sqlite.phases[1]!, 'backfill-sql-portable')).toMatchObject({ table: 'shop_order', pk: 'id', column: 'priority', expression: 'quantity * 2' });
    });
  });

  describe('--strategy single-release', () => {
    const p = plan({ backfillSql: 'quantity * 2', strategy: 'single-release' });
    const [add] = p.phases as [Phase];

    it('adds nullable, backfills and sets NOT NULL in one atomic migration', () => {
      expect(p.phases).toHaveLength(1);
      expect(kinds(add)).toEqual(['ddl', 'backfill', 'set-not-null', 'state-only']);
      expect(add.migration!.atomic).toBe(true);
      expect(insertEdit(add).call).toBe('models.IntegerField()');
    });

    it('stamps its warning into the plan (printed, PLAN.md) and the migration (RISK)', () => {
      expect(p.warnings[0]).toMatch(/single-release.*inserts.*FAIL/);
      expect(add.risks[0]).toBe(p.warnings[0]);
    });

    it('is refused where it cannot be one transaction, or has nothing to do', () => {
      expect(refused({ strategy: 'single-release', database: 'mysql' })).toThrow(/transactional DDL/);
      expect(refused({ strategy: 'single-release', dbIndex: true })).toThrow(/CONCURRENTLY/);
      expect(refused({ strategy: 'single-release', null: true })).toThrow(/one release anyway/);
    });
  });

  describe('indexes and unique constraints', () => {
    it('builds a CharField index and its LIKE index concurrently, under Django’s names', () => {
      const p = plan({ type: 'CharField', maxLength: 40, null: true, dbIndex: true });
      const [add] = p.phases as [Phase];
      expect(kinds(add)).toEqual(['ddl', 'create-index', 'create-index', 'state-only']);
      expect(ops(add).filter((o) => o.kind === 'create-index')).toEqual([
        expect.objectContaining({ column: 'priority', suffix: '', opclass: null, unique: false }),
        expect.objectContaining({ column: 'priority', suffix: '_like', opclass: 'varchar_pattern_ops', unique: false }),
      ]);
      expect(add.migration!.atomic).toBe(false);
      expect(insertEdit(add).call).toBe('models.CharField(max_length=40, db_index=True, null=True)');
    });

    it('makes --unique a real constraint, built in release 1 of the backfill plan', () => {
      const p = plan({ unique: true, backfillSql: 'id' });
      expect(op(p.phases[0]!, 'create-index')).toMatchObject({ suffix: '_uniq', unique: true });
      expect(stateOf(p.phases[0]!)[0]).toMatchObject({ field: 'models.IntegerField(unique=True, null=True)' });
    });

    it('allows --unique with --null (NULLs do not collide) but not with a default', () => {
      expect(() => plan({ unique: true, null: true })).not.toThrow();
      expect(refused({ unique: true, default: '0' })).toThrow(/same value/);
      expect(refused({ unique: true, null: true, default: '0' })).toThrow(/same value/);
    });
  });

  describe('foreign keys', () => {
    const p = plan({ name: 'referred_by', type: 'ForeignKey', to: 'Customer', onDelete: 'SET_NULL', null: true });
    const [add] = p.phases as [Phase];

    it('adds <name>_id typed like the target key, the constraint NOT VALID then validated, and its index', () => {
      expect(p.change).toBe('order-add-referred-by');
      expect(kinds(add)).toEqual(['ddl', 'add-foreign-key', 'create-index', 'state-only']);
      expect(op(add, 'ddl').sql[0]).toBe('ALTER TABLE "shop_order" ADD COLUMN IF NOT EXISTS "referred_by_id" bigint NULL');
      expect(op(add, 'add-foreign-key')).toMatchObject({ table: 'shop_order', column: 'referred_by_id', toTable: 'shop_customer', toColumn: 'id' });
      expect(op(add, 'create-index')).toMatchObject({ column: 'referred_by_id', suffix: '', unique: false });
    });

    it("has the database do what on_delete does, for the previous release's deletes", () => {
      expect(op(add, 'add-foreign-key').onDelete).toBe('SET NULL');
      const cascade = plan({ name: 'referred_by', type: 'ForeignKey', to: 'Customer', onDelete: 'CASCADE', null: true });
      expect(op(cascade.phases[0]!, 'add-foreign-key').onDelete).toBe('CASCADE');
      const protect = plan({ name: 'referred_by', type: 'ForeignKey', to: 'Customer', onDelete: 'PROTECT', null: true });
      expect(op(protect.phases[0]!, 'add-foreign-key').onDelete).toBe('NO ACTION');
    });

    it('writes the target as a string in models.py and as "app.model" in the migration', () => {
      expect(insertEdit(add).call).toBe('models.ForeignKey("Customer", on_delete=models.SET_NULL, null=True)');
      expect(stateOf(add)[0]).toMatchObject({
        field: 'models.ForeignKey(on_delete=django.db.models.deletion.SET_NULL, to="shop.customer", null=True)',
      });
      expect(add.migration!.imports).toEqual(['import django.db.models.deletion']);
    });

    it('takes the key type from DEFAULT_AUTO_FIELD, and assumes bigint with a note when unknown', () => {
      const integer = plan({ name: 'referred_by', type: 'ForeignKey', to: 'Customer', onDelete: 'PROTECT', null: true, defaultAutoFields: { shop: 'django.db.models.AutoField' } });
      expect(op(integer.phases[0]!, 'ddl').sql[0]).toContain('"referred_by_id" integer NULL');
      const unknown = plan({ name: 'referred_by', type: 'ForeignKey', to: 'Customer', onDelete: 'PROTECT', null: true, defaultAutoFields: { shop: null } });
      expect(op(unknown.phases[0]!, 'ddl').sql[0]).toContain('"referred_by_id" bigint NULL');
      expect(unknown.warnings.join('\n')).toMatch(/DEFAULT_AUTO_FIELD.*assumed BigAutoField/);
    });

    it('asks for what a foreign key needs', () => {
      expect(refused({ type: 'ForeignKey', onDelete: 'CASCADE' })).toThrow(/needs --to/);
      expect(refused({ type: 'ForeignKey', to: 'Customer' })).toThrow(/needs --on-delete/);
      expect(refused({ type: 'ForeignKey', to: 'Customer', onDelete: 'SET_NULL' })).toThrow(/SET_NULL needs --null/);
      expect(refused({ type: 'ForeignKey', to: 'Nope', onDelete: 'CASCADE', null: true })).toThrow(/not a model.*shop\.Customer/);
      expect(refused({ type: 'ForeignKey', to: 'Customer', onDelete: 'CASCADE', default: '1' })).toThrow(/no --default/);
    });
  });

  describe('refusals', () => {
    it.each([
      [{ type: 'SmallIntegerFeld' }, /unknown --type "SmallIntegerFeld"; choose one of: CharField/],
      [{ type: 'CharField', null: true }, /needs --max-length/],
      [{ type: 'DecimalField', null: true, maxDigits: 5 }, /needs --max-digits and --decimal-places/],
      [{ type: 'DecimalField', null: true, maxDigits: 2, decimalPlaces: 3 }, /more than --max-digits/],
      [{ maxLength: 10, null: true }, /--max-length applies to --type CharField only/],
      [{ to: 'Customer', null: true }, /--to applies to --type ForeignKey only/],
      [{ name: 'quantity', null: true }, /already a field of Order/],
      [{ name: 'select', null: true }, /reserved word in SQL/],
      [{ name: 'id', null: true }, /only the primary key may be called id \(models\.E004\)/],
      [{ name: 'objects', null: true }, /"objects" is the name Django gives Order's default manager/],
      [{ name: 'Quantity', null: true }, /differs only in case from the column "quantity" of Order\.quantity/],
      [{ name: 'Customer', type: 'ForeignKey', to: 'Customer', onDelete: 'PROTECT', null: true }, /\(column "Customer_id"\) differs only in case from the column "customer_id"/],
      [{ default: 'abc' }, /must be a whole number/],
      [{ default: '3000000000' }, /does not fit a IntegerField/],
      [{ type: 'CharField', maxLength: 2, default: 'abc' }, /longer than --max-length 2/],
      [{ type: 'JSONField', default: '{"a": 1}' }, /\{\}, \[\] or a single value/],
      [{ type: 'DateTimeField', default: '2024-01-01' }, /fixed DateTimeField default/],
      [{ backfillSql: 'x', null: true }, /--backfill-sql fills a NOT NULL column/],
      [{ backfillSql: '1; DROP TABLE shop_order' }, /one SQL expression/],
    ] as Array<[Partial<AddColumnInput>, RegExp]>)('%o is refused', (overrides, message) => {
      expect(refused(overrides)).toThrow(BgScaffoldError);
      expect(refused(overrides)).toThrow(message);
    });

    it('refuses a volatile default with an explanation and the backfill plan as the alternative', () => {
      for (const value of ['now()', 'NOW()', 'random()', 'gen_random_uuid()', 'clock_timestamp()', 'timezone.now', 'uuid.uuid4', "'now'"]) {
        expect(refused({ type: 'DateTimeField', default: value })).toThrow(/volatile.*rewrite the whole table.*backfill plan.*--backfill-sql/);
      }
    });
  });

  it('knows volatile defaults from constants', () => {
    expect(isVolatileDefault('now()')).toBe(true);
    expect(isVolatileDefault('uuid_generate_v4()')).toBe(true);
    expect(isVolatileDefault('django.utils.timezone.now')).toBe(true);
    expect(isVolatileDefault('0')).toBe(false);
    expect(isVolatileDefault('nowhere')).toBe(false);
  });
});

describe('add-column --backfill background (a backfill that outgrows a deploy)', () => {
  const inMigrate = plan({ name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity::bigint * 2' });
  const p = plan({ name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity::bigint * 2', backfill: 'background' });
  const [expand, fill, enforce] = p.phases as [Phase, Phase, Phase];

  it('takes one release more: NOT NULL needs every row filled, so it waits for the release after the fill', () => {
    expect(inMigrate.phases.map((phase) => phase.name)).toEqual(['expand', 'enforce']);
    expect(p.phases.map((phase) => `${phase.number}/${phase.of} ${phase.name}`)).toEqual(['1/3 expand', '2/3 fill', '3/3 enforce']);
    expect(p.background?.moved).toMatch(/^NOT NULL, which needs every row filled, moved from release 2 .* to release 3/);
  });

  it('release 1 is the in-migrate plan\'s release 1: the column added nullable, the code writing it', () => {
    expect(ops(expand)).toEqual(ops(inMigrate.phases[0]!));
    expect(expand.codeBlocks).toEqual(inMigrate.phases[0]!.codeBlocks);
  });

  it('release 2 registers the same batched UPDATE and nothing else, when every serving release writes the column', () => {
    const inMigrateFill = op(inMigrate.phases[1]!, 'backfill');
    expect(kinds(fill)).toEqual(['register-backfill']);
    expect(op(fill, 'register-backfill')).toMatchObject({
      name: 'order-add-weight/shop_order.weight',
      change: 'order-add-weight',
      table: inMigrateFill.table,
      pk: inMigrateFill.pk,
      set: inMigrateFill.set,
      where: inMigrateFill.where,
    });
    expect(fill.migration!.atomic).toBe(false);
    expect(fill.serving.duringMigration).toMatch(/^release 1 \(writes `weight`\)/);
    expect(fill.modelEdits).toEqual([]);
  });

  it('release 3 begins with the guard on that backfill, then NOT NULL and the state, as the in-migrate release 2 after its fill', () => {
    expect(kinds(enforce)).toEqual(['require-backfill-finished', 'set-not-null', 'state-only']);
    expect(op(enforce, 'require-backfill-finished')).toMatchObject({ change: 'order-add-weight', names: ['order-add-weight/shop_order.weight'] });
    expect(stateOf(enforce)).toEqual(stateOf(inMigrate.phases[1]!));
    expect(enforce.modelEdits).toEqual(inMigrate.phases[1]!.modelEdits);
  });

  it('records the choice in plan.json, and the in-migrate plan stays as it was (no backfill input, no background section)', () => {
    expect(p.inputs.backfill).toBe('background');
    expect('backfill' in inMigrate.inputs).toBe(false);
    expect(inMigrate.background).toBeUndefined();
    expect(plan({ name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity::bigint * 2', backfill: 'in-migrate' })).toEqual(inMigrate);
  });

  it('PLAN.md names the command, the guard, and the escape as SQL the team runs by hand', () => {
    expect(p.background).toMatchObject({ registeredIn: 2, guardedIn: 3, command: 'python manage.py bg_scaffold_backfill --change order-add-weight' });
    expect(p.background!.force.sql).toBe(`UPDATE bg_scaffold_backfill SET state = 'finished', finished_at = now(), updated_at = now() WHERE change = 'order-add-weight';`);
    expect(p.background!.force.why).toContain('SELECT count(*) FROM "shop_order" WHERE "weight" IS NULL');
    expect(p.background!.schedule.map((s) => s.where.split(' ')[0])).toEqual(['Once,', 'cron', 'A', 'Celery', 'RQ']);
  });

  it('advises from the row estimate when there is one: minutes at 25–39k rows/s', () => {
    expect(plan({ name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity::bigint * 2', backfill: 'background', rowsEstimate: 50_000_000 }).background!.choose).toMatch(
      /held about 50 million rows \(pg_class.reltuples\): in migrate the deploy would wait about 21–33 min, so the background form suits it\./,
    );
    expect(p.background!.choose).toMatch(/No database was read at generation, so the choice was yours/);
  });
});

describe('add-column in migrate over a large table (--database-url gave an estimate)', () => {
  it('warns that the deploy would wait, and names --backfill background', () => {
    expect(plan({ name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity * 2', rowsEstimate: 50_000_000 }).warnings).toContain(
      '"shop_order" holds about 50 million rows (pg_class.reltuples): the in-migrate backfill would hold the deploy about 21–33 min; consider --backfill background',
    );
  });

  it('says nothing for a small table, or without an estimate', () => {
    const without = plan({ name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity * 2' });
    expect(plan({ name: 'weight', type: 'BigIntegerField', backfillSql: 'quantity * 2', rowsEstimate: 100_000 })).toEqual(without);
  });
});
