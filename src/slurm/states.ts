// SLURM job states as squeue and sacct print them (docs/formats.md §4).

/** SLURM's own words for a job that has ended for good (unless SLURM requeues it). */
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
] as const;
const TERMINAL: ReadonlySet<string> = new Set(SLURM_TERMINAL_STATES);

const ACTIVE = new Set([
  'PENDING',
  'RUNNING',
  'CONFIGURING',
  'COMPLETING',
  'SUSPENDED',
  'STOPPED',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESIZING',
  'RESV_DEL_HOLD',
  'SIGNALING',
  'STAGE_OUT',
]);

export type JobState = Readonly<
  | { kind: 'active'; state: string }
  | { kind: 'terminal'; state: string }
  | { kind: 'unknown'; state: string }
>;

/** The first word: `CANCELLED by 1234` → `CANCELLED`. */
export function firstWord(text: string): string {
  const t = text.trim();
  const space = t.search(/\s/);
  return space === -1 ? t : t.slice(0, space);
}

// A poll parses the state of every job (10,000 at a time) but SLURM prints only a few distinct ones.
const parsedStates = new Map<string, JobState>();

/** `CANCELLED by 1234` → CANCELLED; `OUT_OF_ME+` (cut by sacct without -P) is unknown, never done. */
export function parseJobState(raw: string): JobState {
  let parsed = parsedStates.get(raw);
  if (parsed === undefined) {
    const state = firstWord(raw).toUpperCase();
    parsed = TERMINAL.has(state) ? { kind: 'terminal', state } : ACTIVE.has(state) ? { kind: 'active', state } : { kind: 'unknown', state: raw.trim() };
    if (parsedStates.size > 1000) parsedStates.clear();
    parsedStates.set(raw, parsed);
  }
  return parsed;
}

/** Infrastructure failures worth an automatic resubmission (the script itself did nothing wrong). */
export const INFRASTRUCTURE_FAILURES: ReadonlySet<string> = new Set(['NODE_FAIL', 'BOOT_FAIL', 'PREEMPTED']);
