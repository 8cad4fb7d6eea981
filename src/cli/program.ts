/** The command line: one commander program, one module per command. */
import { Command } from 'commander';
import { toolVersion } from '../render/pack.js';
import { OPERATIONS } from '../operations/index.js';
import type { Operation } from '../operations/operation.js';
import { advanceCommand } from './advance.js';
import { checkCommand } from './check.js';
import type { Io } from './io.js';
import { operationCommand } from './operation-command.js';
import type { CommandContext } from './run-command.js';
import { statusCommand } from './status.js';
import { templatesCommand } from './templates.js';
import { upgradeRuntimeCommand } from './upgrade-runtime.js';

/** Commands in the order `--help` lists them: the operations (built from their declarations), then the rest, each a `(context) => Command`. */
const COMMANDS: Array<(context: CommandContext) => Command> = [
  ...OPERATIONS.map((operation) => (context: CommandContext) => operationCommand(operation as Operation, context)),
  advanceCommand,
  statusCommand,
  checkCommand,
  upgradeRuntimeCommand,
  templatesCommand,
];

export function buildProgram(context: CommandContext): Command {
  const program = new Command('bg-scaffold')
    .description('Phased, blue-green-safe Django schema changes: migrations, model edits and dual-write code for every release.')
    .version(toolVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', '\nExit codes: 0 done, 1 check failed, 2 bad input (nothing written).');
  const commands = COMMANDS.map((make) => make(context));
  // Subcommands too (`templates list`): settings are not inherited by commands built on their own.
  const withSubcommands = (command: Command, usage: string): Array<[Command, string]> => [
    [command, usage],
    ...command.commands.flatMap((sub) => withSubcommands(sub, `${usage} ${sub.name()}`)),
  ];
  for (const [command, usage] of [[program, 'bg-scaffold'] as [Command, string], ...commands.flatMap((c) => withSubcommands(c, `bg-scaffold ${c.name()}`))]) {
    // Commander must neither exit the process nor print more than one line per usage error.
    command.exitOverride().configureOutput(outputTo(context.io, usage));
  }
  for (const command of commands) program.addCommand(command);
  return program;
}

function outputTo(io: Io, usage: string) {
  return {
    writeOut: (text: string) => void io.stdout.write(text),
    writeErr: (text: string) => void io.stderr.write(text),
    outputError: (text: string, write: (text: string) => void) => {
      const message = text.replace(/^error: /, '').split('\n').map((line) => line.trim()).filter(Boolean).join(' ').replace(/\.$/, '');
      write(`bg-scaffold: ${message}; see ${usage} --help\n`);
    },
  };
}
