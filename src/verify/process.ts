import { spawn, spawnSync } from 'node:child_process';

/**
 * The limit for one process, or one test, on the real stack (Python, Django, PostgreSQL). It only stops
 * what hangs: on a busy machine (load 3-5 on 2 cores) everything runs 2-3x slower than on an idle one,
 * and a tighter limit fails a run that would have passed. The CI job's own limit (90 minutes) bounds the rest.
 */
export const REAL_STACK_TIMEOUT_MS = 30 * 60_000;

export interface CommandResult {
  /** Exit code; null when the process was killed (timeout or signal). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CommandOptions {
  cwd?: string;
  /** The complete environment of the child (not merged with process.env). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command to completion and collects its output; never rejects on a non-zero exit. */
export function runCommand(command: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      const err = Buffer.concat(stderr).toString('utf8');
      resolve({
        code: timedOut ? null : code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: timedOut ? `${err}\n[bg-scaffold] ${command} timed out after ${options.timeoutMs} ms` : err,
        timedOut,
      });
    });
  });
}

/** Runs a command and throws with its output when it fails; returns stdout. */
export async function runChecked(command: string, args: readonly string[], options: CommandOptions = {}): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${[command, ...args].join(' ')} failed (exit ${result.code}):\n${tail(result.stderr || result.stdout)}`);
  }
  return result.stdout;
}

/** Synchronous probe for discovery (`python3 --version` and the like): stdout, or undefined when it fails. */
export function probe(command: string, args: readonly string[], timeoutMs = 15_000): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout;
}

/** The last lines of a long output, enough to see why something failed. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True while a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
