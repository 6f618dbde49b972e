// The monitor's core driven directly: in-memory SLURM, a clock the test moves, real files.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { linkDeadline } from '../../src/monitor/chain.js';
import { newPollMemory, poll, type PollMemory } from '../../src/monitor/poll.js';
import { loadExperiment, mergeDiscovered } from '../../src/monitor/prepare.js';
import { resultText } from '../../src/report/eval-text.js';
import { reconcileIntents, submitReady } from '../../src/monitor/submit.js';
import { evalComment } from '../../src/monitor/tags.js';
import { formatTimestamp } from '../../src/slurm/time.js';
import { evalKeys } from '../../src/state/keys.js';
import { setEval } from '../../src/state/store.js';
import { FAKE_INSPECT } from '../support/make-experiment.mjs';
import { memoryMonitor, type TestMonitor } from '../support/memory-monitor.js';

const never = () => false;
const fresh = (): PollMemory => newPollMemory();
const evals = async (m: TestMonitor) => (await m.store.current())!.evaluations;
const stateText = (m: TestMonitor) => readFileSync(m.store.file, 'utf8');

async function writeLog(m: TestMonitor, key: string, outcome = 'success') {
  const ev = (await evals(m))[key]!;
  await execa(process.execPath, [FAKE_INSPECT, '--task', ev.task, '--model-path', ev.model_path ?? '', '--log-dir', join(m.experimentDir, ev.script, '..', 'logs'), '--seconds', '0', '--outcome', outcome]);
}

async function submitted(options = {}) {
  const m = await memoryMonitor(options);
  const report = await submitReady(m, never);
  expect(report.submitted).toBe(7);
  return m;
}

