// The final summary: what ended how, where the results are, how to look at them.
import { relative } from 'node:path';
import { evalLabel } from '../domain.js';
import type { ExperimentLayout } from '../experiment/layout.js';
import { evalKeys } from '../state/keys.js';
import type { EvalState, State } from '../state/schema.js';
import { costLine, costTotals, evalCost } from './cost.js';
import { resultText } from './eval-text.js';
import { EVAL_STATUSES, type Outcome } from '../status.js';

const outcomeOf = (e: EvalState): Outcome => EVAL_STATUSES[e.status].outcome;

export function countByStatus(state: State): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of evalKeys(state)) {
    const status = state.evaluations[key]!.status;
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

/** `8 COMPLETED, 1 FAILED` in a stable order. */
export function countsLine(state: State): string {
  return formatCounts(countByStatus(state));
}

export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${n} ${s}`).join(', ');
}

export function allSucceeded(state: State): boolean {
  return Object.values(state.evaluations).every((e) => outcomeOf(e) === 'succeeded');
}

/** `results`: the Results table (resultsSection), shown between the states and the file list. */
export function finalSummary(state: State, layout: Pick<ExperimentLayout, 'dir' | 'generation' | 'runLog'>, results = ''): string {
  const evals = Object.values(state.evaluations);
  const ok = evals.filter((e) => outcomeOf(e) === 'succeeded');
  const skipped = evals.filter((e) => outcomeOf(e) === 'skipped');
  const failed = evals.filter((e) => outcomeOf(e) !== 'succeeded' && outcomeOf(e) !== 'skipped');
  // Each cell has its own logs/ (cells layout); a run's evals share {run}/eval/logs (seed era).
  const logsDir = layout.generation === 'cells' ? '<run>/eval/<cell>/logs' : '<run>/eval/logs';
  const line = (e: EvalState) => ['  - ' + evalLabel(e) + (e.job_id ? ` (Job ${e.job_id})` : ''), e.elapsed, resultText(e)].filter(Boolean).join(' - ');
  const out = [
    '## Run Inspect Complete',
    '',
    `All ${evals.length} evaluations have finished.`,
    '',
    '### Final Status',
    '',
    `✓ COMPLETED: ${ok.length} evaluations`,
    ...ok.map(line),
    '',
    `✗ NOT SUCCESSFUL: ${failed.length} evaluations`,
    ...failed.map((e) => line(e).replace('  - ', `  - [${e.status}] `)),
    '',
    `⊘ SKIPPED: ${skipped.length} evaluations`,
    ...skipped.map((e) => (e.status === 'SKIPPED' ? line(e) : line(e).replace('  - ', `  - [${e.status}] `))),
    '',
    ...(results ? ['### Results', '', results.trimEnd(), ''] : []),
    ...costSection(evals),
    '### Where the results are',
    '',
    'Evaluation logs:',
    ...evals.filter((e) => e.log_path).map((e) => `- \`${e.log_path}\``),
    '',
    'SLURM output:',
    ...evals.filter((e) => e.slurm_output).map((e) => `- \`${e.slurm_output}\``),
    '',
    '### Viewing Results',
    '',
    '```bash',
    `cd ${layout.dir}`,
    `inspect view --log-dir ${logsDir} --port 7575`,
    `inspect log list ${logsDir}`,
    '```',
    '',
    `See ${relative(layout.dir, layout.runLog)} for the full history and experiment_summary.md for the table.`,
  ];
  return `${out.join('\n')}\n`;
}

/** The sweep's cost and the evals whose walltime did not fit; nothing when no job was measured. */
function costSection(evals: EvalState[]): string[] {
  const line = costLine(costTotals(evals));
  if (!line) return [];
  const fit = evals.flatMap((e) => {
    const c = evalCost(e);
    if (!c?.walltimeFlag) return [];
    const hint = c.walltimeFlag === 'over 90%' ? 'close to a TIMEOUT: give --time more room' : '--time could be much shorter';
    return [`  - ${evalLabel(e)}: used ${Math.round(c.walltimeUsed! * 100)}% of its walltime (${hint})`];
  });
  return ['### Cost', '', line, ...fit, ''];
}
