// Updating experiment_summary.md: only our rows change, everything else stays byte-identical.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../src/errors.js';
import { parseSummary } from '../../src/experiment/summary.js';
import { EVALUATIONS_COLUMNS, type EvalRow } from '../../src/experiment/evaluations-columns.js';
import { type RowPlaces, parseForUpdate, updateEvaluationsTable, updateRows, upsertSection } from '../../src/report/summary-table.js';
import { exampleSummary } from '../support/scaffold.mjs';

const WITH = exampleSummary('with-status-tables');
const WITHOUT = exampleSummary('without-status');
const REORDERED = readFileSync(new URL('../fixtures/summaries/reordered-columns.md', import.meta.url), 'utf8');
const WEIRD = readFileSync(new URL('../fixtures/summaries/weird-names.md', import.meta.url), 'utf8');

const F = 'experiment_summary.md';

function row(run: string, task: string, epoch: string, status: string, extra: Partial<EvalRow> = {}): EvalRow {
  return { run, task, epoch, status, jobId: '-', completed: '-', notes: '', ...extra };
}

/** Indexes of lines that differ (same number of lines expected). */
function changedLines(before: string, after: string): number[] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [i]));
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.startsWith(needle));

describe('an existing Evaluations table', () => {
  test('only the changed rows differ; every other line is byte-identical', () => {
    const out = updateEvaluationsTable(
      WITH,
      [
        row('r4', 'reverse_words', '1', 'RUNNING', { jobId: '12345690' }),
        row('Llama-3.2-3B_base', 'reverse_words', '-', 'COMPLETED', { jobId: '12345691', completed: '2025-10-24 00:35:12', notes: 'accuracy 0.41' }),
        row('r16', 'reverse_words', '0', 'pending'), // what the table already says
      ],
      F,
    );
    expect(changedLines(WITH, out)).toEqual([lineOf(WITH, '| r4 | reverse_words | 1 |'), lineOf(WITH, '| Llama-3.2-3B_base | reverse_words |')]);
    expect(out).toContain('\n| r4 | reverse_words | 1 | RUNNING | 12345690 | - | - |\n');
    expect(out).toContain('\n| Llama-3.2-3B_base | reverse_words | - | COMPLETED | 12345691 | 2025-10-24 00:35:12 | accuracy 0.41 |\n');
  });

  test('a second identical pass returns the identical string; so does an empty pass', () => {
    const rows = [row('r4', 'reverse_words', '0', 'RUNNING', { jobId: '7' }), row('new_run', 'reverse_words', '0', 'PENDING')];
    const once = updateEvaluationsTable(WITH, rows, F);
    expect(once).not.toBe(WITH);
    expect(updateEvaluationsTable(once, rows, F)).toBe(once);
    expect(updateEvaluationsTable(WITH, [], F)).toBe(WITH);
    expect(updateEvaluationsTable(WITH, [row('r4', 'reverse_words', '0', 'pending')], F)).toBe(WITH);
  });

  test("the user's edits elsewhere are kept, and so are cells we do not own", () => {
    const edited = WITH.replace('## Notes\n', '## Notes\nAdded by hand while the monitor ran.\n').replace(
      '| r4 | reverse_words | 2 | pending | - | - | - |',
      '| r4 | reverse_words | 2 | pending | - | - | rerun after node failure |',
    );
    const out = updateEvaluationsTable(edited, [row('r4', 'reverse_words', '2', 'RUNNING', { jobId: '9' })], F);
    expect(out).toContain('Added by hand while the monitor ran.');
    expect(out).toContain('| r4 | reverse_words | 2 | RUNNING | 9 | - | rerun after node failure |'); // notes '' = keep
    expect(changedLines(edited, out)).toHaveLength(1);
  });

  test('epoch "-", "" and "base" are the same row', () => {
    for (const epoch of ['-', '', 'base', 'BASE']) {
      const out = updateEvaluationsTable(WITH, [row('Llama-3.2-3B_base', 'reverse_words', epoch, 'RUNNING')], F);
      expect(changedLines(WITH, out)).toHaveLength(1);
      expect(out).toContain('| Llama-3.2-3B_base | reverse_words | - | RUNNING | - | - | Base model |');
    }
  });

  test('rows not yet in the table are appended after its last row', () => {
    const out = updateEvaluationsTable(WITH, [row('r16', 'reverse_words', '3', 'PENDING'), row('r4', 'extra_task', '0', 'PENDING', { notes: 'added' })], F);
    const last = '| Llama-3.2-3B_base | reverse_words | - | pending | - | - | Base model |';
    expect(out).toBe(
      WITH.replace(last, `${last}\n| r16 | reverse_words | 3 | PENDING | - | - | - |\n| r4 | extra_task | 0 | PENDING | - | - | added |`),
    );
    const back = parseSummary(out, F).evaluations!;
    expect(back).toHaveLength(9);
    expect(back[8]).toEqual({ run: 'r4', task: 'extra_task', epoch: '0', status: 'PENDING', jobId: '-', completed: '-', notes: 'added' });
  });

  test('| and line breaks in notes are escaped, and read back as written', () => {
    const notes = 'Traceback:\n  File "x.py" | line 3\r\n\tValueError: a\\|b C:\\tmp\\';
    const out = updateEvaluationsTable(WITH, [row('r4', 'reverse_words', '0', 'FAILED', { notes })], F);
    expect(changedLines(WITH, out)).toHaveLength(1);
    const back = parseSummary(out, F).evaluations![0]!;
    expect(back.notes).toBe('Traceback: File "x.py" | line 3 ValueError: a\\|b C:\\tmp\\');
    expect(back.status).toBe('FAILED');
    expect(updateEvaluationsTable(out, [row('r4', 'reverse_words', '0', 'FAILED', { notes })], F)).toBe(out);
  });

  test('HTML in a message stays text: no tag or entity reaches a markdown renderer; a second pass changes nothing', () => {
    const notes = 'inspect error: <img src=x onerror=alert(1)> & &amp; done';
    const out = updateEvaluationsTable(WITH, [row('r4', 'reverse_words', '0', 'FAILED', { notes })], F);
    const line = out.split('\n')[lineOf(out, '| r4 | reverse_words | 0 |')]!;
    expect(line).not.toMatch(/<img/);
    expect(line).toContain('inspect error: &lt;img src=x onerror=alert(1)&gt; &amp; &amp;amp; done');
    expect(updateEvaluationsTable(out, [row('r4', 'reverse_words', '0', 'FAILED', { notes })], F)).toBe(out);
  });

  test('a very long message is capped', () => {
    const out = updateEvaluationsTable(WITH, [row('r4', 'reverse_words', '0', 'FAILED', { notes: 'E'.repeat(5000) })], F);
    const notes = parseSummary(out, F).evaluations![0]!.notes;
    expect(Array.from(notes)).toHaveLength(300);
    expect(notes.endsWith('…')).toBe(true);
  });

  test('names with spaces, quotes, $(...), ; and | match their rows', () => {
    const out = updateEvaluationsTable(
      WEIRD,
      [row('pipe|name', 'a|b', '-', 'RUNNING', { jobId: '3' }), row('$(touch pwned)', 't;rm -rf ~', '1', 'RUNNING'), row('it\'s "quoted"', 'my task', '0', 'PENDING')],
      F,
    );
    const back = parseSummary(out, F).evaluations!;
    expect(back.map((e) => [e.run, e.task, e.status])).toEqual([
      ['rank 8 lr 1e-5', 'my task', 'pending'],
      ['$(touch pwned)', 't;rm -rf ~', 'RUNNING'],
      ['pipe|name', 'a|b', 'RUNNING'],
      ['it\'s "quoted"', 'my task', 'PENDING'],
    ]);
    expect(out).toContain('| pipe\\|name | a\\|b | base | RUNNING | 3 | - | - |');
  });
});

