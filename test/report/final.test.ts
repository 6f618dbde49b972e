// The final summary a monitor prints (and --notify sends) when every eval has ended.
import { describe, expect, test } from 'vitest';
import { layoutOf } from '../../src/experiment/layout.js';
import { finalSummary } from '../../src/report/final.js';
import type { EvalState } from '../../src/state/schema.js';
import { evalState, stateOf } from '../support/eval-state.js';

const DIR = '/scratch/gpfs/LAB/ck-experiments/cap_rank_sweep';

const evaluation = (run: string, epoch: number | null, status: string, extra: Partial<EvalState> = {}) =>
  evalState(run, 'capitalization', epoch, status, { script: `${run}/eval/capitalization_epoch${epoch}/cell.slurm`, ...extra });

const score = (accuracy: number, stderr: number) => ({ name: 'match', scorer: 'match', metrics: [{ name: 'accuracy', value: accuracy }, { name: 'stderr', value: stderr }] });

const STATE = stateOf(DIR, [
  evaluation('rank4', 0, 'COMPLETED', { job_id: '101', elapsed: '4m 2s', scores: [score(0.48, 0.03)], samples: { done: 100, total: 100 }, log_path: 'rank4/eval/capitalization_epoch0/logs/a.eval' }),
  evaluation('rank4', 1, 'FAILED', { job_id: '102', elapsed: '0m 40s', notes: "ModuleNotFoundError: No module named 'peft' (see rank4/artifacts/epoch_1/slurm-102.out)", slurm_output: 'rank4/artifacts/epoch_1/slurm-102.out' }),
  evaluation('rank4', 2, 'SKIPPED', { notes: `checkpoint missing: ${DIR}/rank4/artifacts/epoch_2` }),
  evaluation('rank8', 0, 'TIMEOUT', { job_id: '104', elapsed: '10m 0s' }),
]);

