// The results of an experiment: one row per eval for `report` (md, csv, json), and the body of the
// `## Results` section of experiment_summary.md (runs × task/epoch, main metric).

import { sanitizeCell } from '../experiment/markdown.js';
import type { DesignRun } from '../experiment/design.js';
import { UserError } from '../errors.js';
import { chooseMain, formatValue } from '../inspect/format.js';
import { classifyFailure, type FailureClass } from '../failure.js';
import type { EvalState, State } from '../state/schema.js';
import { answers, type Estimate, type TaskAnswer, type VsBase } from './compare.js';
import { costLine, evalCost, type CostTotals, type EvalCost } from './cost.js';

export interface ResultRow {
  key: string;
  run: string;
  task: string;
  /** null for a control (base-model) eval. */
  epoch: number | null;
  /** The eval's status: COMPLETED, FAILED, RUNNING, ... */
  state: string;
  /** `<scorer>/<metric>` → value, every scorer and metric in log order; null when missing or not finite. */
  metrics: Record<string, number | null>;
  /** Every All Runs column but Run Name, by header; '' when the run is not in All Runs. */
  params: Record<string, string>;
  /** Samples scored (the finished log's count). */
  samples: number | null;
  job_id: string | null;
  elapsed: string | null;
  log_path: string | null;
  /** Why an eval did not complete (its Notes: inspect's error, the output's last error line, ...); null when it did. */
  reason: string | null;
  /** The class of a failure (monitor/failure.ts); null when the eval did not fail. */
  failure: FailureClass | null;
  /** What its jobs used (report/cost.ts); null when none was measured. */
  cost: EvalCost | null;
}

export type ReportFormat = 'md' | 'csv' | 'json';

/** The metric a report leads with, e.g. `match/accuracy` with its `match/stderr`. */
export interface MainMetric {
  key: string;
  scorer: string;
  name: string;
  /** Key of the same scorer's stderr, when any row has one. */
  stderrKey: string | null;
}

const COMPLETED = 'COMPLETED';

// ---------------------------------------------------------------------------------------------
// Rows

/** One row per eval: runs in All Runs order, then others alphabetically; tasks; epochs (base first). */
export function resultRows(state: State, summary: { runs: ReadonlyArray<Pick<DesignRun, 'name' | 'params'>> }): ResultRow[] {
  const headers = [...new Set(summary.runs.flatMap((r) => Object.keys(r.params)))];
  const runs = new Map(summary.runs.map((r) => [r.name, r]));
  const rows = Object.entries(state.evaluations).map(([key, ev]): ResultRow => ({
    key,
    run: ev.run,
    task: ev.task,
    epoch: ev.epoch,
    state: ev.status,
    metrics: metricsOf(ev),
    params: Object.fromEntries(headers.map((h) => [h, runs.get(ev.run)?.params[h] ?? ''])),
    samples: ev.samples?.done ?? null,
    job_id: ev.job_id,
    elapsed: ev.elapsed,
    log_path: ev.log_path,
    reason: ev.status === COMPLETED || ev.notes === '' ? null : ev.notes,
    failure: classifyFailure(ev.status, ev.notes),
    cost: evalCost(ev),
  }));
  const rank = new Map(summary.runs.map((r, i) => [r.name, i]));
  const runRank = (run: string) => rank.get(run) ?? summary.runs.length;
  return rows.sort(
    (a, b) =>
      runRank(a.run) - runRank(b.run) ||
      compareText(a.run, b.run) ||
      compareText(a.task, b.task) ||
      (a.epoch ?? -1) - (b.epoch ?? -1) ||
      compareText(a.key, b.key),
  );
}

function metricsOf(ev: EvalState): Record<string, number | null> {
  const metrics: Record<string, number | null> = {};
  for (const score of ev.scores) {
    for (const m of score.metrics) metrics[`${score.name}/${m.name}`] = finite(m.value);
  }
  return metrics;
}

