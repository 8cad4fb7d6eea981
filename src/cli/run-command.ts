/** The shape every change-staging command shares: options → (questions) → stage → diff or commit. */
import type { CommonOptions, StagedChange } from '../commands/types.js';
import { type CommonFlags, readCommonOptions } from './common-options.js';
import { decideInteractivity, inquirerPrompter, type Prompter } from './interactive.js';
import type { Io } from './io.js';
import { finishRun } from './outcome.js';

export interface CommandContext {
  io: Io;
  /** Where relative --project and --pack paths start. */
  cwd: string;
  /** Set by the command that ran. */
  exitCode: number;
}

/**
 * `stage` gets a prompter only when the run is interactive; otherwise `hint` ends the message of
 * an error about a missing answer ("pass it or run in a terminal to be asked").
 */
export async function runStagingCommand(
  context: CommandContext,
  flags: CommonFlags,
  stage: (common: CommonOptions, prompter: Prompter | null, hint: string) => Promise<StagedChange>,
): Promise<void> {
  const { common, run } = readCommonOptions(flags, context.cwd);
  const { interactive, hint } = decideInteractivity(run, context.io);
  const prompter = interactive ? (context.io.prompter ?? inquirerPrompter(context.io)) : null;
  const staged = await stage(common, prompter, hint);
  context.exitCode = await finishRun(staged, run, context.io, prompter);
}
