// How long the summary takes at 10,000 evals (issue 7: ≤ 300 ms per table update, rewritten only when
// a row changed). Times are printed, not asserted: unit-test machines vary. The checks are correctness.
// Each step runs once (its time includes the JIT's warm-up); SUMMARY_BENCH_RUNS=9 times each step
// over that many runs and prints best and median, as the targets were measured.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { parseMarkdown } from '../../src/experiment/markdown.js';
import { parseSummary, readSummary } from '../../src/experiment/summary.js';
import type { EvalRow } from '../../src/experiment/evaluations-columns.js';
import { updateEvaluationsTable } from '../../src/report/summary-table.js';
import { exampleSummary } from '../support/scaffold.mjs';

const WITH = exampleSummary('with-status-tables');
const WITHOUT = exampleSummary('without-status');
const N = 10_000;
const F = 'experiment_summary.md';

const tmp = mkdtempSync(join(tmpdir(), 'summary-perf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** 100 runs × 20 tasks × 5 epochs, as the monitor would write them mid-experiment. */
function evalRows(): EvalRow[] {
  return Array.from({ length: N }, (_, i) => ({
    run: `rank${i % 100}_lr1e-5`,
    task: `task_${Math.floor(i / 500)}`,
    epoch: String(Math.floor(i / 100) % 5),
    status: i % 3 === 0 ? 'COMPLETED' : 'RUNNING',
    jobId: String(4_000_000 + i),
    completed: i % 3 === 0 ? '2025-10-24 00:35:12' : '-',
    notes: i % 3 === 0 ? 'accuracy 0.873 ± 0.011 (n=500) · 4m 52s' : '',
  }));
}

const RUNS = Math.max(1, Number(process.env.SUMMARY_BENCH_RUNS) || 1);

/** Best and median of RUNS timed calls (the first call also warms the JIT). */
function time<T>(fn: () => T, runs = RUNS): { best: number; median: number; result: T } {
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    result = fn();
    times.push(performance.now() - t);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { best: sorted[0]!, median: sorted[Math.floor(runs / 2)]!, result };
}

test(`experiment_summary.md with ${N.toLocaleString('en')} evals: parse and update times`, async () => {
  const rows = evalRows();
  const report: string[] = [];
  const note = (what: string, t: { best: number; median: number }) =>
    report.push(`${what.padEnd(58)} best ${t.best.toFixed(1).padStart(6)} ms   median ${t.median.toFixed(1).padStart(6)} ms`);

  // First pass on a summary without a Status section: the whole table is added.
  const added = time(() => updateEvaluationsTable(WITHOUT, rows, F));
  note('add the Evaluations table (10,000 new rows)', added);
  const big = added.result;

  // Steady state: a poll where nothing changed must return the identical string.
  const same = time(() => updateEvaluationsTable(big, rows, F));
  expect(same.result).toBe(big);
  note('update, nothing changed (identical string returned)', same);

  // A poll where one job changed state: exactly one line differs.
  const one = rows.map((r, i) => (i === 4321 ? { ...r, status: 'FAILED', notes: 'no inspect log' } : r));
  const oneChanged = time(() => updateEvaluationsTable(big, one, F));
  const [before, after] = [big.split('\n'), oneChanged.result.split('\n')];
  expect(after).toHaveLength(before.length);
  expect(before.flatMap((line, i) => (line === after[i] ? [] : [i]))).toHaveLength(1);
  note('update, 1 row changed', oneChanged);

  // Worst case: every row changes.
  const all = rows.map((r) => ({ ...r, status: 'COMPLETED', completed: '2025-10-25 01:02:03', notes: 'done' }));
  const allChanged = time(() => updateEvaluationsTable(big, all, F));
  note('update, all 10,000 rows changed', allChanged);

  // Same table with 10 new rows appended.
  const more = [...rows, ...Array.from({ length: 10 }, (_, i) => ({ ...rows[i]!, run: `late_${i}` }))];
  note('update, 10 rows appended', time(() => updateEvaluationsTable(big, more, F)));

  const parsed = time(() => parseSummary(big, F));
  expect(parsed.result.evaluations).toHaveLength(N);
  expect(parsed.result.evaluations![4321]).toMatchObject({ run: rows[4321]!.run, jobId: rows[4321]!.jobId });
  note('parseSummary', parsed);

  const file = join(tmp, F);
  writeFileSync(file, big);
  const t = performance.now();
  const read = await readSummary(file);
  note('readSummary from disk (once, warm)', { best: performance.now() - t, median: performance.now() - t });
  expect(read.text).toBe(big);

  // The same document in the older shape (table in the middle, more text after it).
  const middle = WITH.replace(/(### Evaluations\n[^\n]*\n[^\n]*\n)[\s\S]*?\n\n/, (_, head: string) => `${head}${big.split('### Evaluations\n')[1]!.split('\n').slice(2).join('\n').trimEnd()}\n\n`);
  expect(parseSummary(middle, F).evaluations).toHaveLength(N);
  note('update, 1 row changed, table mid-file', time(() => updateEvaluationsTable(middle, one, F)));

  if (process.env.SUMMARY_BENCH_FULL) {
    // For comparison: remark parsing the whole text, big table included (what the skeleton avoids).
    note('(reference) remark + remark-gfm on the whole text', time(() => parseMarkdown(big, { elide: false })));
  }
  console.log(`\n${(big.length / 1024 / 1024).toFixed(2)} MB summary, ${N} eval rows, Node ${process.version}, ${RUNS} run(s) per step\n${report.join('\n')}\n`);
});
