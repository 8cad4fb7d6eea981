import os from 'node:os';
import { defineConfig } from 'vitest/config';
import MatrixFirstSequencer from './test/setup/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**', '.cache/**', 'test/fixtures/**'],
    // Test files run in child processes; real-stack tests share one PostgreSQL through test/harness.
    pool: 'forks',
    // Three files at a time on 2 cores (vitest's default there is one): the longest files mostly wait
    // on the Python, Node and PostgreSQL processes they start, and the matrix, which starts first
    // (test/setup/sequencer.ts), would otherwise run alone for half the suite's time. With two at a
    // time the suite kept the 2 cores only 83% busy (1,276 CPU-seconds in 773 s, bench/README.md).
    maxWorkers: Math.max(3, os.availableParallelism()),
    sequence: { sequencer: MatrixFirstSequencer },
    // Limits that only stop what hangs: on a busy machine (load 3-5 on 2 cores) a test that drives Django
    // runs 2-3x slower than on an idle one. Real-stack tests and the matrix set longer ones of their own
    // (test/harness REAL_STACK_TIMEOUT_MS); the CI job's own limit is 90 minutes.
    testTimeout: 10 * 60_000,
    hookTimeout: 30 * 60_000,
    globalSetup: ['test/setup/global-setup.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
  },
});
