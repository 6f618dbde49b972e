// run-inspect.log: the workflow's entry format, which other tools grep.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { fileRunLog } from '../../src/report/runlog.js';

const at = new Date(2026, 10, 29, 7, 30, 5);

test('entries are appended in the workflow format, one or many at a time, into a folder made on first use', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-runlog-'));
  const file = join(dir, 'logs', 'run-inspect.log'); // the cells layout's logs/ may not exist yet
  const log = fileRunLog(file, () => at);
  await log.write('SUBMIT_EVAL', 'r4/reverse_words/epoch0', [['Command', 'cd r4/eval && sbatch reverse_words_epoch0.slurm'], ['Result', 'Job ID 12345 submitted at 2026-11-29 07:30:05']]);
  await log.writeAll([]);
  await log.writeAll([
    { action: 'STATE_CHANGE', description: 'r4/reverse_words/epoch0', fields: [['Previous', 'PENDING'], ['Current', 'RUNNING']] },
    { action: 'STATE_CHANGE', description: 'a\nmessage on\r\ntwo lines', fields: [['Notes', 'line one\nline two']] },
  ]);
  expect(readFileSync(file, 'utf8')).toBe(
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
