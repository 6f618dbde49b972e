// Reading experiment_summary.md: title, All Runs, Evaluation Matrix, output paths and the Status
// tables. Tables are matched by header name (case, spacing and punctuation ignored), never by
// position. Anything we cannot trust is a UserError: one line, starting with the file's path.

import { open } from 'node:fs/promises';
import type { Nodes, Paragraph } from 'mdast';
import { UserError } from '../errors.js';
import { columnKey, EVALUATIONS_COLUMNS, evalRow, type EvalRow } from './evaluations-columns.js';
import {
  type FoundTable,
  type Heading,
  type MarkdownDoc,
  type RowSpan,
  type Section,
  canonicalKey,
  cellOf,
  cellValue,
  findSections,
  lineAt,
  parseMarkdown,
  plainText,
  quote,
  requireColumns,
  sectionTable,
  summaryError,
} from './markdown.js';

export interface RunInfo {
  name: string;
  /** From a "Type" column ("Fine-tuned", "Control", ...); null when the table has none. */
  type: string | null;
  /** Every column but Run Name (Type included), keyed by its header text as written ("LoRA Rank": "8"). */
  params: Record<string, string>;
}

export interface FinetuneJob {
  run: string;
  jobId: string | null;
  status: string | null;
}


export interface ExperimentSummary {
  /** "# Experiment: X" → "X"; "# X" → "X". */
  title: string;
  runs: RunInfo[];
  /** Evaluation Matrix rows: task columns by header (Notes excluded); null when there is none. */
  matrix: { run: string; cells: Record<string, string> }[] | null;
  checkpointDir: string | null;
  namingPattern: string | null;
  finetuneJobs: FinetuneJob[];
  /** Status → Evaluations rows; null when the file has no such table. */
  evaluations: EvalRow[] | null;
}

/** Largest summary we read. A 10,000-eval summary is ~1.2 MB; beyond this it is not a summary. */
export const MAX_SUMMARY_BYTES = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Errors

function tooLarge(file: string, size: number): UserError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return summaryError(file, `file is too large (${mb(size)}; an experiment summary may be at most ${mb(MAX_SUMMARY_BYTES)})`);
}

/**
 * Refuse texts we cannot handle safely: too large to parse in time (UTF-16 length ≤ UTF-8 byte
 * length, so checking the string is enough), or with a lone CR, which markdown takes as a line
 * break but our line-based editing would not.
 */
export function checkSummaryText(text: string, file: string): void {
  if (text.length > MAX_SUMMARY_BYTES) throw tooLarge(file, Buffer.byteLength(text));
  const cr = text.search(/\r(?!\n)/);
  if (cr !== -1) {
    throw summaryError(file, `line ${lineAt(text, cr)}: a carriage return without a line feed (old Mac line endings?); save the file with LF or CRLF line endings`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the file

/** Read and parse; the exact text (BOM, CRLF and all) is returned for later splicing. */
export async function readSummary(file: string): Promise<{ text: string; summary: ExperimentSummary }> {
  const bytes = await readCapped(file);
  const text = decodeUtf8(bytes, file);
  return { text, summary: parseSummary(text, file) };
}

async function readCapped(file: string): Promise<Buffer> {
  try {
    const handle = await open(file, 'r');
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw summaryError(file, 'not a regular file');
      if (st.size > MAX_SUMMARY_BYTES) throw tooLarge(file, st.size);
      const bytes = await handle.readFile();
      if (bytes.length > MAX_SUMMARY_BYTES) throw tooLarge(file, bytes.length); // grew meanwhile
      return bytes;
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw summaryError(file, `cannot read: ${ioReason(e)}`);
  }
}

function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'it is a directory',
    ELOOP: 'too many levels of symbolic links (a symlink loop?)',
    ENAMETOOLONG: 'path too long',
  };
  return (code && reasons[code]) ?? (e instanceof Error ? e.message : String(e));
}

function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    const hex = (bytes[at] ?? 0).toString(16).padStart(2, '0');
    throw summaryError(file, `not valid UTF-8 (byte 0x${hex} at offset ${at}, line ${line}); save it as UTF-8`);
  }
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (for the error message). */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const extra = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (extra < 0) return i;
    for (let k = 1; k <= extra; k++) {
      const x = b[i + k];
      // The second byte's range also rules out overlong forms, surrogates and code points > U+10FFFF.
      const lo = k === 1 && c === 0xe0 ? 0xa0 : k === 1 && c === 0xf0 ? 0x90 : 0x80;
      const hi = k === 1 && c === 0xed ? 0x9f : k === 1 && c === 0xf4 ? 0x8f : 0xbf;
      if (x === undefined || x < lo || x > hi) return i;
    }
    i += extra + 1;
  }
  return b.length;
}

// ---------------------------------------------------------------------------------------------
// The Status → Evaluations table (shared with the writer in report/summary-table.ts)

