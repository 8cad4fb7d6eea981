import { describe, expect, it } from 'vitest';
import { linterIgnores } from './linters.js';
import type { MigrationOperation } from './types.js';

const drop: MigrationOperation = {
  kind: 'ddl',
  comment: '',
  sql: ['DROP TRIGGER ...', 'DROP FUNCTION ...', 'ALTER TABLE "t" DROP COLUMN "c"'],
  reverseSql: null,
  onPurpose: { does: ['drop-column', 'drop-function'], because: 'nothing that serves reads "c"' },
};

describe('the linter ignores a migration carries', () => {
  it("are each linter's rules for what its steps do on purpose, with the step's reason", () => {
    expect(linterIgnores([drop])).toEqual({
      squawk: [{ rules: ['ban-drop-column', 'ban-drop-function'], because: 'nothing that serves reads "c"' }],
      migrationLinter: [{ rules: ['DROP_COLUMN'], because: 'nothing that serves reads "c"' }],
    });
  });

  it('name each rule once, grouped by reason in the order of the steps', () => {
    const notNull: MigrationOperation = { kind: 'set-not-null', comment: '', table: 't', column: 'n', onPurpose: { does: ['set-not-null'], because: 'the trigger fills "n"' } };
    const secondDrop: MigrationOperation = { ...drop, onPurpose: { does: ['drop-column'], because: 'another reason' } };
    expect(linterIgnores([notNull, drop, secondDrop])).toEqual({
      squawk: [{ rules: ['ban-drop-column', 'ban-drop-function'], because: 'nothing that serves reads "c"' }],
      migrationLinter: [
        { rules: ['NOT_NULL'], because: 'the trigger fills "n"' },
        { rules: ['DROP_COLUMN'], because: 'nothing that serves reads "c"' },
      ],
    });
  });

  it('are none for steps that say nothing, or run only backwards (a linter reads forwards)', () => {
    const backwards: MigrationOperation = { kind: 'backwards-only', comment: '', operation: drop };
    expect(linterIgnores([backwards, { kind: 'set-not-null', comment: '', table: 't', column: 'n' }])).toEqual({ squawk: [], migrationLinter: [] });
  });
});
