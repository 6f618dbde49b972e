// Faults a night on a shared cluster brings, through the bundle on fake-slurm: the monitor goes on.
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp } from '../../src/slurm/time.js';
import { BUNDLE, experiment, readJson, sandbox, type Sandbox } from '../support/harness.js';

let s: Sandbox;
afterEach(async () => s?.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, test: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('the summary is a view: its problems never stop the monitor', () => {
  it('moved away, then a row pasted twice, then put back: polling goes on, eval_jobs.json stays true, the table is right at the end', async () => {
    s = sandbox();
    const gate = join(s.root, 'evals-may-end');
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 0, gate });
    const summary = join(dir, 'experiment_summary.md');
    const state = () => (existsSync(join(dir, 'eval_jobs.json')) ? readJson(join(dir, 'eval_jobs.json')) : null);
    // A poll that changes nothing writes only the heartbeat: its time (whole seconds) moving twice is two polls at least.
    const lastPoll = () => (existsSync(join(dir, 'eval_jobs.heartbeat.json')) ? readJson(join(dir, 'eval_jobs.heartbeat.json')).last_poll : null);
    const twoPolls = async (what: string) => {
      for (let i = 0; i < 2; i++) {
        const before = lastPoll();
        await until(what, () => lastPoll() !== before);
      }
    };
    const run = s.spawn(['run', dir, '--poll-interval', '0.5', '--stagger', '0']);
    await until('every eval submitted', () => Object.values<any>(state()?.evaluations ?? { x: { status: 'NOT_SUBMITTED' } }).every((e) => e.status !== 'NOT_SUBMITTED'));

    // An editor saves by moving the file away and back; this one takes a while.
    renameSync(summary, `${summary}.swp`);
    await twoPolls('two polls without the summary');
    // The user pastes a row a second time.
    const text = readFileSync(`${summary}.swp`, 'utf8');
    const row = text.split('\n').find((l) => l.startsWith('| r4 | reverse_words | 0 |'))!;
    writeFileSync(summary, text.replace(row, `${row}\n${row}`));
    await twoPolls('two polls with the duplicate row');
    writeFileSync(summary, text);
    await twoPolls('two polls with the summary back');
    writeFileSync(gate, '');

    const r = await run;
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(r.exitCode).toBe(0);
    const evals = Object.values<any>(state().evaluations);
    expect(evals).toHaveLength(7);
    for (const e of evals) expect(e.status).toBe('COMPLETED');
    expect(state().monitor.finished).not.toBeNull();

    const log = readFileSync(join(dir, 'run-inspect.log'), 'utf8');
    // each problem said once, however many polls it lasted; then that the table is true again
    expect(log.match(/WARNING: experiment_summary\.md could not be updated\nDetails: .*experiment_summary\.md: ENOENT/g)).toHaveLength(1);
    expect(log.match(/WARNING: experiment_summary\.md could not be updated\nDetails: .*experiment_summary\.md: line \d+: the Evaluations table lists "r4\/reverse_words\/epoch 0" twice/g)).toHaveLength(1);
    expect(log).toMatch(/SUMMARY_UPDATE: experiment_summary\.md is updated again/);
    const after = readFileSync(summary, 'utf8');
    expect(after.match(/\| COMPLETED \|/g)).toHaveLength(7);
  }, 60_000);
});

