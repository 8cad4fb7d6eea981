/**
 * Runs the built command (`node bin/bg-scaffold.js`, so `npm run build` first: `npm test` does)
 * as a user would, for end-to-end tests.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { snapshotTree as snapshotTreeOf } from './snapshot-tree.js';

export { snapshotTree } from './snapshot-tree.js';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/bg-scaffold.js');

export interface RunCliOptions {
  cwd?: string;
  /** Added to a clean environment (PATH and HOME kept; CI unset so that only the TTY check decides). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed. */
  input?: string;
  timeoutMs?: number;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10 * 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Runs the CLI on `dir` (the built binary, or `run`: main() in-process) and expects a refusal as
 * the product promises it: exit 2, one `bg-scaffold: ` line on stderr matching `message`, nothing
 * on stdout, the tree byte for byte as it was.
 */
export async function expectRefused(dir: string, args: string[], message: RegExp, run: (args: string[]) => Promise<CliRun> = runCli): Promise<void> {
  const before = snapshotTreeOf(dir);
  const result = await run(args);
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines, 'exactly one line on stderr').toHaveLength(1);
  expect(lines[0]).toMatch(/^bg-scaffold: /);
  expect(lines[0]).toMatch(message);
  expect(result.stdout).toBe('');
  expect(snapshotTreeOf(dir)).toEqual(before);
}