describe('updates kept parsed between polls', () => {
  /** The table's spans as a fresh parse of `text` finds them. */
  const spans = (t: RowPlaces | null) => ({ rows: [t?.starts, t?.ends], keys: [...(t?.byKey ?? [])] });

  test('a long run of row rewrites gives the text, and the row offsets, of a parse from scratch', () => {
    const keys = [['r4', '0'], ['r4', '1'], ['r4', '2'], ['r16', '0'], ['r16', '1'], ['r16', '2'], ['Llama-3.2-3B_base', '-'], ['r32', '0']] as const;
    const notes = ['', 'x', 'accuracy 0.873 ± 0.011 (n=500) · 4m 52s', 'a | b', 'back\\slash', 'pending: QOSMaxSubmitJobPerUserLimit'];
    let kept = parseForUpdate(WITH, F); // the table sits mid-file: text after it moves too
    let seed = 7;
    const pick = <T,>(xs: readonly T[]) => xs[(seed = (seed * 48271) % 2147483647) % xs.length]!;
    for (let step = 0; step < 60; step++) {
      const rows = Array.from({ length: 1 + (step % 3) }, () => {
        const [run, epoch] = pick(keys);
        return row(run, 'reverse_words', epoch, pick(['PENDING', 'RUNNING 3/20 samples', 'COMPLETED', 'FAILED']), { jobId: String(step * 10), notes: pick(notes) });
      });
      const scratch = updateEvaluationsTable(kept.text, rows, F);
      kept = updateRows(kept, rows);
      expect(kept.text).toBe(scratch);
      expect(spans(kept.table)).toEqual(spans(parseForUpdate(kept.text, F).table));
    }
    expect(kept.table!.byKey.size).toBe(keys.length); // r32 was appended along the way
  });
});

