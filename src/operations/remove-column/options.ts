/** What `remove-column` asks for: each input once, as a flag and as the question a terminal asks without it. */
import { fail } from '../../errors.js';
import { type AskContext, text } from '../options.js';
import { requireConcreteColumn } from '../shared/django-fields.js';
import { defaultFromFill } from '../shared/column-defaults.js';
import { appOption, changeIdOption, fieldOption, modelOption, refusal } from '../shared/target-options.js';
import { fillRefusal, REMOVE_COLUMN_STRATEGIES, type RemoveColumnStrategy, strategyWithoutFill } from './plan.js';

export const REMOVE_COLUMN_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Order', required: 'the model class', message: 'Model' }),
  field: fieldOption({
    description: 'field to remove, e.g. note',
    required: 'the field to remove',
    message: 'Field to remove (type to filter)',
    check: (model, field) => {
      if (field.fieldClass.endsWith('ManyToManyField')) fail('many-to-many: not handled');
      requireConcreteColumn(model, field, '--field', 'remove');
    },
  }),
  fill: text({
    flag: '--fill <value>',
    description: 'database default for rows inserted without the field (two releases instead of three for a NOT NULL field)',
    // Asked only where a fill value would save a release.
    ask: async (context: AskContext) => {
      const field = context.field();
      if (strategyWithoutFill(field) !== 'null-first' || fillRefusal(context.model(), field)) return undefined;
      const answer = await context.prompter.input({
        message: `Value the previous release reads in rows inserted without ${field.name} (empty: three releases, nullable first)`,
        default: '',
        // Checked as it is typed, as --fill is: a value the column cannot hold is refused here, not after the last question.
        validate: (value) => (value === '' ? true : (refusal(() => defaultFromFill(value, field)) ?? true)),
      });
      return answer === '' ? undefined : answer;
    },
  }),
  changeId: changeIdOption('remove-<model>-<field>'),
};

const strategies = Object.keys(REMOVE_COLUMN_STRATEGIES) as RemoveColumnStrategy[];
const width = Math.max(...strategies.map((s) => s.length));

export const REMOVE_COLUMN_HELP = [
  'The plan follows from the field (what the previous release reads in rows inserted without it):',
  ...strategies.map((s) => `  ${s.padEnd(width)}  ${REMOVE_COLUMN_STRATEGIES[s]}`),
  '',
  'Examples:',
  '  bg-scaffold remove-column --app shop --model Order --field note',
  '  bg-scaffold remove-column --app shop --model Product --field price --fill 0 --dry-run',
];
