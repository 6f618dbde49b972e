// Writing experiment_summary.md: the Status → Evaluations table and whole `## ` sections.
//
// Parse once, find the rows by offset, splice new text into the ORIGINAL string: bytes we do not
// own stay exactly as they were, and a pass with nothing new returns an identical string (the
// caller then skips the write). New lines use the file's own line ending; a BOM stays in front.

import {
  type MarkdownDoc,
  type RowSpan,
  type Section,
  canonicalKey,
  cellValue,
  detectEol,
  escapeCell,
  findSections,
  lineStartAt,
  parseMarkdown,
  sanitizeCell,
  splitRow,
  summaryError,
} from '../experiment/markdown.js';
import { columnKey, EVALUATIONS_COLUMNS, evalRow, type EvalRow } from '../experiment/evaluations-columns.js';
import { type EvaluationsLocation, type EvaluationsTable, checkSummaryText, evalRowKey, locateEvaluations } from '../experiment/summary.js';

/** The columns we write into an existing table (canonical header → field); every other cell is the user's. */
const OWNED = EVALUATIONS_COLUMNS.filter((c) => c.owned).map((c) => [columnKey(c), c.field] as const);

/** A replacement of text[start, end) by `text`; `row` when it rewrites that row (its index in RowPlaces). */
interface Edit {
  start: number;
  end: number;
  text: string;
  row?: number;
}

/**
 * `text` with the Status → Evaluations table updated (rows matched on Run Name + Task + Epoch), or
 * with a `### Evaluations` table added when there is none. Identical string when nothing changed.
 */
export function updateEvaluationsTable(text: string, rows: EvalRow[], file: string): string {
  return updateRows(parseForUpdate(text, file), rows).text;
}

/**
 * A summary parsed for updates. `table` keeps the Evaluations rows' offsets in `text` true across
 * `updateRows` calls, so a poll that rewrites a few rows of a 10,000-row table does not parse the
 * file again (only appending rows or adding the table does).
 */
export type SummaryForUpdate = {
  readonly text: string;
  readonly file: string;
  readonly eol: string;
} & (
  | { readonly table: RowPlaces; readonly parsed?: undefined }
  /** No table yet: the parse, to add one. */
  | { readonly table: null; readonly parsed: { doc: MarkdownDoc; where: EvaluationsLocation } }
);

/**
 * Where the Evaluations rows are: each row's span (its line, trimmed) and nothing more. Split into
 * cells, a 10,000-row table is 80,000 objects a monitor would carry all night and move on every
 * rewrite; a row is split again when it is checked. `updateRows` moves the spans in place.
 */
export interface RowPlaces {
  readonly names: string[];
  readonly columns: Map<string, number>;
  readonly header: { start: number; end: number };
  /** Row spans in text order. */
  readonly starts: number[];
  readonly ends: number[];
  /** `evalRowKey` → index into starts/ends. */
  readonly byKey: Map<string, number>;
}

export function parseForUpdate(text: string, file: string): SummaryForUpdate {
  checkSummaryText(text, file);
  const doc = parseMarkdown(text);
  const where = locateEvaluations(doc, file);
  const eol = detectEol(text);
  return where.table ? { text, file, eol, table: placesOf(where.table) } : { text, file, eol, table: null, parsed: { doc, where } };
}

function placesOf(table: EvaluationsTable): RowPlaces {
  const index = new Map(table.rows.map((row, i) => [row, i]));
  return {
    names: table.names,
    columns: table.columns,
    header: { start: table.header.start, end: table.header.end },
    starts: table.rows.map((r) => r.start),
    ends: table.rows.map((r) => r.end),
    byKey: new Map([...table.byKey].map(([key, row]) => [key, index.get(row)!])),
  };
}

/** The summary with these rows written; the same object when nothing changed. */
export function updateRows(s: SummaryForUpdate, rows: EvalRow[]): SummaryForUpdate {
  const wanted = new Map<string, EvalRow>(); // last row for a key wins
  for (const row of rows.map(sanitizeRow)) wanted.set(evalRowKey(row.run, row.task, row.epoch), row);
  if (wanted.size === 0) return s;
  if (!s.table) return parseForUpdate(addEvaluationsTable(s.parsed.doc, s.parsed.where, [...wanted.values()], s.eol, s.file), s.file);
  const edits = tableEdits(s.text, s.table, wanted, s.eol);
  if (edits.length === 0) return s;
  const text = applyEdits(s.text, edits);
  if (edits.some((e) => e.row === undefined)) return parseForUpdate(text, s.file); // rows appended
  shiftRows(s.table, edits);
  return { ...s, text };
}

