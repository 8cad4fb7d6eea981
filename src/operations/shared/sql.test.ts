/** SQL as plans write it: the value survives quoting, and a re-run of a statement is safe. */
import { describe, expect, it } from 'vitest';
import { addColumnSql, addConstraintUnlessPresent, columnsNamedIn, dropColumnSql, quoteName, sqlString } from './sql.js';

describe('SQL literals and statements', () => {
  it('double a quote inside a string literal, and inside a quoted identifier', () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(quoteName('we"ird', 'postgresql')).toBe('"we""ird"');
    expect(quoteName('we`ird', 'mysql')).toBe('`we``ird`');
  });

  it('add and drop a column so that a re-run skips it, unless told otherwise', () => {
    expect(addColumnSql('shop_order', 'qty', 'integer')).toBe('ALTER TABLE "shop_order" ADD COLUMN IF NOT EXISTS "qty" integer NULL');
    expect(dropColumnSql('shop_order', 'qty')).toBe('ALTER TABLE "shop_order" DROP COLUMN IF EXISTS "qty"');
    expect(addColumnSql('shop_order', 'note', 'longtext', { database: 'mysql', ifNotExists: false, nullable: false, default: "('')" })).toBe(
      "ALTER TABLE `shop_order` ADD COLUMN `note` longtext DEFAULT ('') NOT NULL",
    );
    expect(dropColumnSql('shop_order', 'note', { database: 'mysql', ifExists: false })).toBe('ALTER TABLE `shop_order` DROP COLUMN `note`');
  });

  it('look a constraint up by the quoted table name, as regclass reads it', () => {
    expect(addConstraintUnlessPresent("o'rder", 'c', 'CHECK (x)')).toContain(`conrelid = '"o''rder"'::regclass AND conname = 'c'`);
  });
});

describe('the columns an SQL expression over a row names', () => {
  it.each([
    ['quantity * 2', ['quantity']],
    ['coalesce(Price, 0) + "Weird Col"', ['price', 'Weird Col']],
    ["quantity::bigint * 2 || 'text with words'", ['quantity']],
    ["CASE WHEN status = 'paid' THEN 1 ELSE 0 END", ['status']],
    ["created_at + interval '1 day'", ['created_at']],
    ['shop_order.quantity + now()', []],
    ['CAST(quantity AS numeric(10, 2))', ['quantity']],
    ['nonexistent_col + 1.5e3', ['nonexistent_col']],
  ])('%s: %j', (expression, columns) => {
    expect(columnsNamedIn(expression)).toEqual(columns);
  });
});
