/**
 * The command line: one commander program, one module per command. A run loads only the module of
 * the command it names (`check` in a pre-commit hook need not load the operations, the renderer and
 * the template engine); help, the version and a mistyped command load them all.
 */
import { Command } from 'commander';
import { toolVersion } from '../package-root.js';
import type { Operation } from '../operations/operation.js';
import type { Io } from './io.js';
import type { CommandContext } from './run-command.js';

type CommandFactory = (context: CommandContext) => Command;

/** The commands after the operations, in the order `--help` lists them, each loaded on demand. */
const COMMANDS: Record<string, () => Promise<CommandFactory>> = {
  advance: async () => (await import('./advance.js')).advanceCommand,
  status: async () => (await import('./status.js')).statusCommand,
  check: async () => (await import('./check.js')).checkCommand,
  verify: async () => (await import('./verify.js')).verifyCommand,
  'upgrade-runtime': async () => (await import('./upgrade-runtime.js')).upgradeRuntimeCommand,
  templates: async () => (await import('./templates.js')).templatesCommand,
};

/**
 * The operations (built from their declarations): only the one `name` names when it names one,
 * then no other command is loaded (a generation does not load check, verify and status); else
 * every operation, then the rest of COMMANDS (help, a mistyped command).
 */
async function operationCommands(name: string | undefined): Promise<CommandFactory[]> {
  const [{ OPERATIONS }, { operationCommand }] = await Promise.all([import('../operations/index.js'), import('./operation-command.js')]);
  const factory = (operation: Operation): CommandFactory => (context) => operationCommand(operation, context);
  const named = OPERATIONS.find((operation) => operation.name === name);
  if (named) return [factory(named as Operation)];
  const rest = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  return [...OPERATIONS.map((operation) => factory(operation as Operation)), ...rest];
}

/** The program for `argv`: with only the command it names when it names one, else with all (help, a mistyped command). */
export async function loadProgram(context: CommandContext, argv: string[] = []): Promise<Command> {
  // `bg-scaffold --version` (a script asking which version is installed) needs no command at all.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return programOf(context, []);
  const named = Object.hasOwn(COMMANDS, argv[0] ?? '') ? COMMANDS[argv[0]!] : undefined;
  return programOf(context, named ? [await named()] : await operationCommands(argv[0]));
}

function programOf(context: CommandContext, factories: CommandFactory[]): Command {
  const program = new Command('bg-scaffold')
    .description('Phased, blue-green-safe Django schema changes: migrations, model edits and dual-write code for every release.')
    .version(toolVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .addHelpText('after', '\nExit codes: 0 done, 1 check failed, 2 bad input (nothing written).');
  const commands = factories.map((make) => make(context));
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
