// report: rows from eval_jobs.json + All Runs, their md / csv / json forms, and the ## Results body.
// The experiment: the with-status-tables example summary (All Runs r4, r16 and the
// Llama-3.2-3B_base control, params LoRA Rank / Batch Size) and a state of 2 runs × 2 epochs + the
// control, one task with two scorers, one FAILED eval, a NaN metric and a run All Runs does not list.
import type { Table } from 'mdast';
import { describe, expect, test } from 'vitest';
import { evalKey } from '../../src/domain.js';
import { UserError } from '../../src/errors.js';
import { parseMarkdown, plainText } from '../../src/experiment/markdown.js';
import { type ExperimentSummary, parseSummary } from '../../src/experiment/summary.js';
import { type ReportFormat, type ResultRow, chooseMainMetric, formatReport, resultRows, resultsSection } from '../../src/report/results.js';
import { upsertSection } from '../../src/report/summary-table.js';
import type { EvalState, State } from '../../src/state/schema.js';
import { evalState, stateOf } from '../support/eval-state.js';
import { exampleSummary } from '../support/scaffold.mjs';

const TEXT = exampleSummary('with-status-tables');

const SUMMARY: ExperimentSummary = parseSummary(TEXT, 'with-status-tables.md');

const TASK = 'reverse_words';

/** Scores as the log reader stores them: `match` (accuracy, stderr), then `edit_distance` (mean, stderr). */
function scores(accuracy: number, stderr: number, mean: number): EvalState['scores'] {
  return [
    { name: 'match', scorer: 'match', metrics: [{ name: 'accuracy', value: accuracy }, { name: 'stderr', value: stderr }] },
    { name: 'edit_distance', scorer: 'edit_distance', metrics: [{ name: 'mean', value: mean }, { name: 'stderr', value: 0.05 }] },
  ];
}

const evaluation = (run: string, epoch: number | null, status: string, extra: Partial<EvalState> = {}) =>
  evalState(run, TASK, epoch, status, { submitted: '2025-10-20 10:40:00', completed: status === 'COMPLETED' ? '2025-10-20 10:45:00' : null, ...extra });

const done = (run: string, epoch: number | null, job: string, elapsed: string, s: EvalState['scores']) =>
  evaluation(run, epoch, 'COMPLETED', {
    job_id: job,
    elapsed,
    log_path: `${run}/eval/logs/2025-10-20T10-45-00-00-00_${TASK}_${job}.eval`,
    scores: s,
  });

const makeState = (evals: EvalState[]) => stateOf('/scratch/gpfs/LAB/ck-experiments/words_3L_rank_sweep_2025-10-20', evals);

/** Inserted in scrambled order: the rows must come out sorted anyway. */
function experimentState(): State {
  const nanMean = scores(0.6, 0.0155, 0);
  nanMean[1]!.metrics[0]!.value = Number.NaN; // what a NaN from the log looks like if it slips through
  return makeState([
    done('r16', 0, '4410031', '5m 02s', scores(0.714, 0.0143, 1.1)),
    evaluation('zz_extra', 0, 'PENDING', { job_id: '4410040' }),
    done('Llama-3.2-3B_base', null, '4410035', '4m 10s', scores(0.412, 0.0156, 2.9)),
    done('r4', 1, '4410034', '4m 58s', scores(0.8734, 0.0112, 0.4)),
    done('r4', 0, '4410033', '4m 52s', nanMean),
    evaluation('r16', 1, 'FAILED', { job_id: '4410032', elapsed: '0m 41s', notes: 'CUDA out of memory' }),
  ]);
}
const rows = () => resultRows(experimentState(), SUMMARY);

/** A row as a test needs it: only the fields that matter given. */
function row(run: string, epoch: number | null, state: string, metrics: ResultRow['metrics'] = {}, extra: Partial<ResultRow> = {}): ResultRow {
  return { key: evalKey(run, TASK, epoch), run, task: TASK, epoch, state, metrics, params: {}, samples: null, job_id: null, elapsed: null, log_path: null, reason: null, failure: null, cost: null, ...extra };
}

/** Cell texts of the first GFM table, as a markdown renderer reads them. */
function tableCells(markdown: string): string[][] {
  const table = parseMarkdown(markdown, { elide: false }).tree.children.find((n): n is Table => n.type === 'table');
  if (!table) throw new Error('no table');
  return table.children.map((r) => r.children.map((c) => plainText(c)));
}

