import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, utimesSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearLogCache, findLogs, logMatches, modelPathMatches, shortTaskName, taskMatches, type LogIdentity } from '../../src/inspect/find.js';
import { FIX, buildZip, headerJson, itRealLogs, startJson, summaries, tempDir, writeFile } from './helpers.js';

/** A shared logs folder (the seed era's `{run}/eval/logs/`): task and model path must match. */
const shared = (task: string, modelPath: string | null): LogIdentity => ({ tasks: [task], visLabel: null, modelPath, ownFolder: false });

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir('inspect-find-'));
  clearLogCache();
});
afterEach(() => cleanup());

/** A finished .eval with the given task / model path / status / creation time. */
function finished(name: string, o: { task?: string; modelPath?: string | null; status?: string; created: string }): string {
  return writeFile(
    dir,
    name,
    buildZip([
      { name: '_journal/start.json', data: startJson(o) },
      {
        name: 'header.json',
        data: headerJson({ ...o, error: o.status === 'error' ? { message: 'boom', traceback: '' } : undefined }),
      },
    ]),
  );
}

function running(name: string, o: { task?: string; modelPath?: string | null; created: string }): string {
  return writeFile(
    dir,
    name,
    buildZip([
      { name: '_journal/start.json', data: startJson(o) },
      { name: '_journal/summaries/1.json', data: summaries([1, 1], [2, 1]) },
    ]),
  );
}

describe('findLogs', () => {
  it('a missing logs dir is simply empty', async () => {
    expect(await findLogs(join(dir, 'nope'), shared('popularity', null))).toEqual({ finished: null, running: null, problems: [] });
  });

  it('several evals of one run share the dir: task AND model path decide', async () => {
    finished('a.eval', { task: 'popularity', modelPath: '/ck/run1/epoch_1', created: '2026-01-01T10:00:00Z' });
    finished('b.eval', { task: 'popularity', modelPath: '/ck/run1/epoch_2', created: '2026-01-01T11:00:00Z' });
    finished('c.eval', { task: 'other', modelPath: '/ck/run1/epoch_1', created: '2026-01-01T12:00:00Z' });
    finished('d.eval', { task: 'popularity', modelPath: null, created: '2026-01-01T13:00:00Z' });

    const e1 = await findLogs(dir, shared('popularity', '/ck/run1/epoch_1'));
    expect(e1.finished?.path).toBe(join(dir, 'a.eval'));
    expect(e1.running).toBeNull();
    expect(e1.problems).toEqual([]);

    // trailing slashes and doubled slashes do not matter
    expect((await findLogs(dir, shared('popularity', '/ck//run1/epoch_2/'))).finished?.path).toBe(join(dir, 'b.eval'));
    // control run: only logs without a model path
    expect((await findLogs(dir, shared('popularity', null))).finished?.path).toBe(join(dir, 'd.eval'));
    // no log for this checkpoint
    expect((await findLogs(dir, shared('popularity', '/ck/run1/epoch_3'))).finished).toBeNull();
  });

  it('the newest finished log and, separately, the newest running one', async () => {
    const o = { task: 'popularity', modelPath: '/ck/e1' };
    finished('old-success.eval', { ...o, created: '2026-01-01T10:00:00Z' });
    finished('new-error.eval', { ...o, status: 'error', created: '2026-01-01T11:00:00Z' });
    running('old-run.eval', { ...o, created: '2026-01-01T09:00:00Z' });
    running('new-run.eval', { ...o, created: '2026-01-01T12:00:00Z' });

    const r = await findLogs(dir, shared('popularity', '/ck/e1'));
    expect(r.finished?.path).toBe(join(dir, 'new-error.eval'));
    expect(r.finished?.status).toBe('error');
    expect(r.finished?.errorMessage).toBe('boom');
    expect(r.running?.path).toBe(join(dir, 'new-run.eval'));
    expect(r.running?.progress).toEqual({ done: 2, total: 5 });
  });

  it('task names in the `file.py@task` or registry form match the bare name', async () => {
    finished('x.eval', { task: 'tasks/popularity.py@popularity', modelPath: '/ck', created: '2026-01-01T10:00:00Z' });
    expect((await findLogs(dir, shared('popularity', '/ck'))).finished?.path).toBe(join(dir, 'x.eval'));
    expect((await findLogs(dir, shared('tasks/popularity.py@popularity', '/ck'))).finished).not.toBeNull();
    expect((await findLogs(dir, shared('popular', '/ck'))).finished).toBeNull();
  });

  it('bad logs are reported one line each and skipped; non-logs are ignored', async () => {
    finished('good.eval', { modelPath: '/ck', created: '2026-01-01T10:00:00Z' });
    writeFile(dir, 'bad.eval', 'not a zip at all');
    writeFile(dir, 'bad.json', '{"truncated": ');
    writeFile(dir, 'logs.json', '{"some-log.eval": {}}'); // inspect's own listing, not a log
    writeFile(dir, 'notes.txt', 'hello');
    mkdirSync(join(dir, 'sub.eval'));
    const old = new Date(Date.now() - 60_000);
    for (const f of ['bad.eval', 'bad.json']) utimesSync(join(dir, f), old, old); // not mid-write

    const r = await findLogs(dir, shared('popularity', '/ck'));
    expect(r.finished?.path).toBe(join(dir, 'good.eval'));
    expect(r.problems).toHaveLength(2);
    expect(r.problems[0]).toMatch(new RegExp(`^${join(dir, 'bad.eval')}: not a zip file`));
    expect(r.problems[1]).toMatch(new RegExp(`^${join(dir, 'bad.json')}: invalid JSON`));
    for (const p of r.problems) expect(p).not.toContain('\n');
  });

  it('`since` ignores logs created before the job was submitted', async () => {
    const o = { task: 'popularity', modelPath: '/ck' };
    finished('before.eval', { ...o, created: '2026-01-01T10:00:00Z' });
    finished('after.eval', { ...o, status: 'error', created: '2026-01-01T12:00:00Z' });
    const r = await findLogs(dir, shared('popularity', '/ck'), { since: new Date('2026-01-01T11:00:00Z') });
    expect(r.finished?.path).toBe(join(dir, 'after.eval'));
    const none = await findLogs(dir, shared('popularity', '/ck'), { since: new Date('2026-01-01T13:00:00Z') });
    expect(none.finished).toBeNull();
  });

  it('`since` skips files last modified before it without reading them', async () => {
    const path = writeFile(dir, 'garbage.eval', 'not a zip');
    const old = new Date('2025-01-01T00:00:00Z');
    utimesSync(path, old, old);
    const r = await findLogs(dir, shared('popularity', null), { since: new Date('2026-01-01T00:00:00Z') });
    expect(r.problems).toEqual([]);
  });

  itRealLogs('real fixture logs in a shared dir (deflate, zstd, legacy json)', async () => {
    for (const f of Object.values(FIX)) copyFileSync(f, join(dir, f.split('/').pop()!));
    const pop = await findLogs(dir, shared('popularity', null));
    // newest by eval.created: the 2025-02-11 15:18 log (15:17 one and 2024 ones are older)
    expect(pop.finished?.path).toBe(join(dir, '2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval'));
    expect(pop.problems).toEqual([]);
    const ctf = await findLogs(dir, shared('cp_ctf', null));
    expect(ctf.finished?.model).toBe('openai/gpt-5.4');
  });

  it('re-reads a log that changed (running → finished), not one that did not', async () => {
    const o = { task: 'popularity', modelPath: '/ck', created: '2026-01-01T10:00:00Z' };
    const path = running('log.eval', o);
    expect((await findLogs(dir, shared('popularity', '/ck'))).running?.path).toBe(path);
    writeFileSync(
      path,
      buildZip([
        { name: '_journal/start.json', data: startJson(o) },
        { name: '_journal/summaries/1.json', data: summaries([1, 1], [2, 1]) },
        { name: 'header.json', data: headerJson(o) },
      ]),
    );
    const later = new Date(Date.now() + 5_000);
    utimesSync(path, later, later);
    const r = await findLogs(dir, shared('popularity', '/ck'));
    expect(r.running).toBeNull();
    expect(r.finished?.status).toBe('success');
  });
});

