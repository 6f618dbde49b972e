// One job's verdict from what SLURM said of it this poll: its squeue line and, when asked, its sacct
// record. Pure: the poll brings the records.
import type { AccountingEntry, QueueEntry } from '../slurm/client.js';
import { parseJobState } from '../slurm/states.js';
import { parseSlurmTimestamp, timestampMs } from '../slurm/time.js';
import type { JobUsage } from '../state/schema.js';
import type { SlurmActiveState, SlurmTerminalState } from '../status.js';

export type Verdict =
  | { kind: 'active'; state: SlurmActiveState; reason: string; elapsedSeconds: number | null }
  /** `usage`: from sacct, when it was asked and knows the job. */
  | { kind: 'ended'; state: SlurmTerminalState; exitCode: string | null; start: Date | null; end: Date | null; elapsedSeconds: number | null; usage: JobUsage | null }
  /** SLURM printed a state we do not know: reported, never taken as done. */
  | { kind: 'unknown'; state: string }
  /** Neither squeue nor sacct knows the job (purged, slurmdbd behind, or lost). */
  | { kind: 'absent' };

export interface TrackedJob {
  jobId: string;
  /** Our `--comment` tag, to tell our job from another that got the same id after a reset. */
  comment: string;
  submitted: string | null;
}

// A controller reset can hand our job id to a new job. When SLURM shows no comment to compare,
// a submit time this far from ours means the record is someone else's.
const SUBMIT_TIME_TOLERANCE_MS = 10 * 60_000;

function isOurs(job: TrackedJob, comment: string, submitTime: string): boolean {
  const theirs = comment === '(null)' ? '' : comment;
  if (theirs) return theirs === job.comment;
  // SLURM prints `T` between date and time, run-inspect a space: timestampMs reads both.
  const a = timestampMs(submitTime);
  const b = job.submitted ? timestampMs(job.submitted) : null;
  return a === null || b === null || Math.abs(a - b) <= SUBMIT_TIME_TOLERANCE_MS;
}

/** `queueBlind`: squeue answered without a single job of the user's, so its silence about this one says nothing. */
export function judge(job: TrackedJob, q: QueueEntry | undefined, a: AccountingEntry | undefined, queueBlind = false): Verdict {
  if (q && isOurs(job, q.comment, q.submitTime)) {
    const s = parseJobState(q.state);
    // squeue -t all shows ended jobs for MinJobAge, without an exit code: sacct adds it when asked.
    if (s.kind === 'terminal') return ended(s.state, a && isOurs(job, a.comment, a.submitTime) ? a : null, q.elapsedSeconds);
    if (s.kind === 'active') return { kind: 'active', state: s.state, reason: q.reason, elapsedSeconds: q.elapsedSeconds };
    return { kind: 'unknown', state: s.state };
  }
  if (a && isOurs(job, a.comment, a.submitTime)) {
    const s = parseJobState(a.state);
    if (s.kind === 'terminal') return ended(s.state, a, a.elapsedSeconds);
    // `squeue -t all` lists every job the controller still has: one it does not list is not queued or
    // running, whatever sacct says (a runaway accounting record, common after a slurmdbd outage) —
    // unless squeue listed nothing at all, which is squeue's trouble, not the jobs'.
    if (s.kind === 'active') return queueBlind ? { kind: 'active', state: s.state, reason: '', elapsedSeconds: a.elapsedSeconds } : { kind: 'absent' };
    return { kind: 'unknown', state: s.state };
  }
  return { kind: 'absent' };
}

function ended(state: SlurmTerminalState, a: AccountingEntry | null, elapsed: number | null): Verdict {
  return {
    kind: 'ended',
    state,
    exitCode: a?.exitCode ?? null,
    start: a ? parseSlurmTimestamp(a.startTime) : null,
    end: a ? parseSlurmTimestamp(a.endTime) : null,
    elapsedSeconds: a?.elapsedSeconds ?? elapsed,
    usage: a && a.elapsedSeconds !== null ? { wall_s: a.elapsedSeconds, gpus: a.gpus, limit_s: a.timelimitSeconds } : null,
  };
}
