// Keeps experiment_summary.md's Evaluations table true. The file is the user's: it is re-read
// just before each write (so their edits elsewhere survive), only our rows change, and an
// unchanged table means no write at all.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { evalKeys } from '../state/keys.js';
import type { EvalState, State } from '../state/schema.js';
import { parseForUpdate, updateEvaluationsTable, updateRows, type EvalRowOut, type SummaryForUpdate } from './summary-table.js';

export const SUMMARY_FILE = 'experiment_summary.md';

export function summaryPath(experimentDir: string): string {
  return join(experimentDir, SUMMARY_FILE);
}

function tableRow(ev: EvalState): EvalRowOut {
  const samples = ev.status === 'RUNNING' && ev.notes.endsWith(' samples'); // live progress goes in Status
  return {
    run: ev.run,
    task: ev.task,
    epoch: ev.epoch === null ? '-' : String(ev.epoch),
    status: samples ? `RUNNING ${ev.notes}` : ev.status,
    jobId: ev.job_id ?? '-',
    completed: ev.completed ?? '-',
    notes: samples ? '' : ev.notes,
  };
}

/** Returns true when the file was rewritten. */
export async function syncSummaryTable(experimentDir: string, state: State): Promise<boolean> {
  return writeRows(summaryPath(experimentDir), Object.values(state.evaluations));
}

async function writeRows(file: string, evals: EvalState[]): Promise<boolean> {
  const text = await readFile(file, 'utf8');
  const next = updateEvaluationsTable(text, evals.map(tableRow), file);
  if (next === text) return false;
  await writeFileAtomic(file, next);
  return true;
}

/**
 * syncSummaryTable for the poll loop. When the file is as we left it, only the rows of evals whose
 * row changed since are written, and nothing is read or parsed when none did (a running job's
 * elapsed time changes its eval every poll, not its row). When someone else wrote the file, every
 * row is checked again.
 */
export class SummaryTableSync {
  /** What the file held after our last sync: its stamp, its text parsed, the evals it shows. */
  private last: { stamp: string; summary: SummaryForUpdate; evals: Map<string, EvalState> } | null = null;

  constructor(private readonly experimentDir: string) {}

  async sync(state: State): Promise<void> {
    const file = summaryPath(this.experimentDir);
    const last = this.last?.stamp === (await stampOf(file)) ? this.last : null;
    const changed: Array<[string, EvalState]> = [];
    for (const key of evalKeys(state)) {
      const ev = state.evaluations[key]!;
      const before = last?.evals.get(key); // evals are replaced, never edited: same object, same row
      if (before !== ev && (!before || !sameRow(before, ev))) changed.push([key, ev]);
    }
    if (changed.length === 0) return;
    this.last = null; // until the write is done
    const before = last?.summary ?? parseForUpdate(await readFile(file, 'utf8'), file);
    const after = updateRows(before, changed.map(([, ev]) => tableRow(ev)));
    if (after.text !== before.text) await writeFileAtomic(file, after.text);
    const evals = last?.evals ?? new Map<string, EvalState>();
    for (const [key, ev] of changed) evals.set(key, ev);
    this.last = { stamp: await stampOf(file), summary: after, evals };
  }
}

function sameRow(a: EvalState, b: EvalState): boolean {
  const x = tableRow(a);
  const y = tableRow(b);
  return x.run === y.run && x.task === y.task && x.epoch === y.epoch && x.status === y.status && x.jobId === y.jobId && x.completed === y.completed && x.notes === y.notes;
}
async function stampOf(file: string): Promise<string> {
  const s = await stat(file);
  return `${s.size}:${s.mtimeMs}:${s.ino}`;
}
