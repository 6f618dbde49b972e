// The poll loop's summary sync: rows of changed evals only, and a full check after someone else
// wrote the file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect, test } from 'vitest';
import { detectLayout, setAsideOf } from '../../src/experiment/layout.js';
import { SummaryTableSync } from '../../src/report/summary-file.js';
import { STATE_VERSION, type State } from '../../src/state/schema.js';
import { tempFileOf } from '../../src/state/own-file.js';
import { parseState, setEval } from '../../src/state/store.js';
import { exampleSummary } from '../support/scaffold.mjs';

const WITH = exampleSummary('with-status-tables');

function stateOf(epochs: number[]): State {
  const evaluations = Object.fromEntries(
    epochs.map((epoch) => [
      `r4_reverse_words_epoch${epoch}`,
      { run: 'r4', task: 'reverse_words', epoch, job_id: null, status: 'NOT_SUBMITTED', submitted: null, completed: null, elapsed: null, log_path: null, script: `r4/eval/reverse_words_epoch${epoch}.slurm` },
    ]),
  );
  return parseState(JSON.stringify({ version: STATE_VERSION, experiment: 'x', experiment_id: 'id', monitoring_started: '2026-11-29 10:00:00', evaluations }), 'f');
}

const rowOf = (text: string, epoch: number) => text.split('\n').find((l) => l.startsWith(`| r4 | reverse_words | ${epoch} |`));

test('writes the rows of evals that changed since the last sync, and nothing when none did', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-sync-'));
  const file = join(dir, 'experiment_summary.md');
  writeFileSync(file, WITH);
  const state = stateOf([0, 1, 2]);
  const sync = new SummaryTableSync(file);

  await sync.sync(state);
  const first = readFileSync(file, 'utf8');
  expect([0, 1, 2].map((e) => rowOf(first, e))).toEqual([0, 1, 2].map((e) => `| r4 | reverse_words | ${e} | NOT_SUBMITTED | - | - | - |`));

  const ino = statSync(file).ino;
  await sync.sync(state);
  setEval(state, 'r4_reverse_words_epoch0', { elapsed: '1m 0s', slurm_state: 'PENDING' }); // not in the table
  await sync.sync(state);
  expect(statSync(file).ino).toBe(ino); // not rewritten

  setEval(state, 'r4_reverse_words_epoch1', { status: 'PENDING', job_id: '77' });
  await sync.sync(state);
  const second = readFileSync(file, 'utf8');
  const differ = first.split('\n').flatMap((line, i) => (line === second.split('\n')[i] ? [] : [line]));
  expect(differ).toEqual([rowOf(first, 1)]);
  expect(rowOf(second, 1)).toBe('| r4 | reverse_words | 1 | PENDING | 77 | - | - |');
});

test('after someone else wrote the file, every row is checked again and their edit is kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-sync-'));
  const file = join(dir, 'experiment_summary.md');
  writeFileSync(file, WITH);
  const state = stateOf([0, 2]);
  const sync = new SummaryTableSync(file);
  await sync.sync(state);

  // The user overwrites one of our cells and adds a line of their own; no eval changed.
  const edited = readFileSync(file, 'utf8').replace('| r4 | reverse_words | 2 | NOT_SUBMITTED |', '| r4 | reverse_words | 2 | done?? |').replace('## ', 'My note.\n\n## ');
  writeFileSync(file, edited);
  await sync.sync(state);
  const after = readFileSync(file, 'utf8');
  expect(rowOf(after, 2)).toBe('| r4 | reverse_words | 2 | NOT_SUBMITTED | - | - | - |');
  expect(after).toContain('My note.\n\n## ');
  expect(after).toBe(edited.replace('| 2 | done?? |', '| 2 | NOT_SUBMITTED |'));
});

test('a run killed in the moment the summary was set aside: the next run puts it back before looking for it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-aside-'));
  const summary = join(dir, 'experiment_summary.md');
  writeFileSync(setAsideOf(summary, 4242), WITH);
  expect(existsSync(summary)).toBe(false);
  const layout = detectLayout(dir);
  expect(layout.generation).toBe('seed');
  expect(readFileSync(summary, 'utf8')).toBe(WITH);
  expect(readdirSync(dir)).toEqual(['experiment_summary.md']);
});

test('a run killed after it linked its summary in (or after a save of yours) left an older version aside: the next run removes it, but not one of a run still swapping', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-aside-'));
  const summary = join(dir, 'experiment_summary.md');
  const dead = () => spawnSync('true').pid!; // a process that has ended: its pid is free
  writeFileSync(summary, WITH);
  writeFileSync(setAsideOf(summary, dead()), 'an older version\n');
  writeFileSync(setAsideOf(summary, process.pid), 'mid-swap\n'); // a live process's: its own to finish
  detectLayout(dir);
  expect(readFileSync(summary, 'utf8')).toBe(WITH);
  expect(readdirSync(dir).sort()).toEqual(['experiment_summary.md', `experiment_summary.md.run-inspect-aside-${process.pid}`]);

  // None in place, two dead runs' asides: the newest goes back, the older goes.
  rmSync(dir, { recursive: true });
  mkdirSync(dir);
  const older = setAsideOf(summary, dead());
  writeFileSync(older, 'older\n');
  utimesSync(older, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  writeFileSync(setAsideOf(summary, dead()), WITH);
  detectLayout(dir);
  expect(readFileSync(summary, 'utf8')).toBe(WITH);
  expect(readdirSync(dir)).toEqual(['experiment_summary.md']);
});

test('a run killed while it wrote its version left a temp file: the next run removes it when its process is gone, not a live writer\'s or another host\'s fresh one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-aside-'));
  const summary = join(dir, 'experiment_summary.md');
  const dead = () => spawnSync('true').pid!;
  writeFileSync(summary, WITH);
  writeFileSync(tempFileOf(summary, hostname(), dead()), 'half a summary');
  const live = tempFileOf(summary, hostname(), process.pid);
  const elsewhere = tempFileOf(summary, 'gpu-node-7', dead()); // its pid means nothing here
  const forsaken = tempFileOf(summary, 'gpu-node-8', 4242);
  const fromOlderVersion = `${summary}.run-inspect-${dead()}.tmp`;
  for (const f of [live, elsewhere, forsaken, fromOlderVersion]) writeFileSync(f, 'half a summary');
  const dayAgo = new Date(Date.now() - 25 * 3600_000);
  for (const f of [forsaken, fromOlderVersion]) utimesSync(f, dayAgo, dayAgo);
  detectLayout(dir);
  expect(readFileSync(summary, 'utf8')).toBe(WITH);
  expect(readdirSync(dir).sort()).toEqual(['experiment_summary.md', basename(elsewhere), basename(live)].sort());
});

test('no swap leaves anything behind: after a sync the folder holds the summary only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-aside-'));
  const summary = join(dir, 'experiment_summary.md');
  writeFileSync(summary, WITH);
  const sync = new SummaryTableSync(summary);
  await sync.sync(stateOf([0, 1]));
  expect(readFileSync(summary, 'utf8')).not.toBe(WITH);
  expect(readdirSync(dir)).toEqual(['experiment_summary.md']);
});
