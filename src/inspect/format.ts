// The main result of an eval in a few words, and the one rule for which metric leads.

import type { MetricValue, ScoreSummary } from './log.js';

/** Metrics that describe the spread of another metric rather than being the result. */
const SPREAD = new Set(['stderr', 'std', 'var', 'bootstrap_stderr', 'bootstrap_std']);
const STDERR = ['stderr', 'bootstrap_stderr'];

/** A scorer by name and the names of its metrics, in log order. */
export interface ScorerMetrics {
  name: string;
  metrics: readonly string[];
}

export interface MainMetricChoice {
  scorer: string;
  metric: string;
  /** The same scorer's stderr metric, if it has one. */
  stderr: string | null;
}

/**
 * The metric a result leads with, everywhere (Notes, Results, chart, report): `accuracy` of the
 * first scorer that has it; else the first scorer's first metric that is not a spread.
 */
export function chooseMain(scorers: readonly ScorerMetrics[]): MainMetricChoice | null {
  const chosen = scorers.find((s) => s.metrics.includes('accuracy')) ?? scorers[0];
  if (!chosen || chosen.metrics.length === 0) return null;
  const metric = chosen.metrics.includes('accuracy') ? 'accuracy' : (chosen.metrics.find((m) => !SPREAD.has(m)) ?? chosen.metrics[0]!);
  return { scorer: chosen.name, metric, stderr: STDERR.find((n) => chosen.metrics.includes(n)) ?? null };
}

/**
 * `accuracy 0.873 ± 0.011 (n=500)`: the main metric, ± its stderr when present, and the samples
 * scored (the scorer's own count, else `samples`); '' when there are no scores.
 */
export function formatScores(scores: readonly ScoreSummary[], samples: number | null): string {
  const main = chooseMain(scores.map((s) => ({ name: s.name, metrics: s.metrics.map((m) => m.name) })));
  if (!main) return '';
  const score = scores.find((s) => s.name === main.scorer)!;
  const value = (name: string) => score.metrics.find((m) => m.name === name)!;
  let text = `${main.metric} ${formatValue(value(main.metric))}`;
  const err = main.stderr ? value(main.stderr) : null;
  if (err && (err.value !== null || err.nonFinite)) text += ` ± ${formatValue(err)}`;
  const n = score.scoredSamples ?? samples;
  if (n !== null && n !== undefined) text += ` (n=${n})`;
  return text;
}

/** Three decimals for the usual 0–1 scores; fewer for big numbers; `NaN`, `inf`, `-` as such. */
export function formatValue(m: MetricValue): string {
  if (m.nonFinite) return m.nonFinite === 'NaN' ? 'NaN' : m.nonFinite === 'Infinity' ? 'inf' : '-inf';
  const v = m.value;
  if (v === null) return '-';
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e6)) return v.toPrecision(3);
  if (a >= 100) return v.toFixed(1);
  return v.toFixed(3);
}
