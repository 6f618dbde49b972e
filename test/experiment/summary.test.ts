// Reading experiment_summary.md: both real shapes, hand-written tables, odd names, line endings.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { normalizeEpoch, parseSummary, readSummary } from '../../src/experiment/summary.js';
import { exampleSummary } from '../support/scaffold.mjs';

const OURS = new URL('../fixtures/summaries/', import.meta.url);
const shared = (name: 'with-status-tables.md' | 'without-status.md') => exampleSummary(name === 'with-status-tables.md' ? 'with-status-tables' : 'without-status');
const ours = (name: string) => readFileSync(new URL(name, OURS), 'utf8');

const tmp = mkdtempSync(join(tmpdir(), 'summary-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the fixture with Status tables (older template)', () => {
  const s = parseSummary(shared('with-status-tables.md'), 'with-status-tables.md');

  test('title, runs and their parameters', () => {
    expect(s.title).toBe('words_3L_rank_sweep_2025-10-20');
    expect(s.runs.map((r) => [r.name, r.type])).toEqual([
      ['r4', 'Fine-tuned'],
      ['r16', 'Fine-tuned'],
      ['Llama-3.2-3B_base', 'Control'],
    ]);
    expect(s.runs[1]!.params).toEqual({
      Model: 'Llama-3.2-3B-Instruct',
      'LoRA Rank': '16',
      'Batch Size': '8',
      Type: 'Fine-tuned',
      'Est. Time': '~30min',
    });
  });

  test('evaluation matrix without its Notes column', () => {
    expect(s.matrix).toEqual([
      { run: 'r4', cells: { reverse_words: '✓ epoch 0,1,2' } },
      { run: 'r16', cells: { reverse_words: '✓ epoch 0,1,2' } },
      { run: 'Llama-3.2-3B_base', cells: { reverse_words: '✓' } },
    ]);
  });

  test('output paths', () => {
    expect(s.checkpointDir).toBe('/scratch/gpfs/LAB/ck-outputs/');
    expect(s.namingPattern).toBe('ck-out-{run_name}/epoch_{N}');
  });

  test('fine-tuning jobs', () => {
    expect(s.finetuneJobs).toEqual([
      { run: 'r4', jobId: '4410021', status: 'completed' },
      { run: 'r16', jobId: '4410022', status: 'completed' },
    ]);
  });

  test('evaluations rows', () => {
    expect(s.evaluations).toHaveLength(7);
    expect(s.evaluations![0]).toEqual({ run: 'r4', task: 'reverse_words', epoch: '0', status: 'pending', jobId: '-', completed: '-', notes: '-' });
    expect(s.evaluations![6]).toEqual({
      run: 'Llama-3.2-3B_base',
      task: 'reverse_words',
      epoch: '-',
      status: 'pending',
      jobId: '-',
      completed: '-',
      notes: 'Base model',
    });
  });
});

describe('the fixture without a Status section (newer template)', () => {
  const s = parseSummary(shared('without-status.md'), 'without-status.md');

  test('"# Name" title, runs, no matrix, no Status tables', () => {
    expect(s.title).toBe('ACS income, model size sweep');
    expect(s.runs.map((r) => r.name)).toEqual(['1B_lr1e-5', '1B_lr1e-4', '8B_lr1e-5', '8B_lr1e-4', '1B_base']);
    expect(s.runs[4]).toEqual({
      name: '1B_base',
      type: 'Control',
      params: { Model: 'Llama-3.2-1B-Instruct', 'Learning Rate': '-', Type: 'Control', 'Est. Time': 'N/A' },
    });
    expect(s.matrix).toBeNull();
    expect(s.finetuneJobs).toEqual([]);
    expect(s.evaluations).toBeNull();
    expect(s.checkpointDir).toBe('/scratch/gpfs/LAB/ck-outputs/acs_income_size_2025-11-06/');
    expect(s.namingPattern).toBe('ck-out-{run_name}/epoch_{N}');
  });
});

describe('hand-written tables', () => {
  test('columns found by name in any order, without outer pipes, bold headers, deeper headings', () => {
    const s = parseSummary(ours('reordered-columns.md'), 'reordered-columns.md');
    expect(s.title).toBe('Reordered columns');
    expect(s.runs).toEqual([
      { name: 'lr_a', type: 'Fine-tuned', params: { Type: 'Fine-tuned', 'Learning Rate': '1e-5', Owner: 'ana' } },
      { name: 'lr_b', type: 'Fine-tuned', params: { Type: 'Fine-tuned', 'Learning Rate': '1e-4', Owner: 'bo' } },
    ]);
    expect(s.matrix).toEqual([
      { run: 'lr_a', cells: { task_two: '-', task_one: '✓ epoch 0' } },
      { run: 'lr_b', cells: { task_two: '✓', task_one: '✓ epoch 0' } },
    ]);
    expect(s.checkpointDir).toBe('/data/ck/');
    expect(s.namingPattern).toBe('ck-out-{run_name}/epoch_{N}');
    expect(s.finetuneJobs).toEqual([
      { run: 'lr_a', jobId: '77', status: null },
      { run: 'lr_b', jobId: null, status: null },
    ]);
    // No Completed column: '' there; a short last row: '' for its missing cells.
    expect(s.evaluations).toEqual([
      { run: 'lr_a', task: 'task_one', epoch: '0', status: 'pending', jobId: '-', completed: '', notes: 'keep me' },
      { run: 'lr_b', task: 'task_one', epoch: 'epoch 0', status: 'pending', jobId: '-', completed: '', notes: '-' },
      { run: 'lr_b', task: 'task_two', epoch: '0', status: '', jobId: '', completed: '', notes: '' },
    ]);
  });

  test('names with spaces, quotes, $(...), ; and | are read as written (| unescaped)', () => {
    const s = parseSummary(ours('weird-names.md'), 'weird-names.md');
    expect(s.runs.map((r) => r.name)).toEqual([
      'rank 8 lr 1e-5',
      'it\'s "quoted"',
      '$(touch pwned)',
      'a;b&&c',
      'pipe|name',
      '`backticks`',
      'ünïcødé_模型',
    ]);
    expect(s.evaluations!.map((e) => [e.run, e.task, e.epoch])).toEqual([
      ['rank 8 lr 1e-5', 'my task', '0'],
      ['$(touch pwned)', 't;rm -rf ~', '1'],
      ['pipe|name', 'a|b', 'base'],
    ]);
  });

  test('epoch spellings', () => {
    expect(['-', '', ' base ', 'BASE', 'n/a', '—'].map(normalizeEpoch)).toEqual(['-', '-', '-', '-', '-', '-']);
    expect(['0', '00', 'epoch 1', 'Epoch_2', ' 3 '].map(normalizeEpoch)).toEqual(['0', '0', '1', '2', '3']);
  });
});

describe('line endings and BOM', () => {
  const lf = shared('with-status-tables.md');
  const expected = parseSummary(lf, 'x');

  test('CRLF, BOM, and both read the same as LF', () => {
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(parseSummary(crlf, 'x')).toEqual(expected);
    expect(parseSummary(`\uFEFF${lf}`, 'x')).toEqual(expected);
    expect(parseSummary(`\uFEFF${crlf}`, 'x')).toEqual(expected);
  });

  test('readSummary returns the exact text, BOM and CRLF included', async () => {
    const text = `\uFEFF${lf.replace(/\n/g, '\r\n')}`;
    const file = join(tmp, 'bom-crlf.md');
    writeFileSync(file, text);
    const read = await readSummary(file);
    expect(read.text).toBe(text);
    expect(read.summary).toEqual(expected);
  });
});
