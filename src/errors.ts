/**
 * The one error type for bad input. Its message is a single line that says what is wrong and how
 * to fix it; the CLI turns it into exit code 2 after making sure nothing was written.
 */
export class BgScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BgScaffoldError';
  }
}

export function fail(message: string): never {
  throw new BgScaffoldError(message);
}