/** A strict RFC 4180 reader: CRLF records, quoted fields with "" for a quote. */
function parseCsv(text: string): string[][] {
  expect(text.endsWith('\r\n')).toBe(true);
  const records: string[][] = [];
  const field = /("((?:[^"]|"")*)"|[^",\r\n]*)(,|\r\n)/gy;
  let record: string[] = [];
  for (let m = field.exec(text); m; m = field.exec(text)) {
    record.push(m[2] !== undefined ? m[2].replace(/""/g, '"') : m[1]!);
    if (m[3] === '\r\n') {
      records.push(record);
      record = [];
    }
    if (field.lastIndex === text.length) break;
  }
  expect(field.lastIndex).toBe(text.length); // the whole text was read
  return records;
}

describe('resultRows', () => {
  test('runs in All Runs order, then the others; epochs ascending', () => {
    expect(rows().map((r) => r.key)).toEqual([
      'r4_reverse_words_epoch0',
      'r4_reverse_words_epoch1',
      'r16_reverse_words_epoch0',
      'r16_reverse_words_epoch1',
      'Llama-3.2-3B_base_reverse_words_base',
      'zz_extra_reverse_words_epoch0',
    ]);
  });

  test('tasks alphabetically, the control eval before the epochs, unknown runs alphabetically', () => {
    const state = makeState([
      evaluation('r4', 1, 'COMPLETED'),
      evaluation('r4', 0, 'COMPLETED', { task: 'capitalization' }),
      evaluation('r4', null, 'COMPLETED'),
      evaluation('b_late', 0, 'PENDING'),
      evaluation('a_late', 0, 'PENDING'),
      evaluation('r4', 0, 'COMPLETED'),
    ]);
    expect(resultRows(state, SUMMARY).map((r) => `${r.run} ${r.task} ${r.epoch}`)).toEqual([
      'r4 capitalization 0',
      'r4 reverse_words null',
      'r4 reverse_words 0',
      'r4 reverse_words 1',
      'a_late reverse_words 0',
      'b_late reverse_words 0',
    ]);
  });

  test('every scorer and metric by "<scorer>/<metric>"; NaN becomes null; no scores, no metrics', () => {
    const [r4e0, , , failed] = rows();
    expect(r4e0!.metrics).toEqual({ 'match/accuracy': 0.6, 'match/stderr': 0.0155, 'edit_distance/mean': null, 'edit_distance/stderr': 0.05 });
    expect(failed).toMatchObject({ state: 'FAILED', metrics: {}, job_id: '4410032', elapsed: '0m 41s', log_path: null });
  });

  test("the run's All Runs columns by header; '' for a run All Runs does not list", () => {
    const all = rows();
    expect(all[0]!.params).toMatchObject({ 'LoRA Rank': '4', 'Batch Size': '8', Type: 'Fine-tuned' });
    expect(all[4]!.params).toMatchObject({ 'LoRA Rank': '-', 'Batch Size': '-', Type: 'Control' });
    expect(all[5]!.params).toEqual({ Model: '', 'LoRA Rank': '', 'Batch Size': '', Type: '', 'Est. Time': '' });
  });
});

describe('chooseMainMetric', () => {
  test('accuracy, with its stderr', () => {
    expect(chooseMainMetric(rows())).toEqual({ key: 'match/accuracy', scorer: 'match', name: 'accuracy', stderrKey: 'match/stderr' });
  });

  test('accuracy wins even from a later scorer', () => {
    const r = row('r4', 0, 'COMPLETED', { 'judge/mean': 3.5, 'judge/stderr': 0.2, 'exact/accuracy': 0.5 });
    expect(chooseMainMetric([r])).toEqual({ key: 'exact/accuracy', scorer: 'exact', name: 'accuracy', stderrKey: null });
  });

  test("without accuracy: the first scorer's first metric that is not a spread", () => {
    const r = row('r4', 0, 'COMPLETED', { 'judge/stderr': 0.2, 'judge/mean': 3.5, 'other/score': 1 });
    expect(chooseMainMetric([r])).toEqual({ key: 'judge/mean', scorer: 'judge', name: 'mean', stderrKey: 'judge/stderr' });
  });

  test('a scorer name with a slash; no metrics at all', () => {
    expect(chooseMainMetric([row('r4', 0, 'COMPLETED', { 'a/b/accuracy': 1 })])?.scorer).toBe('a/b');
    expect(chooseMainMetric([row('r4', 0, 'FAILED')])).toBeNull();
  });
});

