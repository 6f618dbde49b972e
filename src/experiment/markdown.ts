// Markdown helpers for experiment_summary.md, generic and in one place: find structure (sections,
// tables, rows, cells) with remark, edit the ORIGINAL text; errors naming the file and line.
//
// remark + remark-gfm tell us where the headings and tables are. We never print the tree: callers
// splice new text into the original string at the offsets found here, so every other byte is kept.
//
// Speed: micromark's GFM table parser costs ~0.4 ms per row (a 10,000-row Evaluations table takes
// ~5 s), far over the monitor's budget. So remark parses a *skeleton*: the original with the middle
// lines of long runs of `|` lines removed (whole lines, never the lines that decide where a block
// starts or ends; see `isElidable`). An offset map leads from the skeleton back to the original,
// and table rows are then read from the original text by `readTableRows`, which splits cells the
// way the GFM table tokenizer does.

import { remark } from 'remark';
import remarkGfm from 'remark-gfm';
import type { Nodes, Root, RootContent } from 'mdast';
import { UserError } from '../errors.js';

export const BOM = '\uFEFF';

/** The file's line ending, taken from its first line break ('\n' when there is none). */
export function detectEol(text: string): '\r\n' | '\n' {
  const i = text.indexOf('\n');
  return i > 0 && text[i - 1] === '\r' ? '\r\n' : '\n';
}

/** Length of a leading byte-order mark (0 or 1): it stays in the text, before any insertion. */
function bomLength(text: string): number {
  return text.startsWith(BOM) ? 1 : 0;
}

/** 1-based line number of an offset (error messages only: it scans the text). */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Offset of the start of the line holding `offset`, never before the BOM. */
export function lineStartAt(text: string, offset: number): number {
  return Math.max(text.lastIndexOf('\n', offset - 1) + 1, bomLength(text));
}

/** Lowercase letters and digits only: "Job ID", "job_id" and "**JobID**" all become "jobid". */
export function canonicalKey(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/** Text content of an mdast node (formatting dropped): `**Checkpoint directory:**` → "Checkpoint directory:". */
export function plainText(node: Nodes): string {
  if ('value' in node && typeof node.value === 'string') return node.value;
  if ('children' in node) return (node.children as Nodes[]).map(plainText).join('');
  return '';
}

// ---------------------------------------------------------------------------------------------
// Parsing: skeleton + offset map

/** A root-level block of the document, with offsets into the ORIGINAL text. */
export type Block =
  | { type: 'heading'; depth: number; text: string; key: string; start: number; end: number }
  | { type: 'table'; start: number; end: number }
  | { type: 'other'; start: number; end: number };

/** Read-only once parsed: parseMarkdown hands the same doc to the next caller with the same text. */
export interface MarkdownDoc {
  /** The original text, BOM included. */
  readonly text: string;
  /** The skeleton's tree: use it for content (lists, paragraphs), NOT for offsets. */
  readonly tree: Root;
  /** Root-level blocks in document order, offsets mapped to the original text. */
  readonly blocks: readonly Block[];
}

/** Kept stretch of the original: skeleton offset `skel` is original offset `orig`. */
interface Segment {
  skel: number;
  orig: number;
}

let processor: ReturnType<typeof makeProcessor> | undefined;
function makeProcessor() {
  return remark().use(remarkGfm);
}

/**
 * The last text parsed and its doc: a link reads the summary for its design and then, for the
 * table's first sync, reads the same text again. Docs are never changed after parsing.
 */
let lastParsed: { text: string; elide: boolean; doc: MarkdownDoc } | undefined;

/** `elide: false` parses the whole text (tests compare both ways; it is slow on big tables). */
export function parseMarkdown(text: string, options: { elide?: boolean } = {}): MarkdownDoc {
  const elide = options.elide ?? true;
  if (lastParsed && lastParsed.elide === elide && lastParsed.text === text) return lastParsed.doc;
  const { skeleton, segments } = buildSkeleton(text, elide);
  processor ??= makeProcessor();
  const tree = processor.parse(skeleton);
  const toOrig = (o: number) => mapOffset(segments, o);
  const blocks = tree.children.map((node) => toBlock(text, node, toOrig));
  const doc = { text, tree, blocks };
  lastParsed = { text, elide, doc };
  return doc;
}

function toBlock(text: string, node: RootContent, toOrig: (o: number) => number): Block {
  const skelStart = node.position?.start.offset ?? 0;
  const skelEnd = node.position?.end.offset ?? 0;
  const start = toOrig(skelStart);
  const end = toOrig(skelEnd);
  if (node.type === 'heading') {
    // A setext heading can span dropped `|` lines: then read its text from the original.
    const whole = end - start === skelEnd - skelStart ? node : processor!.parse(text.slice(start, end)).children[0];
    const title = plainText(whole ?? node).trim();
    return { type: 'heading', depth: node.depth, text: title, key: canonicalKey(title), start, end };
  }
  if (node.type === 'table') return { type: 'table', start, end };
  return { type: 'other', start, end };
}

/** Skeleton offset → original offset. Removed ranges are whole lines, so a boundary is a line start. */
function mapOffset(segments: Segment[], o: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid]!.skel <= o) lo = mid;
    else hi = mid - 1;
  }
  const seg = segments[lo]!;
  return seg.orig + (o - seg.skel);
}

