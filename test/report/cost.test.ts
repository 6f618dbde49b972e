// The cost of a sweep from each job's sacct record, against numbers worked out by hand.
import { describe, expect, it } from 'vitest';
import { costLine, costTotals, evalCost } from '../../src/report/cost.js';
import type { Attempt } from '../../src/state/schema.js';
import { evalState } from '../support/eval-state.js';

const job = (id: string, status: Attempt['status'], wall_s: number, gpus: number | null, limit_s: number | null, extra: Partial<Attempt> = {}): Attempt => ({
  job_id: id, status, submitted: null, completed: null, reason: '', usage: { wall_s, gpus, limit_s }, ...extra,
});

// rank4 epoch0: 1 GPU, 30 min of a 60 min walltime: 0.5 GPU-hours, 50% used.
const ok = evalState('rank4', 'cap', 0, 'COMPLETED', { attempts: [job('101', 'COMPLETED', 1800, 1, 3600, { gpu: { util_mean: 71.5, mem_peak_mib: 20480, samples: 60 } })] });
// rank4 epoch1: NODE_FAIL after 6 min on 2 GPUs (0.2 GPU-hours), then 3 min on 2 GPUs of 60 (0.1 GPU-hours, 5% used: under 10%).
const retried = evalState('rank4', 'cap', 1, 'COMPLETED', { attempts: [job('102', 'NODE_FAIL', 360, 2, 3600), job('107', 'COMPLETED', 180, 2, 3600)] });
// rank8 epoch0: TIMEOUT at the full hour on 1 GPU: 1 GPU-hour, all of it a failure.
const timeout = evalState('rank8', 'cap', 0, 'TIMEOUT', { attempts: [job('103', 'TIMEOUT', 3600, 1, 3600)] });
// rank8 epoch1: 57 of 60 min (95%: over 90%) on 1 GPU: 0.95 GPU-hours.
const tight = evalState('rank8', 'cap', 1, 'COMPLETED', { attempts: [job('104', 'COMPLETED', 3420, 1, 3600)] });
// A job cancelled while it pended: sacct gives 0 s and no allocation.
const cancelled = evalState('rank8', 'cap', 2, 'CANCELLED', { attempts: [job('105', 'CANCELLED', 0, null, 3600)] });
// Accounting was off when it ended: nothing to measure.
const blind = evalState('rank8', 'cap', 3, 'COMPLETED', { attempts: [{ job_id: '106', status: 'COMPLETED', submitted: null, completed: null, reason: '' }] });

describe('cost', () => {
  it('per eval: every job of it summed, the walltime fit of its last successful job, its GPU samples', () => {
    expect(evalCost(ok)).toEqual({ jobs: 1, wallSeconds: 1800, gpuHours: 0.5, walltimeUsed: 0.5, walltimeFlag: null, gpu: { util_mean: 71.5, mem_peak_mib: 20480, samples: 60 } });
    expect(evalCost(retried)).toMatchObject({ jobs: 2, wallSeconds: 540, walltimeUsed: 0.05, walltimeFlag: 'under 10%', gpu: null });
    expect(evalCost(retried)!.gpuHours).toBeCloseTo(0.3, 10);
    expect(evalCost(timeout)).toMatchObject({ gpuHours: 1, walltimeUsed: null, walltimeFlag: null }); // no successful job to size --time by
    expect(evalCost(tight)).toMatchObject({ walltimeUsed: 0.95, walltimeFlag: 'over 90%' });
    expect(evalCost(cancelled)).toMatchObject({ jobs: 1, wallSeconds: 0, gpuHours: 0 });
    expect(evalCost(blind)).toBeNull();
  });

  it("in total: GPU-hours, wall time, what the jobs that did not succeed burnt, walltime flags, and jobs sacct could not measure", () => {
    const t = costTotals([ok, retried, timeout, tight, cancelled, blind]);
    // 0.5 + 0.2 + 0.1 + 1 + 0.95 + 0 = 2.75 GPU-hours; 1800 + 360 + 180 + 3600 + 3420 + 0 = 9360 s
    expect(t).toMatchObject({ jobs: 6, wallSeconds: 9360, failedJobs: 3, failedWallSeconds: 3960, unmeasured: 1, under: 1, over: 1 });
    expect(t.gpuHours).toBeCloseTo(2.75, 10);
    expect(t.failedGpuHours).toBeCloseTo(1.2, 10); // NODE_FAIL 0.2 + TIMEOUT 1 + CANCELLED 0: 44% of 2.75
    expect(costLine(t)).toBe(
      "Cost: 2.75 GPU-hours, 2h 36m 0s of jobs' wall time in 6 jobs; not successful: 1.20 GPU-hours (44%), 1h 6m 0s in 3 jobs; walltime used: 1 eval under 10%, 1 eval over 90%; 1 job without a sacct record",
    );
  });

  it('says nothing before any job ended', () => {
    expect(costLine(costTotals([evalState('a', 'cap', 0, 'PENDING')]))).toBeNull();
  });
});