/** Move the row spans to where `edits` (row rewrites, sorted) put them: a rewritten row is exactly its new text. */
function shiftRows(places: RowPlaces, edits: Edit[]): void {
  const { starts, ends } = places;
  let delta = 0;
  let next = 0;
  for (let i = 0; i < starts.length; i++) {
    const edit = edits[next];
    if (edit?.row === i) {
      next++;
      starts[i] = edit.start + delta;
      ends[i] = starts[i]! + edit.text.length;
      delta += edit.text.length - (edit.end - edit.start);
    } else if (delta !== 0) {
      starts[i]! += delta;
      ends[i]! += delta;
    }
  }
}

/** One line, and no HTML: an inspect error quoting `<img onerror=...>` shows as text wherever the page is rendered. */
function cellText(value: string): string {
  return sanitizeCell(value).replace(/[&<>]/g, (c) => HTML_ENTITIES[c]!);
}
const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

function sanitizeRow(row: EvalRow): EvalRow {
  return evalRow((c) => cellText(row[c.field]));
}

// ---------------------------------------------------------------------------------------------
// An existing table: rewrite changed rows in place, append new ones after the last row

function tableEdits(text: string, table: RowPlaces, wanted: Map<string, EvalRow>, eol: string): Edit[] {
  const edits: Edit[] = [];
  const appended: string[] = [];
  for (const [key, want] of wanted) {
    const i = table.byKey.get(key);
    if (i === undefined) appended.push(formatRow(table.names.map((name) => newCellValue(canonicalKey(name), want))));
    else {
      const edit = rowEdit(text, table, splitRow(text, table.starts[i]!, table.ends[i]!), want);
      if (edit) edits.push({ ...edit, row: i });
    }
  }
  if (appended.length > 0) edits.push(appendAfterTable(text, table, appended, eol));
  return edits.sort((a, b) => a.start - b.start);
}

/** The new text of a row whose owned cells differ from `want`, or null when they already match. */
function rowEdit(text: string, table: RowPlaces, row: RowSpan, want: EvalRow): Edit | null {
  const changes = new Map<number, string>(); // column index → new value
  for (const [key, field] of OWNED) {
    const i = table.columns.get(key);
    const value = want[field];
    if (i === undefined || (field === 'notes' && value === '')) continue; // no column / keep user's note
    if (cellValue(text, row.cells[i]) !== value) changes.set(i, value);
  }
  if (changes.size === 0) return null;
  return { start: row.start, end: row.end, text: rebuildRow(text, row, changes) };
}

/**
 * The row with `changes` written into their cells and every other cell's text kept as is. A short
 * row gets empty cells up to the last one we write. The rebuilt row always has both outer pipes.
 */
function rebuildRow(text: string, row: RowSpan, changes: Map<number, string>): string {
  const { cells } = row;
  const count = Math.max(cells.length, ...[...changes.keys()].map((i) => i + 1));
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const value = changes.get(i);
    const cell = cells[i];
    if (value !== undefined) parts.push(` ${escapeCell(value)} `);
    else if (cell) parts.push(text.slice(cell.start, cell.end));
    else parts.push(' ');
  }
  // Pipes the row did not have get a space from the kept cell beside them: `0|` reads badly, and
  // a cell ending in `\` would turn the new pipe into an escaped `\|`.
  const lastKept = cells.length - 1;
  if (!row.leadingPipe && !/^\s/.test(parts[0]!)) parts[0] = ` ${parts[0]}`;
  if (!row.trailingPipe && lastKept >= 0 && !/\s$/.test(parts[lastKept]!)) parts[lastKept] += ' ';
  return `|${parts.join('|')}|`;
}

/** A cell of a row we add to an existing table, by that table's header; '-' in the user's own columns. */
function newCellValue(key: string, want: EvalRow): string {
  const column = EVALUATIONS_COLUMNS.find((c) => columnKey(c) === key);
  return (column && want[column.field]) || '-';
}

function formatRow(values: string[]): string {
  return `| ${values.map(escapeCell).join(' | ')} |`;
}

/** New rows go at the end of the table's last line, each on its own line with that line's indent. */
function appendAfterTable(text: string, table: RowPlaces, rows: string[], eol: string): Edit {
  const n = table.starts.length;
  const last = n > 0 ? { start: table.starts[n - 1]!, end: table.ends[n - 1]! } : table.header;
  const lineStart = text.lastIndexOf('\n', last.start - 1) + 1;
  const indent = /^[ \t]*$/.test(text.slice(lineStart, last.start)) ? text.slice(lineStart, last.start) : '';
  const nl = text.indexOf('\n', last.end);
  const at = nl === -1 ? text.length : text[nl - 1] === '\r' ? nl - 1 : nl;
  return { start: at, end: at, text: rows.map((r) => eol + indent + r).join('') };
}

