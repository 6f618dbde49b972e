// The words every module shares. Plain data only: no I/O lives here. An eval's statuses: status.ts.

/** `{run}_{task}_epoch{N}` or `{run}_{task}_base` (control run). */
export type EvalKey = string;

/** One evaluation the experiment asks for: one eval script = one SLURM job. */
export interface EvalSpec {
  key: EvalKey;
  run: string;
  task: string;
  /** null when the eval has no training epoch: a control (base model) or an eval-only run. */
  epoch: number | null;
  /** From the design; null when the design does not list the run. */
  kind: 'fine-tuned' | 'control' | 'eval-only' | null;
  /** Absolute path of the `.slurm` script. */
  script: string;
  /** Where sbatch runs: the script's folder. */
  submitDir: string;
  /** Where inspect writes this eval's logs. */
  logsDir: string;
  /** The logs folder holds this eval's logs only (a cell), not a whole run's. */
  ownLogs: boolean;
  /** The model the job loads, absolute and expanded as the job will see it; null when unknown. */
  modelPath: string | null;
  /** The task names a log of this eval may carry (inspect names a task as its function chooses). */
  logTasks: string[];
  /** `-T vis_label=...` (cruijff_kit), which its task functions put into the task name. */
  visLabel: string | null;
  /** false for a script the design does not plan (it is run, and noted). */
  inDesign: boolean;
}

/** An eval the design plans but no script exists for: shown as NO_SCRIPT, never dropped. */
export interface UnscriptedEval {
  key: EvalKey;
  run: string;
  task: string;
  epoch: number | null;
  /** Absolute path where the script was expected. */
  expected: string;
}

export function evalKey(run: string, task: string, epoch: number | null): EvalKey {
  return epoch === null ? `${run}_${task}_base` : `${run}_${task}_epoch${epoch}`;
}

/** `run/task/epochN` or `run/task/base`: how the log and the summary name an eval. */
export function evalLabel(e: { run: string; task: string; epoch: number | null }): string {
  return `${e.run}/${e.task}/${e.epoch === null ? 'base' : `epoch${e.epoch}`}`;
}
