/**
 * The migration linters teams already run: squawk (on what `manage.py sqlmigrate` prints) and
 * django-migration-linter (`manage.py lintmigrations`). Both flag in general what a phased change
 * does on purpose in the one release where it is safe: dropping a column once no serving code
 * reads it, NOT NULL on a column that every serving release fills. A plan step says so
 * (`onPurpose`); here each such thing is mapped to the rules that flag it, and a migration's
 * ignores are gathered: the runtime's SquawkIgnore and MigrationLinterIgnore write each linter's
 * own ignore, the reason beside it. A linter rule that flags a step as it always runs (the drop of
 * a temporary check the step added itself) is the runtime's to ignore, statement by statement.
 */
import type { MigrationOperation } from './types.js';

/** What a step does that the linters flag in general. */
export type LintedStep =
  /** `ALTER TABLE ... DROP COLUMN`, forwards. */
  | 'drop-column'
  /** `ALTER TABLE ... DROP COLUMN` in a RunSQL's reverse_sql (django-migration-linter reads it too). */
  | 'drop-column-backwards'
  /** `DROP FUNCTION` (a sync trigger's). */
  | 'drop-function'
  | 'drop-table'
  /** `SET NOT NULL` on a column the previous release inserts rows without. */
  | 'set-not-null'
  | 'drop-not-null'
  /** A unique index or constraint on a table that serves. */
  | 'add-unique'
  /** `ALTER COLUMN ... TYPE`. */
  | 'change-column-type'
  /** `ALTER TABLE ... RENAME TO` (an updatable view under the old name serving the previous release). */
  | 'rename-table'
  /** `ALTER TABLE ... RENAME COLUMN`. */
  | 'rename-column'
  | 'drop-view';

/** A step that does on purpose what the linters flag in general, and why it is safe in its release. */
export interface OnPurpose {
  does: LintedStep[];
  /** One sentence for the reader of the ignore: why nothing that serves breaks. */
  because: string;
}

/** The rules of each linter that flag a step: squawk's rule names, django-migration-linter's check codes. */
export const LINTER_RULES: Readonly<Record<LintedStep, { squawk: readonly string[]; migrationLinter: readonly string[] }>> = {
  'drop-column': { squawk: ['ban-drop-column'], migrationLinter: ['DROP_COLUMN'] },
  'drop-column-backwards': { squawk: [], migrationLinter: ['DROP_COLUMN'] },
  'drop-function': { squawk: ['ban-drop-function'], migrationLinter: [] },
  'drop-table': { squawk: ['ban-drop-table'], migrationLinter: ['DROP_TABLE'] },
  'set-not-null': { squawk: [], migrationLinter: ['NOT_NULL'] },
  'drop-not-null': { squawk: ['ban-drop-not-null'], migrationLinter: [] },
  'add-unique': { squawk: [], migrationLinter: ['ADD_UNIQUE'] },
  'change-column-type': { squawk: ['changing-column-type'], migrationLinter: ['ALTER_COLUMN'] },
  'rename-table': { squawk: ['renaming-table'], migrationLinter: ['RENAME_TABLE'] },
  'rename-column': { squawk: ['renaming-column'], migrationLinter: ['RENAME_COLUMN'] },
  'drop-view': { squawk: ['ban-drop-view'], migrationLinter: [] },
};

/** One ignore: squawk rules or django-migration-linter checks, and why they are safe here. */
export interface LinterIgnore {
  rules: string[];
  because: string;
}

export interface LinterIgnores {
  squawk: LinterIgnore[];
  migrationLinter: LinterIgnore[];
}

/**
 * The ignores a migration carries: the rules its steps break on purpose (steps that run only
 * backwards show nothing to a linter), each once, grouped by reason, in the order of the steps.
 */
export function linterIgnores(operations: readonly MigrationOperation[]): LinterIgnores {
  const squawk: LinterIgnore[] = [];
  const migrationLinter: LinterIgnore[] = [];
  const add = (into: LinterIgnore[], rules: readonly string[], because: string) => {
    const fresh = rules.filter((rule) => !into.some((ignore) => ignore.rules.includes(rule)));
    if (fresh.length === 0) return;
    const same = into.find((ignore) => ignore.because === because);
    if (same) same.rules.push(...fresh);
    else into.push({ rules: [...fresh], because });
  };
  for (const op of operations) {
    if (!op.onPurpose) continue;
    const { does, because } = op.onPurpose;
    add(squawk, does.flatMap((step) => LINTER_RULES[step].squawk), because);
    add(migrationLinter, does.flatMap((step) => LINTER_RULES[step].migrationLinter), because);
  }
  return { squawk, migrationLinter };
}
