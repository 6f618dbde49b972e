// The circuit breaker's rule, on states as eval_jobs.json holds them.
import { describe, expect, it } from 'vitest';
import { tripsOf } from '../../src/monitor/breaker.js';
import type { EvalState } from '../../src/state/schema.js';
import { evalState, stateOf } from '../support/eval-state.js';

const PEFT = "exit code 1:0; ModuleNotFoundError: No module named 'peft' (see r/eval/slurm-1.out)";
const ev = (run: string, epoch: number, status: string, notes = '', extra: Partial<EvalState> = {}) =>
  evalState(run, 'cap', epoch, status, { notes, completed: status === 'NOT_SUBMITTED' ? null : '2026-12-04 10:00:00', ...extra });
const failed = (run: string, epoch: number, notes = PEFT, extra: Partial<EvalState> = {}) => ev(run, epoch, 'FAILED', notes, extra);
const waiting = (run: string, epoch: number) => ev(run, epoch, 'NOT_SUBMITTED');

describe('tripsOf', () => {
  it('three code/config failures with one signature, no success: the unsubmitted evals of that task', () => {
    const state = stateOf('/x', [failed('a', 0), failed('a', 1), failed('b', 0, PEFT.replace('slurm-1', 'slurm-7')), waiting('b', 1), waiting('c', 0)]);
    expect(tripsOf(state, 3)).toEqual([{ task: 'cap', signature: "ModuleNotFoundError: No module named 'peft'", failed: 3, held: ['b_cap_epoch1', 'c_cap_epoch0'] }]);
    expect(tripsOf(state, 4)).toEqual([]);
    expect(tripsOf(state, 0)).toEqual([]); // --breaker 0: never
  });

  it('never for the machine\'s faults, different failures, a task with a success, or nothing left to hold', () => {
    const hub = 'exit code 1:0; requests.exceptions.ConnectionError: huggingface.co';
    expect(tripsOf(stateOf('/x', [failed('a', 0, hub), failed('a', 1, hub), failed('a', 2, hub), waiting('b', 0)]), 3)).toEqual([]);
    expect(tripsOf(stateOf('/x', [ev('a', 0, 'NODE_FAIL'), ev('a', 1, 'NODE_FAIL'), ev('a', 2, 'PREEMPTED'), waiting('b', 0)]), 3)).toEqual([]);
    expect(tripsOf(stateOf('/x', [failed('a', 0), failed('a', 1), failed('a', 2, 'ValueError: bad config'), waiting('b', 0)]), 3)).toEqual([]);
    expect(tripsOf(stateOf('/x', [failed('a', 0), failed('a', 1), failed('a', 2), ev('a', 3, 'COMPLETED'), waiting('b', 0)]), 3)).toEqual([]);
    expect(tripsOf(stateOf('/x', [failed('a', 0), failed('a', 1), failed('a', 2)]), 3)).toEqual([]);
  });

  it('after a release (retry --held), only failures that ended since count', () => {
    const hold = { job_id: '', status: 'HELD' as const, submitted: null, completed: '2026-12-04 10:05:00', reason: 'held: ...' };
    const released = (run: string, epoch: number) => ({ ...waiting(run, epoch), attempts: [hold] });
    const before = stateOf('/x', [failed('a', 0), failed('a', 1), failed('a', 2), released('b', 0), released('b', 1)]);
    expect(tripsOf(before, 3)).toEqual([]);
    const later = { completed: '2026-12-04 10:20:00' };
    const again = stateOf('/x', [failed('a', 0), failed('a', 1), failed('a', 2), { ...failed('b', 0, PEFT, later), attempts: [hold] }, { ...failed('b', 1, PEFT, later), attempts: [hold] }, failed('c', 0, PEFT, later), waiting('d', 0)]);
    expect(tripsOf(again, 3)).toMatchObject([{ failed: 3, held: ['d_cap_epoch0'] }]);
  });
});