describe('formatReport md', () => {
  test('one row per eval: params, every metric, job, elapsed, log', () => {
    const lines = formatReport(rows(), 'md').split('\n');
    expect(lines[0]).toBe(
      '| Run | Task | Epoch | State | Model | LoRA Rank | Batch Size | Type | Est. Time | match/accuracy | match/stderr | edit_distance/mean | edit_distance/stderr | Job ID | Elapsed | Log | Failure | Reason |',
    );
    expect(lines[2]).toBe(
      '| r4 | reverse_words | epoch 0 | COMPLETED | Llama-3.2-3B-Instruct | 4 | 8 | Fine-tuned | ~25min | 0.600 | 0.015 | - | 0.050 | 4410033 | 4m 52s | r4/eval/logs/2025-10-20T10-45-00-00-00_reverse_words_4410033.eval | - | - |',
    );
    expect(lines[5]).toBe('| r16 | reverse_words | epoch 1 | FAILED | Llama-3.2-3B-Instruct | 16 | 8 | Fine-tuned | ~30min | - | - | - | - | 4410032 | 0m 41s | - | out of memory | CUDA out of memory |');
    expect(lines[6]).toContain('| Llama-3.2-3B_base | reverse_words | base | COMPLETED |');
    // then the answers (the same block as the ## Results section's; see resultsSection)
    expect(lines[7]).toContain('| zz_extra | reverse_words | epoch 0 | PENDING |');
    expect(lines.slice(8, 10)).toEqual(['', 'Best on `reverse_words` (`accuracy`, higher is better): **r4** epoch 1, 0.873 ± 0.011.']);
  });

  test('a renderer reads every cell back: `|` escaped, line breaks as spaces, no HTML or emphasis', () => {
    const odd = row('a|b\nc', 0, 'COMPLETED', { 'm|x/accuracy': 0.5 }, { log_path: 'x/<b>*y*</b>&amp;\\|.eval' });
    const text = formatReport([odd], 'md');
    expect(text).toContain('| a\\|b c |');
    const [header, cells] = tableCells(text);
    expect(header).toEqual(['Run', 'Task', 'Epoch', 'State', 'm|x/accuracy', 'Job ID', 'Elapsed', 'Log', 'Failure', 'Reason']);
    expect(cells).toEqual(['a|b c', TASK, 'epoch 0', 'COMPLETED', '0.500', '-', '-', 'x/<b>*y*</b>&amp;\\|.eval', '-', '-']);
  });
});

describe('formatReport csv', () => {
  test('a header row, one column per param and per metric, CRLF records', () => {
    const text = formatReport(rows(), 'csv');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'key,run,task,epoch,state,Model,LoRA Rank,Batch Size,Type,Est. Time,match/accuracy,match/stderr,edit_distance/mean,edit_distance/stderr,job_id,elapsed,log_path,failure,reason,vs_base,vs_base_low,vs_base_high,gpu_hours,wall_seconds,walltime_used,gpu_util_mean,gpu_mem_peak_mib',
    );
    // vs base: 0.6 - 0.412 = 0.188 ± 1.96·√(0.0155² + 0.0156²) = ± 0.043102
    const [diff, low, high] = lines[1]!.split(',').slice(-8, -5).map(Number);
    expect(lines[1]!.split(',').slice(-5).join(',')).toBe(',,,,'); // no job measured
    expect(lines[1]!.split(',').slice(0, -8).join(',')).toBe(
      'r4_reverse_words_epoch0,r4,reverse_words,0,COMPLETED,Llama-3.2-3B-Instruct,4,8,Fine-tuned,~25min,0.6,0.0155,,0.05,4410033,4m 52s,r4/eval/logs/2025-10-20T10-45-00-00-00_reverse_words_4410033.eval,,',
    );
    expect(diff).toBeCloseTo(0.188, 10);
    expect(low).toBeCloseTo(0.144898, 5);
    expect(high).toBeCloseTo(0.231102, 5);
    expect(lines[4]).toBe('r16_reverse_words_epoch1,r16,reverse_words,1,FAILED,Llama-3.2-3B-Instruct,16,8,Fine-tuned,~30min,,,,,4410032,0m 41s,,out of memory,CUDA out of memory,,,,,,,,');
    expect(lines[5]).toMatch(/^Llama-3.2-3B_base_reverse_words_base,Llama-3.2-3B_base,reverse_words,,COMPLETED,Llama-3.2-3B-Instruct,-,-,Control,.*,,,,,,,,$/);
    expect(parseCsv(text).every((r) => r.length === 27)).toBe(true);
  });

  test('RFC 4180 quoting of commas, quotes and line breaks', () => {
    const odd = row('r4 "big", v2\nretry', 0, 'COMPLETED', { 'match/accuracy': 0.5 }, { params: { 'Note, free': 'a\r\nb' } });
    const text = formatReport([odd], 'csv');
    expect(text).toContain(',"r4 ""big"", v2\nretry",');
    expect(text).toContain(',"a\r\nb",');
    const [header, cells] = parseCsv(text);
    expect(header![5]).toBe('Note, free');
    expect(cells!.slice(1, 2)).toEqual(['r4 "big", v2\nretry']);
  });

  test('no formulas: = + - @ tab get a leading quote; numbers and the "-" placeholder stay', () => {
    const params = { a: '=HYPERLINK("http://x","y")', b: '+cmd', c: '-2+3', d: '@SUM(A1)', e: '\tx', f: '-', g: '-1e-5', h: '1e-5' };
    const odd = row('=run', 0, 'COMPLETED', { 'match/accuracy': -0.25 }, { params });
    const [, cells] = parseCsv(formatReport([odd], 'csv'));
    expect(cells!.slice(1, 2)).toEqual(["'=run"]);
    expect(cells!.slice(5, 14)).toEqual([`'=HYPERLINK("http://x","y")`, "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", '-', '-1e-5', '1e-5', '-0.25']);
  });
});

