/**
 * Terminal questions. Whether to ask at all is decided before the first prompt: without a TTY,
 * @inquirer/prompts exits 130 without a word.
 */
import type { Choice, Prompter } from '../operations/options.js';
import type { Io } from './io.js';

export type { Choice, Prompter } from '../operations/options.js';

/** What the user asked for about prompting. */
export interface PromptFlags {
  yes?: boolean;
  /** False for `--no-interactive`. */
  interactive?: boolean;
  json?: boolean;
}

export interface Interactivity {
  interactive: boolean;
  /** When not interactive: how to finish a message about a missing answer. */
  hint: string;
}

/** Interactive only with a TTY on both ends, CI unset, and no flag that turns prompts off. */
export function decideInteractivity(flags: PromptFlags, io: Io): Interactivity {
  const env = io.env ?? process.env;
  const ci = env.CI !== undefined && !['', '0', 'false'].includes(env.CI.toLowerCase());
  if (flags.json) return { interactive: false, hint: 'pass it (--json never asks)' };
  if (flags.yes) return { interactive: false, hint: 'pass it, or drop --yes to be asked' };
  if (flags.interactive === false) return { interactive: false, hint: 'pass it, or drop --no-interactive to be asked' };
  if (ci) return { interactive: false, hint: 'pass it (CI is set, so nothing is asked)' };
  if (!isTerminal(io)) return { interactive: false, hint: 'pass it or run in a terminal to be asked' };
  return { interactive: true, hint: '' };
}

function isTerminal(io: Io): boolean {
  if (io.isTTY !== undefined) return io.isTTY;
  const stdin = (io.stdin ?? process.stdin) as { isTTY?: boolean };
  const stdout = io.stdout as { isTTY?: boolean };
  return Boolean(stdin.isTTY && stdout.isTTY);
}

/** The real prompts, on the injected streams when they are streams; loaded on the first question. */
export function inquirerPrompter(io: Io): Prompter {
  const prompts = () => import('@inquirer/prompts');
  const output = typeof (io.stdout as NodeJS.WritableStream).on === 'function' ? (io.stdout as NodeJS.WritableStream) : undefined;
  const context = { input: io.stdin, output };
  const forInquirer = <T>(choices: Choice<T>[]) =>
    choices.map(({ name, value, description, short, disabled }) => ({ name, value, description, short, disabled: disabled ?? false }));
  return {
    select: async (q) => (await prompts()).select({ message: q.message, choices: forInquirer(q.choices), default: q.default, pageSize: 12 }, context),
    search: async (q) =>
      (await prompts()).search(
        {
          message: q.message,
          pageSize: 12,
          source: (term) => {
            const wanted = (term ?? '').trim().toLowerCase();
            return forInquirer(q.choices.filter((c) => c.name.toLowerCase().includes(wanted)));
          },
        },
        context,
      ),
    input: async (q) => (await prompts()).input({ message: q.message, default: q.default, validate: q.validate }, context),
    confirm: async (q) => (await prompts()).confirm({ message: q.message, default: q.default }, context),
  };
}

/** Ctrl+C in a prompt. */
export function isPromptCancelled(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError');
}
