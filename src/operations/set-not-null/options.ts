/** What `set-not-null` asks for: each input once, as a flag and as the question a terminal asks without it. */
import { fail } from '../../errors.js';
import { type AskContext, text } from '../options.js';
import { backfillOption, rowEstimateOption } from '../shared/background-backfill.js';
import { defaultFromFill } from '../shared/column-defaults.js';
import { appOption, changeIdOption, fieldOption, modelOption, refusal } from '../shared/target-options.js';
import { hasOwnDefault, notNullRefusal } from './plan.js';


export const SET_NOT_NULL_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Order', required: 'the model class', message: 'Model' }),
  field: fieldOption({
    description: 'the nullable field that becomes NOT NULL, e.g. note',
    required: 'the field',
    message: 'Field to make NOT NULL (type to filter)',
    check: (_model, field) => {
      const why = notNullRefusal(field);
      if (why) fail(why);
    },
  }),
  fill: text({
    flag: '--fill <value>',
    description: 'the value NULL rows get; for a field without a default, also its new default (two releases)',
    ask: async (context: AskContext) => {
      const field = context.field();
      if (context.answers.fillSql !== undefined) return undefined;
      // A field without a default needs --fill: release 1 makes it the default.
      const needed = !hasOwnDefault(field);
      const answer = await context.prompter.input({
        message: needed
          ? `${field.name} has no default, so the previous release inserts NULL: value for NULL rows and new rows`
          : `Value NULL rows of ${field.name} get (empty: none expected; the migration stops on one)`,
        default: '',
        // Checked as it is typed, as --fill is.
        validate: (value) => (value === '' ? (needed ? 'a value is needed: the field has no default' : true) : (refusal(() => defaultFromFill(value, field)) ?? true)),
      });
      return answer === '' ? undefined : answer;
    },
  }),
  fillSql: text({
    flag: '--fill-sql <sql>',
    description: 'SQL over the row that NULL rows get instead of --fill, e.g. "coalesce(legacy_note, \'\')"',
    flagOnly: 'a fill computed from other columns is rare; the --fill question covers a value',
  }),
  // Offered when NULL rows are to be filled on PostgreSQL: only then is there a backfill to move.
  backfill: backfillOption(({ database, answers }) => database === 'postgresql' && (answers.fill !== undefined || answers.fillSql !== undefined)),
  databaseUrl: rowEstimateOption(),
  changeId: changeIdOption('<model>-<field>-not-null'),
};

export const SET_NOT_NULL_HELP = [
  'Plans (the previous release keeps serving; Django writes every field on INSERT):',
  '  single-release  the field has a default: NULL rows filled in batches, then NOT NULL through a',
  '                  CHECK added NOT VALID and validated (writers go on), in one release',
  '  default-first   no default: release 1 gives it --fill as its default (the previous release',
  '                  still inserts NULL); release 2 fills the NULL rows and sets NOT NULL',
  '  --backfill background  the fill is registered for manage.py bg_scaffold_backfill instead of run',
  '                  in migrate; NOT NULL comes a release later, once it finished',
  '',
  'Examples:',
  '  bg-scaffold set-not-null --app shop --model Order --field note --fill ""',
  '  bg-scaffold set-not-null --app shop --model Customer --field phone --fill-sql "coalesce(mobile, \'\')" --dry-run',
];