describe('hand-made tables: columns reordered, extra, missing; short rows', () => {
  test('values go into the right columns by header; no Completed column is added', () => {
    const out = updateEvaluationsTable(
      REORDERED,
      [
        row('lr_a', 'task_one', '0', 'COMPLETED', { jobId: '101', completed: '2025-11-01 10:00:00', notes: 'accuracy 0.9' }),
        row('lr_b', 'task_one', '0', 'RUNNING', { jobId: '102' }), // the table says "epoch 0"
        row('lr_b', 'task_two', '0', 'PENDING', { jobId: '103' }), // a short row
        row('lr_a', 'task_two', '0', 'PENDING', { jobId: '104' }), // new
      ],
      F,
    );
    const lines = out.split('\n');
    expect(lines.slice(lines.indexOf('#### Evaluations'))).toEqual([
      '#### Evaluations',
      '| Task | Run Name | Owner | Epoch | Notes | Job ID | Status |',
      '|------|----------|-------|-------|-------|--------|--------|',
      '| task_one | lr_a | ana | 0 | accuracy 0.9 | 101 | COMPLETED |',
      '| task_one | lr_b | bo | epoch 0 | - | 102 | RUNNING |',
      '| task_two | lr_b | bo | 0 | | 103 | PENDING |',
      '| task_two | lr_a | - | 0 | - | 104 | PENDING |',
      '',
    ]);
    expect(changedLines(REORDERED, out.replace(/\n\| task_two \| lr_a .*\|/, ''))).toHaveLength(3);
    expect(updateEvaluationsTable(out, [row('lr_b', 'task_two', '0', 'PENDING', { jobId: '103' })], F)).toBe(out);
  });

  test('a table without Notes, Job ID and Completed: Status is written, the rest is left out', () => {
    const text = '# T\n\n## Status\n### Evaluations\nRun Name | Task | Epoch | Status\n--- | --- | --- | ---\nr | t | 0 | pending\n';
    const out = updateEvaluationsTable(text, [row('r', 't', '0', 'FAILED', { jobId: '5', notes: 'boom' })], F);
    expect(out).toBe('# T\n\n## Status\n### Evaluations\nRun Name | Task | Epoch | Status\n--- | --- | --- | ---\n| r | t | 0 | FAILED |\n');
    expect(updateEvaluationsTable(out, [row('r', 't', '0', 'FAILED', { jobId: '5', notes: 'boom' })], F)).toBe(out);
  });

  test('a kept last cell ending in a backslash is not glued to a new pipe', () => {
    const text = '# T\n\n## Status\n### Evaluations\n| Run Name | Task | Epoch | Status | Notes\n|---|---|---|---|---\n| r | t | 0 | pending | C:\\dir\\\n';
    const out = updateEvaluationsTable(text, [row('r', 't', '0', 'RUNNING')], F);
    expect(parseSummary(`${out}\n## All Runs\n| Run Name |\n|---|\n| r |\n`, F).evaluations![0]).toMatchObject({ status: 'RUNNING', notes: 'C:\\dir\\' });
  });
});

