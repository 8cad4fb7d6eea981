/** What `add-index` asks for: each input once, as a flag and as the question a terminal asks without it. */
import { conditionOption, entryNameOption, fieldsOption, metaEntryExtraOptions, oneFieldOption, suggestedIndexName } from '../shared/index-options.js';
import { appOption, changeIdOption, modelOption } from '../shared/target-options.js';
import { fieldIndexRefusal } from './plan.js';

export const ADD_INDEX_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Order', required: 'the model class', message: 'Model' }),
  field: oneFieldOption({
    description: "the field that gets its own index (db_index=True), e.g. placed_at",
    message: 'Index (type to filter)',
    metaChoice: 'a Meta index: several fields, descending, or a condition',
    refuse: fieldIndexRefusal,
  }),
  fields: fieldsOption({ description: 'a Meta index on these fields instead, e.g. customer,-placed_at (- for descending)', descending: true }),
  condition: conditionOption({ description: 'Meta index: only rows matching this Q, e.g. "Q(status=\'new\')" (a partial index)', message: 'Only rows where (a Q expression; empty: all rows)' }),
  name: entryNameOption({ description: "Meta index: its name (default: the one Django computes)", suggest: suggestedIndexName }),
  ...metaEntryExtraOptions('index'),
  changeId: changeIdOption('<model>-<fields>-index'),
};

export const ADD_INDEX_HELP = [
  'Plan: one release; CREATE INDEX CONCURRENTLY under Django\'s own name, in a non-atomic migration',
  '(writes go on during the build; a failed build\'s INVALID index is rebuilt when migrate runs again).',
  'Other databases: Django\'s AddIndex / AlterField.',
  '',
  'Examples:',
  '  bg-scaffold add-index --app shop --model Order --field placed_at',
  '  bg-scaffold add-index --app shop --model Order --fields customer,-placed_at',
  '  bg-scaffold add-index --app shop --model Order --fields placed_at --condition "Q(status=\'new\')" --name order_new_placed_idx',
  '  bg-scaffold add-index --app shop --model Order --fields customer --include status,placed_at',
  '  bg-scaffold add-index --app shop --model Customer --expressions \'Lower("email")\' --name customer_email_lower_idx',
];