/** Per-line facts the elision rule needs. */
interface LineFacts {
  /** Starts with `|` after 0-3 spaces, is not delimiter-like, holds no `>` (HTML blocks end on such lines). */
  plain: boolean;
  /** Leading spaces: a change of indent can end a list item (and whatever it holds). */
  indent: number;
  /** Only `|`, `-`, `:` and blanks, with a `-`: could be a table's delimiter row (or a rule). */
  delimiterLike: boolean;
}

function lineFacts(text: string, start: number, end: number): LineFacts {
  let i = start;
  while (i < end && text.charCodeAt(i) === 32) i++;
  const indent = i - start;
  let delimiterChars = true;
  let dash = false;
  let angle = false;
  for (let j = i; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c === 45 /* - */) dash = true;
    else if (c === 62 /* > */) angle = true;
    else if (c !== 124 && c !== 58 && c !== 32 && c !== 9 && c !== 13) delimiterChars = false; // | : blank CR
  }
  const delimiterLike = delimiterChars && dash;
  const plain = indent <= 3 && text.charCodeAt(i) === 124 /* | */ && !delimiterLike && !angle;
  return { plain, indent, delimiterLike };
}

/**
 * Line i can be left out of the skeleton when it sits inside a run of plain `|` lines of one
 * indent: then it neither starts a block (the line before is in the same block: a plain line does
 * not end one) nor ends one (the line after could only start a new block as a table header, so the
 * line after that must not be delimiter-like). Dropping it moves no block boundary; every table
 * keeps its header, delimiter, first and last rows.
 */
function isElidable(lines: LineFacts[], i: number): boolean {
  const [before, line, after, afterNext] = [lines[i - 1], lines[i]!, lines[i + 1], lines[i + 2]];
  return (
    line.plain &&
    before?.plain === true &&
    after?.plain === true &&
    before.indent === line.indent &&
    after.indent === line.indent &&
    afterNext?.delimiterLike !== true
  );
}

function buildSkeleton(text: string, elide: boolean): { skeleton: string; segments: Segment[] } {
  const base = bomLength(text); // micromark drops a BOM from its offsets: parse without it
  const lineStarts: number[] = [];
  const lines: LineFacts[] = [];
  for (let s = base; s < text.length; ) {
    const nl = text.indexOf('\n', s);
    const e = nl === -1 ? text.length : nl;
    lineStarts.push(s);
    lines.push(lineFacts(text, s, e));
    s = nl === -1 ? text.length : nl + 1;
  }
  const parts: string[] = [];
  const segments: Segment[] = [];
  let skelLength = 0;
  let keepFrom = base; // start of the current kept stretch
  const flush = (upTo: number) => {
    if (upTo > keepFrom) {
      segments.push({ skel: skelLength, orig: keepFrom });
      parts.push(text.slice(keepFrom, upTo));
      skelLength += upTo - keepFrom;
    }
  };
  for (let i = 0; i < lines.length; i++) {
    if (!elide || !isElidable(lines, i)) continue;
    flush(lineStarts[i]!);
    keepFrom = lineStarts[i + 1]!; // an elidable line always has a next line
  }
  flush(text.length);
  if (segments.length === 0) segments.push({ skel: 0, orig: base });
  return { skeleton: parts.join(''), segments };
}

