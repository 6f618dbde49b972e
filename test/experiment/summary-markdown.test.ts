// The markdown helpers under experiment_summary.md: the skeleton parse must see exactly the blocks a
// full parse sees (same kinds, same offsets in the original text), and cells must round-trip.
import { describe, expect, test } from 'vitest';
import {
  cellValue,
  escapeCell,
  parseMarkdown,
  readTableRows,
  sanitizeCell,
  splitRow,
} from '../../src/experiment/markdown.js';
import { exampleSummary } from '../support/scaffold.mjs';

const fixture = (name: 'with-status-tables' | 'without-status') => exampleSummary(name);

/** Blocks of the skeleton parse and of a full parse, side by side. */
function bothWays(text: string) {
  return { elided: parseMarkdown(text).blocks, full: parseMarkdown(text, { elide: false }).blocks };
}

/** A small deterministic PRNG, so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

// Lines chosen to stress block boundaries around runs of `|` lines.
const LINE_POOL = [
  '| a | b |',
  '| r1 | x |',
  '| r2 | y \\| z |',
  '|---|---|',
  '| :-- | --: |',
  'a | b',
  '  | indented | row |',
  '    | code | row |',
  '',
  '',
  '## Heading',
  '### Evaluations',
  'plain text',
  'lazy line',
  '```',
  '~~~',
  '<!--',
  '| end --> |',
  '-->',
  '<div>',
  '> | quoted | row |',
  '- item',
  '  | list | table |',
  '1. | x |',
  '===',
  '---',
  '| `code|span` | x |',
  '|',
  '| unclosed',
  '--- | ---',
  ':-: | :-:',
  ' | one space |',
  '   | three spaces |',
  '  - nested item',
  '<script>',
  '</script> |',
  '[ref]: /url',
];

describe('skeleton parse', () => {
  test('sees the same blocks as a full parse on the fixtures', () => {
    for (const name of ['with-status-tables', 'without-status'] as const) {
      const { elided, full } = bothWays(fixture(name));
      expect(elided).toEqual(full);
    }
  });

  test('sees the same blocks as a full parse on 800 random documents full of pipe lines', () => {
    const next = rng(Number(process.env.SKELETON_SEED ?? 42));
    for (let doc = 0; doc < Number(process.env.SKELETON_DOCS ?? 800); doc++) {
      const lines: string[] = [];
      const n = 5 + Math.floor(next() * 40);
      for (let i = 0; i < n; i++) {
        // Runs of plain rows make elision happen; the rest of the pool breaks them up.
        const indent = ['', '', '', ' ', '  '][Math.floor(next() * 5)]!;
        if (next() < 0.5) lines.push(`${indent}| row ${i} | v${i} |`);
        else lines.push(LINE_POOL[Math.floor(next() * LINE_POOL.length)]!);
      }
      const eol = next() < 0.3 ? '\r\n' : '\n';
      const bom = next() < 0.2 ? '\uFEFF' : '';
      const text = bom + lines.join(eol) + (next() < 0.5 ? eol : '');
      const { elided, full } = bothWays(text);
      expect(elided, JSON.stringify(text)).toEqual(full);
    }
  });

  test('the same text again is not parsed again (a link reads the summary, then syncs its table); another text is', () => {
    const text = fixture('with-status-tables');
    const first = parseMarkdown(text);
    expect(parseMarkdown(`${text}`)).toBe(first); // an equal string, not only the same one
    const full = parseMarkdown(text, { elide: false });
    expect(full).not.toBe(first); // the other way of parsing is its own
    const edited = parseMarkdown(`${text}\n## Added\n`);
    expect(edited).not.toBe(first);
    expect(edited.blocks.at(-1)).toMatchObject({ type: 'heading', text: 'Added' });
  });

  test('reads every row of a long table although remark saw only a few', () => {
    const rows = Array.from({ length: 500 }, (_, i) => `| run${i} | ${i} |`);
    const text = ['# T', '', '| Run Name | Epoch |', '|---|---|', ...rows, 'lazy', '', 'after'].join('\n');
    const doc = parseMarkdown(text);
    const table = doc.blocks.find((b) => b.type === 'table')!;
    const read = readTableRows(text, table.start, table.end);
    expect(read.rows).toHaveLength(501); // the lazy line is a row too, as GFM says
    expect(cellValue(text, read.rows[499]!.cells[0])).toBe('run499');
    expect(cellValue(text, read.rows[500]!.cells[0])).toBe('lazy');
  });
});

describe('cells', () => {
  const cellsOf = (line: string) => splitRow(line, 0, line.length).cells.map((c) => cellValue(line, c));

  test('split like the GFM table tokenizer', () => {
    expect(cellsOf('| a | b |')).toEqual(['a', 'b']);
    expect(cellsOf('a | b')).toEqual(['a', 'b']);
    expect(cellsOf('| a | b')).toEqual(['a', 'b']);
    expect(cellsOf('| x \\| y | z |')).toEqual(['x | y', 'z']);
    expect(cellsOf('| x \\\\| y |')).toEqual(['x \\', 'y']); // `\\` is a pair, the pipe splits
    expect(cellsOf('| `a|b` |')).toEqual(['`a', 'b`']); // pipes split inside code spans too
    expect(cellsOf('|  |  |')).toEqual(['', '']);
    expect(splitRow('| a |', 0, 5)).toMatchObject({ leadingPipe: true, trailingPipe: true });
    expect(splitRow('a | b', 0, 5)).toMatchObject({ leadingPipe: false, trailingPipe: false });
  });

  test('escapeCell and cellValue are inverses, and the row keeps its cell count', () => {
    const values = ['a|b', 'C:\\path\\', 'x\\|y', '\\\\|', '|', '\\', 'plain', 'a\\b', '`x|y`', 'ends with \\\\'];
    for (const v of values) {
      const line = `| k | ${escapeCell(v)} | z |`;
      expect(cellsOf(line), line).toEqual(['k', v, 'z']);
    }
  });

  test('sanitizeCell makes one short line', () => {
    expect(sanitizeCell('  a\nb\r\n\tc  ')).toBe('a b c');
    expect(sanitizeCell('bell\u0007 esc\u001b[31m')).toBe('bell esc [31m');
    const long = sanitizeCell('x'.repeat(1000));
    expect(Array.from(long)).toHaveLength(300);
    expect(long.endsWith('…')).toBe(true);
    expect(Array.from(sanitizeCell('😀'.repeat(400)))).toHaveLength(300); // never cuts a surrogate pair
  });
});
