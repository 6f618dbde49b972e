// The words every module shares. Plain data only: no I/O lives here.
import { SLURM_TERMINAL_STATES } from './slurm/states.js';

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

/**
 * What run-inspect says an eval is. SLURM's own terminal words are kept (TIMEOUT, OUT_OF_MEMORY,
 * NODE_FAIL, ...); the rest are ours:
 * - NOT_SUBMITTED: planned, waiting for a slot (or for a QOS limit to clear).
 * - SUBMITTING: intent recorded before sbatch; reconciled with SLURM before any retry.
 * - SKIPPED: will not be submitted (checkpoint missing, ...), reason in notes.
 * - NO_SCRIPT: planned by the design, but its eval script does not exist (expected path in notes).
 * - MISSING: gone from squeue and sacct; becomes LOST after a grace period.
 */
export type EvalStatus =
  | 'NOT_SUBMITTED'
  | 'SUBMITTING'
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETING'
  | 'SUSPENDED'
  | 'REQUEUED'
  | 'MISSING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TIMEOUT'
  | 'OUT_OF_MEMORY'
  | 'NODE_FAIL'
  | 'PREEMPTED'
  | 'BOOT_FAIL'
  | 'DEADLINE'
  | 'REVOKED'
  | 'SPECIAL_EXIT'
  | 'SKIPPED'
  | 'NO_SCRIPT'
  | 'LOST';

/** SLURM's terminal words plus our own: SKIPPED and NO_SCRIPT (never submitted), and LOST. */
export const TERMINAL_STATUSES: ReadonlySet<EvalStatus> = new Set<EvalStatus>([...SLURM_TERMINAL_STATES, 'SKIPPED', 'NO_SCRIPT', 'LOST']);

export function isTerminal(s: EvalStatus): boolean {
  return TERMINAL_STATUSES.has(s);
}
