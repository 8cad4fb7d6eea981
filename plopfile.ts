/**
 * bg-scaffold's operations as node-plop generators, for teams that run their scaffolding through
 * plop (`plop.load('bg-scaffold/plopfile')`). An adapter, off the CLI's path: each generator asks
 * the questions the CLI asks, built from the same option declarations (src/operations/<op>/options.ts),
 * and its one action stages the change and writes it all or nothing, as the CLI does.
 */
import type { CustomActionConfig, NodePlopAPI } from 'node-plop';
import { chooseChangeToAdvance, stageAdvance } from './src/commands/advance.js';
import { plannedDatabase } from './src/commands/options.js';
import type { CommonOptions, StagedChange } from './src/commands/types.js';
import { inquirerPrompter } from './src/cli/interactive.js';
import { OPERATIONS } from './src/operations/index.js';
import { askAnswers, type Prompter } from './src/operations/options.js';
import { type Operation, type OperationRequest, stageOperation } from './src/operations/operation.js';
import { discoverProject } from './src/project/discover.js';

export const WRITE_ACTION = 'bg-scaffold:write';

export interface GeneratorOptions {
  /** Answers the questions (default: the terminal). */
  prompter?: Prompter;
  /** The Django project (default: plop's destination folder). */
  projectDir?: string;
  /** How the project is read and planned (`--python`, `--settings`, `--no-django`, ...), as the CLI's options. */
  common?: Omit<CommonOptions, 'projectDir'>;
}

export default function bgScaffoldGenerators(plop: NodePlopAPI, options: GeneratorOptions = {}): void {
  const prompter = options.prompter ?? inquirerPrompter({ stdout: process.stdout, stderr: process.stderr });
  const projectDir = () => options.projectDir ?? plop.getDestBasePath();

  plop.setActionType(WRITE_ACTION, async (answers, config) => {
    const name = (config as { operation?: string }).operation;
    const request = { ...options.common, ...(answers as Record<string, unknown>), projectDir: projectDir() };
    const operation = OPERATIONS.find((candidate) => candidate.name === name) as Operation | undefined;
    const staged = operation
      ? await stageOperation(operation, await discoverProject(request.projectDir, request), request as OperationRequest<Operation['options']>)
      : await stageAdvance(request as { projectDir: string; change: string });
    const summary = written(staged);
    await staged.stage.commit();
    return summary;
  });

  for (const operation of OPERATIONS as Operation[]) {
    plop.setGenerator(operation.name, {
      description: operation.description,
      prompts: async () => {
        const facts = await discoverProject(projectDir(), options.common);
        return askAnswers(operation.options, {}, { prompter, facts, database: plannedDatabase(options.common ?? {}, facts) });
      },
      actions: [writeAction(operation.name)],
    });
  }

  plop.setGenerator('advance', {
    description: 'apply the next phase of a change, once the previous release is fully rolled out',
    prompts: async () => ({ change: await chooseChangeToAdvance(projectDir(), prompter, '') }),
    actions: [writeAction()],
  });
}

function writeAction(operation?: string): CustomActionConfig<typeof WRITE_ACTION> {
  return { type: WRITE_ACTION, operation };
}

function written(staged: StagedChange): string {
  const files = staged.stage.files().map((file) => file.path);
  return `${staged.plan.change} phase ${staged.phase}/${staged.plan.phases.length}: wrote ${files.join(', ')}; ${staged.nextSteps.join('; ')}`;
}
