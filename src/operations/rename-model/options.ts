/** What `rename-model` asks for. */
import { type AskContext, oneOf, text } from '../options.js';
import { appOption, changeIdOption, modelOption } from '../shared/target-options.js';
import { RENAME_MODEL_STRATEGIES, type RenameModelStrategy, renameModelStrategyUnavailable } from './plan.js';

const STRATEGIES = Object.keys(RENAME_MODEL_STRATEGIES) as RenameModelStrategy[];
const WIDTH = Math.max(...STRATEGIES.map((s) => s.length));

export const RENAME_MODEL_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'the model class to rename, e.g. Order', required: 'the model class', message: 'Model to rename' }),
  to: text({
    flag: '--to <name>',
    description: 'its new class name, e.g. Purchase',
    required: 'the new class name',
    ask: async (context: AskContext) => {
      const [app, model] = [context.app(), context.model()];
      return context.prompter.input({
        message: `New name for ${model.name}`,
        validate: (value) =>
          !/^[A-Z][A-Za-z0-9_]*$/.test(value)
            ? 'a class name, starting with a capital'
            : app.models.some((m) => m.name.toLowerCase() === value.toLowerCase())
              ? `app "${app.label}" has a model of that name already`
              : true,
      });
    },
  }),
  strategy: oneOf(STRATEGIES, {
    flag: '--strategy <name>',
    description: 'keep-table (default) or move-table (PostgreSQL)',
    ask: async ({ prompter, database, app, model }: AskContext) => {
      // Only what can work is offered; the other is shown with the reason it cannot.
      const choices = STRATEGIES.map((s) => {
        const unavailable = renameModelStrategyUnavailable(s, { app: app(), model: model(), database });
        return { name: `${s.padEnd(WIDTH)}  ${RENAME_MODEL_STRATEGIES[s]}`, value: s, short: s, ...(unavailable ? { disabled: unavailable } : {}) };
      });
      return prompter.select<RenameModelStrategy>({ message: 'The table', choices, default: 'keep-table' });
    },
  }),
  changeId: changeIdOption('rename-<model>-to-<name>'),
};

export const RENAME_MODEL_HELP = [
  'Strategies:',
  ...STRATEGIES.map((s) => `  ${s.padEnd(WIDTH)}  ${RENAME_MODEL_STRATEGIES[s]}`),
  '',
  'Plan: two releases.',
  '  1  the class renamed, the old name kept as an alias beside it, string references of relations',
  '     pointed at the new name; the content type follows (as in Django), each permission gets a',
  '     twin under the new name, held by the same groups and users. keep-table pins Meta.db_table',
  '     (the database does not change); move-table renames the table and leaves an updatable view',
  '     under the old name for the previous release',
  '  2  the alias goes (once no code names the old class), and the old permissions; move-table',
  '     drops the view',
  'Refused: a model whose name other tables\' columns carry (auto-created many-to-many tables,',
  'multi-table inheritance children).',
  '',
  'Example:',
  '  bg-scaffold rename-model --app shop --model Order --to Purchase',
  '  bg-scaffold rename-model --app shop --model Order --to Purchase --strategy move-table',
];
