/**
 * change-column-type in the matrix: the column swap of an integer for a bigint (the shop's
 * Order.quantity), of a primary key with the foreign keys that point at it from two apps (the
 * legacy project's Account.id), and the metadata-only widening of a varchar. Every release writes
 * integers at the old type's limits (a quarter of them within 100 of ±2³¹), during the backfill
 * and the swap, so that a cast, a trigger or a rollback's refill that mishandles one shows.
 *
 * Each runs on one Django line in the suite, to keep its time: the shop's column swap on the newest,
 * the key with its foreign keys (the swap on another shape) on 5.2, the in-place widening (one ALTER)
 * on the newest, the shop's swap with --backfill background on 5.2 (`BG_MATRIX_ALL_LINES=1 npm run
 * matrix change-column-type` runs each on both).
 */
import { backgroundForm } from './background-backfill.js';
import type { MatrixTarget, Scenario } from './matrix.js';

const INT32 = '-2147483648:2147483647';
const ACCOUNT: MatrixTarget = { example: 'legacy', model: 'accounts.Account' };
const same = (field: string, releases: number) => Array.from({ length: releases + 1 }, () => field);

/** Null when every query prints what is expected, else what differs. */
async function expectRows(sql: (query: string) => Promise<string>, expected: Array<[string, string, string]>): Promise<string | null> {
  const problems: string[] = [];
  for (const [what, query, value] of expected) {
    const found = (await sql(query)).trim();
    if (found !== value) problems.push(`${what}: expected ${value}, found ${found || '(nothing)'}`);
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

const typeOf = (table: string, column: string) =>
  `SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attname = '${column}' AND NOT attisdropped`;
/** Valid foreign keys from the two referencing tables to accounts_account(id). */
const KEYS_TO_ACCOUNT = `SELECT count(*) FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = c.confkey[1]
  WHERE c.contype = 'f' AND c.confrelid = 'accounts_account'::regclass AND a.attname = 'id' AND c.convalidated
  AND c.conrelid IN ('accounts_profile'::regclass, 'billing_invoice'::regclass)`;

/**
 * The legacy project's own check per phase. After phase 1 it gives accounts profiles and invoices
 * (the trigger fills their new columns); then the rows that point at an account must keep pointing
 * at it through every phase, with the key and the foreign keys as the plan says.
 */
async function keysFollow(sql: (query: string) => Promise<string>, phase: number): Promise<string | null> {
  if (phase === 1) {
    await sql(`INSERT INTO accounts_profile (account_id, bio) SELECT id, 'p' FROM accounts_account a
      WHERE NOT EXISTS (SELECT 1 FROM accounts_profile p WHERE p.account_id = a.id) ORDER BY id LIMIT 200`);
    await sql(`INSERT INTO billing_invoice (account_id, number, total, issued_on) SELECT id, 'M' || id, 1, now() FROM accounts_account a
      WHERE NOT EXISTS (SELECT 1 FROM billing_invoice i WHERE i.account_id = a.id) ORDER BY id LIMIT 200`);
    return expectRows(sql, [
      ['accounts whose new key differs', `SELECT count(*) FROM accounts_account WHERE id_bg_new IS DISTINCT FROM id`, '0'],
      ['invoices whose new column differs', `SELECT count(*) FROM billing_invoice WHERE account_id_bg_new IS DISTINCT FROM account_id`, '0'],
      ['profiles whose new column differs', `SELECT count(*) FROM accounts_profile WHERE account_id_bg_new IS DISTINCT FROM account_id`, '0'],
      ['invoices written', `SELECT count(*) > 0 FROM billing_invoice`, 't'],
    ]);
  }
  return expectRows(sql, [
    ['accounts_account.id', typeOf('accounts_account', 'id'), 'bigint'],
    ['billing_invoice.account_id', typeOf('billing_invoice', 'account_id'), 'bigint'],
    ['accounts_profile.account_id', typeOf('accounts_profile', 'account_id'), 'bigint'],
    ['validated foreign keys to accounts_account(id)', KEYS_TO_ACCOUNT, '2'],
    ['the primary key', `SELECT count(*) FROM pg_constraint WHERE conrelid = 'accounts_account'::regclass AND contype = 'p'`, '1'],
    ['the key is an identity', `SELECT attidentity FROM pg_attribute WHERE attrelid = 'accounts_account'::regclass AND attname = 'id'`, 'd'],
    ['invoices that point at no account', `SELECT count(*) FROM billing_invoice i WHERE NOT EXISTS (SELECT 1 FROM accounts_account a WHERE a.id = i.account_id)`, '0'],
    ['the old key column', `SELECT count(*) FROM pg_attribute WHERE attrelid = 'accounts_account'::regclass AND attname = 'id_bg_old' AND NOT attisdropped`, phase === 2 ? '1' : '0'],
  ]);
}

/**
 * The swap with --backfill background: release 1 adds quantity_bg_new with its trigger and registers
 * the fill of the rows before; release 2's migration begins with the guard, then NOT NULL and the
 * swap, after which the filled column is "quantity".
 */
const swapInTheBackground = backgroundForm({
  change: 'order-quantity-to-biginteger',
  registeredIn: 1,
  remaining: 'SELECT count(*) FROM shop_order WHERE quantity_bg_new IS DISTINCT FROM quantity',
  notNullColumn: 'quantity_bg_new',
  guarded: { notNullColumn: 'quantity', remaining: 'SELECT count(*) FROM shop_order WHERE quantity IS NULL' },
});

export const SCENARIOS: Scenario[] = [
  {
    name: 'change-column-type int → bigint (column swap)',
    djangoLines: ['latest'],
    cli: ['change-column-type', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--type', 'BigIntegerField', '--batch-size', '100'],
    codeField: same('quantity', 3),
    integerRange: INT32,
    loadOps: 120,
    verify: {
      check: 'the column is what the phase says',
      run: (_tree, phase, _env, sql) => expectRows(sql, [['shop_order.quantity', typeOf('shop_order', 'quantity'), phase === 1 ? 'integer' : 'bigint']]),
    },
  },
  {
    // Release 1 writes integers at the limits while the command fills: the trigger and the fill meet on them.
    name: 'change-column-type int → bigint (column swap), background backfill',
    djangoLines: ['5.2'],
    cli: ['change-column-type', '--app', 'shop', '--model', 'Order', '--field', 'quantity', '--type', 'BigIntegerField', '--batch-size', '100', '--backfill', 'background'],
    codeField: same('quantity', 3),
    integerRange: INT32,
    loadOps: 120,
    developer: swapInTheBackground.beforeRelease,
    verify: {
      check: "in release 1 release 2's guard stops migrate before the command ran, which then fills quantity_bg_new of every row while releases 0 and 1 write; in release 2 quantity is the filled bigint, NOT NULL; the column is what the phase says",
      run: async (tree, phase, env, sql, databaseUrl) =>
        (await swapInTheBackground.verify(tree, phase, env, sql, databaseUrl)) ??
        expectRows(sql, [['shop_order.quantity', typeOf('shop_order', 'quantity'), phase === 1 ? 'integer' : 'bigint']]),
    },
  },
  {
    name: 'change-column-type primary key and the foreign keys to it, from two apps (legacy)',
    target: ACCOUNT,
    cli: ['change-column-type', '--app', 'accounts', '--model', 'Account', '--field', 'id', '--type', 'BigAutoField', '--batch-size', '100'],
    codeField: same('visits', 3),
    integerRange: INT32,
    loadOps: 120,
    djangoLines: ['5.2'],
    verify: { check: 'the key and the foreign keys to it follow the plan', run: (_tree, phase, _env, sql) => keysFollow(sql, phase) },
  },
  {
    name: 'change-column-type varchar widened in place (metadata only)',
    cli: ['change-column-type', '--app', 'shop', '--model', 'Order', '--field', 'status', '--type', 'CharField', '--max-length', '40'],
    // The shop's seed writes quantity: the writers check it while the status column widens.
    codeField: same('quantity', 1),
    djangoLines: ['latest'],
    loadOps: 150,
    verify: { check: 'the column is varchar(40)', run: (_tree, _phase, _env, sql) => expectRows(sql, [['shop_order.status', typeOf('shop_order', 'status').replace('NULL)', 'atttypmod)'), 'character varying(40)']]) },
  },
];
