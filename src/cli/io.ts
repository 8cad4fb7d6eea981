/** The process edges the CLI touches, injectable so that tests run `main()` in-process. */
import type { Prompter } from './interactive.js';

export interface Output {
  write(text: string): unknown;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  stdin?: NodeJS.ReadableStream;
  /** Overrides the TTY check of stdin and stdout. */
  isTTY?: boolean;
  env?: Record<string, string | undefined>;
  /** Where relative paths (--project, --pack) start; defaults to process.cwd(). */
  cwd?: string;
  /** Scripted answers for tests; defaults to @inquirer/prompts on stdin/stdout. */
  prompter?: Prompter;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
}
