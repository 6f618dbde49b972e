// A large state file takes a poll's changes as journal lines beside it; every reader sees the
// journal applied; a crash at any point between an append and a compaction loses nothing.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendJournal } from '../../src/state/journal.js';
import type { State } from '../../src/state/schema.js';
import { readState, setEval, StateStore } from '../../src/state/store.js';
import { evalState, stateOf } from '../support/eval-state.js';

const evals = (n: number) => Array.from({ length: n }, (_, i) => evalState(`run${i}`, 'task', 0, 'PENDING', { job_id: String(1000 + i) }));
const key = (i: number) => `run${i}_task_epoch0`;

function setup(journalFromBytes = 1) {
  const dir = mkdtempSync(join(tmpdir(), 'ri-journal-'));
  const file = join(dir, 'eval_jobs.json');
  return { file, journal: join(dir, 'eval_jobs.journal.jsonl'), store: new StateStore(file, journalFromBytes) };
}

const complete = (i: number) => (s: State | null) => {
  setEval(s!, key(i), { status: 'COMPLETED', completed: '2026-12-05 01:00:00' });
  return s!;
};

describe('the journal beside a large eval_jobs.json', () => {
  it('takes a change as one line holding only the changed evaluations; every reader sees it', async () => {
    const { file, journal, store } = setup();
    await store.update(() => stateOf('x', evals(50)));
    const whole = readFileSync(file);
    await store.update(complete(7));
    expect(readFileSync(file)).toEqual(whole); // the state file is not rewritten
    const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(Object.keys(JSON.parse(lines[0]!).evaluations)).toEqual([key(7)]);
    expect(lines[0]!.length).toBeLessThan(whole.length / 20);
    // another process (status, retry) reads the state with the journal applied
    expect((await readState(file))!.evaluations[key(7)]!.status).toBe('COMPLETED');
    expect((await new StateStore(file).current())!.evaluations[key(7)]!.status).toBe('COMPLETED');
  });

  it('a head change goes in the line too; nothing changed, nothing appended', async () => {
    const { file, journal, store } = setup();
    await store.update(() => stateOf('x', evals(5)));
    await store.update((s) => ({ ...s!, monitor: { ...s!.monitor, holder: 'pid 1' } }));
    const size = statSync(journal).size;
    await store.update((s) => s!);
    expect(statSync(journal).size).toBe(size);
    expect((await readState(file))!.monitor.holder).toBe('pid 1');
  });

  it('compaction folds the journal into eval_jobs.json and removes it; the file alone is the whole state', async () => {
    const { file, journal, store } = setup();
    await store.update(() => stateOf('x', evals(5)));
    await store.update(complete(1));
    await store.update(complete(2));
    await store.update((s) => s!, { compact: true });
    expect(existsSync(journal)).toBe(false);
    const alone = JSON.parse(readFileSync(file, 'utf8')) as State;
    expect([1, 2].map((i) => alone.evaluations[key(i)]!.status)).toEqual(['COMPLETED', 'COMPLETED']);
  });

  it('the journal is compacted once it is as large as the state file', async () => {
    const { journal, store, file } = setup();
    await store.update(() => stateOf('x', evals(20)));
    let compactions = 0;
    for (let i = 0; i < 60; i++) {
      const had = existsSync(journal);
      await store.update((s) => {
        setEval(s!, key(i % 20), { status: i % 2 ? 'RUNNING' : 'PENDING', notes: `pass ${i}` });
        return s!;
      });
      if (had && !existsSync(journal)) compactions++;
      expect(existsSync(journal) ? statSync(journal).size : 0).toBeLessThanOrEqual(statSync(file).size + 1024);
    }
    expect(compactions).toBeGreaterThan(0);
    expect((await readState(file))!.evaluations[key(19)]!.notes).toBe('pass 59');
  });

  it('a small state file is always written whole, with no journal', async () => {
    const { file, journal, store } = setup(1 << 20);
    await store.update(() => stateOf('x', evals(5)));
    await store.update(complete(3));
    expect(existsSync(journal)).toBe(false);
    expect((JSON.parse(readFileSync(file, 'utf8')) as State).evaluations[key(3)]!.status).toBe('COMPLETED');
  });

  it('killed between writing the compacted file and removing the journal: the old lines are void, nothing is applied twice or lost', async () => {
    const { file, journal, store } = setup();
    await store.update(() => stateOf('x', evals(5)));
    await store.update(complete(1));
    const leftover = readFileSync(journal, 'utf8');
    await store.update((s) => s!, { compact: true });
    // The crash: the old journal is still there beside the new file.
    writeFileSync(journal, leftover);
    const later = new StateStore(file, 1);
    await later.update((s) => {
      setEval(s!, key(1), { status: 'FAILED' }); // a retry's edit after the compaction wins
      return s!;
    });
    expect((await readState(file))!.evaluations[key(1)]!.status).toBe('FAILED');
    // and a new link's appends start a fresh journal rather than add to void lines
    await later.update(complete(2));
    const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean);
    expect(lines.every((l) => JSON.parse(l).journal_id === JSON.parse(readFileSync(file, 'utf8')).journal_id)).toBe(true);
  });

  it('killed mid-append: the cut line is never read, and the next line is not swallowed by it', async () => {
    const { file, journal, store } = setup();
    await store.update(() => stateOf('x', evals(5)));
    await store.update(complete(1));
    appendFileSync(journal, '{"journal_id":"cut short by SIGKI');
    expect((await readState(file))!.evaluations[key(1)]!.status).toBe('COMPLETED');
    const next = new StateStore(file, 1);
    await next.current(); // a new link: the file is re-read and compacted, the cut line goes with it
    await next.update(complete(2));
    await next.update(complete(3));
    const s = (await readState(file))!;
    expect([1, 2, 3].map((i) => s.evaluations[key(i)]!.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  it('a journal changed behind our back makes the writer re-read and compact, never append after it', async () => {
    const { file, journal, store } = setup();
    await store.update(() => stateOf('x', evals(5)));
    await store.update(complete(1));
    appendFileSync(journal, '{"journal_id":"cut');
    await store.update(complete(2));
    expect(existsSync(journal)).toBe(false);
    const s = (await readState(file))!;
    expect([1, 2].map((i) => s.evaluations[key(i)]!.status)).toEqual(['COMPLETED', 'COMPLETED']);
  });

  it('is never appended to through a symbolic link: the link target is untouched', async () => {
    const { file, journal } = setup();
    const theirs = join(file, '..', 'theirs.txt');
    writeFileSync(theirs, 'someone else\'s file\n');
    symlinkSync(theirs, journal);
    await expect(appendJournal(journal, 'x', null, [])).rejects.toThrow(/eval_jobs\.journal\.jsonl: is a symbolic link; run-inspect does not write through links/);
    expect(readFileSync(theirs, 'utf8')).toBe('someone else\'s file\n');
  });

  it('a line edited into something that is not JSON is a one-line error naming the journal, and nothing is written', async () => {
    const { file, journal, store } = setup();
    await store.update(() => stateOf('x', evals(5)));
    await store.update(complete(1));
    appendFileSync(journal, 'not json\n');
    const before = readFileSync(journal, 'utf8');
    await expect(readState(file)).rejects.toThrow(/eval_jobs\.journal\.jsonl: line 2 is not valid JSON/);
    await expect(new StateStore(file, 1).current()).rejects.toThrow(/eval_jobs\.journal\.jsonl: line 2/);
    expect(readFileSync(journal, 'utf8')).toBe(before);
  });
});
