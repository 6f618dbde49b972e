// Real-cluster suite: `npm run test:slurm` (after `sudo test/cluster/cluster.sh start`).
// See test/cluster/README.md.
import { defineConfig } from 'vitest/config';
import { clusterEnv } from './env.js';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/cluster/**/*.test.ts'],
    // fails the run at once, with what to do, when no cluster answers
    globalSetup: ['test/cluster/global-setup.ts'],
    // SLURM_CONF for sbatch/squeue/sacct/scontrol/scancel called by the tests; fake inspect runs
    // in the job that calls it (SLURM's process tracking sees it), not in a shared service
    env: { ...clusterEnv(), FAKE_INSPECT_NO_SERVICE: '1' },
    // one real cluster: test files must not race for it
    fileParallelism: false,
    // a TIMEOUT needs 60–90 s, MinJobAge purges and QOS waits more
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