// ---------------------------------------------------------------------------------------------
// Tables, read from the original text

/** A cell's content: the text between its pipes, untrimmed (original offsets). */
export interface CellSpan {
  start: number;
  end: number;
}

/** One table line, trimmed of surrounding whitespace (original offsets). */
export interface RowSpan {
  start: number;
  end: number;
  leadingPipe: boolean;
  trailingPipe: boolean;
  cells: CellSpan[];
}

export interface TableRows {
  header: RowSpan;
  /** Body rows (the delimiter row is skipped). */
  rows: RowSpan[];
}

/** Every line of a root-level table block, from its start to its end offset. */
export function readTableRows(text: string, start: number, end: number): TableRows {
  const lines: RowSpan[] = [];
  for (let s = start; s <= end; ) {
    const nl = text.indexOf('\n', s);
    const lineEnd = nl === -1 || nl > end ? end : nl;
    lines.push(splitRow(text, s, lineEnd));
    if (nl === -1 || nl >= end) break;
    s = nl + 1;
  }
  const [header, , ...rows] = lines;
  return { header: header ?? splitRow(text, start, start), rows };
}

/**
 * Cells of one table line. Like the GFM tokenizer: `\|` and `\\` are pairs (no split), every other
 * `|` separates cells (also inside code spans); leading and trailing pipes are optional.
 */
export function splitRow(text: string, lineStart: number, lineEnd: number): RowSpan {
  let s = lineStart;
  let e = lineEnd;
  while (s < e && isSpace(text.charCodeAt(s))) s++;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  const leadingPipe = text.charCodeAt(s) === 124;
  const cells: CellSpan[] = [];
  let cellStart = leadingPipe ? s + 1 : s;
  for (let i = cellStart; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */ && i + 1 < e) {
      const n = text.charCodeAt(i + 1);
      if (n === 92 || n === 124) i++;
    } else if (c === 124) {
      cells.push({ start: cellStart, end: i });
      cellStart = i + 1;
    }
  }
  // Ends with a delimiter when the loop closed a cell exactly at the end (a lone `|` is only a leading pipe).
  const trailingPipe = cellStart === e && cells.length > 0;
  if (cellStart < e) cells.push({ start: cellStart, end: e });
  return { start: s, end: e, leadingPipe, trailingPipe, cells };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** A cell's value: trimmed, with `\|` → `|` and `\\` → `\` (the inverse of `escapeCell`). */
export function cellValue(text: string, cell: CellSpan | undefined): string {
  if (!cell) return '';
  const raw = text.slice(cell.start, cell.end).trim();
  return raw.includes('\\') ? raw.replace(/\\([\\|])/g, '$1') : raw;
}

/** Longest value written into a cell (code points), so a message cannot swamp the table. */
const MAX_CELL_CHARS = 300;

/** One line, no control characters, whitespace collapsed, capped. What a cell will read back as. */
export function sanitizeCell(value: string): string {
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/gu, ' ').trim();
  if (flat.length <= MAX_CELL_CHARS) return flat; // UTF-16 length ≥ code points: surely short enough
  const chars = Array.from(flat);
  return chars.length <= MAX_CELL_CHARS ? flat : `${chars.slice(0, MAX_CELL_CHARS - 1).join('').trimEnd()}…`;
}

/** Text to put between two pipes so that `cellValue` reads `value` back: `|` → `\|`, and `\` doubled where a pair would form. */
export function escapeCell(value: string): string {
  return value.replace(/\\(?=[\\|])|\|/g, (m) => `\\${m}`);
}