/** Epoch cells that mean the same eval: "-", "", "base" (control run); "epoch 1" and "01" are "1". */
export function normalizeEpoch(epoch: string): string {
  const t = epoch.trim().toLowerCase().replace(/^epoch[\s_-]*/, '');
  if (['', '-', '–', '—', 'base', 'n/a', 'na', 'none'].includes(t)) return '-';
  return /^\d+$/.test(t) ? String(Number(t)) : t;
}

/** Identity of an Evaluations row: Run Name + Task + Epoch. */
export function evalRowKey(run: string, task: string, epoch: string): string {
  return `${run.trim()}\u0000${task.trim()}\u0000${normalizeEpoch(epoch)}`;
}

export interface EvaluationsTable extends FoundTable {
  /** Row by `evalRowKey`. */
  byKey: Map<string, RowSpan>;
}

export interface EvaluationsLocation {
  /** The Status section holding the Evaluations table (or the first Status section). */
  status: Section | null;
  /** Its `### Evaluations` sub-section, when present. */
  subsection: Section | null;
  table: EvaluationsTable | null;
}

/** The columns naming the eval of a row (Run Name, Task, Epoch), as requireColumns wants them. */
const EVAL_COLUMNS: [string, string][] = EVALUATIONS_COLUMNS.filter((c) => c.identity).map((c) => [columnKey(c), c.header]);

/** Find Status → Evaluations; throws on an ambiguous or unusable table (nothing is changed then). */
export function locateEvaluations(doc: MarkdownDoc, file: string): EvaluationsLocation {
  const found: { status: Section; subsection: Section }[] = [];
  const statuses = findSections(doc, 'status');
  for (const status of statuses) {
    for (const subsection of findSections(doc, 'evaluations', status)) found.push({ status, subsection });
  }
  const withTable = found
    .map((f) => ({ ...f, table: sectionTable(doc, f.subsection, 'Evaluations', file) }))
    .filter((f) => f.table !== null);
  if (withTable.length > 1) {
    const lines = withTable.map((f) => lineAt(doc.text, f.table!.start)).join(' and ');
    throw summaryError(file, `two Status → Evaluations tables (lines ${lines}); keep one`);
  }
  const chosen = withTable[0] ?? found[0];
  if (!chosen) return { status: statuses[0] ?? null, subsection: null, table: null };
  const table = withTable[0]?.table ?? null;
  return { status: chosen.status, subsection: chosen.subsection, table: table && indexEvaluations(doc.text, table, file) };
}

function indexEvaluations(text: string, table: FoundTable, file: string): EvaluationsTable {
  requireColumns(table, EVAL_COLUMNS, 'Evaluations', text, file);
  const byKey = new Map<string, RowSpan>();
  for (const row of table.rows) {
    const [run, task, epoch] = EVAL_COLUMNS.map(([key]) => cellOf(text, table, row, key)) as [string, string, string];
    const key = evalRowKey(run, task, epoch);
    const seen = byKey.get(key);
    if (seen) {
      const label = `${run}/${task}/${normalizeEpoch(epoch) === '-' ? 'base' : `epoch ${normalizeEpoch(epoch)}`}`;
      throw summaryError(
        file,
        `line ${lineAt(text, row.start)}: the Evaluations table lists ${quote(label)} twice (also line ${lineAt(text, seen.start)}); remove one row`,
      );
    }
    byKey.set(key, row);
  }
  return { ...table, byKey };
}

// ---------------------------------------------------------------------------------------------
// parseSummary

export function parseSummary(text: string, file: string): ExperimentSummary {
  checkSummaryText(text, file);
  const doc = parseMarkdown(text);
  return {
    title: readTitle(doc, file),
    runs: readRuns(doc, file),
    matrix: readMatrix(doc, file),
    checkpointDir: bulletValue(doc.tree, 'checkpointdirectory'),
    namingPattern: bulletValue(doc.tree, 'namingpattern'),
    finetuneJobs: readFinetuneJobs(doc, file),
    evaluations: readEvaluations(doc, file),
  };
}

function readTitle(doc: MarkdownDoc, file: string): string {
  const first = doc.blocks.find((b): b is Heading => b.type === 'heading');
  if (!first || first.depth !== 1) {
    const where = first ? `the first heading (line ${lineAt(doc.text, first.start)}) is not a title` : 'no headings';
    throw summaryError(file, `no title: expected "# Experiment: <name>" or "# <name>" first (${where})`);
  }
  const title = first.text.replace(/^experiment\s*:\s*/i, '').trim();
  if (!title) throw summaryError(file, `line ${lineAt(doc.text, first.start)}: the title is empty`);
  return title;
}

/** The one section called `name`, or an error when it is missing or repeated. */
function uniqueSection(doc: MarkdownDoc, key: string, name: string, file: string, required: boolean): Section | null {
  const sections = findSections(doc, key);
  if (sections.length > 1) {
    const lines = sections.map((s) => lineAt(doc.text, s.heading.start)).join(', ');
    throw summaryError(file, `${quote(name)} appears ${sections.length} times (lines ${lines}); keep one`);
  }
  if (!sections[0] && required) throw summaryError(file, `no ${quote(name)} section (expected "## ${name}" with a table of runs)`);
  return sections[0] ?? null;
}

