import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**', '.cache/**', 'test/fixtures/**'],
    // Test files run in child processes; real-stack tests share one PostgreSQL through test/harness.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/setup/global-setup.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
  },
});
