// What a sweep cost, from what sacct said of each job when it ended (attempts[].usage): GPU-hours
// and wall time per eval and in total, the share burnt by jobs that did not succeed, and whether
// each eval's walltime fit (--time far too long under 10% used, at risk of TIMEOUT over 90%).
import { humanDuration } from '../slurm/time.js';
import type { Attempt, EvalState, GpuMetrics } from '../state/schema.js';

/** Below and above these shares of its walltime, a completed eval's `--time` is worth a look. */
const UNDER = 0.1;
const OVER = 0.9;

export type WalltimeFlag = 'under 10%' | 'over 90%';

export interface EvalCost {
  /** Every measured job of the eval, retries included. */
  jobs: number;
  wallSeconds: number;
  gpuHours: number;
  /** Share of the walltime its last successful job used; null when none succeeded or the walltime is unlimited. */
  walltimeUsed: number | null;
  walltimeFlag: WalltimeFlag | null;
  /** nvidia-smi's samples during its last job that had any. */
  gpu: GpuMetrics | null;
}

export interface CostTotals {
  jobs: number;
  wallSeconds: number;
  gpuHours: number;
  /** Jobs that ended any other way than COMPLETED: what failures cost. */
  failedJobs: number;
  failedWallSeconds: number;
  failedGpuHours: number;
  /** Jobs that ended with no sacct record to measure (accounting off, or cancelled before it was read). */
  unmeasured: number;
  under: number;
  over: number;
}

const gpuHoursOf = (a: Attempt) => (a.usage ? (a.usage.wall_s * (a.usage.gpus ?? 0)) / 3600 : 0);
const ranAJob = (a: Attempt) => a.job_id !== '';

/** null when no job of the eval was measured. */
export function evalCost(ev: EvalState): EvalCost | null {
  const measured = ev.attempts.filter((a) => a.usage);
  if (measured.length === 0) return null;
  const lastOk = measured.filter((a) => a.status === 'COMPLETED').at(-1);
  const limit = lastOk?.usage?.limit_s ?? null;
  const walltimeUsed = lastOk && limit ? lastOk.usage!.wall_s / limit : null;
  return {
    jobs: measured.length,
    wallSeconds: measured.reduce((s, a) => s + a.usage!.wall_s, 0),
    gpuHours: measured.reduce((s, a) => s + gpuHoursOf(a), 0),
    walltimeUsed,
    walltimeFlag: walltimeUsed === null ? null : walltimeUsed < UNDER ? 'under 10%' : walltimeUsed > OVER ? 'over 90%' : null,
    gpu: ev.attempts.filter((a) => a.gpu).at(-1)?.gpu ?? null,
  };
}

export function costTotals(evals: Iterable<EvalState>): CostTotals {
  const t: CostTotals = { jobs: 0, wallSeconds: 0, gpuHours: 0, failedJobs: 0, failedWallSeconds: 0, failedGpuHours: 0, unmeasured: 0, under: 0, over: 0 };
  for (const ev of evals) {
    for (const a of ev.attempts) {
      if (!a.usage) {
        if (ranAJob(a)) t.unmeasured++;
        continue;
      }
      t.jobs++;
      t.wallSeconds += a.usage.wall_s;
      t.gpuHours += gpuHoursOf(a);
      if (a.status !== 'COMPLETED') {
        t.failedJobs++;
        t.failedWallSeconds += a.usage.wall_s;
        t.failedGpuHours += gpuHoursOf(a);
      }
    }
    const flag = evalCost(ev)?.walltimeFlag;
    if (flag === 'under 10%') t.under++;
    if (flag === 'over 90%') t.over++;
  }
  return t;
}

/** `12.50 GPU-hours` */
const gpuHoursText = (hours: number) => `${hours.toFixed(2)} GPU-hours`;

/**
 * One line: `Cost: 3.25 GPU-hours, 6h 30m 0s of jobs' wall time in 12 jobs; not successful: 0.50
 * GPU-hours (15%), 1h 0m 0s in 2 jobs; walltime used: 3 evals under 10%, 1 eval over 90%`; null before any job ended.
 */
export function costLine(t: CostTotals): string | null {
  if (t.jobs === 0 && t.unmeasured === 0) return null;
  const parts = [`${gpuHoursText(t.gpuHours)}, ${humanDuration(t.wallSeconds)} of jobs' wall time in ${t.jobs} job${t.jobs === 1 ? '' : 's'}`];
  if (t.failedJobs > 0) {
    const share = t.gpuHours > 0 ? ` (${Math.round((100 * t.failedGpuHours) / t.gpuHours)}%)` : '';
    parts.push(`not successful: ${gpuHoursText(t.failedGpuHours)}${share}, ${humanDuration(t.failedWallSeconds)} in ${t.failedJobs} job${t.failedJobs === 1 ? '' : 's'}`);
  }
  const evals = (n: number) => `${n} eval${n === 1 ? '' : 's'}`;
  const fit = [t.under ? `${evals(t.under)} under 10%` : '', t.over ? `${evals(t.over)} over 90%` : ''].filter(Boolean);
  if (fit.length) parts.push(`walltime used: ${fit.join(', ')}`);
  if (t.unmeasured) parts.push(`${t.unmeasured} job${t.unmeasured === 1 ? '' : 's'} without a sacct record`);
  return `Cost: ${parts.join('; ')}`;
}
