#!/usr/bin/env node
// `npm run demo`: builds a sample experiment in a temp dir (the without-status example summary,
// rendered by test/support/scaffold.mjs: 4 runs × 2 tasks + a control run) and runs the whole
// workflow on it against fake-slurm, with the bundle users run. Needs nothing outside this
// repository. One eval's checkpoint is missing (SKIPPED), one inspect task ends in error while its
// job exits 0 (FAILED with inspect's message), the rest succeed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeExperiment } from '../support/make-experiment.mjs';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'run-inspect-demo-'));
const { dir } = makeExperiment(join(root, 'acs_income_size_2025-11-06'), {
  fixture: 'without-status',
  outcomes: { '8B_lr1e-4_acs_income_calibration_epoch1': 'error' },
  missingCheckpoints: ['8B_lr1e-5_acs_income_epoch1', '8B_lr1e-5_acs_income_calibration_epoch1'],
  seconds: 2,
  samples: 40,
});
const env = {
  ...process.env,
  PATH: `${join(repo, 'fake-slurm', 'bin')}${delimiter}${process.env.PATH}`,
  FAKE_SLURM_DIR: join(root, 'fake-slurm-state'),
};
console.log(`Demo experiment: ${dir}\nfake-slurm state: ${env.FAKE_SLURM_DIR}\n`);
console.log(`$ run-inspect run ${dir} --poll-interval 2 --stagger 0\n`);
const run = spawnSync(process.execPath, [join(repo, 'dist', 'run-inspect.mjs'), 'run', dir, '--poll-interval', '2', '--stagger', '0'], { env, stdio: 'inherit' });
const summary = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
console.log('\nThe Evaluations table run-inspect added to experiment_summary.md:\n');
console.log(summary.slice(summary.indexOf('## Status')));
console.log(`run exited with ${run.status} (1 = every eval ended, some did not succeed). Look around: ${dir}`);
process.exit(run.status === 1 ? 0 : 1);
