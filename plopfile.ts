/**
 * bg-scaffold's generators for node-plop (DESIGN §6). The CLI parses arguments and asks questions
 * itself; node-plop runs the generators' actions. The one action type, `bg-scaffold:stage`, stages
 * the change in memory and hands it back: node-plop has no dry-run and no rollback, so nothing here
 * writes a file. The CLI prints the stage's diff or commits it.
 */
import { readFileSync } from 'node:fs';
import type { CustomActionConfig, NodePlopAPI } from 'node-plop';
import { stageAddColumn, type AddColumnRequest } from './src/operations/add-column/operation.js';
import { stageAdvance } from './src/commands/advance.js';
import { stageDropTable, type DropTableRequest } from './src/operations/drop-table/operation.js';
import { stageRemoveColumn, type RemoveColumnRequest } from './src/operations/remove-column/operation.js';
import { stageRenameColumn } from './src/operations/rename-column/operation.js';
import type { AdvanceRequest, RenameColumnRequest, StagedChange } from './src/commands/types.js';
import { ADD_COLUMN_STRATEGIES, ADD_COLUMN_TYPES, ON_DELETE_CHOICES } from './src/operations/add-column/plan.js';
import { RENAME_STRATEGIES } from './src/operations/rename-column/plan.js';
import { templateHelpers } from './src/render/helpers.js';
import { builtinPack, templateNames, TemplateRenderer } from './src/render/pack.js';

export const STAGE_ACTION = 'bg-scaffold:stage';

/** Answers carry this slot; the stage action fills it with the staged change or the error thrown. */
export const RUN_SLOT = '__bgScaffoldRun';

export interface StageSlot {
  result?: StagedChange;
  error?: unknown;
}

export type GeneratorName = 'rename-column' | 'add-column' | 'remove-column' | 'drop-table' | 'advance';

export type GeneratorAnswers<R> = R & { [RUN_SLOT]: StageSlot };

const stagers: { [G in GeneratorName]: (request: never) => Promise<StagedChange> } = {
  'rename-column': (request: RenameColumnRequest) => stageRenameColumn(request),
  'add-column': (request: AddColumnRequest) => stageAddColumn(request),
  'remove-column': (request: RemoveColumnRequest) => stageRemoveColumn(request),
  'drop-table': (request: DropTableRequest) => stageDropTable(request),
  advance: (request: AdvanceRequest) => stageAdvance(request),
};

function stageAction(generator: GeneratorName): CustomActionConfig<typeof STAGE_ACTION> {
  return { type: STAGE_ACTION, generator };
}

export default function bgScaffoldGenerators(plop: NodePlopAPI): void {
  plop.setActionType(STAGE_ACTION, async (answers, config: CustomActionConfig<string>) => {
    const { [RUN_SLOT]: slot, ...request } = answers as GeneratorAnswers<Record<string, unknown>>;
    const generator = config.generator as GeneratorName;
    try {
      const staged = await stagers[generator](request as never);
      slot.result = staged;
      return `staged ${staged.plan.change} phase ${staged.phase}/${staged.plan.phases.length}`;
    } catch (error) {
      // node-plop keeps only the message of a failed action; the CLI rethrows the error itself.
      slot.error = error;
      throw error;
    }
  });

  plop.setGenerator('rename-column', {
    description: 'rename a model field and its column across blue-green releases',
    prompts: [
      { type: 'list', name: 'app', message: 'App' },
      { type: 'list', name: 'model', message: 'Model' },
      { type: 'search', name: 'field', message: 'Field to rename (type to filter)' },
      { type: 'input', name: 'to', message: 'New field name' },
      {
        type: 'list',
        name: 'strategy',
        message: 'Strategy',
        choices: Object.entries(RENAME_STRATEGIES).map(([value, what]) => ({ name: `${value}: ${what}`, value })),
      },
      {
        type: 'list',
        name: 'phases',
        message: 'Releases (copy strategy)',
        choices: [
          { name: '4: backfill and switch in separate releases', value: 4 },
          { name: '3: backfill and switch together (blue reads stale values during the switch)', value: 3 },
        ],
      },
    ],
    actions: [stageAction('rename-column')],
  });

  plop.setGenerator('add-column', {
    description: 'add a model field and its column across blue-green releases',
    prompts: [
      { type: 'list', name: 'app', message: 'App' },
      { type: 'list', name: 'model', message: 'Model' },
      { type: 'input', name: 'name', message: 'Name of the new field' },
      { type: 'list', name: 'type', message: 'Type', choices: Object.entries(ADD_COLUMN_TYPES).map(([value, what]) => ({ name: `${value}: ${what}`, value })) },
      { type: 'input', name: 'maxLength', message: 'Max length (CharField)' },
      { type: 'input', name: 'maxDigits', message: 'Max digits (DecimalField)' },
      { type: 'input', name: 'decimalPlaces', message: 'Decimal places (DecimalField)' },
      { type: 'search', name: 'to', message: 'Points at (ForeignKey)' },
      { type: 'list', name: 'onDelete', message: 'On delete of the target (ForeignKey)', choices: [...ON_DELETE_CHOICES] },
      { type: 'confirm', name: 'null', message: 'Nullable' },
      { type: 'input', name: 'default', message: 'Default value kept in the database' },
      { type: 'input', name: 'backfillSql', message: 'SQL that fills existing rows' },
      { type: 'list', name: 'strategy', message: 'Strategy', choices: Object.entries(ADD_COLUMN_STRATEGIES).map(([value, what]) => ({ name: `${value}: ${what}`, value })) },
    ],
    actions: [stageAction('add-column')],
  });

  plop.setGenerator('remove-column', {
    description: 'remove a model field and its column across blue-green releases',
    prompts: [
      { type: 'list', name: 'app', message: 'App' },
      { type: 'list', name: 'model', message: 'Model' },
      { type: 'search', name: 'field', message: 'Field to remove (type to filter)' },
      { type: 'input', name: 'fill', message: 'Value the previous release reads in rows inserted without the field' },
    ],
    actions: [stageAction('remove-column')],
  });

  plop.setGenerator('drop-table', {
    description: 'delete a model and its table across blue-green releases',
    prompts: [
      { type: 'list', name: 'app', message: 'App' },
      { type: 'list', name: 'model', message: 'Model to delete' },
    ],
    actions: [stageAction('drop-table')],
  });

  plop.setGenerator('advance', {
    description: 'apply the next phase of a change',
    prompts: [{ type: 'input', name: 'change', message: 'Change id (a folder of .bg-scaffold/)' }],
    actions: [stageAction('advance')],
  });

  // The template API of the default pack, for generators that render with plop. plop's own
  // renderString registers these on the global Handlebars; bg-scaffold's renderer never uses it
  // (it renders on a Handlebars instance of its own per run).
  for (const [name, helper] of Object.entries(templateHelpers)) plop.setHelper(name, helper);
  const builtin = builtinPack();
  const renderer = new TemplateRenderer([builtin]);
  for (const name of templateNames(builtin)) {
    if (name.startsWith('partials/')) plop.setPartial(name.slice('partials/'.length), readFileSync(renderer.resolve(name).path, 'utf8'));
  }
}
