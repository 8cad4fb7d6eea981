/** The process edge: runs the program and turns every outcome into an exit code. */
import { CommanderError } from 'commander';
import { BgScaffoldError } from '../errors.js';
import { discardIntrospectionCache, flushIntrospectionCache, withIntrospectionRun } from '../project/introspect.js';
import { isPromptCancelled } from './interactive.js';
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
    await (await loadProgram(context, argv)).parseAsync(argv, { from: 'user' });
    // Django's report is cached only by runs that were not refused: those leave the tree as it was.
    await flushIntrospectionCache();
    return context.exitCode;
  } catch (error) {
    discardIntrospectionCache();
    return exitCodeFor(error, io);
  }
}

function exitCodeFor(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // Commander has printed help, the version, or its one-line error already.
    return error.exitCode === 0 ? EXIT.done : EXIT.badInput;
  }
  if (error instanceof BgScaffoldError) {
    io.stderr.write(`bg-scaffold: ${oneLine(error.message)}\n`);
    return EXIT.badInput;
  }
  if (isPromptCancelled(error)) {
    io.stderr.write('bg-scaffold: cancelled; nothing was written\n');
    return EXIT.cancelled;
  }
  const env = io.env ?? process.env;
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`bg-scaffold: ${oneLine(message)}\n`);
  if (env.BG_SCAFFOLD_DEBUG === '1' && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  else io.stderr.write('bg-scaffold: this is a bug; please report it with the output of BG_SCAFFOLD_DEBUG=1 bg-scaffold ...\n');
  return EXIT.bug;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
