/**
 * The CHECK Django gives the column of some field types on PostgreSQL (`Positive*IntegerField`:
 * `"col" >= 0`, unnamed, so PostgreSQL names it `<table>_<column>_check`). A column a plan adds by
 * hand (a new column, or one re-added by a rollback) must get it too, or the database accepts what
 * Django's own schema refuses. Added NOT VALID (a brief lock; new writes are checked at once), and
 * validated once the column is filled, without blocking writes.
 */
import type { DjangoField } from '../../project/types.js';
import { pgIdentifier } from './names.js';
import { addConstraintUnlessPresent, dropConstraintSql, q } from './sql.js';
import type { MigrationOperation } from './types.js';

/** Django's `data_types_check_constraints` for PostgreSQL. */
const CHECKED_TYPES = new Set(['PositiveIntegerField', 'PositiveSmallIntegerField', 'PositiveBigIntegerField']);

export interface ColumnCheck {
  table: string;
  column: string;
  name: string;
  expression: string;
}

/** The CHECK Django would give `column` for `field`'s type, or null. */
export function columnCheck(field: DjangoField, table: string, column: string): ColumnCheck | null {
  const type = field.django?.internalType ?? field.fieldClass;
  if (!CHECKED_TYPES.has(type)) return null;
  return { table, column, name: pgIdentifier(`${table}_${column}_check`), expression: `${q(column)} >= 0` };
}

/** `ADD CONSTRAINT ... CHECK (...) NOT VALID`, unless it is there (a run after a failure): one statement. */
export function addCheckSql(check: ColumnCheck): string {
  return addConstraintUnlessPresent(check.table, check.name, `CHECK (${check.expression}) NOT VALID`);
}

/** The CHECK on a column the migration adds: NOT VALID at once; migrating backwards drops it (with the column). */
export function addCheckStep(check: ColumnCheck): MigrationOperation {
  return {
    kind: 'ddl',
    comment: `Django's CHECK (${check.expression}) for the column's type, added NOT VALID: a brief lock, and new writes are checked at once.`,
    sql: [addCheckSql(check)],
    reverseSql: [dropConstraintSql(check.table, check.name)],
  };
}

/** VALIDATE CONSTRAINT: reads the rows without blocking writes. Nothing to undo. */
export function validateCheckStep(check: ColumnCheck, comment: string): MigrationOperation {
  return {
    kind: 'ddl',
    comment,
    sql: [`ALTER TABLE ${q(check.table)} VALIDATE CONSTRAINT ${q(check.name)}`],
    reverseSql: [],
  };
}

/** Rollback only: validates the CHECK a rollback re-added with its column, once the column is refilled. */
export function validateCheckOnRollback(check: ColumnCheck): MigrationOperation {
  return {
    kind: 'backwards-only',
    comment: `Rollback only: validates the re-added column's CHECK (${check.expression}) once it is refilled.`,
    operation: validateCheckStep(check, ''),
  };
}