describe('matching rules', () => {
  it('shortTaskName', () => {
    expect(shortTaskName('popularity')).toBe('popularity');
    expect(shortTaskName('tasks/x.py@popularity')).toBe('popularity');
    expect(shortTaskName('inspect_evals/gpqa_diamond')).toBe('gpqa_diamond');
    expect(shortTaskName('tasks/popularity.py')).toBe('popularity');
  });

  it('taskMatches', () => {
    expect(taskMatches('popularity', 'tasks/x.py@popularity')).toBe(true);
    expect(taskMatches('popularity', 'popularity_v2')).toBe(false);
  });

  it('modelPathMatches', () => {
    expect(modelPathMatches('/a/b/', '/a/b')).toBe(true);
    expect(modelPathMatches('/a//b/./', '/a/b')).toBe(true);
    expect(modelPathMatches('/a/b', '/a/c')).toBe(false);
    expect(modelPathMatches(null, null)).toBe(true);
    expect(modelPathMatches(null, '/a')).toBe(false);
    expect(modelPathMatches('/a', null)).toBe(false);
    expect(modelPathMatches('/', '/')).toBe(true);
  });
});

describe('logMatches: the logs of one eval, as cruijff_kit and the seed era write them', () => {
  const log = (task: string, modelPath: string | null, visLabel: string | null = null) => ({ task, modelPath, visLabel });
  const cap: LogIdentity = {
    tasks: ['capitalization', 'capitalization_rank4 (cap_default)'],
    visLabel: 'rank4 (cap_default)',
    modelPath: '/exp/rank4/artifacts/epoch_0',
    ownFolder: false,
  };

  it('in a shared folder, the task function with its vis_label suffix and the model path must both match', () => {
    expect(logMatches(cap, log('capitalization_rank4 (cap_default)', '/exp/rank4/artifacts/epoch_0', 'rank4 (cap_default)'))).toBe(true);
    expect(logMatches(cap, log('capitalization_rank4 (cap_default)', '/exp/rank4/artifacts/epoch_1', 'rank4 (cap_default)'))).toBe(false);
    expect(logMatches(cap, log('reverse_words', '/exp/rank4/artifacts/epoch_0'))).toBe(false);
  });

  it('a vis_label that both sides carry must be equal', () => {
    expect(logMatches(cap, log('capitalization', '/exp/rank4/artifacts/epoch_0', 'rank8 (cap_default)'))).toBe(false);
    expect(logMatches({ ...cap, ownFolder: true }, log('anything', '/exp/rank4/artifacts/epoch_0', 'rank8 (cap_default)'))).toBe(false);
  });

  it("in a cell's own folder any task name is this eval's, but a different model is not", () => {
    const cell = { ...cap, ownFolder: true };
    expect(logMatches(cell, log('capitalization_custom_name', '/exp/rank4/artifacts/epoch_0'))).toBe(true);
    expect(logMatches(cell, log('capitalization', null))).toBe(true);
    expect(logMatches(cell, log('capitalization', '/exp/rank8/artifacts/epoch_0'))).toBe(false);
    expect(logMatches({ ...cell, modelPath: null }, log('capitalization', '/anything'))).toBe(true);
  });
});