describe('no Evaluations table yet', () => {
  const rows = [
    row('1B_lr1e-5', 'acs_income', '1', 'PENDING', { jobId: '501' }),
    row('1B_lr1e-5', 'acs_income_calibration', '1', 'NOT_SUBMITTED'),
    row('1B_base', 'acs_income', '-', 'SKIPPED', { notes: 'checkpoint missing: /x/ck-out-1B_base | see log' }),
  ];

  test('adds ## Status / ### Evaluations at the end, and it parses back', () => {
    const out = updateEvaluationsTable(WITHOUT, rows, F);
    expect(out.startsWith(WITHOUT)).toBe(true); // the file ends with a newline: one blank line, then ours
    expect(out.slice(WITHOUT.length)).toBe(
      [
        '',
        '## Status',
        '',
        '### Evaluations',
        '| Run Name | Task | Epoch | Status | Job ID | Completed | Notes |',
        '|----------|------|-------|--------|--------|-----------|-------|',
        '| 1B_lr1e-5 | acs_income | 1 | PENDING | 501 | - | - |',
        '| 1B_lr1e-5 | acs_income_calibration | 1 | NOT_SUBMITTED | - | - | - |',
        '| 1B_base | acs_income | - | SKIPPED | - | - | checkpoint missing: /x/ck-out-1B_base \\| see log |',
        '',
      ].join('\n'),
    );
    const back = parseSummary(out, F);
    expect(back.evaluations!.map((e) => [e.run, e.task, e.epoch, e.status, e.jobId, e.notes])).toEqual([
      ['1B_lr1e-5', 'acs_income', '1', 'PENDING', '501', '-'],
      ['1B_lr1e-5', 'acs_income_calibration', '1', 'NOT_SUBMITTED', '-', '-'],
      ['1B_base', 'acs_income', '-', 'SKIPPED', '-', 'checkpoint missing: /x/ck-out-1B_base | see log'],
    ]);
    expect(back.runs).toEqual(parseSummary(WITHOUT, F).runs);
    // Later passes edit the table in place.
    expect(updateEvaluationsTable(out, rows, F)).toBe(out);
    const next = updateEvaluationsTable(out, [row('1B_lr1e-5', 'acs_income', '1', 'RUNNING', { jobId: '501' })], F);
    expect(changedLines(out, next)).toEqual([lineOf(out, '| 1B_lr1e-5 | acs_income | 1 |')]);
  });

  test('no trailing newline: none added', () => {
    const text = WITHOUT.trimEnd();
    const out = updateEvaluationsTable(text, rows.slice(0, 1), F);
    expect(out.endsWith('| 1B_lr1e-5 | acs_income | 1 | PENDING | 501 | - | - |')).toBe(true);
    expect(out.startsWith(`${text}\n\n## Status\n\n### Evaluations\n`)).toBe(true);
  });

  test('an existing Status section (Fine-tuning only) gets ### Evaluations before the next ## heading', () => {
    const text = WITH.replace(/### Evaluations\n[\s\S]*?\n\n## Quick Reference/, '## Quick Reference');
    const out = updateEvaluationsTable(text, [row('r4', 'reverse_words', '0', 'PENDING')], F);
    expect(out).toBe(
      text.replace(
        '\n## Quick Reference',
        '\n### Evaluations\n| Run Name | Task | Epoch | Status | Job ID | Completed | Notes |\n|----------|------|-------|--------|--------|-----------|-------|\n| r4 | reverse_words | 0 | PENDING | - | - | - |\n\n## Quick Reference',
      ),
    );
    expect(parseSummary(out, F).evaluations).toHaveLength(1);
  });

  test('a "### Status" section gets "#### Evaluations" (so it is found next time)', () => {
    const text = '# T\n\n## All Runs\n| Run Name |\n|---|\n| r |\n\n### Status\nSee below.\n';
    const out = updateEvaluationsTable(text, [row('r', 't', '0', 'PENDING')], F);
    expect(out).toContain('See below.\n\n#### Evaluations\n| Run Name |');
    expect(updateEvaluationsTable(out, [row('r', 't', '0', 'PENDING')], F)).toBe(out);
  });

  test('an "### Evaluations" heading without a table gets the table under it, before sub-headings', () => {
    const text = '# T\n\n## Status\n\n### Evaluations\nFilled in by run-inspect.\n#### Legend\n- x\n\n## Next\n';
    const out = updateEvaluationsTable(text, [row('r', 't', '0', 'PENDING')], F);
    expect(out).toBe(
      '# T\n\n## Status\n\n### Evaluations\nFilled in by run-inspect.\n\n| Run Name | Task | Epoch | Status | Job ID | Completed | Notes |\n|----------|------|-------|--------|--------|-----------|-------|\n| r | t | 0 | PENDING | - | - | - |\n\n#### Legend\n- x\n\n## Next\n',
    );
    expect(updateEvaluationsTable(out, [row('r', 't', '0', 'PENDING')], F)).toBe(out);
  });

  test('an unclosed code block at the end: refused rather than adding a table nobody can find', () => {
    const text = `${WITHOUT}\n\`\`\`bash\nsqueue -u me\n`;
    expect(() => updateEvaluationsTable(text, [row('r', 't', '0', 'PENDING')], F)).toThrow(UserError);
    expect(() => updateEvaluationsTable(text, [row('r', 't', '0', 'PENDING')], F)).toThrow(/^experiment_summary\.md: cannot add the Evaluations table/);
  });
});

describe('line endings and BOM are kept', () => {
  const crlf = WITH.replace(/\n/g, '\r\n');

  test('CRLF: edited rows keep CRLF, appended rows use CRLF', () => {
    const out = updateEvaluationsTable(crlf, [row('r4', 'reverse_words', '0', 'RUNNING'), row('r9', 'reverse_words', '0', 'PENDING')], F);
    expect(out.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(out.replace(/\r\n/g, '\n')).toBe(updateEvaluationsTable(WITH, [row('r4', 'reverse_words', '0', 'RUNNING'), row('r9', 'reverse_words', '0', 'PENDING')], F));
  });

  test('CRLF + BOM, new section: the BOM stays first, CRLF throughout', () => {
    const text = `\uFEFF${WITHOUT.replace(/\n/g, '\r\n')}`;
    const out = updateEvaluationsTable(text, [row('1B_base', 'acs_income', '-', 'PENDING')], F);
    expect(out.startsWith(text)).toBe(true);
    expect(out.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(parseSummary(out, F).evaluations).toHaveLength(1);
    expect(updateEvaluationsTable(out, [row('1B_base', 'acs_income', '-', 'PENDING')], F)).toBe(out);
  });

  test('BOM + LF, row edit', () => {
    const out = updateEvaluationsTable(`\uFEFF${WITH}`, [row('r4', 'reverse_words', '0', 'RUNNING')], F);
    expect(out).toBe(`\uFEFF${updateEvaluationsTable(WITH, [row('r4', 'reverse_words', '0', 'RUNNING')], F)}`);
  });
});

describe('upsertSection', () => {
  const body = '| Run | acs_income |\n|---|---|\n| 1B_lr1e-5 | 0.81 |\n\n![chart](results.svg)';

  test('adds the section at the end, then replaces it in place; identical when unchanged', () => {
    const once = upsertSection(WITHOUT, 'Results', body);
    expect(once).toBe(`${WITHOUT}\n## Results\n\n${body}\n`);
    expect(upsertSection(once, 'Results', body)).toBe(once);
    expect(upsertSection(once, 'Results', `\n\n${body}\n\n`)).toBe(once); // blank lines around the body do not count
    const twice = upsertSection(once, 'Results', body.replace('0.81', '0.83'));
    expect(twice).toBe(once.replace('0.81', '0.83'));
  });

  test('a section in the middle: only its body changes; the heading line is kept as written', () => {
    const text = WITH.replace('## Quick Reference', '## results\nold stuff\n\nmore\n\n## Quick Reference');
    const out = upsertSection(text, 'Results', 'new body');
    expect(out).toBe(WITH.replace('## Quick Reference', '## results\n\nnew body\n\n## Quick Reference'));
    expect(upsertSection(out, 'Results', 'new body')).toBe(out);
  });

  test('CRLF, BOM and no trailing newline are kept', () => {
    const text = `\uFEFF${WITHOUT.trimEnd().replace(/\n/g, '\r\n')}`;
    const out = upsertSection(text, 'Results', 'line one\nline two');
    expect(out).toBe(`${text}\r\n\r\n## Results\r\n\r\nline one\r\nline two`);
    expect(upsertSection(out, 'Results', 'line one\r\nline two')).toBe(out);
  });

  test('a body with a level-1/2 heading is a programming error', () => {
    expect(() => upsertSection(WITHOUT, 'Results', 'x\n## Oops')).toThrow(/must not contain/);
    expect(upsertSection(WITHOUT, 'Results', '### Fine\nx')).toContain('## Results\n\n### Fine\nx\n');
  });
});

describe('one column list for reader and writer', () => {
  test('a table the writer adds has the listed headers in order, and the reader reads its rows back as written', () => {
    const rows = [row('r4', 'cap', '0', 'COMPLETED', { jobId: '101', completed: '2026-12-04 10:00:00', notes: 'accuracy 0.480' }), row('base', 'cap', '-', 'FAILED', { jobId: '102', notes: 'exit code 1:0' })];
    const text = updateEvaluationsTable(WITHOUT, rows, F);
    expect(text).toContain(`| ${EVALUATIONS_COLUMNS.map((c) => c.header).join(' | ')} |`);
    expect(parseSummary(text, F).evaluations).toEqual(rows);
  });
});