describe('exactly once without job comments in accounting', () => {
  it('sbatch timed out after the job was accepted, and the job left squeue before anyone looked: found by its SubmitLine, never submitted again', async () => {
    // Most sites: sacct stores no Comment (no AccountingStoreFlags=job_comment); finished jobs leave squeue after 1 s.
    s = sandbox({ FAKE_SLURM_MIN_JOB_AGE: '1' });
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 1, evals: [{ run: 'r4', task: 'reverse_words', epoch: 0 }] });
    s.faults({ sbatch: { fail: 1, accepted: true } });
    const once = await s.cli(['run', dir, '--once', '--poll-interval', '0.5', '--stagger', '0']);
    expect(once.stderr).not.toMatch(/internal error|    at /);
    const state = () => readJson(join(dir, 'eval_jobs.json')).evaluations.r4_reverse_words_epoch0;
    expect(state()).toMatchObject({ status: 'SUBMITTING', job_id: null });
    const [job] = s.jobs();
    expect(job).toBeDefined();
    // The job ran and was gone from squeue long before the next link: only sacct knows it now.
    await until('the job to leave squeue', () => {
      const j = s.jobs()[0]!;
      return j.end_time !== null && Date.now() / 1000 - j.end_time > 1.5;
    });
    // The next link comes later than the 30 s an unconfirmed submission is given to show up in
    // squeue (submit.ts): the intent is dated 40 s back instead of the test waiting them out.
    const file = join(dir, 'eval_jobs.json');
    const st = readJson(file);
    const intent = parseTimestamp(st.evaluations.r4_reverse_words_epoch0.submit_intent)!;
    st.evaluations.r4_reverse_words_epoch0.submit_intent = formatTimestamp(new Date(intent.getTime() - 40_000));
    writeFileSync(file, JSON.stringify(st, null, 2));
    const r = await s.cli(['run', dir, '--poll-interval', '0.5', '--stagger', '0'], { timeoutMs: 90_000 });
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(r.exitCode).toBe(0);
    expect(s.jobs()).toHaveLength(1);
    expect(state()).toMatchObject({ status: 'COMPLETED', job_id: String(job!.id) });
    expect(readFileSync(join(dir, 'run-inspect.log'), 'utf8')).toMatch(new RegExp(`RECONCILE: r4/reverse_words/epoch0\nDetails: .*\nResult: Job ID ${job!.id}`));
  }, 90_000);
});

describe("the workflow's own eval_jobs.json", () => {
  it('is read, not refused: its job ids and states kept, nothing submitted twice, the rest submitted, noted in the log', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 0 });
    // As the workflow text documents it, written by someone who ran the workflow by hand.
    const handRun = {
      experiment: 'words_3L_rank_sweep_2025-10-20',
      monitoring_started: '2025-10-24 00:30:28',
      evaluations: {
        r4_reverse_words_epoch0: { run: 'r4', task: 'reverse_words', epoch: 0, job_id: '12345690', status: 'COMPLETED', submitted: '2025-10-24 00:30:20', completed: '2025-10-24 00:35:12', elapsed: '4m 52s', log_path: 'r4/eval/logs/' },
        r4_reverse_words_epoch1: { run: 'r4', task: 'reverse_words', epoch: 1, job_id: 12345691, status: 'FAILED', submitted: '2025-10-24 00:30:21', completed: '2025-10-24 00:31:02', elapsed: '0m 41s', log_path: 'r4/eval/logs/' },
      },
    };
    writeFileSync(join(dir, 'eval_jobs.json'), JSON.stringify(handRun, null, 2));
    const r = await s.cli(['run', dir, '--poll-interval', '0.5', '--stagger', '0']);
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(r.exitCode).toBe(1); // the hand-run FAILED eval stays failed
    const st = readJson(join(dir, 'eval_jobs.json'));
    expect(st.version).toBe(1);
    expect(st.migrated_from).toBeNull();
    expect(st.evaluations.r4_reverse_words_epoch0).toMatchObject({ job_id: '12345690', status: 'COMPLETED', elapsed: '4m 52s', log_path: null, model_path: expect.stringContaining('ck-out-r4/epoch_0') });
    expect(st.evaluations.r4_reverse_words_epoch1).toMatchObject({ job_id: '12345691', status: 'FAILED' });
    const others = Object.entries<any>(st.evaluations).filter(([k]) => !k.startsWith('r4_reverse_words_epoch0') && !k.startsWith('r4_reverse_words_epoch1'));
    expect(others).toHaveLength(5);
    for (const [, e] of others) expect(e.status).toBe('COMPLETED');
    const submitted = s.jobs().filter((j) => j.comment?.startsWith('run-inspect:'));
    expect(submitted).toHaveLength(5);
    expect(readFileSync(join(dir, 'run-inspect.log'), 'utf8')).toMatch(/MIGRATE_STATE: Read the workflow’s eval_jobs\.json\nDetails: 2 evaluations, 2 with a job id, kept as they were/);
  }, 60_000);
});