describe('formatReport: what it cost', () => {
  // 1 GPU for 1710 s of a 1800 s walltime (95%): 0.475 GPU-hours; nvidia-smi 71.5% on average, 20480 MiB at peak
  const measured = row('r4', 0, 'COMPLETED', { 'match/accuracy': 0.6 }, {
    cost: { jobs: 1, wallSeconds: 1710, gpuHours: 0.475, walltimeUsed: 0.95, walltimeFlag: 'over 90%', gpu: { util_mean: 71.5, mem_peak_mib: 20480, samples: 57 } },
  });
  const unmeasured = row('r4', 1, 'FAILED');
  const totals = { jobs: 2, wallSeconds: 1800, gpuHours: 0.5, failedJobs: 1, failedWallSeconds: 90, failedGpuHours: 0.025, unmeasured: 0, under: 0, over: 1 };

  test('md: GPU-hours, walltime used, GPU utilisation and peak memory per eval once a job was measured; the totals last', () => {
    const text = formatReport([measured, unmeasured], 'md', totals);
    const [header, first, second] = tableCells(text);
    expect(header!.slice(5, 11)).toEqual(['Job ID', 'Elapsed', 'GPU-hours', 'Walltime used', 'GPU util', 'Peak GPU mem']);
    expect(first!.slice(7, 11)).toEqual(['0.47', '95% (over 90%)', '71.5%', '20.0 GiB']);
    expect(second!.slice(7, 11)).toEqual(['-', '-', '-', '-']);
    expect(text.trimEnd().split('\n').at(-1)).toBe("Cost: 0.50 GPU-hours, 30m 0s of jobs' wall time in 2 jobs; not successful: 0.03 GPU-hours (5%), 1m 30s in 1 job; walltime used: 1 eval over 90%");
    expect(tableCells(formatReport([unmeasured], 'md'))[0]).not.toContain('GPU-hours');
  });

  test('csv and json carry the figures unrounded', () => {
    const [, cells] = parseCsv(formatReport([measured], 'csv', totals));
    expect(cells!.slice(-5)).toEqual(['0.475', '1710', '0.95', '71.5', '20480']);
    const json = JSON.parse(formatReport([measured], 'json', totals));
    expect(json.cost).toEqual(totals);
    expect(json.rows[0].cost).toMatchObject({ gpuHours: 0.475, walltimeFlag: 'over 90%' });
  });
});

describe('formatReport json', () => {
  test('{rows, main_metric, answers} pretty-printed, rows read back equal; NaN is null', () => {
    const all = rows();
    const text = formatReport(all, 'json');
    expect(text.startsWith('{\n  "rows": [\n    {\n      "key": "r4_reverse_words_epoch0",')).toBe(true);
    const json = JSON.parse(text);
    expect(json.rows).toEqual(all);
    expect(json.main_metric).toEqual({ key: 'match/accuracy', scorer: 'match', name: 'accuracy', stderrKey: 'match/stderr' });
    expect(json.answers).toHaveLength(1);
    expect(json.answers[0]).toMatchObject({ task: 'reverse_words', base: { run: 'Llama-3.2-3B_base', value: 0.412 }, best: { run: 'r4', epoch: 1, value: 0.8734 } });
    expect(json.answers[0].best_per_run.map((e: { run: string }) => e.run)).toEqual(['r4', 'r16']);
    expect(json.answers[0].vs_base.r16_reverse_words_epoch0).toMatchObject({ includesZero: false, nDiffers: false });
    expect(JSON.parse(text).rows[0].metrics['edit_distance/mean']).toBeNull();
  });

  test('an unknown format from the command line is a UserError', () => {
    expect(() => formatReport([], 'xlsx' as ReportFormat)).toThrow(UserError);
  });
});