describe('submission', () => {
  it('tags every job with its eval and records the id, PENDING, once', async () => {
    const m = await submitted();
    const e = await evals(m);
    for (const [key, ev] of Object.entries(e)) {
      expect(ev).toMatchObject({ status: 'PENDING', submit_intent: null });
      expect(m.slurm.jobs.find((j) => j.id === ev.job_id)!.comment).toBe(evalComment(m.experimentId, key));
    }
    expect(await submitReady(m, never)).toMatchObject({ submitted: 0 });
    expect(m.slurm.calls.filter((c) => c === 'sbatch')).toHaveLength(7);
    expect(m.log().match(new RegExp(`^Result: Job ID \\d+ submitted at ${formatTimestamp(m.clock.now())}$`, 'gm'))).toHaveLength(7);
  });

  it('an eval is submitted when sbatch was asked: a job that started and wrote its log before sbatch answered is judged by that log', async () => {
    const m = await memoryMonitor();
    // A busy controller answers the first sbatch after 30 s; the job started at once and inspect created its log.
    let slow = true;
    m.slurm.submitAnswer = () => (slow && m.advance(30), (slow = false), null);
    const asked = formatTimestamp(m.clock.now());
    await submitReady(m, never);
    const [key, ev] = Object.entries(await evals(m)).find(([, e]) => e.job_id === m.slurm.jobs[0]!.id)!;
    expect(ev.submitted).toBe(asked);
    await writeLog(m, key, 'success'); // eval.created: the real clock, before sbatch's answer
    m.slurm.set(ev.job_id!, { state: 'COMPLETED', inQueue: false });
    await poll(m, fresh());
    expect((await evals(m))[key]).toMatchObject({ status: 'COMPLETED', notes: '' });
  });

  it('keeps an sbatch that timed out as SUBMITTING and finds its job by comment instead of submitting again', async () => {
    const m = await memoryMonitor();
    let first = true;
    m.slurm.submitAnswer = (req) => {
      if (!first) return null;
      first = false;
      // Accepted by the controller, but the answer was lost.
      const comment = req.options[0]!.slice('--comment='.length);
      m.slurm.jobs.push({ id: '4242', comment, script: req.script!, state: 'PENDING', reason: 'None', exitCode: '0:0', submit: m.clock.now(), inQueue: true, inAccounting: true });
      return { ok: false, kind: 'transient', message: 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation' };
    };
    await submitReady(m, never);
    const stuck = Object.entries(await evals(m)).find(([, e]) => e.status === 'SUBMITTING')!;
    expect(stuck[1].job_id).toBeNull();
    expect(m.log()).toMatch(/SUBMIT_FAILED[\s\S]*Result: Uncertain/);
    m.advance(60);
    const polled = await poll(m, fresh());
    await reconcileIntents(m, polled.byComment!, false);
    expect((await evals(m))[stuck[0]]).toMatchObject({ status: 'PENDING', job_id: '4242' });
    await submitReady(m, never);
    expect(m.slurm.calls.filter((c) => c === 'sbatch')).toHaveLength(7);
    expect(m.log()).toMatch(/RECONCILE: [\s\S]*Result: Job ID 4242/);
  });

  it('submits again an intent SLURM never saw, but only after the reconcile window', async () => {
    const m = await memoryMonitor();
    await m.store.update((s) => {
      setEval(s!, 'r4_reverse_words_epoch0', { status: 'SUBMITTING', submit_intent: formatTimestamp(m.clock.now()) });
      return s!;
    });
    let q = (await poll(m, fresh())).byComment!;
    await reconcileIntents(m, q, false);
    expect((await evals(m)).r4_reverse_words_epoch0!.status).toBe('SUBMITTING'); // too early to tell
    m.advance(31);
    q = (await poll(m, fresh())).byComment!;
    await reconcileIntents(m, q, false);
    expect((await evals(m)).r4_reverse_words_epoch0!.status).toBe('NOT_SUBMITTED');
    expect(m.slurm.calls).toContain('sacct'); // looked in accounting too before giving up
  });

  it('an intent stamped a year ahead (a link on a node whose clock ran fast) is reconciled, not frozen', async () => {
    const m = await memoryMonitor();
    const ahead = new Date(m.clock.now().getTime() + 365 * 86_400_000);
    await m.store.update((s) => {
      setEval(s!, 'r4_reverse_words_epoch0', { status: 'SUBMITTING', submit_intent: formatTimestamp(ahead) });
      return s!;
    });
    await reconcileIntents(m, (await poll(m, fresh())).byComment!, false);
    expect((await evals(m)).r4_reverse_words_epoch0!.status).toBe('NOT_SUBMITTED');
  });

  it('an output folder that cannot be made fails its eval before sbatch, with the reason; the others go on', async () => {
    const m = await memoryMonitor();
    const key = 'r4_reverse_words_epoch0';
    const script = join(m.experimentDir, (await evals(m))[key]!.script);
    writeFileSync(join(dirname(script), 'blocker'), 'a file, not a folder\n');
    writeFileSync(script, readFileSync(script, 'utf8').replace('#SBATCH --output=slurm-%j.out', '#SBATCH --output=blocker/out/slurm-%j.out'));
    const report = await submitReady(m, never);
    expect(report).toMatchObject({ submitted: 6, failed: 1 });
    expect(m.slurm.calls.filter((c) => c === 'sbatch')).toHaveLength(6);
    expect((await evals(m))[key]).toMatchObject({
      status: 'FAILED',
      job_id: null,
      notes: "not submitted: the job's output folder r4/eval/blocker/out cannot be created (ENOTDIR)",
    });
    expect(m.log()).toMatch(/SUBMIT_FAILED: r4\/reverse_words\/epoch0\n.*\nResult: Failed: not submitted: the job's output folder r4\/eval\/blocker\/out cannot be created/);
  });

  it('a QOS limit defers the rest without failing them', async () => {
    const m = await memoryMonitor();
    let n = 0;
    m.slurm.submitAnswer = () => (++n > 3 ? { ok: false, kind: 'qos', message: 'QOSMaxSubmitJobPerUserLimit' } : null);
    const report = await submitReady(m, never);
    expect(report).toMatchObject({ submitted: 3, qosLimited: true, failed: 0 });
    const states = Object.values(await evals(m)).map((e) => e.status).sort();
    expect(states).toEqual(['NOT_SUBMITTED', 'NOT_SUBMITTED', 'NOT_SUBMITTED', 'NOT_SUBMITTED', 'PENDING', 'PENDING', 'PENDING']);
    expect(n).toBe(4); // stopped at the first refusal
  });

  it('--max-in-flight caps what is queued', async () => {
    const m = await memoryMonitor({ maxInFlight: 2 });
    expect((await submitReady(m, never)).submitted).toBe(2);
    expect((await submitReady(m, never)).submitted).toBe(0);
  });
});

describe('discovery', () => {
  it('an eval script found after the evals were walked is added (in a new object: the walked one is sealed)', async () => {
    const m = await submitted();
    const state = (await m.store.current())!;
    const before = evalKeys(state); // walked: its key set is sealed now
    expect(before).toHaveLength(7);
    const { design, evals: specs } = await loadExperiment(m);
    const extra = { ...specs[0]!, key: `${specs[0]!.key}_late` };
    const next = await m.store.update((s) => mergeDiscovered(m, s, design, [...specs, extra], []));
    expect(evalKeys(next)).toEqual([...before, extra.key]);
    expect(next.evaluations[extra.key]).toMatchObject({ status: 'NOT_SUBMITTED', job_id: null });
    expect(await submitReady(m, never)).toMatchObject({ submitted: 1 });
  });
});

describe('poll', () => {
  it('a quiet poll writes the heartbeat only: eval_jobs.json is rewritten when an eval changed', async () => {
    const m = await submitted();
    await poll(m, fresh()); // PENDING → PENDING: nothing changed
    const stampOf = () => {
      const st = statSync(m.layout.state);
      return `${st.ino}:${st.mtimeMs}:${st.size}`;
    };
    const before = stampOf();
    const heartbeatInode = statSync(m.layout.heartbeat).ino;
    m.advance(60);
    await poll(m, fresh());
    expect(stampOf()).toBe(before);
    const beat = JSON.parse(readFileSync(m.layout.heartbeat, 'utf8'));
    expect(beat).toEqual({ last_poll: formatTimestamp(m.clock.now()), last_successful_poll: formatTimestamp(m.clock.now()), next_poll: expect.any(String) });
    // one record of fixed size, overwritten in place: one page at most, no new inode
    expect(readFileSync(m.layout.heartbeat).length).toBe(256);
    expect(statSync(m.layout.heartbeat).ino).toBe(heartbeatInode);
    m.slurm.set(m.slurm.jobs[0]!.id, { state: 'RUNNING' });
    m.advance(60);
    await poll(m, fresh());
    expect(stampOf()).not.toBe(before);
    expect(JSON.parse(readFileSync(m.layout.state, 'utf8')).last_poll).toBe(formatTimestamp(m.clock.now()));
  });

  it("a running job's clock alone is no change: eval_jobs.json is not rewritten while only its elapsed time moves", async () => {
    const m = await submitted();
    const job = m.slurm.jobs[0]!;
    m.slurm.set(job.id, { state: 'RUNNING', elapsedSeconds: 60 });
    await poll(m, fresh()); // PENDING → RUNNING: written
    const key = Object.entries(await evals(m)).find(([, e]) => e.job_id === job.id)![0];
    expect((await evals(m))[key]).toMatchObject({ status: 'RUNNING', elapsed: '1m 0s' });
    const before = statSync(m.layout.state).mtimeMs;
    const text = stateText(m);
    for (const seconds of [120, 180, 240]) {
      m.slurm.set(job.id, { elapsedSeconds: seconds });
      m.advance(60);
      expect((await poll(m, fresh())).changes).toEqual([]);
    }
    expect(statSync(m.layout.state).mtimeMs).toBe(before);
    expect(stateText(m)).toBe(text);
    // Its next real change records the time it had then.
    await writeLog(m, key, 'success');
    m.slurm.set(job.id, { state: 'COMPLETED', inQueue: false });
    await poll(m, fresh());
    expect((await evals(m))[key]).toMatchObject({ status: 'COMPLETED', elapsed: '4m 52s' }); // sacct's Elapsed
  });

  it("a queued job's line seen last poll is not parsed again while its eval is as it was; a changed line or eval is judged", async () => {
    const m = await submitted();
    const memory = fresh(); // one link: its polls share the memory
    let parsed: string[] = [];
    const scan = m.slurm.scanQueue.bind(m.slurm);
    m.slurm.scanQueue = (user, each) => scan(user, (line) => each({ jobId: line.jobId, text: line.text, entry: () => (parsed.push(line.jobId), line.entry()) }));
    const [a, b, c] = m.slurm.jobs;
    const keyOf = async (id: string) => Object.entries(await evals(m)).find(([, e]) => e.job_id === id)![0];
    await poll(m, memory); // each eval is written (its SLURM state): a line is remembered once it changes nothing
    m.advance(60);
    expect((await poll(m, memory)).userJobs).toBe(7);
    expect(parsed).toHaveLength(14);

    parsed = [];
    m.advance(60);
    const quiet = await poll(m, memory);
    expect(parsed).toEqual([]);
    expect(quiet).toMatchObject({ changes: [], userJobs: 7 }); // the cap still counts the lines not parsed

    parsed = [];
    m.slurm.set(a!.id, { reason: 'QOSMaxJobsPerUserLimit' }); // its line changed
    m.slurm.set(b!.id, { state: 'RUNNING' });
    await m.store.update((s) => (setEval(s!, 'r4_reverse_words_epoch0', { notes: 'edited meanwhile' }), s!)); // its eval changed
    const cKey = await keyOf(c!.id);
    const other = (await evals(m)).r4_reverse_words_epoch0!;
    m.advance(60);
    const busy = await poll(m, memory);
    expect(parsed.sort()).toEqual([a!.id, b!.id, other.job_id!].sort());
    expect((await evals(m))[await keyOf(a!.id)]).toMatchObject({ status: 'PENDING', notes: 'pending: QOSMaxJobsPerUserLimit' });
    expect(busy.changes.map((x) => x.to)).toEqual(['RUNNING']);
    expect((await evals(m)).r4_reverse_words_epoch0!.notes).toBe(''); // judged again: a queued job has no notes
    expect((await evals(m))[cKey]).toMatchObject({ status: 'PENDING' });

    parsed = [];
    m.slurm.set(c!.id, { state: 'COMPLETED', inQueue: false }); // gone from squeue: asked of sacct, whatever was remembered
    m.advance(60);
    await poll(m, memory);
    // a and the edited eval were written last poll (new objects): judged once more, then remembered
    expect(parsed.sort()).toEqual([a!.id, b!.id, other.job_id!].sort());
    expect((await evals(m))[cKey]!.status).not.toBe('PENDING');
    parsed = [];
    m.advance(60);
    await poll(m, memory);
    expect(parsed).toEqual([b!.id]); // the running job's line: its clock and log are looked at every poll
    // Remembered: the queued jobs, and nothing of the job that ended or of the running one.
    const queued = Object.values(await evals(m)).filter((e) => e.status === 'PENDING').map((e) => e.job_id);
    expect([...memory.quiet.keys()].sort()).toEqual(queued.sort());
  });

  it('asks squeue once and sacct not at all while every job is queued', async () => {
    const m = await submitted();
    m.slurm.calls = [];
    for (const j of m.slurm.jobs.slice(0, 3)) j.state = 'RUNNING';
    const r = await poll(m, fresh());
    expect(m.slurm.calls).toEqual(['squeue']);
    expect(r.commands).toBe(1);
    expect(r.changes.map((c) => `${c.from}>${c.to}`)).toEqual(['PENDING>RUNNING', 'PENDING>RUNNING', 'PENDING>RUNNING']);
  });

  it('asks sacct once for every job that left the queue, and trusts the inspect log over COMPLETED', async () => {
    const m = await submitted();
    const [a, b, c] = m.slurm.jobs;
    m.slurm.set(a!.id, { state: 'COMPLETED', inQueue: false });
    m.slurm.set(b!.id, { state: 'COMPLETED', inQueue: false });
    m.slurm.set(c!.id, { state: 'CANCELLED by 0', inQueue: false });
    const keyOf = async (id: string) => Object.entries(await evals(m)).find(([, e]) => e.job_id === id)![0];
    await writeLog(m, await keyOf(a!.id), 'success');
    await writeLog(m, await keyOf(b!.id), 'error');
    m.slurm.calls = [];
    const r = await poll(m, fresh());
    expect(m.slurm.calls).toEqual(['squeue', 'sacct']);
    const e = await evals(m);
    expect(e[await keyOf(a!.id)]).toMatchObject({ status: 'COMPLETED', elapsed: '4m 52s' });
    // The state keeps facts (scores, samples, elapsed); the result is text only where it is shown.
    expect(e[await keyOf(a!.id)]).toMatchObject({ notes: '', samples: { done: 10, total: 10 } });
    expect(resultText(e[await keyOf(a!.id)]!)).toBe('accuracy 0.800 ± 0.011 (n=10)');
    expect(e[await keyOf(b!.id)]!.status).toBe('FAILED');
    expect(e[await keyOf(b!.id)]!.notes).toContain('tokenizer config not found');
    expect(e[await keyOf(c!.id)]!.status).toBe('CANCELLED');
    expect(r.changes).toHaveLength(3);
  });

  it("records what each ended job used: sacct's wall time, GPUs and walltime, and the GPU samples stamped within the job", async () => {
    const m = await submitted();
    const [a] = m.slurm.jobs;
    const key = Object.entries(await evals(m)).find(([, e]) => e.job_id === a!.id)![0];
    const ev = (await evals(m))[key]!;
    const p = (n: number) => String(n).padStart(2, '0');
    const stamp = (d: Date) => `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.000`;
    const at = new Date(Math.floor(a!.submit.getTime() / 1000) * 1000); // the memory sacct starts and ends the job there
    writeFileSync(join(dirname(join(m.experimentDir, ev.slurm_output!)), 'gpu_metrics.csv'), [
      'timestamp, utilization.gpu [%], utilization.memory [%], memory.used [MiB], memory.total [MiB], power.draw [W], temperature.gpu',
      `${stamp(new Date(at.getTime() - 60_000))}, 10 %, 1 %, 500 MiB, 40960 MiB, 60.00 W, 40`,
      `${stamp(at)}, 75 %, 45 %, 20480 MiB, 40960 MiB, 250.00 W, 65`,
      `${stamp(new Date(at.getTime() + 60_000))}, 10 %, 1 %, 39000 MiB, 40960 MiB, 60.00 W, 40`,
    ].join('\n'));
    await writeLog(m, key, 'success');
    m.slurm.set(a!.id, { state: 'COMPLETED', inQueue: false });
    await poll(m, fresh());
    expect((await evals(m))[key]!.attempts).toEqual([
      expect.objectContaining({ status: 'COMPLETED', usage: { wall_s: 292, gpus: 1, limit_s: 1800 }, gpu: { util_mean: 75, mem_peak_mib: 20480, samples: 1 } }),
    ]);
  });

  it('COMPLETED without any inspect log is FAILED: no inspect log, after two polls of grace for a slow file system', async () => {
    const m = await submitted();
    const id = m.slurm.jobs[0]!.id;
    const evOf = async () => Object.values(await evals(m)).find((e) => e.job_id === id)!;
    m.slurm.set(id, { state: 'COMPLETED' });
    await poll(m, fresh());
    expect((await evOf()).status).toBe('PENDING'); // ended just now: its log may not be listed yet
    m.advance(2 * 60);
    await poll(m, fresh());
    expect(await evOf()).toMatchObject({ status: 'FAILED', notes: 'no inspect log in Llama-3.2-3B_base/eval/logs' });
  });

  it('a log listed only after the grace turns FAILED "no inspect log" into COMPLETED; a failed log changes nothing', async () => {
    const m = await submitted();
    const [a, b] = m.slurm.jobs;
    const keyOf = async (id: string) => Object.entries(await evals(m)).find(([, e]) => e.job_id === id)![0];
    const [keyA, keyB] = [await keyOf(a!.id), await keyOf(b!.id)];
    m.slurm.set(a!.id, { state: 'COMPLETED' });
    m.slurm.set(b!.id, { state: 'COMPLETED' });
    await poll(m, fresh());
    m.advance(2 * 60);
    await poll(m, fresh());
    expect((await evals(m))[keyA]).toMatchObject({ status: 'FAILED', notes: expect.stringMatching(/^no inspect log in /) });
    await writeLog(m, keyA); // GPFS lists it minutes late
    await writeLog(m, keyB, 'error');
    m.advance(60);
    const r = await poll(m, fresh());
    expect((await evals(m))[keyA]).toMatchObject({ status: 'COMPLETED', log_path: expect.stringMatching(/\.eval$/), notes: '' });
    expect((await evals(m))[keyA]!.attempts.map((t) => t.status)).toEqual(['COMPLETED']);
    expect((await evals(m))[keyB]).toMatchObject({ status: 'FAILED', notes: expect.stringMatching(/^no inspect log in /) });
    expect(r.changes.map((c) => [c.key, c.from, c.to])).toEqual([[keyA, 'FAILED', 'COMPLETED']]);
  });

  it('a log that shows up within the grace makes the eval COMPLETED, not FAILED "no inspect log"', async () => {
    const m = await submitted();
    const id = m.slurm.jobs[0]!.id;
    const key = Object.entries(await evals(m)).find(([, e]) => e.job_id === id)![0];
    m.slurm.set(id, { state: 'COMPLETED' });
    await poll(m, fresh());
    await writeLog(m, key); // NFS lists it a little later
    m.advance(60);
    await poll(m, fresh());
    expect((await evals(m))[key]).toMatchObject({ status: 'COMPLETED' });
  });

  it('a failed poll changes nothing', async () => {
    const m = await submitted();
    m.slurm.set(m.slurm.jobs[0]!.id, { state: 'COMPLETED', inQueue: false });
    const before = stateText(m);
    m.slurm.failNext.sacct = 'slurmdbd: Connection refused';
    await expect(poll(m, fresh())).rejects.toThrow(/Connection refused/);
    expect(stateText(m)).toBe(before);
  });

  it('reports an unknown state and never takes it as done', async () => {
    const m = await submitted();
    m.slurm.set(m.slurm.jobs[0]!.id, { state: 'SOMETHING_NEW' });
    await poll(m, fresh());
    const ev = Object.values(await evals(m)).find((e) => e.job_id === m.slurm.jobs[0]!.id)!;
    expect(ev.status).toBe('PENDING');
    expect(ev.notes).toBe('unknown SLURM state SOMETHING_NEW');
  });

  it('a vanished job is MISSING (with the time first missed), then LOST after --lost-after', async () => {
    const m = await submitted({ lostAfterS: 900 });
    const id = m.slurm.jobs[0]!.id;
    m.slurm.set(id, { inQueue: false, inAccounting: false });
    await poll(m, fresh());
    let ev = Object.values(await evals(m)).find((e) => e.job_id === id)!;
    expect(ev).toMatchObject({ status: 'MISSING', missing_since: formatTimestamp(m.clock.now()) });
    m.advance(600);
    await poll(m, fresh());
    expect(Object.values(await evals(m)).find((e) => e.job_id === id)!.status).toBe('MISSING');
    // It comes back (the controller lists it again): no harm done.
    m.slurm.set(id, { inQueue: true, inAccounting: true, state: 'RUNNING' });
    await poll(m, fresh());
    expect(Object.values(await evals(m)).find((e) => e.job_id === id)).toMatchObject({ status: 'RUNNING', missing_since: null });
    m.slurm.set(id, { inQueue: false, inAccounting: false });
    await poll(m, fresh());
    m.advance(901);
    await poll(m, fresh());
    ev = Object.values(await evals(m)).find((e) => e.job_id === id)!;
    expect(ev.status).toBe('LOST');
    expect(ev.notes).toMatch(/vanished from squeue and sacct/);
  });

  it('a runaway accounting record (sacct says RUNNING, squeue -t all has no such job) never keeps an eval going: its log ends it, else MISSING then LOST', async () => {
    const m = await submitted({ lostAfterS: 900 });
    const [a, b] = m.slurm.jobs;
    const byJob = async (id: string) => Object.entries(await evals(m)).find(([, e]) => e.job_id === id)!;
    m.slurm.set(a!.id, { inQueue: false, state: 'RUNNING' });
    m.slurm.set(b!.id, { inQueue: false, state: 'RUNNING' });
    await writeLog(m, (await byJob(a!.id))[0]); // A's inspect finished; B's never wrote a log
    await poll(m, fresh());
    expect((await byJob(a!.id))[1]).toMatchObject({ status: 'COMPLETED' });
    expect((await byJob(b!.id))[1]).toMatchObject({ status: 'MISSING' });
    m.advance(901);
    await poll(m, fresh());
    expect((await byJob(b!.id))[1]).toMatchObject({ status: 'LOST' });
  });

  it('a squeue that lists no job at all is squeue’s trouble: sacct’s RUNNING and PENDING stand, nothing goes MISSING', async () => {
    const m = await submitted({ lostAfterS: 900 });
    for (const j of m.slurm.jobs) m.slurm.set(j.id, { inQueue: false, state: j === m.slurm.jobs[0] ? 'RUNNING' : 'PENDING' });
    await poll(m, fresh());
    m.advance(901);
    await poll(m, fresh());
    const statuses = Object.values(await evals(m)).map((e) => e.status);
    expect(statuses.filter((s) => s === 'RUNNING')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'PENDING')).toHaveLength(6);
  });

  it('a job pending on DependencyNeverSatisfied is shown at once, then cancelled and FAILED with the reason after --lost-after', async () => {
    const m = await submitted({ lostAfterS: 900 });
    const id = m.slurm.jobs[0]!.id;
    const evOf = async () => Object.values(await evals(m)).find((e) => e.job_id === id)!;
    m.slurm.set(id, { reason: 'DependencyNeverSatisfied' });
    const first = formatTimestamp(m.clock.now());
    await poll(m, fresh());
    expect(await evOf()).toMatchObject({ status: 'PENDING', stuck_since: first, notes: `pending: DependencyNeverSatisfied since ${first}; cancelled after 15m 0s` });
    m.advance(600);
    await poll(m, fresh());
    expect((await evOf()).status).toBe('PENDING');
    expect(m.slurm.calls).not.toContain('scancel');
    m.advance(301);
    await poll(m, fresh());
    expect(m.slurm.calls).toContain('scancel');
    expect(await evOf()).toMatchObject({ status: 'FAILED', notes: `never started: its dependency can never be satisfied (DependencyNeverSatisfied since ${first}); job ${id} cancelled` });
    expect((await evOf()).attempts).toEqual([expect.objectContaining({ job_id: id, status: 'FAILED' })]);
  });

  it('does not take a job with our id but another comment (ids reused after a reset) for ours', async () => {
    const m = await submitted();
    const id = m.slurm.jobs[0]!.id;
    // The new job came later; squeue shows its comment, sacct (no job_comment flag) none.
    m.slurm.set(id, { comment: 'someone-else', state: 'COMPLETED', submit: new Date(m.clock.now().getTime() + 7200_000) });
    await poll(m, fresh());
    expect(Object.values(await evals(m)).find((e) => e.job_id === id)!.status).toBe('MISSING');
  });

  it('two evals holding one job id (reused after a reset) are each judged against its squeue line', async () => {
    const m = await submitted();
    const [stale, owner] = Object.keys(await evals(m)) as [string, string];
    const staleJob = (await evals(m))[stale]!.job_id!;
    const id = (await evals(m))[owner]!.job_id!;
    // The stale eval's job was lost with the controller's state; its id went to the owner's job.
    m.slurm.set(staleJob, { inQueue: false, inAccounting: false });
    await m.store.update((s) => (setEval(s!, stale, { job_id: id }), s!));
    m.slurm.set(id, { state: 'RUNNING' });
    await poll(m, { ...newPollMemory(), accountingDisabled: true }); // squeue alone: the line is all there is
    const after = await evals(m);
    expect([after[stale]!.status, after[owner]!.status]).toEqual(['MISSING', 'RUNNING']);
  });

  it('without accounting, judges a job that left squeue by its inspect log', async () => {
    const m = await submitted();
    m.slurm.accountingEnabled = false;
    const [a, b] = m.slurm.jobs;
    m.slurm.set(a!.id, { inQueue: false });
    m.slurm.set(b!.id, { inQueue: false });
    const keyA = Object.entries(await evals(m)).find(([, e]) => e.job_id === a!.id)![0];
    await writeLog(m, keyA);
    const memory = fresh();
    await poll(m, memory);
    expect(memory.accountingDisabled).toBe(true);
    expect(m.log()).toMatch(/WARNING: SLURM accounting storage is disabled/);
    expect((await evals(m))[keyA]!.status).toBe('COMPLETED');
    expect(Object.values(await evals(m)).find((e) => e.job_id === b!.id)!.status).toBe('MISSING');
    m.slurm.calls = [];
    await poll(m, memory);
    expect(m.slurm.calls).toEqual(['squeue']); // asked once, not every poll
  });

  it('resubmits after NODE_FAIL up to --max-retries, keeping every attempt; a script failure is final', async () => {
    const m = await submitted({ maxRetries: 1 });
    const [a, b] = m.slurm.jobs;
    const keyA = Object.entries(await evals(m)).find(([, e]) => e.job_id === a!.id)![0];
    const keyB = Object.entries(await evals(m)).find(([, e]) => e.job_id === b!.id)![0];
    // What the lost job left on the eval (live progress, a missed poll) goes with it.
    await m.store.update((s) => {
      setEval(s!, keyA, { samples: { done: 5, total: 10 }, missing_since: formatTimestamp(m.clock.now()) });
      return s!;
    });
    m.slurm.set(a!.id, { state: 'NODE_FAIL', exitCode: '0:0' });
    m.slurm.set(b!.id, { state: 'FAILED', exitCode: '1:0' });
    m.advance(2 * 60); // past the grace a job with no log gets (B wrote none)
    await poll(m, fresh());
    expect((await evals(m))[keyA]).toMatchObject({ status: 'NOT_SUBMITTED', job_id: null, samples: null, missing_since: null, scores: [], submitted: null });
    expect((await evals(m))[keyB]).toMatchObject({ status: 'FAILED', notes: 'exit code 1:0' });
    await submitReady(m, never);
    const retry = (await evals(m))[keyA]!;
    expect(retry.status).toBe('PENDING');
    expect(retry.attempts).toEqual([expect.objectContaining({ job_id: a!.id, status: 'NODE_FAIL' })]);
    m.slurm.set(retry.job_id!, { state: 'NODE_FAIL' });
    await poll(m, fresh());
    expect((await evals(m))[keyA]).toMatchObject({ status: 'NODE_FAIL' });
    expect((await evals(m))[keyA]!.attempts).toHaveLength(2);
  });

  it('a job that failed on the hub or the network is the machine\'s fault too: resubmitted; a traceback of the code is not', async () => {
    const m = await submitted({ maxRetries: 1 });
    const [a, b] = m.slurm.jobs;
    const evOf = async (id: string) => Object.entries(await evals(m)).find(([, e]) => e.job_id === id)!;
    const [[keyA, evA], [keyB, evB]] = [await evOf(a!.id), await evOf(b!.id)];
    const output = (ev: typeof evA, line: string) => writeFileSync(join(m.experimentDir, ev.slurm_output!.replace('%j', ev.job_id!)), `Traceback (most recent call last):\n${line}\n`);
    output(evA, "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='huggingface.co', port=443): Max retries exceeded");
    output(evB, "ModuleNotFoundError: No module named 'peft'");
    m.slurm.set(a!.id, { state: 'FAILED', exitCode: '1:0' });
    m.slurm.set(b!.id, { state: 'FAILED', exitCode: '1:0' });
    m.advance(2 * 60);
    await poll(m, fresh());
    const e = await evals(m);
    expect(e[keyA]).toMatchObject({ status: 'NOT_SUBMITTED', notes: `FAILED on job ${a!.id}; resubmitting (retry 1 of 1)` });
    expect(e[keyB]).toMatchObject({ status: 'FAILED' });
    expect(e[keyB]!.notes).toContain("ModuleNotFoundError: No module named 'peft'");
  });
});

describe('chain', () => {
  it("a link's deadline is squeue's time left counted from when it was asked: a slow answer makes it earlier, never later", async () => {
    const m = await memoryMonitor();
    m.job = { ...m.job, jobId: '77', endTime: null }; // Slurm 22.05: no SLURM_JOB_END_TIME
    const asked = m.clock.now().getTime();
    m.slurm.timeLeft = async () => (m.advance(40), 600); // the controller answers 40 s later
    expect((await linkDeadline(m))!.getTime()).toBe(asked + 600_000);
    m.slurm.timeLeft = async () => null;
    expect(await linkDeadline(m)).toBeNull();
  });
});