/** Build the result from slices of the original: one pass, no re-parse per row. */
function applyEdits(text: string, edits: Edit[]): string {
  if (edits.length === 0) return text;
  const out: string[] = [];
  let cursor = 0;
  for (const e of edits) {
    out.push(text.slice(cursor, e.start), e.text);
    cursor = e.end;
  }
  out.push(text.slice(cursor));
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// No table yet: add one where the next parse will find it

function addEvaluationsTable(doc: MarkdownDoc, where: EvaluationsLocation, rows: EvalRow[], eol: string, file: string): string {
  const table = [
    formatRow(EVALUATIONS_COLUMNS.map((c) => c.header)),
    `|${EVALUATIONS_COLUMNS.map((c) => '-'.repeat(c.header.length + 2)).join('|')}|`,
    ...rows.map((r) => formatRow(EVALUATIONS_COLUMNS.map((c) => r[c.field] || '-'))),
  ].join(eol);
  const updated = insertTable(doc, where, table, eol);
  // The table must be found by the next pass, or every pass would add another one.
  const check = locateEvaluations(parseMarkdown(updated), file).table;
  if (!check || rows.some((r) => !check.byKey.has(evalRowKey(r.run, r.task, r.epoch)))) {
    throw summaryError(file, 'cannot add the Evaluations table: the end of the file does not parse as markdown blocks (an unclosed ``` code block?)');
  }
  return updated;
}

function insertTable(doc: MarkdownDoc, where: EvaluationsLocation, table: string, eol: string): string {
  const { text } = doc;
  if (where.subsection) {
    // Directly under `### Evaluations`: before its first sub-heading, else at its end.
    return insertBlock(text, firstSubheadingOrEnd(doc, where.subsection), table, eol);
  }
  const status = where.status;
  if (status && status.heading.depth < 6) {
    const sub = `${'#'.repeat(status.heading.depth + 1)} Evaluations`;
    return insertBlock(text, status.end, `${sub}${eol}${table}`, eol);
  }
  return insertBlock(text, text.length, `## Status${eol}${eol}### Evaluations${eol}${table}`, eol);
}

function firstSubheadingOrEnd(doc: MarkdownDoc, section: Section): number {
  for (let i = section.index + 1; i < section.endIndex; i++) {
    const b = doc.blocks[i]!;
    if (b.type === 'heading') return lineStartAt(doc.text, b.start);
  }
  return section.end;
}

/**
 * Insert a block (no trailing line break) at a line start or at the end, with one blank line
 * before it and, before a following heading, one after it. At the end of the file the file's
 * own convention is kept: a final line break only if it had one.
 */
function insertBlock(text: string, at: number, block: string, eol: string): string {
  const before = text.slice(0, at);
  const after = text.slice(at);
  const lead = /^\uFEFF?$/.test(before) || /\n[ \t]*\r?\n$/.test(before) ? '' : before.endsWith('\n') ? eol : eol + eol;
  const tail = after ? eol + eol : text.endsWith('\n') ? eol : '';
  return before + lead + block + tail + after;
}

// ---------------------------------------------------------------------------------------------
// Whole sections (`report --write` → `## Results`)

/**
 * Add or replace `## <heading>` (up to the next level-1/2 heading or the end) with `body`. The
 * heading line is kept as the user wrote it; identical output when the section already reads so.
 * `body` must not hold level-1 or level-2 headings (they would end the section).
 */
export function upsertSection(text: string, heading: string, body: string): string {
  if (/^ {0,3}#{1,2}(?:[ \t]|$)/m.test(body)) {
    throw new Error(`upsertSection: the body of "## ${heading}" must not contain "#" or "##" headings`);
  }
  const eol = detectEol(text);
  const content = normalizeBody(body, eol);
  const doc = parseMarkdown(text);
  const section = findSections(doc, canonicalKey(heading)).find((s) => s.heading.depth === 2);
  if (!section) return insertBlock(text, text.length, `## ${heading}${content ? eol + eol + content : ''}`, eol);

  const lineStart = lineStartAt(text, section.heading.start);
  const lineBreak = text.indexOf('\n', section.heading.end);
  const headingLine = text.slice(lineStart, lineBreak === -1 || lineBreak > section.end ? section.end : lineBreak).replace(/\r$/, '');
  const atEnd = section.end === text.length;
  const tail = atEnd ? (text.endsWith('\n') ? eol : '') : eol + eol;
  const replacement = `${headingLine}${content ? eol + eol + content : ''}${tail}`;
  const current = text.slice(lineStart, section.end);
  return current === replacement ? text : text.slice(0, lineStart) + replacement + text.slice(section.end);
}

/** The body's lines in the file's line ending, without leading or trailing blank lines. */
function normalizeBody(body: string, eol: string): string {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.join(eol);
}