describe('resultsSection', () => {
  const AT = '2025-10-20 11:02:13';

  test('runs × epochs with the main metric, states for the rest, the chart link', () => {
    expect(resultsSection(rows(), AT, 'results-accuracy.svg')).toBe(
      [
        'Main metric: `accuracy` ± `stderr` (scorer `match`) on `reverse_words`. Evals that did not complete show their state; — means not run. Generated 2025-10-20 11:02:13 by run-inspect.',
        '',
        '| Run | base | epoch 0 | epoch 1 |',
        '|---|---|---|---|',
        '| r4 | — | 0.600 ± 0.015 | 0.873 ± 0.011 |',
        '| r16 | — | 0.714 ± 0.014 | FAILED |',
        '| Llama-3.2-3B_base | 0.412 ± 0.016 | — | — |',
        '| zz_extra | — | PENDING | — |',
        '',
        'Best on `reverse_words` (`accuracy`, higher is better): **r4** epoch 1, 0.873 ± 0.011.',
        '',
        // 0.8734 - 0.412 = 0.4614 ± 1.96·√(0.0112² + 0.0156²) = ± 0.03764; 0.714 - 0.412 = 0.302 ± 0.04148
        '| Run | Best epoch | accuracy | vs base (0.412 ± 0.016) | 95% interval |',
        '|---|---|---|---|---|',
        '| r4 | epoch 1 | 0.873 ± 0.011 | +0.461 | +0.424 to +0.499 |',
        '| r16 | epoch 0 | 0.714 ± 0.014 | +0.302 | +0.261 to +0.343 |',
        '',
        '![accuracy by epoch](results-accuracy.svg)',
        '',
      ].join('\n'),
    );
  });

  test('deterministic; only the timestamp changes with the time', () => {
    const a = resultsSection(rows(), AT, 'results-accuracy.svg');
    expect(resultsSection(rows(), AT, 'results-accuracy.svg')).toBe(a);
    expect(resultsSection(rows(), '2025-10-21 08:00:00', 'results-accuracy.svg')).toBe(a.replace(AT, '2025-10-21 08:00:00'));
  });

  test('no chart file, no link; an odd file name stays one link target', () => {
    expect(resultsSection(rows(), AT, null)).not.toContain('![');
    expect(resultsSection(rows(), AT, 'my results (v2).svg')).toContain('![accuracy by epoch](my%20results%20%28v2%29.svg)');
  });

  test('two tasks: one column per task and epoch; completed without a value reads n/a', () => {
    const input = [
      row('r4', 0, 'COMPLETED', { 'match/accuracy': 0.5 }),
      row('r4', 0, 'COMPLETED', { 'match/accuracy': null }, { task: 'capitalization' }),
      row('base', null, 'SKIPPED', {}, { task: 'capitalization' }),
    ];
    const cells = tableCells(resultsSection(input, AT, null));
    expect(cells).toEqual([
      ['Run', 'capitalization base', 'capitalization epoch 0', 'reverse_words epoch 0'],
      ['r4', '—', 'n/a', '0.500'],
      ['base', 'SKIPPED', '—', '—'],
    ]);
  });

  test('names are escaped: the table keeps its columns', () => {
    const cells = tableCells(resultsSection([row('a|b <i>x</i>', 0, 'RUNNING')], AT, 'c.svg'));
    expect(cells[1]).toEqual(['a|b <i>x</i>', 'RUNNING']);
  });

  test('no scores yet: the states, and no chart link', () => {
    const text = resultsSection([row('r4', 0, 'PENDING'), row('r4', 1, 'RUNNING')], AT, 'c.svg');
    expect(text).toContain('No eval has reported scores yet');
    expect(text).toContain('| r4 | PENDING | RUNNING |');
    expect(text).not.toContain('![');
    expect(resultsSection([], AT, 'c.svg')).toBe(`No evaluations yet (generated ${AT}).\n`);
  });

  test('upsertSection takes it as the body of ## Results, and a second pass changes nothing', () => {
    const summary = TEXT;
    const once = upsertSection(summary, 'Results', resultsSection(rows(), AT, 'results-accuracy.svg'));
    expect(once.startsWith(summary.trimEnd())).toBe(true);
    expect(once).toContain('\n## Results\n\nMain metric: `accuracy`');
    expect(parseSummary(once, 'x.md').runs).toEqual(SUMMARY.runs);
    expect(upsertSection(once, 'Results', resultsSection(rows(), AT, 'results-accuracy.svg'))).toBe(once);
  });
});