const finite = (v: number | null): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Code-unit order: the same on every machine, whatever its locale. */
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Metric keys over all rows, first seen first. */
function metricKeys(rows: ResultRow[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
}

function splitKey(key: string): [scorer: string, metric: string] {
  const slash = key.lastIndexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

/** The metric a report leads with (inspect/format.ts's rule), over the metrics any row has. */
export function chooseMainMetric(rows: ResultRow[]): MainMetric | null {
  const scorers = new Map<string, string[]>();
  for (const key of metricKeys(rows)) {
    const [scorer, metric] = splitKey(key);
    scorers.set(scorer, [...(scorers.get(scorer) ?? []), metric]);
  }
  const main = chooseMain([...scorers].map(([name, metrics]) => ({ name, metrics })));
  if (!main) return null;
  return { key: `${main.scorer}/${main.metric}`, scorer: main.scorer, name: main.metric, stderrKey: main.stderr ? `${main.scorer}/${main.stderr}` : null };
}

// ---------------------------------------------------------------------------------------------
// report --format md | csv | json

/** `cost`: the sweep's totals (costTotals), closing the md report and in the json. */
export function formatReport(rows: ResultRow[], format: ReportFormat, cost: CostTotals | null = null): string {
  const main = chooseMainMetric(rows);
  const found = main ? answers(rows, main) : [];
  switch (format) {
    case 'md': {
      const line = cost && costLine(cost);
      return `${markdownReport(rows)}${main && found.length ? `\n${answersMarkdown(found, main)}` : ''}${line ? `\n${line}\n` : ''}`;
    }
    case 'csv':
      return csvReport(rows, found);
    case 'json':
      return `${JSON.stringify({ rows, main_metric: main, answers: found.map(answerJson), cost }, null, 2)}\n`;
    default: // the CLI passes what the user typed
      throw new UserError(`unknown report format ${JSON.stringify(format)} (use md, csv or json)`);
  }
}

/** The report's columns: fixed ones around one per param and one per metric (union over rows). */
function columns(rows: ResultRow[]): { params: string[]; metrics: string[] } {
  return { params: [...new Set(rows.flatMap((r) => Object.keys(r.params)))], metrics: metricKeys(rows) };
}

/** The cost columns appear once a job was measured. */
function markdownReport(rows: ResultRow[]): string {
  const { params, metrics } = columns(rows);
  const costs = rows.some((r) => r.cost);
  const header = ['Run', 'Task', 'Epoch', 'State', ...params, ...metrics, 'Job ID', 'Elapsed', ...(costs ? COST_HEADER : []), 'Log', 'Failure', 'Reason'];
  const body = rows.map((r) => [
    r.run,
    r.task,
    epochLabel(r.epoch),
    r.state,
    ...params.map((p) => r.params[p] ?? ''),
    ...metrics.map((m) => formatNumber(r.metrics[m] ?? null)),
    r.job_id ?? '',
    r.elapsed ?? '',
    ...(costs ? costCells(r.cost) : []),
    r.log_path ?? '',
    r.failure ?? '',
    r.reason ?? '',
  ]);
  return `${markdownTable(header, body)}\n`;
}

const COST_HEADER = ['GPU-hours', 'Walltime used', 'GPU util', 'Peak GPU mem'];

function costCells(c: EvalCost | null): string[] {
  if (!c) return ['', '', '', ''];
  const used = c.walltimeUsed === null ? '' : `${Math.round(c.walltimeUsed * 100)}%${c.walltimeFlag ? ` (${c.walltimeFlag})` : ''}`;
  return [c.gpuHours.toFixed(2), used, c.gpu?.util_mean != null ? `${c.gpu.util_mean}%` : '', c.gpu?.mem_peak_mib != null ? `${(c.gpu.mem_peak_mib / 1024).toFixed(1)} GiB` : ''];
}

/** `vs_base*`: the main metric's difference from the task's base model and its 95% interval. */
function csvReport(rows: ResultRow[], found: TaskAnswer[]): string {
  const { params, metrics } = columns(rows);
  const header = [
    'key', 'run', 'task', 'epoch', 'state', ...params, ...metrics, 'job_id', 'elapsed', 'log_path', 'failure', 'reason', 'vs_base', 'vs_base_low', 'vs_base_high',
    'gpu_hours', 'wall_seconds', 'walltime_used', 'gpu_util_mean', 'gpu_mem_peak_mib',
  ];
  const vs = new Map(found.flatMap((a) => [...a.vsBase]));
  const body = rows.map((r) => [
    r.key,
    r.run,
    r.task,
    r.epoch,
    r.state,
    ...params.map((p) => r.params[p] ?? ''),
    ...metrics.map((m) => r.metrics[m] ?? null),
    r.job_id,
    r.elapsed,
    r.log_path,
    r.failure,
    r.reason,
    vs.get(r.key)?.diff ?? null,
    vs.get(r.key)?.low ?? null,
    vs.get(r.key)?.high ?? null,
    r.cost?.gpuHours ?? null,
    r.cost?.wallSeconds ?? null,
    r.cost?.walltimeUsed ?? null,
    r.cost?.gpu?.util_mean ?? null,
    r.cost?.gpu?.mem_peak_mib ?? null,
  ]);
  // RFC 4180: CRLF between records, including after the last one.
  return [header, ...body].map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/**
 * RFC 4180 quoting, and no formulas: a spreadsheet runs text starting with = + - @ (or tab, CR),
 * so such text gets a leading `'`. Numbers, and the lone `-` placeholder of control runs, are safe.
 */
function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !NUMBER.test(text) && text !== '-') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// ---------------------------------------------------------------------------------------------
// The answers: best epochs, best run, against the base model

/**
 * Per task: the best eval, then each run's best epoch against the base model with the 95% interval
 * of the difference, saying when it includes 0 and when the sample counts differ.
 */
export function answersMarkdown(found: TaskAnswer[], main: MainMetric): string {
  const out: string[] = [];
  const value = (e: Estimate) => (e.stderr === null ? formatNumber(e.value) : `${formatNumber(e.value)} ± ${formatNumber(e.stderr)}`);
  for (const a of found) {
    if (!a.best) continue;
    out.push(`Best on ${codeSpan(a.task)} (${codeSpan(main.name)}, higher is better): **${markdownText(a.best.run)}** ${epochLabel(a.best.epoch)}, ${value(a.best)}.`, '');
    const vsHeader = a.base ? [`vs base (${value(a.base)})`, '95% interval'] : [];
    const body = a.bestPerRun.map((e) => {
      const vs = a.vsBase.get(e.key) ?? null;
      return [e.run, epochLabel(e.epoch), value(e), ...(a.base ? [vs ? signed(vs.diff) : '', vs ? interval(vs) : ''] : [])];
    });
    out.push(markdownTable(['Run', 'Best epoch', main.name, ...vsHeader], body), '');
  }
  return `${out.join('\n')}`;
}

const signed = (v: number) => (v >= 0 ? `+${formatNumber(v)}` : formatNumber(v));

function interval(v: VsBase): string {
  if (v.low === null || v.high === null) return 'no stderr';
  const text = `${signed(v.low)} to ${signed(v.high)}`;
  const notes = [v.includesZero ? 'includes 0: no difference shown' : '', v.nDiffers ? 'n differs' : ''].filter(Boolean);
  return notes.length ? `${text} (${notes.join('; ')})` : text;
}

function answerJson(a: TaskAnswer) {
  return { task: a.task, base: a.base, best: a.best, best_per_run: a.bestPerRun, vs_base: Object.fromEntries(a.vsBase) };
}

// ---------------------------------------------------------------------------------------------
// The `## Results` section

/**
 * Runs × (task, epoch) with the main metric; a line naming it and when this was generated; the
 * chart's link when there is one. The same input gives the same text.
 */
export function resultsSection(rows: ResultRow[], generatedAt: string, chartFile: string | null): string {
  if (rows.length === 0) return `No evaluations yet (generated ${generatedAt}).\n`;
  const main = chooseMainMetric(rows);
  const columns = uniqueColumns(rows);
  const tasks = [...new Set(columns.map((c) => c.task))];
  const lines = [metricLine(main, tasks, generatedAt), '', resultsTable(rows, columns, main)];
  const found = main ? answers(rows, main) : [];
  if (main && found.some((a) => a.best)) lines.push('', answersMarkdown(found, main).trimEnd());
  if (main && chartFile) lines.push('', `![${markdownText(`${main.name} by epoch`)}](${linkTarget(chartFile)})`);
  return `${lines.join('\n')}\n`;
}

function metricLine(main: MainMetric | null, tasks: string[], generatedAt: string): string {
  const generated = `Generated ${generatedAt} by run-inspect.`;
  if (!main) return `No eval has reported scores yet; the table shows each eval's state. ${generated}`;
  const spread = main.stderrKey ? ` ± ${codeSpan(splitKey(main.stderrKey)[1])}` : '';
  const task = tasks.length === 1 ? ` on ${codeSpan(tasks[0]!)}` : ''; // with more tasks, the columns name them
  return `Main metric: ${codeSpan(main.name)}${spread} (scorer ${codeSpan(main.scorer)})${task}. Evals that did not complete show their state; — means not run. ${generated}`;
}

interface Column {
  task: string;
  epoch: number | null;
}

function resultsTable(rows: ResultRow[], cols: Column[], main: MainMetric | null): string {
  const runs = [...new Set(rows.map((r) => r.run))]; // rows come in run order
  const byCell = new Map(rows.map((r) => [cellKey(r.run, r), r]));
  const oneTask = new Set(cols.map((c) => c.task)).size === 1;
  const header = ['Run', ...cols.map((c) => (oneTask ? epochLabel(c.epoch) : `${c.task} ${epochLabel(c.epoch)}`))];
  const body = runs.map((run) => [run, ...cols.map((c) => mainCell(byCell.get(cellKey(run, c)), main))]);
  return markdownTable(header, body);
}

/** (task, epoch) pairs: tasks alphabetically, base first, then epochs ascending. */
function uniqueColumns(rows: ResultRow[]): Column[] {
  const seen = new Map(rows.map((r) => [`${r.task}\u0000${r.epoch}`, { task: r.task, epoch: r.epoch }]));
  return [...seen.values()].sort((a, b) => compareText(a.task, b.task) || (a.epoch ?? -1) - (b.epoch ?? -1));
}

const cellKey = (run: string, c: Column) => `${run}\u0000${c.task}\u0000${c.epoch}`;

/** `0.873 ± 0.011`; the state for an eval that did not complete; `—` when there is no such eval. */
function mainCell(row: ResultRow | undefined, main: MainMetric | null): string {
  if (!row) return '—';
  if (row.state !== COMPLETED) return row.state;
  const value = main ? (row.metrics[main.key] ?? null) : null;
  if (value === null) return 'n/a';
  const err = main?.stderrKey ? (row.metrics[main.stderrKey] ?? null) : null;
  return err === null ? formatNumber(value) : `${formatNumber(value)} ± ${formatNumber(err)}`;
}

// ---------------------------------------------------------------------------------------------
// Markdown text

const epochLabel = (epoch: number | null) => (epoch === null ? 'base' : `epoch ${epoch}`);

/** '' for null, else as the Notes column shows it (0.873). */
const formatNumber = (value: number | null) => (value === null ? '' : formatValue({ name: '', value }));

/** A GFM table; empty cells read `-`. */
function markdownTable(header: string[], body: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => markdownText(c) || '-').join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...body.map(line)].join('\n');
}

/**
 * One line of inline text shown as written: line breaks become spaces, `|` cannot end a cell, and
 * `<`, `&`, `*`, `` ` ``, `[`, `]` cannot start HTML, entities, emphasis, code or links.
 */
function markdownText(text: string): string {
  return sanitizeCell(text).replace(/[\\|<&*`[\]]/g, '\\$&');
}

/** A code span that holds any text: the fence is longer than any backtick run inside. */
function codeSpan(text: string): string {
  const flat = sanitizeCell(text);
  const fence = '`'.repeat(Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A relative link target: spaces and parentheses percent-encoded so the link stays one token. */
function linkTarget(file: string): string {
  return encodeURI(file).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
