/** What `rename-model` asks for. */
import { type AskContext, text } from '../options.js';
import { appOption, changeIdOption, modelOption } from '../shared/target-options.js';

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
  changeId: changeIdOption('rename-<model>-to-<name>'),
};

export const RENAME_MODEL_HELP = [
  'Plan: two releases; the table keeps its name (db_table), so the database does not change.',
  '  1  the class renamed, Meta.db_table pinned, the old name kept as an alias beside it, string',
  '     references of relations pointed at the new name; the content type follows (as in Django),',
  '     each permission gets a twin under the new name, held by the same groups and users',
  '  2  the alias goes (once no code names the old class), and the old permissions',
  'Refused: a model whose name other tables\' columns carry (auto-created many-to-many tables,',
  'multi-table inheritance children).',
  '',
  'Example:',
  '  bg-scaffold rename-model --app shop --model Order --to Purchase',
];
