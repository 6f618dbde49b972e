import { describe, expect, it } from 'vitest';
import { formatScores } from '../../src/inspect/format.js';
import { samplesOf } from '../../src/monitor/outcome.js';
import { readInspectLog, type InspectLogInfo, type ScoreSummary } from '../../src/inspect/log.js';
import { FIX, itRealLogs } from './helpers.js';

function info(scores: ScoreSummary[], n: number | null = 500): InspectLogInfo {
  return {
    path: '/x.eval',
    format: 'eval',
    status: 'success',
    task: 't',
    model: null,
    modelPath: null,
    visLabel: null,
    invalidated: false,
    created: null,
    errorMessage: null,
    scores,
    totalSamples: n,
    completedSamples: n,
    progress: null,
    startedAt: null,
    completedAt: null,
  };
}

/** A finished log's result, as the monitor shows it from the state it keeps. */
const formatMainMetric = (log: InspectLogInfo) => formatScores(log.scores, samplesOf(log)?.done ?? null);

describe('formatScores', () => {
  itRealLogs('the real fixtures', async () => {
    expect(formatMainMetric(await readInspectLog(FIX.popularity))).toBe('accuracy 0.800 ± 0.133 (n=10)');
    expect(formatMainMetric(await readInspectLog(FIX.streaming))).toBe('accuracy 0.750 ± 0.250 (n=4)');
    expect(formatMainMetric(await readInspectLog(FIX.zstd))).toBe('accuracy 0.000 ± 0.000 (n=1)');
    expect(formatMainMetric(await readInspectLog(FIX.legacyJson))).toBe('accuracy 0.000 ± 0.000 (n=1)');
    expect(formatMainMetric(await readInspectLog(FIX.popularityNoScores))).toBe('');
  });

  it('accuracy ± stderr (n)', () => {
    const s = { name: 'match', scorer: 'match', metrics: [{ name: 'accuracy', value: 0.8734 }, { name: 'stderr', value: 0.0112 }] };
    expect(formatMainMetric(info([s]))).toBe('accuracy 0.873 ± 0.011 (n=500)');
  });

  it("the report's rule: accuracy of the first scorer that has it, else the first metric that is not a spread", () => {
    const a = { name: 'a', scorer: 'a', metrics: [{ name: 'stderr', value: 0.02 }, { name: 'mean', value: 12.5 }] };
    const b = { name: 'b', scorer: 'b', metrics: [{ name: 'accuracy', value: 0.1 }] };
    expect(formatMainMetric(info([a, b]))).toBe('accuracy 0.100 (n=500)');
    expect(formatMainMetric(info([a]))).toBe('mean 12.500 ± 0.020 (n=500)');
  });

  it('no stderr, no sample count, scored_samples preferred', () => {
    expect(formatMainMetric(info([{ name: 'f1', scorer: 'f1', metrics: [{ name: 'f1', value: 0.5 }] }], null))).toBe('f1 0.500');
    expect(
      formatMainMetric(info([{ name: 's', scorer: 's', scoredSamples: 498, metrics: [{ name: 'accuracy', value: 1 }] }])),
    ).toBe('accuracy 1.000 (n=498)');
  });

  it('NaN, missing and large values', () => {
    const s = {
      name: 's',
      scorer: 's',
      metrics: [
        { name: 'accuracy', value: null, nonFinite: 'NaN' as const },
        { name: 'stderr', value: null, nonFinite: 'Infinity' as const },
      ],
    };
    expect(formatMainMetric(info([s]))).toBe('accuracy NaN ± inf (n=500)');
    expect(formatMainMetric(info([{ name: 's', scorer: 's', metrics: [{ name: 'tokens', value: 12345.678 }] }]))).toBe(
      'tokens 12345.7 (n=500)',
    );
    expect(formatMainMetric(info([{ name: 's', scorer: 's', metrics: [{ name: 'm', value: null }, { name: 'stderr', value: null }] }]))).toBe(
      'm - (n=500)',
    );
  });

  it('no scores → empty', () => {
    expect(formatMainMetric(info([]))).toBe('');
    expect(formatMainMetric(info([{ name: 's', scorer: 's', metrics: [] }]))).toBe('');
  });
});
