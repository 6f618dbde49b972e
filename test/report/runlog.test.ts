// run-inspect.log: the workflow's entry format, which other tools grep.
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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

test('never writes through a symbolic link (a shared folder: someone else\'s link would take our lines)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-runlog-'));
  const elsewhere = join(dir, 'elsewhere.txt');
  writeFileSync(elsewhere, 'theirs\n');
  symlinkSync(elsewhere, join(dir, 'run-inspect.log'));
  await expect(fileRunLog(join(dir, 'run-inspect.log'), () => at).write('LAUNCH', 'x')).rejects.toThrow(/run-inspect\.log: is a symbolic link; run-inspect does not write through links/);
  expect(readFileSync(elsewhere, 'utf8')).toBe('theirs\n');
});
