// The researcher's question after a sweep, answered from the results: per task, the best epoch of
// each fine-tuned run, the best eval overall, and each fine-tuned eval's difference from the
// base-model control of the same task with a 95% interval. Higher is better (accuracy, mean score).
import type { MainMetric, ResultRow } from './results.js';

/** One eval's main metric. */
export interface Estimate {
  /** The row's key (the eval's). */
  key: string;
  run: string;
  epoch: number | null;
  value: number;
  stderr: number | null;
  /** Samples scored, when the state knows it. */
  n: number | null;
}

/** A fine-tuned eval against the control: diff ± 1.96·√(se² + se_base²), when both stderrs are known. */
export interface VsBase {
  diff: number;
  low: number | null;
  high: number | null;
  /** The interval includes 0: no difference shown at 95%. null without an interval. */
  includesZero: boolean | null;
  /** The two were scored on different numbers of samples (a caveat, not an error). */
  nDiffers: boolean;
}

export interface TaskAnswer {
  task: string;
  /** The control (base model) of this task; the first in run order when there are several. */
  base: Estimate | null;
  /** The best epoch of each fine-tuned run, in run order. */
  bestPerRun: Estimate[];
  best: Estimate | null;
  /** By row key, for every completed fine-tuned eval of this task, when there is a base. */
  vsBase: Map<string, VsBase>;
}

const Z95 = 1.959964;

export function vsBase(e: Estimate, base: Estimate): VsBase {
  const diff = e.value - base.value;
  const se = e.stderr !== null && base.stderr !== null ? Math.sqrt(e.stderr ** 2 + base.stderr ** 2) : null;
  const low = se === null ? null : diff - Z95 * se;
  const high = se === null ? null : diff + Z95 * se;
  return { diff, low, high, includesZero: low === null || high === null ? null : low <= 0 && high >= 0, nDiffers: e.n !== null && base.n !== null && e.n !== base.n };
}

/** Rows in run order (resultRows); only completed evals with a value of the main metric count. */
export function answers(rows: readonly ResultRow[], main: MainMetric): TaskAnswer[] {
  const tasks = [...new Set(rows.map((r) => r.task))].sort();
  return tasks.map((task) => {
    const done = rows.filter((r) => r.task === task && r.state === 'COMPLETED' && r.metrics[main.key] != null);
    const estimate = (r: ResultRow): Estimate => ({
      key: r.key,
      run: r.run,
      epoch: r.epoch,
      value: r.metrics[main.key]!,
      stderr: main.stderrKey ? (r.metrics[main.stderrKey] ?? null) : null,
      n: r.samples,
    });
    const baseRow = done.find((r) => r.epoch === null);
    const base = baseRow ? estimate(baseRow) : null;
    const tuned = done.filter((r) => r.epoch !== null);
    const better = (a: Estimate, b: Estimate) => (b.value > a.value ? b : a); // ties: the earlier epoch
    const bestPerRun = [...new Set(tuned.map((r) => r.run))].map((run) => tuned.filter((r) => r.run === run).map(estimate).reduce(better));
    const best = bestPerRun.length ? bestPerRun.reduce(better) : null;
    const vs = new Map(base ? tuned.map((r) => [r.key, vsBase(estimate(r), base)] as const) : []);
    return { task, base, bestPerRun, best, vsBase: vs };
  });
}
