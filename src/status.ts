// Every status an eval can have and what it means, in one table: the schema, the poll, submission,
// retry and every report read it from here. SLURM's words for a job's end are kept as SLURM says
// them (TIMEOUT, OUT_OF_MEMORY, ...); the others are run-inspect's. Adding a status is one row, and
// the compiler asks for every field of it. SLURM's state words themselves: docs/formats.md.

/** Where an eval stands, for the final summary and the counts. */
export type Outcome = 'waiting' | 'in flight' | 'succeeded' | 'not successful' | 'skipped';

interface StatusRow {
  outcome: Outcome;
  /** `retry` may put it back to be submitted. */
  retryable: boolean;
  /** Not the script's doing (node, boot, preemption): resubmitted by itself up to --max-retries. */
  infrastructure: boolean;
  /** What it means, for the README and the code's readers. */
  means: string;
}

const row = (outcome: Outcome, means: string, o: { retryable?: boolean; infrastructure?: boolean } = {}): StatusRow => ({
  outcome,
  retryable: o.retryable ?? false,
  infrastructure: o.infrastructure ?? false,
  means,
});

export const EVAL_STATUSES = {
  NOT_SUBMITTED: row('waiting', 'planned, waiting for a slot (or for a QOS limit to clear)'),
  SUBMITTING: row('in flight', 'the intent is recorded before sbatch; reconciled with SLURM before any second sbatch'),
  PENDING: row('in flight', 'queued'),
  RUNNING: row('in flight', 'running'),
  COMPLETING: row('in flight', 'SLURM is cleaning up after the job'),
  SUSPENDED: row('in flight', 'suspended or stopped by SLURM'),
  REQUEUED: row('in flight', 'requeued by SLURM'),
  MISSING: row('in flight', 'gone from squeue and sacct; LOST after --lost-after'),
  COMPLETED: row('succeeded', 'its inspect log is a complete success'),
  FAILED: row('not successful', 'the log is not a success, or the job failed', { retryable: true }),
  CANCELLED: row('not successful', 'cancelled', { retryable: true }),
  TIMEOUT: row('not successful', 'hit its walltime', { retryable: true }),
  OUT_OF_MEMORY: row('not successful', 'killed for memory', { retryable: true }),
  NODE_FAIL: row('not successful', 'its node failed', { retryable: true, infrastructure: true }),
  BOOT_FAIL: row('not successful', 'its node failed to boot', { retryable: true, infrastructure: true }),
  PREEMPTED: row('not successful', 'preempted', { retryable: true, infrastructure: true }),
  DEADLINE: row('not successful', 'missed its deadline', { retryable: true }),
  REVOKED: row('not successful', 'revoked (federation)', { retryable: true }),
  SPECIAL_EXIT: row('not successful', 'held by SLURM after a special exit', { retryable: true }),
  LOST: row('not successful', 'SLURM has no record of the job any more', { retryable: true }),
  HELD: row('not successful', 'not submitted: the first evals of its task failed the same way in the code or its configuration (the circuit breaker); `retry --held` after the fix', { retryable: true }),
  SKIPPED: row('skipped', 'not submitted: its model is missing (the reason in Notes)', { retryable: true }),
  NO_SCRIPT: row('skipped', 'planned by the design, but its eval script does not exist'),
} as const satisfies Record<string, StatusRow>;

export type EvalStatus = keyof typeof EVAL_STATUSES;

/** For z.enum. */
export const EVAL_STATUS_NAMES = Object.keys(EVAL_STATUSES) as [EvalStatus, ...EvalStatus[]];

export const isTerminal = (s: EvalStatus): boolean => {
  const o = EVAL_STATUSES[s].outcome;
  return o !== 'waiting' && o !== 'in flight';
};
/** Holds a slot in the queue (for --max-in-flight) and is polled. */
export const isInFlight = (s: EvalStatus): boolean => EVAL_STATUSES[s].outcome === 'in flight';
export const isRetryable = (s: EvalStatus): boolean => EVAL_STATUSES[s].retryable;

/** SLURM's words for a job that has ended for good (unless SLURM requeues it): each is a status of ours. */
export const SLURM_TERMINAL_STATES = [
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'REVOKED',
  'SPECIAL_EXIT',
] as const satisfies readonly EvalStatus[];
export type SlurmTerminalState = (typeof SLURM_TERMINAL_STATES)[number];

/** SLURM's words for a job still in the queue, and the status each shows as. */
export const SLURM_ACTIVE_STATES = {
  PENDING: 'PENDING',
  RESV_DEL_HOLD: 'PENDING', // held while its reservation is deleted: still waiting to start
  RUNNING: 'RUNNING',
  CONFIGURING: 'RUNNING',
  SIGNALING: 'RUNNING',
  STAGE_OUT: 'RUNNING',
  RESIZING: 'RUNNING',
  COMPLETING: 'COMPLETING',
  SUSPENDED: 'SUSPENDED',
  STOPPED: 'SUSPENDED',
  REQUEUED: 'REQUEUED',
  REQUEUE_HOLD: 'REQUEUED',
  REQUEUE_FED: 'REQUEUED',
} as const satisfies Record<string, EvalStatus>;
export type SlurmActiveState = keyof typeof SLURM_ACTIVE_STATES;
