/**
 * One commander command per operation, built from the operation's declarations: its flags, its
 * questions and its help. A run discovers the project once, asks for what the flags did not give
 * (in a terminal), plans, stages, then prints the diff or commits.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { plannedDatabase } from '../commands/options.js';
import { askAnswers, type Declarations, requireAnswers } from '../operations/options.js';
import { type Operation, type OperationRequest, stageOperation } from '../operations/operation.js';
import { discoverProject } from '../project/discover.js';
import { addCommonOptions, type CommonFlags, readCommonOptions } from './common-options.js';
import { decideInteractivity, inquirerPrompter } from './interactive.js';
import { finishRun } from './outcome.js';
import type { CommandContext } from './run-command.js';

export function operationCommand<O extends Declarations>(operation: Operation<O>, context: CommandContext): Command {
  const command = new Command(operation.name).description(operation.description);
  for (const declaration of Object.values(operation.options)) command.addOption(commanderOption(declaration));
  addCommonOptions(command);
  command.addHelpText('after', ['', ...operation.help].join('\n'));
  return command.action(async (flags: CommonFlags & Record<string, unknown>) => {
    const { common, run } = readCommonOptions(flags, context.cwd);
    const { interactive, hint } = decideInteractivity(run, context.io);
    const given = Object.fromEntries(Object.keys(operation.options).map((key) => [key, flags[key]]));
    // Without a terminal, a missing answer fails before the project is read.
    if (!interactive) requireAnswers(operation.options, given, hint);
    const prompter = interactive ? (context.io.prompter ?? inquirerPrompter(context.io)) : null;
    const facts = await discoverProject(common.projectDir, common);
    const answers = prompter ? await askAnswers(operation.options, given, { prompter, facts, database: plannedDatabase(common, facts) }) : given;
    const staged = await stageOperation(operation, facts, { ...common, ...answers } as OperationRequest<O>);
    context.exitCode = await finishRun(staged, run, context.io, prompter);
  });
}

function commanderOption(declaration: Declarations[string]): Option {
  const option = new Option(declaration.flag, declaration.description);
  if (declaration.choices) option.choices(declaration.choices);
  const parse = declaration.parse;
  if (parse) {
    const choices = declaration.choices;
    option.argParser((value: string) => {
      // commander checks choices in the default parser only.
      if (choices && !choices.includes(value)) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
      try {
        return parse(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    });
  }
  return option;
}
