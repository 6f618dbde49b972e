#!/usr/bin/env node
// `npm run demo`: a LoRA rank sweep scaffolded the way cruijff_kit does today (experiment_summary.yaml,
// one cell per eval; test/support/scaffold.mjs) in a temp dir, run end to end against fake-slurm with
// the bundle users run. Three fine-tuned runs over three epochs learn at different speeds, a base
// model is the control; one checkpoint was never written (SKIPPED), one eval crashes on a missing
// module (FAILED, the reason read from the job's output). Needs nothing outside this repository.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPITALIZATION, scaffoldToday } from '../support/scaffold.mjs';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bundle = join(repo, 'dist', 'run-inspect.mjs');
const root = mkdtempSync(join(tmpdir(), 'run-inspect-demo-'));

const RANKS = { 4: 0.06, 16: 0.1, 64: 0.13 }; // how much each epoch teaches a run of that rank
const runName = (rank) => `Llama-3.2-1B-Instruct_rank${rank}`;
// cruijff_kit's capitalization blueprint (the tests' CAPITALIZATION), with three ranks over three epochs.
const design = {
  ...CAPITALIZATION,
  name: 'cap_rank_sweep_2026-11-30',
  question: 'Does a higher LoRA rank let a 1B model learn to capitalize words in fewer epochs?',
  date: '2026-11-30',
  epochs: 3,
  variables: [{ factor: 'LoRA rank', key: 'lora_rank', levels: Object.keys(RANKS) }],
  runs: [
    ...Object.keys(RANKS).map((rank) => ({ name: runName(rank), type: 'fine-tuned', params: { 'LoRA Rank': rank }, epochs: [0, 1, 2], visLabel: `rank${rank}` })),
    { name: 'Llama-3.2-1B-Instruct_base', type: 'control', visLabel: '1B_control' },
  ],
};

const BASE = 0.42;
const exp = scaffoldToday(join(root, design.name), design, {
  seconds: (e) => 1 + (e.epoch ?? 0),
  samples: 100,
  // Learning curves that differ: a higher rank learns faster, and every run flattens out.
  accuracy: (e) => {
    if (e.epoch === null) return BASE;
    const rate = RANKS[e.run.replace(/.*_rank/, '')];
    return Math.min(0.97, BASE + rate * (e.epoch + 1) * (1 - 0.15 * e.epoch));
  },
  stderr: 0.03,
  outcomes: { [`${runName(64)}_capitalization_epoch1`]: 'crash' },
  crashMessage: "ModuleNotFoundError: No module named 'peft'",
  missingCheckpoints: [`${runName(4)}/epoch_2`],
});

const env = {
  ...process.env,
  ...exp.env,
  PATH: `${join(repo, 'fake-slurm', 'bin')}${delimiter}${exp.env.PATH}`,
  FAKE_SLURM_DIR: join(root, 'fake-slurm-state'),
};
const cli = (args, stdio = 'inherit') => {
  console.log(`\n$ run-inspect ${args.join(' ')}\n`);
  return spawnSync(process.execPath, [bundle, ...args], { env, stdio, encoding: 'utf8' });
};

console.log(`Demo experiment (cruijff_kit's layout: experiment_summary.yaml, one cell per eval): ${exp.dir}`);
console.log(`fake-slurm state: ${env.FAKE_SLURM_DIR}`);
const run = cli(['run', exp.dir, '--poll-interval', '1', '--stagger', '0']);
cli(['status', exp.dir]);
cli(['report', exp.dir, '--write']);

console.log(`
run exited with ${run.status} (1 = every eval ended, some did not succeed).
- progress page: ${join(exp.dir, 'experiment_summary.md')} (generated: the Evaluations table and the Results)
- chart:         the SVG next to it (the main metric by epoch, one line per run)
- state:         ${join(exp.dir, 'eval_jobs.json')}
- history:       ${join(exp.dir, 'logs', 'run-inspect.log')} (also what cruijff_kit's own tools read)`);
process.exit(run.status === 1 ? 0 : 1);
