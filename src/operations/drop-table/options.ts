/** What `drop-table` asks for: the app and the model; models that others still point at cannot be picked. */
import { appsWithInstalled } from '../../project/discover.js';
import { incomingRelations } from '../shared/relations.js';
import { appOption, changeIdOption, modelOption } from '../shared/target-options.js';

export const DROP_TABLE_OPTIONS = {
  app: appOption(),
  model: modelOption({
    description: 'model class to delete, e.g. Shipment',
    required: 'the model class to delete',
    message: 'Model to delete',
    refuse: (model, context) => {
      const incoming = incomingRelations(model, context.app().label, appsWithInstalled(context.facts));
      return incoming.length > 0 ? `referenced by ${incoming.map((r) => `${r.model.name}.${r.field.name}`).join(', ')}` : undefined;
    },
  }),
  changeId: changeIdOption('drop-<model>'),
};

export const DROP_TABLE_HELP = [
  'Two releases: the model leaves the code (its foreign keys become database-level ones that do',
  'what its on_delete did), then its table is dropped. Models that point at it go first, through',
  'remove-column.',
  '',
  'Example:',
  '  bg-scaffold drop-table --app shop --model Shipment --dry-run',
];
