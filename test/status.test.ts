// The one status table: what each status means to the monitor, and SLURM's words mapped onto it.
import { describe, expect, it } from 'vitest';
import { parseJobState } from '../src/slurm/states.js';
import { evaluationSchema } from '../src/state/schema.js';
import { evalState } from './support/eval-state.js';
import {
  EVAL_STATUS_NAMES,
  EVAL_STATUSES,
  isInFlight,
  isRetryable,
  isTerminal,
  SLURM_ACTIVE_STATES,
  SLURM_TERMINAL_STATES,
  type EvalStatus,
} from '../src/status.js';

const where = (test: (s: EvalStatus) => boolean) => EVAL_STATUS_NAMES.filter(test).sort();

describe('the status table', () => {
  it('every status is exactly one of: waiting, in flight, ended', () => {
    for (const s of EVAL_STATUS_NAMES) expect([s === 'NOT_SUBMITTED', isInFlight(s), isTerminal(s)].filter(Boolean), s).toHaveLength(1);
    expect(where(isInFlight)).toEqual(['COMPLETING', 'MISSING', 'PENDING', 'REQUEUED', 'RUNNING', 'SUBMITTING', 'SUSPENDED']);
  });

  it('retry takes what ended without success, and what was skipped for a missing model; never NO_SCRIPT', () => {
    expect(where(isRetryable)).toEqual(
      ['BOOT_FAIL', 'CANCELLED', 'DEADLINE', 'FAILED', 'HELD', 'LOST', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'REVOKED', 'SKIPPED', 'SPECIAL_EXIT', 'TIMEOUT'],
    );
    expect(where((s) => EVAL_STATUSES[s].infrastructure)).toEqual(['BOOT_FAIL', 'NODE_FAIL', 'PREEMPTED']);
  });

  it("SLURM's end states are statuses that have ended; its queue states show as statuses in flight", () => {
    for (const s of SLURM_TERMINAL_STATES) expect(isTerminal(s), s).toBe(true);
    for (const [word, status] of Object.entries(SLURM_ACTIVE_STATES)) {
      expect(isInFlight(status), word).toBe(true);
      expect(parseJobState(word)).toEqual({ kind: 'active', state: word });
    }
    expect(SLURM_ACTIVE_STATES.RESV_DEL_HOLD).toBe('PENDING');
    expect(SLURM_ACTIVE_STATES.STOPPED).toBe('SUSPENDED');
    expect(parseJobState('CANCELLED by 1234')).toEqual({ kind: 'terminal', state: 'CANCELLED' });
    // A word SLURM adds one day (or one cut by sacct's column width) is unknown: reported, never done.
    expect(parseJobState('OUT_OF_ME+')).toEqual({ kind: 'unknown', state: 'OUT_OF_ME+' });
  });

  it('every status says what it means', () => {
    for (const s of EVAL_STATUS_NAMES) expect(EVAL_STATUSES[s].means.length, s).toBeGreaterThan(3);
  });
});

describe('eval_jobs.json statuses', () => {
  /** An eval as eval_jobs.json holds it, with `status` (and its attempts' statuses) as given: not yet validated. */
  const ev = (status: string, attempts: Array<{ status: string }> = []) => ({
    ...evalState('r4', 't', 0, 'PENDING'),
    status,
    attempts: attempts.map((a) => ({ job_id: '1', submitted: null, completed: null, reason: '', ...a })),
  });

  it('every status of the table loads, in an eval and in its attempts', () => {
    for (const s of EVAL_STATUS_NAMES) expect(evaluationSchema.parse(ev(s, [{ status: s }])).status).toBe(s);
  });

  it('a status outside the table is refused, naming the field', () => {
    const r = evaluationSchema.safeParse(ev('DONE'));
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['status']);
    expect(evaluationSchema.safeParse(ev('COMPLETED', [{ status: 'OK' }])).success).toBe(false);
  });
});