describe('no user edit lost', () => {
  it('a user saving the summary (temp file + rename) every 30 ms through a run: all 300 saves are there at the end', async () => {
    s = sandbox();
    // Live progress changes the table at every poll, so the monitor writes as often as it can. A plain
    // rename over the file lost a save landing between the last look and the rename about once in
    // five runs here; the summary is now set aside and ours linked in (summary-file.ts swapIn).
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 8, samples: 400 });
    const summary = join(dir, 'experiment_summary.md');
    const run = s.spawn(['run', dir, '--poll-interval', '0.1', '--stagger', '0']);
    const writes = () => (existsSync(join(dir, 'run-inspect.log')) ? readFileSync(join(dir, 'run-inspect.log'), 'utf8').match(/Action: Updated experiment_summary\.md/g)?.length ?? 0 : 0);
    // The user's editor: read the file, add a line to Notes, write a temp file, rename it over. For
    // the microseconds a write of the monitor has the file set aside, the name is absent (README,
    // Files): an editor opening it right then tries again.
    let absent = 0;
    const open = async (): Promise<string> => {
      for (;;) {
        try {
          return readFileSync(summary, 'utf8');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || ++absent > 20) throw e;
          await sleep(1);
        }
      }
    };
    for (let n = 1; n <= 300; n++) {
      const text = await open();
      writeFileSync(`${summary}.swp`, text.replace('## Notes\n', `## Notes\n- user note ${n}\n`));
      renameSync(`${summary}.swp`, summary);
      await sleep(30);
    }
    const r = await run;
    expect(r.exitCode).toBe(0);
    expect(writes()).toBeGreaterThan(5); // the monitor did write the table meanwhile
    const notes = readFileSync(summary, 'utf8').match(/^- user note \d+$/gm) ?? [];
    expect(300 - notes.length, 'user saves lost').toBe(0);
    for (const e of Object.values<any>(readJson(join(dir, 'eval_jobs.json')).evaluations)) expect(e.status).toBe('COMPLETED');
  }, 60_000);
});

describe('signals as SLURM sends them', () => {
  it('SIGTERM to the whole process group while squeue runs: the link stops with its state saved (exit 4), not "SLURM unreachable"', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 30 });
    const state = () => (existsSync(join(dir, 'eval_jobs.json')) ? readJson(join(dir, 'eval_jobs.json')) : null);
    // Its own process group, as the batch script's processes are; every squeue takes 2 s.
    const run = execa(process.execPath, [BUNDLE, 'run', dir, '--poll-interval', '0.2', '--stagger', '0'], {
      env: { ...s.env, FAKE_SLURM_DELAY_SQUEUE_MS: '2000' },
      extendEnv: false,
      reject: false,
      detached: true,
    });
    await until('every eval submitted', () => Object.values<any>(state()?.evaluations ?? { x: { status: 'NOT_SUBMITTED' } }).every((e) => e.status === 'PENDING' || e.status === 'RUNNING'));
    await sleep(700); // inside the next poll's squeue
    process.kill(-run.pid!, 'SIGTERM');
    const r = await run;
    expect(r.stderr).not.toMatch(/could not be started|internal error/);
    expect(r.exitCode).toBe(4);
    const log = readFileSync(join(dir, 'run-inspect.log'), 'utf8');
    expect(log).toMatch(/MONITOR_PAUSED: Stopped with evaluations in flight \(signal SIGTERM/);
    // Nothing lost: every eval keeps its job, and a new run picks them up.
    for (const e of Object.values<any>(state().evaluations)) expect(e.job_id).toMatch(/^\d+$/);
    expect(s.jobs().filter((j) => j.comment?.startsWith('run-inspect:'))).toHaveLength(7);
  }, 60_000);

  it('a USR1 that arrives while the link exits on its own (its walltime check and SLURM\'s warning at once) does not kill it', async () => {
    s = sandbox();
    const gate = join(s.root, 'evals-may-end');
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 0, gate });
    const run = execa(process.execPath, [BUNDLE, 'run', dir, '--once', '--stagger', '0'], { env: s.env, extendEnv: false, reject: false });
    let exited = false;
    void run.finally(() => (exited = true));
    // Once the link has written its state its handlers are in place; from then on, USR1 after USR1
    // until it is gone, so some arrive during its exit (node's default action for USR1 is death).
    await until('the state file', () => existsSync(join(dir, 'eval_jobs.json')));
    let sent = 0;
    while (!exited) {
      try {
        process.kill(run.pid!, 'SIGUSR1');
        sent++;
      } catch {} // gone between its exit and execa's word of it
      await new Promise((r) => setImmediate(r));
    }
    const r = await run;
    expect(sent).toBeGreaterThan(0);
    expect(r.signal, r.stderr).toBeUndefined();
    expect(r.exitCode).toBe(4);
  }, 60_000);
});