describe('finalSummary', () => {
  test('every eval under its outcome, with its job, elapsed time and reason', () => {
    const text = finalSummary(STATE, layoutOf(DIR, 'cells', `${DIR}/experiment_summary.yaml`));
    expect(text).toContain('All 4 evaluations have finished.');
    expect(text).toContain('✓ COMPLETED: 1 evaluations\n  - rank4/capitalization/epoch0 (Job 101) - 4m 2s - accuracy 0.480 ± 0.030 (n=100)\n');
    expect(text).toContain("✗ NOT SUCCESSFUL: 2 evaluations\n  - [FAILED] rank4/capitalization/epoch1 (Job 102) - 0m 40s - [code/config] ModuleNotFoundError: No module named 'peft'");
    expect(text).toContain('  - [TIMEOUT] rank8/capitalization/epoch0 (Job 104) - 10m 0s\n');
    expect(text).toContain(`⊘ SKIPPED: 1 evaluations\n  - rank4/capitalization/epoch2 - checkpoint missing: ${DIR}/rank4/artifacts/epoch_2\n`);
    expect(text).toContain('Evaluation logs:\n- `rank4/eval/capitalization_epoch0/logs/a.eval`\n');
    expect(text).toContain('SLURM output:\n- `rank4/artifacts/epoch_1/slurm-102.out`\n');
  });

  test('the Final Status block, exactly: elapsed once, the result formatted from the scores, the reason', () => {
    const state = stateOf(DIR, [
      ...Object.values(STATE.evaluations),
      evaluation('rank8', 1, 'COMPLETED', { job_id: '105', elapsed: '5m 1s', scores: [score(0.62, 0.025)], samples: { done: 100, total: 100 }, notes: 'job ended FAILED (exit code 15:0) after inspect finished' }),
    ]);
    const text = finalSummary(state, layoutOf(DIR, 'cells', `${DIR}/experiment_summary.yaml`));
    const block = text.slice(text.indexOf('### Final Status'), text.indexOf('### Where the results are'));
    expect(block).toBe(
      [
        '### Final Status',
        '',
        '✓ COMPLETED: 2 evaluations',
        '  - rank4/capitalization/epoch0 (Job 101) - 4m 2s - accuracy 0.480 ± 0.030 (n=100)',
        '  - rank8/capitalization/epoch1 (Job 105) - 5m 1s - accuracy 0.620 ± 0.025 (n=100); job ended FAILED (exit code 15:0) after inspect finished',
        '',
        '✗ NOT SUCCESSFUL: 2 evaluations',
        "  - [FAILED] rank4/capitalization/epoch1 (Job 102) - 0m 40s - [code/config] ModuleNotFoundError: No module named 'peft' (see rank4/artifacts/epoch_1/slurm-102.out)",
        '  - [TIMEOUT] rank8/capitalization/epoch0 (Job 104) - 10m 0s',
        '',
        '⊘ SKIPPED: 1 evaluations',
        `  - rank4/capitalization/epoch2 - checkpoint missing: ${DIR}/rank4/artifacts/epoch_2`,
        '',
        '',
      ].join('\n'),
    );
  });

  test("points at the layout's own logs folders and history file", () => {
    const cells = finalSummary(STATE, layoutOf(DIR, 'cells', `${DIR}/experiment_summary.yaml`));
    expect(cells).toContain('inspect view --log-dir <run>/eval/<cell>/logs --port 7575');
    expect(cells).toContain('See logs/run-inspect.log for the full history');
    const seed = finalSummary(STATE, layoutOf(DIR, 'seed', `${DIR}/experiment_summary.md`));
    expect(seed).toContain('inspect view --log-dir <run>/eval/logs --port 7575');
    expect(seed).toContain('See run-inspect.log for the full history');
  });

  test('the Results table, when given, comes before the file list', () => {
    const text = finalSummary(STATE, layoutOf(DIR, 'seed', `${DIR}/experiment_summary.md`), '| Run | epoch 0 |\n|---|---|\n| rank4 | 0.480 |\n');
    expect(text.indexOf('### Results\n\n| Run | epoch 0 |')).toBeGreaterThan(text.indexOf('⊘ SKIPPED'));
    expect(text.indexOf('### Results')).toBeLessThan(text.indexOf('### Where the results are'));
  });

  test('what it cost: GPU-hours in total and burnt by failures, and the evals whose walltime did not fit', () => {
    const usage = (wall_s: number, status: 'COMPLETED' | 'FAILED') => [{ job_id: '1', status, submitted: null, completed: null, reason: '', usage: { wall_s, gpus: 1, limit_s: 1800 } }];
    const state = stateOf(DIR, [
      evaluation('rank4', 0, 'COMPLETED', { job_id: '101', attempts: usage(1710, 'COMPLETED') }), // 95% of 30 min
      evaluation('rank4', 1, 'FAILED', { job_id: '102', attempts: usage(90, 'FAILED') }),
      evaluation('rank8', 0, 'COMPLETED', { job_id: '103', attempts: usage(900, 'COMPLETED') }), // 50%
    ]);
    const text = finalSummary(state, layoutOf(DIR, 'cells', `${DIR}/experiment_summary.yaml`));
    // (1710 + 90 + 900) s on 1 GPU = 0.75 GPU-hours; the failure's 90 s = 0.025 (3%)
    expect(text).toContain(
      "### Cost\n\nCost: 0.75 GPU-hours, 45m 0s of jobs' wall time in 3 jobs; not successful: 0.03 GPU-hours (3%), 1m 30s in 1 job; walltime used: 1 eval over 90%\n" +
        '  - rank4/capitalization/epoch0: used 95% of its walltime (close to a TIMEOUT: give --time more room)\n',
    );
    expect(finalSummary(STATE, layoutOf(DIR, 'cells', `${DIR}/experiment_summary.yaml`))).not.toContain('### Cost');
  });
});
