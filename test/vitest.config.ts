import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    exclude: ['test/cluster/**', 'node_modules/**'],
    // Most e2e time is waiting on fake jobs and polls, so a third worker on 2 cores still pays;
    // RUN_INSPECT_TEST_WORKERS overrides (1 for a quiet machine when timing something).
    maxWorkers: Number(process.env.RUN_INSPECT_TEST_WORKERS) || 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
