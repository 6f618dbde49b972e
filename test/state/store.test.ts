import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pollTimes, writeHeartbeat } from '../../src/state/heartbeat.js';
import { STATE_VERSION, type State } from '../../src/state/schema.js';
import { serializeState, StateSerializer } from '../../src/state/serialize.js';
import { parseState, setEval, StateStore } from '../../src/state/store.js';

const base = (): State => parseState(JSON.stringify({ version: STATE_VERSION, experiment: 'x', experiment_id: 'id', monitoring_started: '2026-11-29 10:00:00', evaluations: {} }), 'f');

describe('eval_jobs.json', () => {
  it('writes one line per evaluation and reads back what it wrote', () => {
    const s = base();
    expect(parseState(serializeState(s), 'f')).toEqual(s);
    // once written, the evaluations' key set is sealed: new evals come in a new object
    expect(() => (s.evaluations['r_t_epoch0'] = s.evaluations['x']!)).toThrow(TypeError);
    const ev0 = { ...parseState(JSON.stringify({ ...s, evaluations: { k: { run: 'r', task: 't', epoch: 0, job_id: '1', status: 'PENDING', submitted: null, completed: null, elapsed: null, log_path: null, script: 'r/eval/t_epoch0.slurm' } } }), 'f').evaluations.k! };
    s.evaluations = { r_t_epoch0: ev0, r_t_epoch1: { ...ev0, epoch: 1 } };
    const text = serializeState(s);
    expect(parseState(text, 'f')).toEqual(s);
    expect(text.split('\n').filter((l) => l.startsWith('    "r_t_epoch'))).toHaveLength(2);
    expect(JSON.parse(text).version).toBe(STATE_VERSION);
  });

  it('re-reads the file when someone else wrote it, and keeps their change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ri-store-'));
    const a = new StateStore(join(dir, 'eval_jobs.json'));
    const b = new StateStore(join(dir, 'eval_jobs.json'));
    await a.update(() => base());
    expect((await a.current())!.experiment).toBe('x');
    await b.update((s) => ({ ...s!, experiment: 'changed by retry' }));
    expect((await a.current())!.experiment).toBe('changed by retry');
    await a.update((s) => ({ ...s!, last_poll: 'now' }));
    expect(JSON.parse(readFileSync(join(dir, 'eval_jobs.json'), 'utf8'))).toMatchObject({ experiment: 'changed by retry', last_poll: 'now' });
  });

  it("writes nothing when a change leaves the file as it was, ours or someone else's", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ri-store-'));
    const file = join(dir, 'eval_jobs.json');
    const store = new StateStore(join(dir, 'eval_jobs.json'));
    await store.update(() => base());
    const ino = statSync(file).ino;
    await store.update((s) => s!);
    expect(statSync(file).ino).toBe(ino);
    await new StateStore(join(dir, 'eval_jobs.json')).update((s) => ({ ...s!, last_poll: 'x' }));
    const theirs = statSync(file).ino;
    await store.update((s) => s!);
    expect(statSync(file).ino).toBe(theirs);
    await store.update((s) => ({ ...s!, last_poll: 'y' }));
    expect(statSync(file).ino).not.toBe(theirs);
  });

  it('a file edited by hand into something invalid is an error, never replaced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ri-store-'));
    const store = new StateStore(join(dir, 'eval_jobs.json'));
    await store.update(() => base());
    writeFileSync(join(dir, 'eval_jobs.json'), '{"version": 1}');
    await expect(store.current()).rejects.toThrow(/eval_jobs\.json: invalid at experiment/);
    expect(readFileSync(join(dir, 'eval_jobs.json'), 'utf8')).toBe('{"version": 1}');
  });

  it('rewrites only changed evaluations, and the bytes always equal a fresh serialization', () => {
    const s = base();
    const ev = { run: 'r', task: 't', epoch: 0, job_id: null, status: 'NOT_SUBMITTED', submitted: null, completed: null, elapsed: null, log_path: null, script: 'r/eval/t_epoch0.slurm' };
    for (let i = 0; i < 5; i++) s.evaluations[`r_t_epoch${i}`] = parseState(JSON.stringify({ ...s, evaluations: { k: { ...ev, epoch: i } } }), 'f').evaluations.k!;
    const serializer = new StateSerializer();
    const same = () => {
      expect(serializer.serialize(s).text).toBe(serializeState(s));
      const text = serializeState(s);
      expect(serializer.matches(text)).toBe(true);
      for (const other of [text.slice(0, -1), `${text} `, text.replace('"version": 1', '"version": 2')]) expect(serializer.matches(other)).toBe(false);
    };
    same();
    expect(serializer.serialize(s).changed).toBe(false);
    setEval(s, 'r_t_epoch3', { status: 'PENDING', job_id: '42' });
    s.last_poll = '2026-11-29 10:01:00';
    expect(serializer.serialize(s).changed).toBe(true);
    same();
    expect(serializer.serialize(s).text).toContain('"r_t_epoch3": {"run":"r","task":"t","epoch":3,"job_id":"42","status":"PENDING"');
    expect(() => delete s.evaluations['r_t_epoch0']).toThrow(TypeError);
    const { r_t_epoch0: _removed, ...rest } = s.evaluations;
    s.evaluations = rest;
    same();
    s.evaluations = {};
    same();
    expect(serializeState(s)).toMatch(/"evaluations": \{\}\n\}\n$/);
  });

  it('an evaluation edited in place after it was written throws instead of leaving a stale line', () => {
    const s = base();
    s.evaluations.k = parseState(JSON.stringify({ ...s, evaluations: { k: { run: 'r', task: 't', epoch: 0, job_id: null, status: 'PENDING', submitted: null, completed: null, elapsed: null, log_path: null, script: 'x' } } }), 'f').evaluations.k!;
    new StateSerializer().serialize(s);
    expect(() => {
      s.evaluations.k!.status = 'COMPLETED';
    }).toThrow(TypeError);
  });
});