/** A run or task name must be usable as a folder name: no path separators, no control characters. */
function checkName(name: string, what: string, text: string, row: RowSpan, file: string): void {
  const where = () => `line ${lineAt(text, row.start)}`; // only on error: lineAt scans the text
  if (name === '' || name === '-') throw summaryError(file, `${where()}: empty ${what}`);
  if (name === '.' || name === '..' || /[/\\\u0000-\u001f\u007f]/.test(name)) {
    throw summaryError(file, `${where()}: ${what} ${quote(name)} is not a usable folder name (no "/", "\\", "." or "..", no control characters)`);
  }
}

function readRuns(doc: MarkdownDoc, file: string): RunInfo[] {
  const section = uniqueSection(doc, 'allruns', 'All Runs', file, true)!;
  const table = sectionTable(doc, section, 'All Runs', file);
  if (!table) throw summaryError(file, `line ${lineAt(doc.text, section.heading.start)}: the "All Runs" section has no table`);
  requireColumns(table, [['runname', 'Run Name']], 'All Runs', doc.text, file);
  const nameCol = table.columns.get('runname')!;
  const typeCol = table.columns.get('type');
  if (table.rows.length === 0) throw summaryError(file, `line ${lineAt(doc.text, table.start)}: the All Runs table lists no runs`);
  const seen = new Map<string, RowSpan>();
  return table.rows.map((row) => {
    const name = cellValue(doc.text, row.cells[nameCol]);
    checkName(name, 'run name', doc.text, row, file);
    const earlier = seen.get(name);
    if (earlier) {
      throw summaryError(file, `line ${lineAt(doc.text, row.start)}: run ${quote(name)} is listed twice in All Runs (also line ${lineAt(doc.text, earlier.start)})`);
    }
    seen.set(name, row);
    const params: Record<string, string> = {};
    table.names.forEach((header, i) => {
      if (i !== nameCol && header) params[header] = cellValue(doc.text, row.cells[i]);
    });
    const type = typeCol === undefined ? null : cellValue(doc.text, row.cells[typeCol]) || null;
    return { name, type, params };
  });
}

function readMatrix(doc: MarkdownDoc, file: string): ExperimentSummary['matrix'] {
  const section = uniqueSection(doc, 'evaluationmatrix', 'Evaluation Matrix', file, false);
  const table = section && sectionTable(doc, section, 'Evaluation Matrix', file);
  if (!table) return null;
  requireColumns(table, [['runname', 'Run Name']], 'Evaluation Matrix', doc.text, file);
  const skip = new Set([table.columns.get('runname'), table.columns.get('notes')]);
  return table.rows.map((row) => {
    const cells: Record<string, string> = {};
    table.names.forEach((header, i) => {
      if (!skip.has(i) && header) cells[header] = cellValue(doc.text, row.cells[i]);
    });
    return { run: cellOf(doc.text, table, row, 'runname'), cells };
  });
}

function readFinetuneJobs(doc: MarkdownDoc, file: string): FinetuneJob[] {
  const jobs: FinetuneJob[] = [];
  for (const status of findSections(doc, 'status')) {
    for (const section of findSections(doc, 'finetuning', status)) {
      const table = sectionTable(doc, section, 'Fine-tuning', file);
      if (!table) continue;
      requireColumns(table, [['runname', 'Run Name']], 'Fine-tuning', doc.text, file);
      for (const row of table.rows) {
        const run = cellOf(doc.text, table, row, 'runname');
        if (!run) continue;
        const jobId = cellOf(doc.text, table, row, 'jobid');
        const state = cellOf(doc.text, table, row, 'status');
        jobs.push({ run, jobId: jobId && jobId !== '-' ? jobId : null, status: state && state !== '-' ? state : null });
      }
    }
  }
  return jobs;
}

function readEvaluations(doc: MarkdownDoc, file: string): EvalRow[] | null {
  const { table } = locateEvaluations(doc, file);
  if (!table) return null;
  const get = (row: RowSpan, key: string) => cellOf(doc.text, table, row, key);
  return table.rows.map((row) => {
    const read = evalRow((c) => get(row, columnKey(c)));
    checkName(read.run, 'run name', doc.text, row, file);
    checkName(read.task, 'task name', doc.text, row, file);
    return read;
  });
}

/** `- **Label:** `value`` anywhere in the document (first one wins); the code span if there is one. */
function bulletValue(root: Nodes, key: string): string | null {
  for (const p of paragraphs(root)) {
    const [first, ...rest] = p.children;
    if (first?.type !== 'strong' || canonicalKey(plainText(first)) !== key) continue;
    const code = rest.find((n) => n.type === 'inlineCode');
    const value = code ? plainText(code) : rest.map(plainText).join('').replace(/^\s*:/, '');
    return value.trim() || null;
  }
  return null;
}

function* paragraphs(node: Nodes): Generator<Paragraph> {
  if (node.type === 'paragraph') yield node;
  else if ('children' in node) for (const child of node.children as Nodes[]) yield* paragraphs(child);
}
