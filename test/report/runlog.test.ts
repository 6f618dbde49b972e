// run-inspect.log: the workflow's entry format, which other tools grep.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { fileRunLog, RUN_LOG_FILE } from '../../src/report/runlog.js';

const at = new Date(2026, 10, 29, 7, 30, 5);

test('entries are appended in the workflow format, one or many at a time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-runlog-'));
  const log = fileRunLog(dir, () => at);
  await log.write('SUBMIT_EVAL', 'r4/reverse_words/epoch0', [['Command', 'cd r4/eval && sbatch reverse_words_epoch0.slurm'], ['Result', 'Job ID 12345 submitted at 2026-11-29 07:30:05']]);
  await log.writeAll([]);
  await log.writeAll([
    { action: 'STATE_CHANGE', description: 'r4/reverse_words/epoch0', fields: [['Previous', 'PENDING'], ['Current', 'RUNNING']] },
    { action: 'STATE_CHANGE', description: 'a\nmessage on\r\ntwo lines', fields: [['Notes', 'line one\nline two']] },
  ]);
  expect(readFileSync(join(dir, RUN_LOG_FILE), 'utf8')).toBe(
    [
      '[2026-11-29 07:30:05] SUBMIT_EVAL: r4/reverse_words/epoch0',
      'Command: cd r4/eval && sbatch reverse_words_epoch0.slurm',
      'Result: Job ID 12345 submitted at 2026-11-29 07:30:05',
      '',
      '[2026-11-29 07:30:05] STATE_CHANGE: r4/reverse_words/epoch0',
      'Previous: PENDING',
      'Current: RUNNING',
      '',
      '[2026-11-29 07:30:05] STATE_CHANGE: a message on two lines',
      'Notes: line one line two',
      '',
      '',
    ].join('\n'),
  );
});
