/** What `remove-index` asks for. */
import { fail } from '../../errors.js';
import { type AskContext, text } from '../options.js';
import { metaNamesOf } from '../shared/indexes.js';
import { appOption, changeIdOption, modelOption } from '../shared/target-options.js';

export const REMOVE_INDEX_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Order', required: 'the model class', message: 'Model' }),
  field: text({
    flag: '--field <name>',
    description: 'the field whose own index goes (db_index=True taken away)',
    // One list of the model's indexes answers --field or --name.
    askTogether: {
      keys: ['field', 'name'],
      ask: async (context: AskContext) => {
        const model = context.model();
        const own = model.fields.filter((f) => f.dbIndex && !f.unique && !f.primaryKey && f.column !== '');
        const meta = metaNamesOf(model).indexes;
        if (own.length + meta.length === 0) fail(`${model.name} has no index bg-scaffold can remove (no db_index=True field, no Meta.indexes)`);
        const picked = await context.prompter.search<string>({
          message: 'Index to remove (type to filter)',
          choices: [
            ...own.map((f) => ({ name: `${f.name} (db_index=True)`, value: `field:${f.name}`, disabled: f.relatedModel && f.kwargs.db_index === undefined ? 'a ForeignKey\'s own index' : undefined })),
            ...meta.map((name) => ({ name: `${name} (Meta.indexes)`, value: `name:${name}` })),
          ],
        });
        const [kind, value] = [picked.slice(0, picked.indexOf(':')), picked.slice(picked.indexOf(':') + 1)];
        return kind === 'field' ? { field: value } : { name: value };
      },
    },
  }),
  name: text({ flag: '--name <name>', description: 'the Meta index that goes, by name', flagOnly: 'the --field question lists Meta indexes too' }),
  changeId: changeIdOption('<model>-<field>-no-index, or drop-<name>'),
};

export const REMOVE_INDEX_HELP = [
  'Plan: one release; DROP INDEX CONCURRENTLY (no read or write waits), in a non-atomic migration.',
  'Migrating backwards builds the index again, CONCURRENTLY.',
  '',
  'Examples:',
  '  bg-scaffold remove-index --app shop --model Shipment --field tracking_code',
  '  bg-scaffold remove-index --app library --model Loan --name loan_open_idx',
];
