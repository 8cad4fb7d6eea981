/** What `rename-column` asks for: each input once, as a flag and as the question a terminal asks without it. */
import { fail } from '../../errors.js';
import { appsWithInstalled } from '../../project/discover.js';
import { type AskContext, oneOf, parsed, text } from '../options.js';
import { backfillOption, rowEstimateOption } from '../shared/background-backfill.js';
import { requireConcreteColumn } from '../shared/django-fields.js';
import { validateNewFieldName } from '../shared/names.js';
import { appOption, changeIdOption, fieldOption, modelOption, refusal } from '../shared/target-options.js';
import type { RenameStrategy } from '../shared/types.js';
import { defaultRenameStrategy, RENAME_STRATEGIES, strategyUnavailable } from './plan.js';

const STRATEGIES = Object.keys(RENAME_STRATEGIES) as RenameStrategy[];
const WIDTH = Math.max(...STRATEGIES.map((s) => s.length));

export const RENAME_COLUMN_OPTIONS = {
  app: appOption(),
  model: modelOption({ description: 'model class, e.g. Order', required: 'the model class', message: 'Model' }),
  field: fieldOption({
    description: 'field to rename, e.g. quantity',
    required: 'the field to rename',
    message: 'Field to rename (type to filter)',
    check: (model, field) => requireConcreteColumn(model, field, '--field'),
  }),
  to: text({
    flag: '--to <name>',
    description: 'new field name, e.g. qty',
    required: 'the new field name',
    ask: async (context: AskContext) => {
      const [app, model, field] = [context.app(), context.model(), context.field()];
      return context.prompter.input({
        message: `New name for ${model.name}.${field.name}`,
        validate: (value) =>
          refusal(() => {
            if (value === field.name) fail(`"${value}" is the field's current name`);
            validateNewFieldName(value, model, 'name', { appLabel: app.label, apps: appsWithInstalled(context.facts) });
          }) ?? true,
      });
    },
  }),
  strategy: oneOf(STRATEGIES, {
    flag: '--strategy <name>',
    description: 'how the column is renamed (default: trigger on PostgreSQL, copy elsewhere)',
    ask: async ({ prompter, database, answers, model, field }: AskContext) => {
      // Only what can work is offered; the others are shown with the reason they cannot.
      const target = { model: model(), field: field(), database, to: answers.to as string | undefined };
      const choices = STRATEGIES.map((s) => {
        const unavailable = strategyUnavailable(s, target);
        return { name: `${s.padEnd(WIDTH)}  ${RENAME_STRATEGIES[s]}`, value: s, short: s, ...(unavailable ? { disabled: unavailable.reason } : {}) };
      });
      const preferred = defaultRenameStrategy(database);
      const enabled = choices.filter((choice) => !choice.disabled).map((choice) => choice.value);
      return prompter.select<RenameStrategy>({ message: `Strategy (${database})`, choices, default: enabled.includes(preferred) ? preferred : enabled[0] });
    },
  }),
  phases: parsed((value) => Number(value) as 3 | 4, {
    flag: '--phases <n>',
    description: 'copy strategy only: 4 releases, or 3 merging backfill and switch',
    choices: ['3', '4'],
    ask: async ({ prompter, answers }: AskContext) =>
      answers.strategy !== 'copy'
        ? undefined
        : prompter.select<3 | 4>({
            message: 'Releases',
            choices: [
              { name: '4  backfill, then switch reads, in separate releases', value: 4, short: '4' },
              { name: '3  backfill and switch reads in one release (blue reads stale values meanwhile)', value: 3, short: '3' },
            ],
            default: 4,
          }),
  }),
  // Offered for the copy strategy on PostgreSQL, the one whose copy can wait for a release of its own.
  backfill: backfillOption(({ database, answers }) => database === 'postgresql' && answers.strategy === 'copy'),
  databaseUrl: rowEstimateOption(),
  changeId: changeIdOption('<model>-<field>-to-<new name>'),
};

export const RENAME_COLUMN_HELP = [
  'Strategies:',
  ...STRATEGIES.map((s) => `  ${s.padEnd(WIDTH)}  ${RENAME_STRATEGIES[s]}`),
  '',
  '--backfill background (copy, PostgreSQL): the copy gets a release of its own, registered for',
  '  manage.py bg_scaffold_backfill; the release after it checks it finished, then reads the new column',
  '',
  'Examples:',
  '  bg-scaffold rename-column --app shop --model Order --field quantity --to qty',
  '  bg-scaffold rename-column --app shop --model Order --field quantity --to qty --strategy copy --phases 3 --dry-run',
];
