// `report`: the results of an experiment as text (md, csv, json), and on request in
// experiment_summary.md's `## Results` with a chart.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { readDesign, type Design } from '../experiment/design.js';
import { readSummary } from '../experiment/summary.js';
import type { Monitor } from '../monitor/context.js';
import { formatTimestamp } from '../slurm/time.js';
import { writeOwnFile } from '../state/own-file.js';
import type { State } from '../state/schema.js';
import { readState, requireState } from '../state/store.js';
import { metricChart } from './chart.js';
import { costTotals } from './cost.js';
import { chooseMainMetric, formatReport, resultRows, resultsSection, type ReportFormat, type ResultRow } from './results.js';
import { ensureGeneratedSummary } from './summary-file.js';
import { upsertSection } from './summary-table.js';

export interface ExperimentReport {
  text: string;
  rows: ResultRow[];
  design: Design;
  state: State;
}

/** `report`: one row per eval with its metrics and the run's parameters, then the answers and the cost. */
export async function experimentReport(m: Monitor, format: ReportFormat): Promise<ExperimentReport> {
  const design = await readDesign(m.layout.design);
  const state = requireState(await readState(m.layout.state), m.store.file);
  const rows = resultRows(state, design);
  return { text: formatReport(rows, format, costTotals(Object.values(state.evaluations))), rows, design, state };
}

/**
 * `report --write`: the `## Results` section of experiment_summary.md, and the chart of the main
 * metric beside it. The rest of the file is the user's and stays as it is.
 */
export async function writeResultsSection(m: Monitor, { rows, design, state }: ExperimentReport): Promise<void> {
  const file = m.layout.summary;
  const chart = metricChart(rows);
  const metric = chooseMainMetric(rows);
  const chartFile = chart && metric ? `results-${metric.name.replace(/[^A-Za-z0-9._-]/g, '_')}.svg` : null;
  if (chart && chartFile) await writeOwnFile(join(m.layout.chartDir, chartFile), chart);
  // Re-read just before writing: the user may have edited the summary meanwhile. A generated page
  // (cells layout) is no design: it is read as text, and made first if no run has made it yet.
  if (m.layout.summaryGenerated) await ensureGeneratedSummary(file, design, state);
  const current = m.layout.summaryGenerated ? await readFile(file, 'utf8') : (await readSummary(file)).text;
  const next = upsertSection(current, 'Results', resultsSection(rows, formatTimestamp(m.clock.now()), chartFile));
  if (next !== current) await writeFileAtomic(file, next);
  await m.runlog.write('REPORT', 'Wrote the Results section', [['Details', file], ['Result', chartFile ? `chart ${chartFile}` : 'no chart (no metric to plot)']]);
}
