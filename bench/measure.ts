/** Running and timing child processes for the benchmarks: wall time, CPU time, medians. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time (user + system, ms) of this process's finished children, from /proc (Linux; null
 * elsewhere). On a busy machine wall time swings with the load; CPU time much less.
 */
export function childrenCpuMs(): number | null {
  try {
    // Fields after the `(comm)`: state is field 3; cutime and cstime are fields 16 and 17, in clock ticks.
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Runs a command to the end (CI set, so nothing asks) and times it; throws on an exit code not in `okCodes`. */
export function run(command: string, args: string[], cwd: string, okCodes = [0]): { ms: number; cpuMs: number | null; stdout: string } {
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, CI: '1' } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuAfter = childrenCpuMs();
  if (result.status === null || !okCodes.includes(result.status)) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return { ms, cpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore, stdout: result.stdout };
}

/** git with a throwaway identity and no signing; its stdout. */
export function git(cwd: string, ...args: string[]): string {
  return run('git', ['-c', 'user.email=bench@example.invalid', '-c', 'user.name=bench', '-c', 'commit.gpgsign=false', ...args], cwd).stdout;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
