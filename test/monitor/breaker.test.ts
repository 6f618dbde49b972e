// The circuit breaker's rule, on states as eval_jobs.json holds them.
import { describe, expect, it } from 'vitest';
import { holdTripped, tripsOf } from '../../src/monitor/breaker.js';
import { newPollMemory, poll } from '../../src/monitor/poll.js';
import { submitReady } from '../../src/monitor/submit.js';
import { setEval } from '../../src/state/store.js';
import { memoryMonitor } from '../support/memory-monitor.js';
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
    expect(tripsOf(state, 3)).toEqual([{ task: 'cap', signature: "ModuleNotFoundError: No module named 'peft'", failed: 3, held: ['b_cap_epoch1', 'c_cap_epoch0'], queued: [] }]);
    expect(tripsOf(state, 4)).toEqual([]);
    expect(tripsOf(state, 0)).toEqual([]); // --breaker 0: never
  });

  it('evals whose jobs still wait in the queue are held too, their jobs to be cancelled; running ones are left to end', () => {
    const queued = (run: string, epoch: number, id: string) => ev(run, epoch, 'PENDING', '', { job_id: id, completed: null });
    const state = stateOf('/x', [failed('a', 0), failed('a', 1), failed('a', 2), queued('b', 0, '17'), queued('b', 1, '18'), ev('c', 0, 'RUNNING', '', { job_id: '16' })]);
    expect(tripsOf(state, 3)).toEqual([{ task: 'cap', signature: "ModuleNotFoundError: No module named 'peft'", failed: 3, held: ['b_cap_epoch0', 'b_cap_epoch1'], queued: ['17', '18'] }]);
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

describe('holdTripped', () => {
  it('everything queued at once: the queued jobs of the task are cancelled in one scancel and their evals HELD, each job kept in the history', async () => {
    const m = await memoryMonitor();
    await submitReady(m, () => false);
    const keys = Object.keys((await m.store.current())!.evaluations).sort();
    expect(keys).toHaveLength(7);
    // The first three ended with one missing module; one started since and runs; the other three wait.
    await m.store.update((s) => {
      for (const key of keys.slice(0, 3)) setEval(s!, key, { status: 'FAILED', notes: PEFT, completed: '2026-12-04 10:00:00' });
      return s!;
    });
    const running = (await m.store.current())!.evaluations[keys[3]!]!;
    m.slurm.set(running.job_id!, { state: 'RUNNING' });
    await m.store.update((s) => {
      setEval(s!, keys[3]!, { status: 'RUNNING' });
      return s!;
    });
    const before = (await m.store.current())!.evaluations;
    const queuedIds = keys.slice(4).map((k) => before[k]!.job_id!);
    m.slurm.calls = [];
    const trips = await holdTripped(m);
    expect(trips).toHaveLength(1);
    expect(m.slurm.calls).toEqual(['scancel']);
    for (const id of queuedIds) expect(m.slurm.jobs.find((j) => j.id === id)!.state).toBe('CANCELLED');
    expect(m.slurm.jobs.find((j) => j.id === running.job_id)!.state).toBe('RUNNING');
    const after = (await m.store.current())!.evaluations;
    keys.slice(4).forEach((k, i) => {
      expect(after[k]).toMatchObject({ status: 'HELD', job_id: null, submitted: null, notes: expect.stringContaining('failed the same way') });
      expect(after[k]!.attempts).toEqual([expect.objectContaining({ job_id: queuedIds[i], status: 'CANCELLED', reason: expect.stringMatching(/^cancelled while queued: held: 3 evals/) })]);
    });
    expect(after[keys[3]!]!.status).toBe('RUNNING');
    expect(m.log()).toMatch(/CIRCUIT_BREAKER: .*\n.*\nResult: 3 evaluations HELD \(3 queued jobs cancelled: /);
    // The next poll leaves the held evals alone: their cancelled jobs are history.
    await poll(m, newPollMemory());
    expect(Object.values((await m.store.current())!.evaluations).filter((e) => e.status === 'HELD')).toHaveLength(3);
  });

  it('when scancel fails, the queued evals stay as they are and only what was held is said to be', async () => {
    const m = await memoryMonitor({ maxInFlight: 5 });
    await submitReady(m, () => false); // five queued, two left unsubmitted
    const before = (await m.store.current())!.evaluations;
    const queued = Object.keys(before).filter((k) => before[k]!.status === 'PENDING').sort();
    await m.store.update((s) => {
      for (const key of queued.slice(0, 3)) setEval(s!, key, { status: 'FAILED', notes: PEFT, completed: '2026-12-04 10:00:00' });
      return s!;
    });
    m.slurm.cancel = async () => {
      throw new Error('scancel: error: Unable to contact slurm controller');
    };
    await holdTripped(m);
    const after = (await m.store.current())!.evaluations;
    for (const key of queued.slice(3)) expect(after[key]).toMatchObject({ status: 'PENDING', job_id: before[key]!.job_id });
    const held = Object.keys(after).filter((k) => after[k]!.status === 'HELD');
    expect(held).toHaveLength(2);
    expect(m.log()).toMatch(/Result: 2 evaluations HELD: /);
  });
});
