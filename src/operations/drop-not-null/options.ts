/** What `drop-not-null` asks for. */
import { fail } from '../../errors.js';
import { appOption, changeIdOption, fieldOption, modelOption } from '../shared/target-options.js';
import { nullableRefusal } from './plan.js';

export const DROP_NOT_NULL_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Order', required: 'the model class', message: 'Model' }),
  field: fieldOption({
    description: 'the NOT NULL field that may become NULL, e.g. note',
    required: 'the field',
    message: 'Field to make nullable (type to filter)',
    check: (_model, field) => {
      const why = nullableRefusal(field);
      if (why) fail(why);
    },
  }),
  changeId: changeIdOption('<model>-<field>-nullable'),
};

export const DROP_NOT_NULL_HELP = [
  'Plan: one release; DROP NOT NULL is metadata only on PostgreSQL (SQLite rebuilds the table).',
  'Write None into the field only once the previous release is retired.',
  '',
  'Example:',
  '  bg-scaffold drop-not-null --app shop --model Order --field quantity',
];