const WRAPPED = /^(\*\*|__|\*|_|`)(.*)\1$/s;

/** Header text as shown: unescaped, surrounding `**`/`__`/backticks removed, spaces collapsed. */
export function headerName(text: string, cell: CellSpan | undefined): string {
  let name = cellValue(text, cell);
  for (let m = WRAPPED.exec(name); m; m = WRAPPED.exec(name)) name = m[2]!.trim();
  return name.replace(/\s+/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// Errors in a summary

/** A one-line UserError: `${file}: ${detail}` (line breaks in names or paths become spaces). */
export function summaryError(file: string, detail: string): UserError {
  return new UserError(`${file}: ${detail}`.replace(/[\r\n\u2028\u2029]+/g, ' '));
}

/** User text inside a message: quoted and short. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

// ---------------------------------------------------------------------------------------------
// Sections and tables

export type Heading = Extract<Block, { type: 'heading' }>;

/** A heading and the blocks under it, up to the next heading of the same or a higher level. */
export interface Section {
  heading: Heading;
  /** Index of the heading in `doc.blocks`; the section's blocks are (index, endIndex). */
  index: number;
  endIndex: number;
  /** Offset where the next section's heading line starts, or the text's length. */
  end: number;
}

function sectionAt(doc: MarkdownDoc, index: number): Section {
  const heading = doc.blocks[index] as Heading;
  let endIndex = index + 1;
  while (endIndex < doc.blocks.length) {
    const b = doc.blocks[endIndex]!;
    if (b.type === 'heading' && b.depth <= heading.depth) break;
    endIndex++;
  }
  const next = doc.blocks[endIndex];
  const end = next ? lineStartAt(doc.text, next.start) : doc.text.length;
  return { heading, index, endIndex, end };
}

/** Sections whose heading reads `key` (canonical), optionally only inside `within`. */
export function findSections(doc: MarkdownDoc, key: string, within?: Section): Section[] {
  const from = within ? within.index + 1 : 0;
  const to = within ? within.endIndex : doc.blocks.length;
  const found: Section[] = [];
  for (let i = from; i < to; i++) {
    const b = doc.blocks[i]!;
    if (b.type === 'heading' && b.key === key) found.push(sectionAt(doc, i));
  }
  return found;
}

/** A table, its rows, and its columns by canonical header name. */
export interface FoundTable {
  start: number;
  end: number;
  header: RowSpan;
  rows: RowSpan[];
  /** Header text as written, by column index. */
  names: string[];
  /** Canonical header name → column index (empty headers left out). */
  columns: Map<string, number>;
}

/** The first table directly under a section's heading (before any sub-heading). */
export function sectionTable(doc: MarkdownDoc, section: Section, label: string, file: string): FoundTable | null {
  for (let i = section.index + 1; i < section.endIndex; i++) {
    const b = doc.blocks[i]!;
    if (b.type === 'heading') return null;
    if (b.type === 'table') return readTable(doc.text, b, label, file);
  }
  return null;
}

function readTable(text: string, block: Block, label: string, file: string): FoundTable {
  const { header, rows } = readTableRows(text, block.start, block.end);
  const names = header.cells.map((c) => headerName(text, c));
  const columns = new Map<string, number>();
  names.forEach((name, i) => {
    const key = canonicalKey(name);
    if (!key) return;
    if (columns.has(key)) {
      throw summaryError(file, `line ${lineAt(text, block.start)}: the ${label} table has the column ${quote(name)} twice`);
    }
    columns.set(key, i);
  });
  return { start: block.start, end: block.end, header, rows, names, columns };
}

/** Throws unless the table has every listed column (canonical keys, with names for the message). */
export function requireColumns(table: FoundTable, required: [key: string, name: string][], label: string, text: string, file: string): void {
  for (const [key, name] of required) {
    if (!table.columns.has(key)) {
      const have = table.names.filter(Boolean).map(quote).join(', ') || 'none';
      throw summaryError(file, `line ${lineAt(text, table.start)}: the ${label} table has no ${quote(name)} column (columns: ${have})`);
    }
  }
}

/** Cell value of `row` in the column `key`; '' when the table lacks the column or the row is short. */
export function cellOf(text: string, table: FoundTable, row: RowSpan, key: string): string {
  const i = table.columns.get(key);
  return i === undefined ? '' : cellValue(text, row.cells[i]);
}
