// A state written before presentation left the state (notes carrying the metric, elapsed, progress)
// is read as today's: the same text is shown, once.
import { describe, expect, it } from 'vitest';
import { resultText, statusText } from '../../src/report/eval-text.js';
import { serializeState } from '../../src/state/serialize.js';
import { parseState } from '../../src/state/store.js';
import { evalState, stateOf } from '../support/eval-state.js';

const scores = [{ name: 'match', scorer: 'match', metrics: [{ name: 'accuracy', value: 0.8 }, { name: 'stderr', value: 0.011 }] }];

function reread(fields: Parameters<typeof evalState>[4], status = 'COMPLETED') {
  const text = serializeState(stateOf('/x', [evalState('r', 't', 0, status, fields)]));
  return parseState(text, 'eval_jobs.json').evaluations.r_t_epoch0!;
}

describe('states from before presentation left the state', () => {
  it('a completed eval: the metric, its sample count and the elapsed time come out of Notes', () => {
    const ev = reread({ scores, elapsed: '4m 52s', notes: 'accuracy 0.800 ± 0.011 (n=10) · 4m 52s' });
    expect(ev).toMatchObject({ notes: '', samples: { done: 10, total: null } });
    expect(resultText(ev)).toBe('accuracy 0.800 ± 0.011 (n=10)');
  });

  it('what came after the metric stays, as the note', () => {
    const ev = reread({ scores, elapsed: '1m 0s', notes: 'accuracy 0.800 ± 0.011 (n=10); job ended FAILED (exit code 15:0) after inspect finished · 1m 0s' });
    expect(ev.notes).toBe('job ended FAILED (exit code 15:0) after inspect finished');
    expect(resultText(ev)).toBe('accuracy 0.800 ± 0.011 (n=10); job ended FAILED (exit code 15:0) after inspect finished');
  });

  it('"already done: <metric>" and a running eval\'s "n/total samples"', () => {
    expect(reread({ scores, notes: 'already done: accuracy 0.800 ± 0.011 (n=10)' })).toMatchObject({ notes: 'already done', samples: { done: 10, total: null } });
    const running = reread({ notes: '20/40 samples' }, 'RUNNING');
    expect(running).toMatchObject({ notes: '', samples: { done: 20, total: 40 } });
    expect(statusText(running)).toBe('RUNNING 20/40 samples');
  });

  it("today's notes pass unchanged: a reason, a note that merely mentions a metric, a failed eval's text", () => {
    for (const [status, notes] of [
      ['COMPLETED', 'job ended FAILED (exit code 15:0) after inspect finished'],
      ['COMPLETED', 'rerun: accuracy 0.800 ± 0.011 looked low'],
      ['FAILED', 'accuracy 0.800 ± 0.011 (n=10) · 4m 52s'],
      ['RUNNING', 'pending: Dependency'],
    ] as const) {
      expect(reread({ scores, elapsed: '4m 52s', notes }, status).notes).toBe(notes);
    }
  });
});
