import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The slowest files start first, so the longest is never the last to begin: the SIGKILL loops, then
 * the other end-to-end files longest first, then fake-slurm's. Vitest orders by the durations it
 * cached on an earlier run, and a fresh clone (CI) has none: by file size instead, which started
 * chain.test.ts (~55 s) seventh. The order below is measured (2026-12-06, a full run); files of one
 * entry keep vitest's order.
 */
class SlowestFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const slow = [
      '/test/e2e/chaos-',
      '/test/e2e/run.test.ts',
      '/test/e2e/chain.test.ts',
      '/test/e2e/faults.test.ts',
      '/test/e2e/layouts.test.ts',
      '/test/e2e/bad-input.test.ts',
      '/test/e2e/results.test.ts',
      '/test/e2e/',
      '/test/fake-slurm/lifecycle.test.ts',
      '/test/fake-slurm/',
    ];
    const rank = (f: TestSpecification) => {
      const i = slow.findIndex((p) => f.moduleId.includes(p));
      return i === -1 ? slow.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    exclude: ['test/cluster/**', 'node_modules/**'],
    globalSetup: ['test/temp-root.ts', 'test/child-env.ts'],
    sequence: { sequencer: SlowestFirst },
    // The e2e files wait on fake jobs while another file uses the cores, so workers past the 2 cores
    // still pay (2026-12-06: 3 workers 160 s, 4 workers 133-140 s, 6 workers 153 s);
    // RUN_INSPECT_TEST_WORKERS overrides (1 for a quiet machine when timing something).
    maxWorkers: Number(process.env.RUN_INSPECT_TEST_WORKERS) || 4,
    // A worker keeps its loaded modules from one file to the next: importing the program and
    // vitest's runtime afresh for every file was ~1.5 CPU-s a file. Files share no state but the
    // modules (lock.test.ts re-imports the one that reads the environment when it loads).
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