// Mounting a file system takes root (CI runs as root; elsewhere this one test is skipped).
describe.skipIf(process.getuid?.() !== 0)("the machine's faults", () => {
  it('an experiment on a read-only file system: one line naming the file and the fault, exit 2, no stack', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 0 });
    const mnt = join(s.root, 'ro');
    mkdirSync(mnt);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    try {
      cpSync(dir, join(mnt, 'words'), { recursive: true });
      await execa('mount', ['-o', 'remount,ro', mnt]);
      const r = await s.cli(['run', join(mnt, 'words'), '--stagger', '0']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^run-inspect: ${join(mnt, 'words')}/\\S+: read-only file system \\(EROFS\\); eval_jobs\\.json is kept whole`));
      expect(s.jobs()).toHaveLength(0);
    } finally {
      await execa('umount', [mnt], { reject: false });
    }
  });

  it('a disk that fills up mid-run: the link says so and polls on; once there is room every eval ends COMPLETED', async () => {
    s = sandbox();
    const mnt = join(s.root, 'scratch');
    mkdirSync(mnt);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
    try {
      const evals = [0, 1].map((epoch) => ({ run: 'r4', task: 'reverse_words', epoch }));
      const gate = join(s.root, 'evals-may-end'); // off the small disk
      const { dir } = experiment(s, 'scratch/words', { fixture: 'with-status-tables', seconds: 0, evals, gate });
      // The jobs' inspect logs live elsewhere: only run-inspect's own writes meet the full disk.
      mkdirSync(join(s.root, 'logs'));
      symlinkSync(join(s.root, 'logs'), join(dir, 'r4', 'eval', 'logs'));
      const state = () => readJson(join(dir, 'eval_jobs.json'));
      const run = s.spawn(['run', dir, '--poll-interval', '0.3', '--stagger', '0']);
      let said = '';
      run.stderr!.on('data', (d) => (said += String(d)));
      await until('both evals running', () => existsSync(join(dir, 'eval_jobs.json')) && Object.values<any>(state().evaluations).every((e) => e.status === 'RUNNING'));
      await execa('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=1M'], { reject: false }); // until ENOSPC
      // The evals end while the disk is full: their new state cannot be written. (A quiet poll
      // writes only the heartbeat, in place: it needs no room.)
      writeFileSync(gate, '');
      await until('the full disk reported', () => /ENOSPC/.test(said));
      await sleep(1000); // more polls with every write refused
      rmSync(join(mnt, 'filler'));
      const r = await run;
      expect(r.stderr).toMatch(/no space left on the device \(ENOSPC\); still polling/);
      expect(r.stderr).not.toMatch(/internal error|    at /);
      expect(r.exitCode).toBe(0);
      for (const e of Object.values<any>(state().evaluations)) expect(e.status).toBe('COMPLETED');
    } finally {
      await execa('umount', ['-l', mnt], { reject: false });
    }
  }, 60_000);
});
