/** SQL as plans write it: the value survives quoting, and a re-run of a statement is safe. */
import { describe, expect, it } from 'vitest';
import { addColumnSql, addConstraintUnlessPresent, dropColumnSql, quoteName, sqlString } from './sql.js';

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