describe('files run-inspect owns', () => {
  it('are never written through a symbolic link: eval_jobs.json and its heartbeat; the link target is untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ri-links-'));
    // Someone else's experiment state, and a link to it planted in a shared folder.
    const theirs = join(dir, 'theirs.json');
    const text = serializeState(base());
    writeFileSync(theirs, text);
    symlinkSync(theirs, join(dir, 'eval_jobs.json'));
    symlinkSync(theirs, join(dir, 'eval_jobs.heartbeat.json'));
    await expect(new StateStore(join(dir, 'eval_jobs.json')).update((s) => ({ ...s!, experiment: 'ours' }))).rejects.toThrow(/eval_jobs\.json: is a symbolic link; run-inspect does not write through links/);
    await expect(writeHeartbeat(join(dir, 'eval_jobs.heartbeat.json'), { last_poll: null, last_successful_poll: null, next_poll: null })).rejects.toThrow(/is a symbolic link/);
    expect(readFileSync(theirs, 'utf8')).toBe(text);
  });
});

describe('the heartbeat', () => {
  const beat = { last_poll: '2026-12-06 04:00:00', last_successful_poll: '2026-12-06 04:00:00', next_poll: '2026-12-06 04:01:00' };

  it('is one fixed-size record, overwritten in place, whatever size of heartbeat file an older link left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ri-beat-'));
    const file = join(dir, 'eval_jobs.heartbeat.json');
    for (const older of [`${JSON.stringify({ last_poll: 'x' })}\n${' '.repeat(900)}`, '{}']) {
      writeFileSync(file, older);
      const inode = statSync(file).ino;
      await writeHeartbeat(file, beat);
      expect(statSync(file).size).toBe(256);
      expect(statSync(file).ino).toBe(inode);
      expect(await pollTimes(file, base())).toEqual(beat);
    }
    await writeHeartbeat(file, { ...beat, next_poll: null });
    expect(statSync(file).size).toBe(256);
    expect(await pollTimes(file, base())).toEqual({ ...beat, next_poll: null });
  });
});
