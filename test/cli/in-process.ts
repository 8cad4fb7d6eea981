/** Runs `main()` in this process with captured output, for tests that stub the command layer. */
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `io` overrides the defaults: no TTY, an empty environment (so CI is unset). */
export async function runMain(args: string[], io: Partial<Io> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    isTTY: false,
    env: {},
    ...io,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
