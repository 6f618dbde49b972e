// The Status → Evaluations table's columns, in one place: the reader (experiment/summary.ts), the
// writer (report/summary-table.ts) and the row made from an eval (report/summary-file.ts) all go by
// this list. Adding a column is one entry here; the compiler then asks for its value in tableRow.
import { canonicalKey } from './markdown.js';

interface Column {
  /** As a new table is written; an existing table's header matches it by canonicalKey. */
  header: string;
  field: string;
  /** Run Name + Task + Epoch name the eval a row is about. */
  identity: boolean;
  /** run-inspect writes the cell; the others are the user's. */
  owned: boolean;
}

export const EVALUATIONS_COLUMNS = [
  { header: 'Run Name', field: 'run', identity: true, owned: false },
  { header: 'Task', field: 'task', identity: true, owned: false },
  { header: 'Epoch', field: 'epoch', identity: true, owned: false },
  { header: 'Status', field: 'status', identity: false, owned: true },
  { header: 'Job ID', field: 'jobId', identity: false, owned: true },
  { header: 'Completed', field: 'completed', identity: false, owned: true },
  // Owned, but an empty value keeps the note the user wrote there.
  { header: 'Notes', field: 'notes', identity: false, owned: true },
] as const satisfies readonly Column[];

export type EvaluationsColumn = (typeof EVALUATIONS_COLUMNS)[number];

/**
 * One row, cell texts by field ('' when the table lacks the column). epoch is "0", "1", ... or "-"
 * for a control run ("", "-" and "base" match each other); jobId and completed are "-" when none.
 */
export type EvalRow = Record<EvaluationsColumn['field'], string>;

/** The key a table's header is matched by (`Job ID`, `job id` and `JobID` are one). */
export const columnKey = (c: EvaluationsColumn): string => canonicalKey(c.header);

/** A row made cell by cell, in the columns' order. */
export function evalRow(cell: (c: EvaluationsColumn) => string): EvalRow {
  return Object.fromEntries(EVALUATIONS_COLUMNS.map((c) => [c.field, cell(c)])) as EvalRow;
}
