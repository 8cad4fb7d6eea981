/** What `add-check` asks for. */
import { type AskContext, text } from '../options.js';
import { conditionOption } from '../shared/index-options.js';
import { conditionExpression, conditionFields } from '../shared/indexes.js';
import { appOption, changeIdOption, modelOption, refusal } from '../shared/target-options.js';

export const ADD_CHECK_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Order', required: 'the model class', message: 'Model' }),
  condition: { ...conditionOption({ description: 'what every row must satisfy, as a Q expression, e.g. "Q(quantity__gte=1)"', message: 'Every row must satisfy (a Q expression)', required: true }), required: 'the condition' as const },
  name: text({
    flag: '--name <name>',
    description: 'the constraint\'s name (default: <table>_<columns>_check)',
    ask: async (context: AskContext) => {
      const model = context.model();
      const condition = String(context.answers.condition);
      const fields = refusal(() => conditionExpression(condition, model)) ? [] : conditionFields(condition);
      const suggested = `${model.dbTable}_${fields.map((name) => model.fields.find((f) => f.name === name)?.column ?? name).join('_')}_check`;
      const answer = await context.prompter.input({ message: 'Name', default: suggested });
      return answer === suggested ? undefined : answer;
    },
  }),
  changeId: changeIdOption('<model>-<fields>-check'),
};

export const ADD_CHECK_HELP = [
  'Plan: one release. Violating rows are counted first (the migration stops, saying how many, before',
  'any lock); the CHECK is added NOT VALID (catalog only, new writes checked from then on), then',
  'validated in its own transaction under a lock writers pass.',
  '',
  'Example:',
  '  bg-scaffold add-check --app shop --model Order --condition "Q(quantity__gte=1)"',
];
