/** What `add-unique` asks for. */
import { conditionOption, entryNameOption, fieldsOption, metaEntryExtraOptions, oneFieldOption } from '../shared/index-options.js';
import { toggle } from '../options.js';
import { parseIndexFields } from '../shared/indexes.js';
import { appOption, changeIdOption, modelOption, refusal } from '../shared/target-options.js';
import { uniqueRefusal } from './plan.js';

export const ADD_UNIQUE_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Order', required: 'the model class', message: 'Model' }),
  field: oneFieldOption({
    description: 'the field that becomes unique=True, e.g. reference',
    message: 'Unique (type to filter)',
    metaChoice: 'a UniqueConstraint: several fields together, or with a condition',
    refuse: uniqueRefusal,
  }),
  fields: fieldsOption({ description: 'a Meta UniqueConstraint on these fields together instead, e.g. customer,reference', descending: false }),
  condition: conditionOption({ description: 'UniqueConstraint: unique only among rows matching this Q, e.g. "Q(active=True)"', message: 'Only among rows where (a Q expression; empty: all rows)' }),
  name: entryNameOption({
    description: 'UniqueConstraint: its name (default: <table>_<columns>_uniq)',
    suggest: (context) => {
      const model = context.model();
      let name: string | undefined;
      refusal(() => (name = `${model.dbTable}_${parseIndexFields(String(context.answers.fields), model, 'fields', { descending: false }).map((f) => f.field.column).join('_')}_uniq`));
      return name;
    },
  }),
  ...metaEntryExtraOptions('constraint'),
  nullsNotDistinct: toggle({
    flag: '--nulls-not-distinct',
    description: 'UniqueConstraint: NULLs count as equal, so only one row may hold NULL (nulls_distinct=False; PostgreSQL 15, Django 5.0)',
    flagOnly: 'rarer shapes of an entry: a terminal asks for fields, a script passes these',
  }),
  changeId: changeIdOption('<model>-<fields>-unique'),
};

export const ADD_UNIQUE_HELP = [
  'Plan: one release. Duplicates are counted first (the migration stops, naming up to 10, before any',
  'lock); the unique index is built CONCURRENTLY, then attached as the constraint (ADD CONSTRAINT …',
  'USING INDEX, catalog only); a conditional UniqueConstraint stays a unique index, as in Django.',
  '',
  'Examples:',
  '  bg-scaffold add-unique --app shop --model Shipment --field tracking_code',
  '  bg-scaffold add-unique --app shop --model Order --fields customer,placed_at',
  '  bg-scaffold add-unique --app shop --model Product --fields name --condition "Q(active=True)" --name product_active_name_uniq',
  '  bg-scaffold add-unique --app shop --model Customer --expressions \'Lower("email")\' --name customer_email_ci_uniq',
];
