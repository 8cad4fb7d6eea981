/** Warnings more than one plan gives, worded once. */

/** Every plan on SQLite: its ALTERs rebuild the table. */
export function sqliteWarning(): string {
  return 'SQLite rebuilds the table for most ALTERs: fine for development, not for production traffic';
}
