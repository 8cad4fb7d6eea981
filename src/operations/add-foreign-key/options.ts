/** What `add-foreign-key` asks for. */
import { fail } from '../../errors.js';
import { type AskContext, oneOf, text } from '../options.js';
import { appOption, changeIdOption, fieldOption, modelOption } from '../shared/target-options.js';
import { foreignKeyRefusal, ON_DELETE_HANDLERS } from './plan.js';

/** The target and handler are asked only for an integer column: a ForeignKey has its own. */
const forIntegerColumn = (context: AskContext) => !/^(ForeignKey|OneToOneField)$/.test(context.field().fieldClass);

export const ADD_FOREIGN_KEY_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Invoice', required: 'the model class', message: 'Model' }),
  field: fieldOption({
    description: 'an integer column named <name>_id that holds another model\'s keys, or a ForeignKey with db_constraint=False',
    required: 'the field',
    message: 'Field that gets a foreign key (type to filter)',
    check: (_model, field) => {
      const why = foreignKeyRefusal(field);
      if (why) fail(why);
    },
  }),
  to: text({
    flag: '--to <model>',
    description: 'the model whose keys the column holds, e.g. Customer or accounts.Account',
    ask: async (context: AskContext) => {
      if (!forIntegerColumn(context)) return undefined;
      const app = context.app();
      const targets = context.facts.apps.flatMap((a) => a.models.filter((m) => !m.abstract).map((m) => ({ app: a, model: m })));
      return context.prompter.search({
        message: 'Points at (type to filter)',
        choices: targets.map(({ app: a, model: m }) => ({ name: `${a.label}.${m.name}`, value: a.label === app.label ? m.name : `${a.label}.${m.name}`, description: m.file })),
      });
    },
  }),
  onDelete: oneOf(ON_DELETE_HANDLERS, {
    flag: '--on-delete <handler>',
    description: 'what deleting the target does (CASCADE and SET_NULL are done by the database too, for the previous release)',
    ask: async (context: AskContext) =>
      forIntegerColumn(context)
        ? context.prompter.select({ message: 'Deleting the target', choices: ON_DELETE_HANDLERS.map((h) => ({ name: h, value: h, disabled: h === 'SET_NULL' && !context.field().nullable ? 'the column is NOT NULL' : undefined })) })
        : undefined,
  }),
  relatedName: text({ flag: '--related-name <name>', description: 'the reverse accessor, when the model points at the target already', flagOnly: 'asked for in the error that needs it' }),
  changeId: changeIdOption('<model>-<name>-foreign-key'),
};

export const ADD_FOREIGN_KEY_HELP = [
  'Plan (PostgreSQL): one release on the same column. The index Django gives a foreign key built',
  'CONCURRENTLY; rows that point at nothing counted first (the migration stops, naming them); the',
  'constraint added NOT VALID, then validated (writers go on). ON DELETE CASCADE / SET NULL in the',
  'database when on_delete says so, so the previous release\'s deletes keep their meaning.',
  '',
  'Examples:',
  '  bg-scaffold add-foreign-key --app billing --model Invoice --field issued_by_id --to accounts.Account --on-delete PROTECT',
  '  bg-scaffold add-foreign-key --app shop --model Order --field customer   # a ForeignKey with db_constraint=False',
];
