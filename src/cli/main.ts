/** The process edge: runs the program and turns every outcome into an exit code. */
import { CommanderError } from 'commander';
import { BgScaffoldError } from '../errors.js';
import { discardIntrospectionCache, flushIntrospectionCache, withIntrospectionRun } from '../project/introspect.js';
import { decideInteractivity, inquirerPrompter, isPromptCancelled } from './interactive.js';
import { type Io, processIo } from './io.js';
import { loadProgram } from './program.js';
import type { CommandContext } from './run-command.js';

export const EXIT = { done: 0, checkFailed: 1, badInput: 2, bug: 70, cancelled: 130 } as const;

export type { Io } from './io.js';

/** Runs bg-scaffold with `argv` (without node and script) and returns the exit code. */
export function main(argv: string[], io: Io = processIo()): Promise<number> {
  return withIntrospectionRun(() => run(argv, io));
}

async function run(argv: string[], io: Io): Promise<number> {
  const context: CommandContext = { io, cwd: io.cwd ?? process.cwd(), exitCode: EXIT.done };
  try {
    // Without arguments, a terminal is offered what to do; a script gets the help and exit 2.
    if (argv.length === 0 && decideInteractivity({}, io).interactive) argv = await chooseCommand(context);
    await (await loadProgram(context, argv)).parseAsync(argv, { from: 'user' });
    // Django's report is cached only by runs that were not refused: those leave the tree as it was.
    await flushIntrospectionCache();
    return context.exitCode;
  } catch (error) {
    discardIntrospectionCache();
    const failure = failureOf(error, io);
    // A script that asked for --json reads stdout: the failure is a JSON object there too.
    if (failure.exitCode !== EXIT.done && wantsJson(argv)) {
      const { exitCode, kind, message } = failure;
      io.stdout.write(`${JSON.stringify({ ok: false, error: { exitCode, kind, message } }, null, 2)}\n`);
    }
    return failure.exitCode;
  }
}

/** What a terminal user may start with no arguments: an operation, advancing or verifying a change in flight, status or check. */
async function chooseCommand(context: CommandContext): Promise<string[]> {
  const [{ OPERATIONS }, { changesInFlight }] = await Promise.all([import('../operations/index.js'), import('../commands/advance.js')]);
  const prompter = context.io.prompter ?? inquirerPrompter(context.io);
  const choices = [
    ...OPERATIONS.map((operation) => ({ name: `${operation.name}: ${operation.description}`, value: [operation.name], short: operation.name })),
    ...changesInFlight(context.cwd).map((change) => ({
      name: `advance ${change.change}: phase ${change.generated + 1}/${change.phases}, ${change.next}`,
      value: ['advance', change.change],
      short: `advance ${change.change}`,
    })),
    ...changesInFlight(context.cwd)
      .filter((change) => change.generated > 0)
      .map((change) => ({
        name: `verify ${change.change}: phase ${change.generated}/${change.phases} with the previous and the new release on a scratch PostgreSQL`,
        value: ['verify', change.change],
        short: `verify ${change.change}`,
      })),
    { name: 'status: every change in the project and its phase', value: ['status'], short: 'status' },
    { name: 'check: code that still uses a name a change took away, and stalled changes', value: ['check'], short: 'check' },
  ];
  return prompter.select({ message: 'What do you want to do?', choices });
}

/** A run that ended in an error: its exit code, and the one line stderr got (without the `bg-scaffold: ` prefix). */
interface Failure {
  exitCode: number;
  kind: 'bad-input' | 'cancelled' | 'bug';
  message: string;
}

function failureOf(error: unknown, io: Io): Failure {
  if (error instanceof CommanderError) {
    // Commander has printed help, the version, or its one-line error already.
    const message = oneLine(error.message.replace(/^error: /, '')).replace(/\.$/, '');
    return { exitCode: error.exitCode === 0 ? EXIT.done : EXIT.badInput, kind: 'bad-input', message };
  }
  if (error instanceof BgScaffoldError) {
    const message = oneLine(error.message);
    io.stderr.write(`bg-scaffold: ${message}\n`);
    return { exitCode: EXIT.badInput, kind: 'bad-input', message };
  }
  if (isPromptCancelled(error)) {
    const message = 'cancelled; nothing was written';
    io.stderr.write(`bg-scaffold: ${message}\n`);
    return { exitCode: EXIT.cancelled, kind: 'cancelled', message };
  }
  const env = io.env ?? process.env;
  const message = oneLine(error instanceof Error ? error.message : String(error));
  io.stderr.write(`bg-scaffold: ${message}\n`);
  if (env.BG_SCAFFOLD_DEBUG === '1' && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write('bg-scaffold: this is a bug; please report it with the output of BG_SCAFFOLD_DEBUG=1 bg-scaffold ...\n');
  return { exitCode: EXIT.bug, kind: 'bug', message };
}

/** `--json` among the options (not after `--`, where arguments are no options). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
