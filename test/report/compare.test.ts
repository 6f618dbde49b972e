// The comparison against hand-computed numbers: best epochs, best run, and the difference from the
// base model with its 95% interval, diff ± 1.96·√(se² + se_base²).
import { describe, expect, it } from 'vitest';
import { answers, vsBase } from '../../src/report/compare.js';
import { answersMarkdown, type MainMetric, type ResultRow } from '../../src/report/results.js';

const MAIN: MainMetric = { key: 'match/accuracy', scorer: 'match', name: 'accuracy', stderrKey: 'match/stderr' };

function row(run: string, epoch: number | null, accuracy: number | null, stderr: number | null = 0.03, o: { task?: string; state?: string; n?: number } = {}): ResultRow {
  const task = o.task ?? 'capitalization';
  const metrics: Record<string, number | null> = { 'match/accuracy': accuracy };
  if (stderr !== null) metrics['match/stderr'] = stderr;
  return { key: `${run}_${task}_${epoch ?? 'base'}`, run, task, epoch, state: o.state ?? 'COMPLETED', metrics, params: {}, samples: o.n ?? 100, job_id: null, elapsed: null, log_path: null, reason: null, failure: null, cost: null };
}

describe('vsBase', () => {
  it('0.63 ± 0.03 against 0.42 ± 0.03: +0.21, 95% interval 0.21 ± 1.96·0.042426 = [0.1268, 0.2932]', () => {
    const v = vsBase({ key: 'a', run: 'a', epoch: 2, value: 0.63, stderr: 0.03, n: 100 }, { key: 'base', run: 'base', epoch: null, value: 0.42, stderr: 0.03, n: 100 });
    expect(v.diff).toBeCloseTo(0.21, 10);
    expect(v.low).toBeCloseTo(0.126846, 5);
    expect(v.high).toBeCloseTo(0.293154, 5);
    expect(v).toMatchObject({ includesZero: false, nDiffers: false });
  });

  it('0.45 ± 0.04 against 0.42 ± 0.03 (n 200 vs 100): +0.03, interval [-0.068, 0.128] includes 0; n differs', () => {
    const v = vsBase({ key: 'a', run: 'a', epoch: 0, value: 0.45, stderr: 0.04, n: 200 }, { key: 'base', run: 'base', epoch: null, value: 0.42, stderr: 0.03, n: 100 });
    expect(v.diff).toBeCloseTo(0.03, 10);
    expect(v.low).toBeCloseTo(-0.067998, 5);
    expect(v.high).toBeCloseTo(0.127998, 5);
    expect(v).toMatchObject({ includesZero: true, nDiffers: true });
  });

  it('no stderr on either side: the difference, no interval', () => {
    expect(vsBase({ key: 'a', run: 'a', epoch: 0, value: 0.5, stderr: null, n: null }, { key: 'b', run: 'b', epoch: null, value: 0.4, stderr: 0.01, n: null })).toMatchObject({ low: null, high: null, includesZero: null, nDiffers: false });
  });
});

describe('answers', () => {
  const rows = [
    row('rank4', 0, 0.48),
    row('rank4', 1, 0.522),
    row('rank4', 2, null, null, { state: 'SKIPPED' }),
    row('rank16', 0, 0.52),
    row('rank16', 1, 0.59),
    row('rank16', 2, 0.63),
    row('rank64', 0, 0.55),
    row('rank64', 1, null, null, { state: 'FAILED' }),
    row('rank64', 2, 0.693),
    row('base', null, 0.42),
    row('rank4', 0, 0.9, 0.01, { task: 'other' }),
  ];

  it('per task: the best epoch of each run, the best overall, every fine-tuned eval against the base', () => {
    const [cap, other] = answers(rows, MAIN);
    expect(cap!.task).toBe('capitalization');
    expect(cap!.base).toMatchObject({ run: 'base', value: 0.42 });
    expect(cap!.bestPerRun.map((e) => [e.run, e.epoch, e.value])).toEqual([
      ['rank4', 1, 0.522],
      ['rank16', 2, 0.63],
      ['rank64', 2, 0.693],
    ]);
    expect(cap!.best).toMatchObject({ run: 'rank64', epoch: 2, value: 0.693 });
    // 7 completed fine-tuned evals; the skipped and the failed one have no difference
    expect([...cap!.vsBase.keys()].sort()).toEqual(['rank16_capitalization_0', 'rank16_capitalization_1', 'rank16_capitalization_2', 'rank4_capitalization_0', 'rank4_capitalization_1', 'rank64_capitalization_0', 'rank64_capitalization_2']);
    // 0.48 - 0.42 = 0.06 ± 0.083155: includes 0; 0.693 - 0.42 = 0.273 ± 0.083155: does not
    expect(cap!.vsBase.get('rank4_capitalization_0')).toMatchObject({ includesZero: true });
    expect(cap!.vsBase.get('rank4_capitalization_0')!.diff).toBeCloseTo(0.06, 10);
    expect(cap!.vsBase.get('rank64_capitalization_2')!.low).toBeCloseTo(0.273 - 0.083155, 5);
    // a task without a control: best epochs, no comparison
    expect(other).toMatchObject({ task: 'other', base: null, best: { run: 'rank4', value: 0.9 } });
    expect(other!.vsBase.size).toBe(0);
  });

  it('a tie keeps the earlier epoch', () => {
    const [a] = answers([row('r', 0, 0.5), row('r', 1, 0.5)], MAIN);
    expect(a!.best).toMatchObject({ epoch: 0 });
  });
});

describe('answersMarkdown', () => {
  it('says when an interval includes 0 and when the sample counts differ; no stderr, no interval', () => {
    const text = answersMarkdown(answers([row('r', 0, 0.45, 0.04, { n: 200 }), row('s', 0, 0.5, null), row('base', null, 0.42)], MAIN), MAIN);
    expect(text).toContain('| r | epoch 0 | 0.450 ± 0.040 | +0.030 | -0.068 to +0.128 (includes 0: no difference shown; n differs) |');
    expect(text).toContain('| s | epoch 0 | 0.500 | +0.080 | no stderr |');
    expect(text).toContain('Best on `capitalization` (`accuracy`, higher is better): **s** epoch 0, 0.500.');
  });
});
