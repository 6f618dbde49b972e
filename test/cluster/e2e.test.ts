// run-inspect end to end on the real cluster (accounting on, MinJobAge 300): the bundle as users run
// it, real fine-tuning stand-ins, eval scripts in scaffold-inspect's shape that run fake-inspect.
// Every assertion is checked against what SLURM itself reports (sacct -X, squeue). The scenarios
// are independent experiments and run at once (it.concurrent) to keep the suite short.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { resultText } from '../../src/report/eval-text.js';
import { makeExperiment, type EvalDef } from '../support/make-experiment.mjs';
import {
  cancelJobsUnder,
  chainFinished,
  cli,
  clusterMode,
  editEvalScript,
  evalJobsByKey,
  evalState,
  finetuneScript,
  readJson,
  secondsOf,
  settledJobsUnder,
  slurm,
  squeueAll,
  tagsOf,
  waitFor,
  workRoot,
} from './support.js';

const FAST = ['--poll-interval', '3', '--stagger', '0'];

/**
 * squeue shows `jobId` pending on its afterany dependency on `ftId`. Right after submission a busy
 * node can show another reason (Resources, seen once) until the next scheduling pass, a second
 * here (sched_interval=1): the dependency must be there at once, the reason within a few passes.
 */
async function waitingOn(jobId: string, ftId: string): Promise<void> {
  const line = async () => (await slurm('squeue', ['-h', '-j', jobId, '-o', '%T|%r|%E'])).stdout.trim();
  let seen = await line();
  if (!seen.startsWith('PENDING|') || !seen.endsWith(`|afterany:${ftId}(unfulfilled)`)) throw new Error(`job ${jobId} is not pending on ${ftId}: ${seen}`);
  const wanted = `PENDING|Dependency|afterany:${ftId}(unfulfilled)`;
  await waitFor(`squeue to show job ${jobId} as ${wanted}`, async () => ((seen = await line()) === wanted ? true : undefined), 10_000, 500).catch((e) => {
    throw new Error(`${(e as Error).message} (last seen: ${seen})`);
  });
}

let work: ReturnType<typeof workRoot>;

beforeAll(async () => {
  await clusterMode([]); // the default mode: accounting on, no QOS limit, MinJobAge 300
  work = workRoot('e2e');
});
afterAll(async () => {
  if (work) {
    await cancelJobsUnder(work.root);
    work.rm();
  }
});

const scriptOf = (dir: string, e: EvalDef) => join(dir, e.run, 'eval', e.epoch === null ? `${e.task}_base.slurm` : `${e.task}_epoch${e.epoch}.slurm`);
const keyOf = (e: EvalDef) => (e.epoch === null ? `${e.run}_${e.task}_base` : `${e.run}_${e.task}_epoch${e.epoch}`);
const firstWord = (s: string) => s.split(' ')[0]!;
const log = (dir: string) => readFileSync(join(dir, 'run-inspect.log'), 'utf8');

/** sbatch as the README does it: from the run's folder, `sbatch --parsable finetune.slurm`. */
async function submitFinetune(dir: string, run: string, scriptArg = 'finetune.slurm'): Promise<string> {
  const r = await slurm('sbatch', ['--parsable', scriptArg], { cwd: join(dir, run) });
  if (r.exitCode !== 0) throw new Error(`sbatch finetune.slurm for ${run}: ${r.stderr}`);
  return r.stdout.trim().split(';')[0]!;
}

describe('run-inspect on a real SLURM cluster', () => {
  it.concurrent(
    'launch --after fine-tuning: the chain hands off across 2-minute walltimes and tells every true outcome',
    async ({ expect }) => {
      const since = new Date(Date.now() - 2000);
      const dir = join(work.root, 'acs_income_size');
      const outcomes = {
        '1B_lr1e-5_acs_income_calibration_epoch1': 'error', // inspect error, script exit 0: SLURM says COMPLETED
        '1B_lr1e-4_acs_income_epoch1': 'exit1',
        '1B_lr1e-4_acs_income_calibration_epoch1': 'hang', // --time=1: TIMEOUT 60-90 s after it starts
      } as const;
      const exp = makeExperiment(dir, { fixture: 'without-status', outcomes, seconds: 3 });
      const byKey = new Map(exp.evals.map((e) => [keyOf(e), e]));
      editEvalScript(scriptOf(dir, byKey.get('1B_lr1e-4_acs_income_calibration_epoch1')!), { time: '1' });
      // one eval outlives two links, so the chain must hand off at least twice
      editEvalScript(scriptOf(dir, byKey.get('8B_lr1e-5_acs_income_epoch1')!), { seconds: 230 });
      // The checkpoints do not exist yet: fine-tuning writes them; 8B_lr1e-4's fails and writes none.
      const runs = ['1B_lr1e-5', '1B_lr1e-4', '8B_lr1e-5', '8B_lr1e-4'];
      for (const run of runs) rmSync(join(exp.ckDir, `ck-out-${run}`), { recursive: true, force: true });
      const ft: Record<string, string> = {};
      for (const run of runs) {
        finetuneScript(dir, run, { seconds: 8, exit: run === '8B_lr1e-4' ? 1 : 0, checkpoints: [join(exp.ckDir, `ck-out-${run}`, 'epoch_1')] });
        ft[run] = await submitFinetune(dir, run);
      }
      const before = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');

      const launched = await cli(['launch', dir, '--after', Object.values(ft).join(':'), '--time', '2', '--safety-margin', '20', '--poll-interval', '5', '--stagger', '0']);
      expect(launched.stderr).not.toMatch(/internal error/);
      expect(launched.exitCode).toBe(0);
      expect(launched.stdout).toMatch(/^\d+\n$/);
      const first = launched.stdout.trim();
      const tags = tagsOf(dir);
      const queued = (await squeueAll()).get(first);
      expect(queued).toMatchObject({ state: 'PENDING', reason: 'Dependency', comment: tags.monitor, workDir: dir });

      await waitFor('the chain to finish', async () => (chainFinished(dir) ? true : undefined), 540_000, 2000);
      const rows = await settledJobsUnder(dir, since, 60_000, [first, ...Object.values(ft)]);

      // Fine-tuning, as SLURM saw it.
      const ftRows = Object.entries(ft).map(([run, id]) => ({ run, row: rows.find((a) => a.id === id)! }));
      for (const { run, row } of ftRows) {
        expect(row, `fine-tuning job of ${run}`).toBeDefined();
        expect(row.name).toBe(run);
        expect([row.state, row.exitCode]).toEqual(run === '8B_lr1e-4' ? ['FAILED', '1:0'] : ['COMPLETED', '0:0']);
      }
      const ftEnd = Math.max(...ftRows.map(({ row }) => secondsOf(row.end)));

      // Exactly one SLURM job per eval script; none for the evals whose checkpoint never appeared.
      const state = evalState(dir);
      const jobs = evalJobsByKey(dir, rows, exp.keys);
      const expected: Record<string, { slurm: [string, string]; status: string; notes?: RegExp }> = {
        '1B_lr1e-5_acs_income_epoch1': { slurm: ['COMPLETED', '0:0'], status: 'COMPLETED', notes: /accuracy 0\.800/ },
        '1B_lr1e-5_acs_income_calibration_epoch1': { slurm: ['COMPLETED', '0:0'], status: 'FAILED', notes: /inspect error: ValueError: tokenizer config not found/ },
        // a success log, then exit 1: the log decides, Notes say how the job ended
        '1B_lr1e-4_acs_income_epoch1': { slurm: ['FAILED', '1:0'], status: 'COMPLETED', notes: /job ended FAILED \(exit code 1:0\) after inspect finished/ },
        // the reason and where to read more: slurmstepd's notice in the job's own output
        '1B_lr1e-4_acs_income_calibration_epoch1': { slurm: ['TIMEOUT', '0:0'], status: 'TIMEOUT', notes: /^slurmstepd\S*: error: \*\*\* JOB \d+ ON \S+ CANCELLED AT \S+ DUE TO TIME LIMIT \*\*\* \(see 1B_lr1e-4\/eval\/slurm-\d+\.out\)$/ },
        '8B_lr1e-5_acs_income_epoch1': { slurm: ['COMPLETED', '0:0'], status: 'COMPLETED' },
        '8B_lr1e-5_acs_income_calibration_epoch1': { slurm: ['COMPLETED', '0:0'], status: 'COMPLETED' },
        '1B_base_acs_income_base': { slurm: ['COMPLETED', '0:0'], status: 'COMPLETED' },
      };
      for (const [key, want] of Object.entries(expected)) {
        const e = byKey.get(key)!;
        const js = jobs.get(key)!;
        expect(js.map((a) => a.id), `SLURM jobs of ${key}`).toHaveLength(1);
        const a = js[0]!;
        expect(a.workDir).toBe(join(dir, e.run, 'eval'));
        expect(a.name).toBe(`eval-${e.task}-${e.run}`);
        expect([a.state, a.exitCode], `sacct of ${key}`).toEqual(want.slurm);
        expect(secondsOf(a.submit), `${key} submitted after fine-tuning ended`).toBeGreaterThanOrEqual(ftEnd);
        // eval_jobs.json agrees with SLURM, and tells the true outcome
        expect(state[key]).toMatchObject({ job_id: a.id, slurm_state: firstWord(a.state), status: want.status });
        if (want.notes) expect(resultText(state[key])).toMatch(want.notes);
      }
      for (const key of ['8B_lr1e-4_acs_income_epoch1', '8B_lr1e-4_acs_income_calibration_epoch1']) {
        expect(jobs.get(key), `no SLURM job for ${key}`).toEqual([]);
        expect(state[key]).toMatchObject({ status: 'SKIPPED', job_id: null });
        expect(state[key].notes).toContain('ck-out-8B_lr1e-4/epoch_1');
      }
      const evalIds = new Set([...jobs.values()].flat().map((a) => a.id));
      expect(rows.filter((a) => a.comment.startsWith('run-inspect:') && !evalIds.has(a.id))).toEqual([]);

      // The monitor links: one after another, never two at once, none FAILED, none left queued.
      const links = rows.filter((a) => a.comment === tags.monitor).sort((a, b) => Number(a.id) - Number(b.id));
      const ran = readJson(join(dir, 'eval_jobs.json')).monitor.links.map((l: { job_id: string }) => l.job_id) as string[];
      expect(links[0]!.id).toBe(first);
      expect(ran.length).toBeGreaterThanOrEqual(3);
      const ranRows = links.filter((a) => ran.includes(a.id));
      expect(ranRows.map((a) => a.id)).toEqual(ran);
      for (const a of ranRows) expect([a.id, a.state, a.exitCode]).toEqual([a.id, 'COMPLETED', '0:0']);
      // The last link cancelled the successor it had queued, which never ran — unless the evals
      // ended right at a hand-off: then the last link found them ended at its start and queued none.
      const neverRan = links.filter((a) => !ran.includes(a.id)).map((a) => a.state);
      expect([[], ['CANCELLED by 0']]).toContainEqual(neverRan);
      expect(secondsOf(ranRows[0]!.start)).toBeGreaterThanOrEqual(ftEnd);
      for (let i = 1; i < ranRows.length; i++) expect(secondsOf(ranRows[i]!.start)).toBeGreaterThanOrEqual(secondsOf(ranRows[i - 1]!.end));
      const left = [...(await squeueAll()).values()].filter((q) => q.comment === tags.monitor && /PENDING|RUNNING/.test(q.state));
      expect(left).toEqual([]);

      // run-inspect.log: the launch, every link and hand-off, the end; the job ids SLURM gave.
      const text = log(dir);
      expect(text).toMatch(new RegExp(`LAUNCH: Queued the run-inspect monitor job\\nDetails: after ${Object.values(ft).join(', ')}; --time=2 --signal=B:USR1@30 `));
      const handoffs = [...text.matchAll(/^\[.*\] HANDOFF: Monitor job (\d+) → (\d+)$/gm)].map((m) => [m[1], m[2]]);
      expect(handoffs.length).toBeGreaterThanOrEqual(2);
      expect(handoffs).toEqual(ran.slice(0, handoffs.length).map((id, i) => [id, ran[i + 1]]));
      expect((text.match(/LINK_START: /g) ?? []).length).toBe(ran.length);
      expect((text.match(/CHAIN_END: /g) ?? []).length).toBe(1);
      expect((text.match(/ALL_COMPLETE: /g) ?? []).length).toBe(1);
      expect(new Set([...text.matchAll(/^Result: Job ID (\d+) submitted/gm)].map((m) => m[1]))).toEqual(evalIds);
      expect(text).toMatch(/VERIFY_CHECKPOINTS[\s\S]*checkpoint missing: .*ck-out-8B_lr1e-4\/epoch_1/);

      // The summary: a Status section appended, the rest byte for byte; rows agree with SLURM.
      const after = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
      expect(after.startsWith(before)).toBe(true);
      const timedOut = jobs.get('1B_lr1e-4_acs_income_calibration_epoch1')![0]!.id;
      expect(after).toMatch(new RegExp(`\\| 1B_lr1e-4 \\| acs_income_calibration \\| 1 \\| TIMEOUT \\| ${timedOut} \\|`));
      expect(after).toMatch(/\| 8B_lr1e-4 \| acs_income \| 1 \| SKIPPED \| - \|/);
      expect(after).toMatch(/\| 1B_base \| acs_income \| - \| COMPLETED \| \d+ \|/);

      // Each link wrote its output next to the experiment, and none crashed.
      for (const id of ran) {
        const out = join(dir, `run-inspect-monitor-${id}.out`);
        expect(existsSync(out), out).toBe(true);
        expect(readFileSync(out, 'utf8')).not.toMatch(/internal error|"level":60/);
      }
      // status: the chain has ended, so no monitor job is current (squeue -t all still lists the
      // ended links for MinJobAge, the cancelled successor with its pending reason kept)
      const status = await cli(['status', dir, '--json']);
      expect(status.exitCode).toBe(0);
      const st = JSON.parse(status.stdout);
      expect(st.monitor.links).toBe(ran.length);
      expect(st.monitor.finished).not.toBeNull();
      expect(st.monitor.jobs, 'status --json: monitor jobs after the chain ended').toEqual([]);
      const human = await cli(['status', dir]);
      expect(human.stdout).toContain('Monitor: no monitor job queued or running');
    },
    600_000,
  );

  it.concurrent('--max-in-flight: SLURM never holds more than N of the experiment\'s evals at once', async ({ expect }) => {
    const since = new Date(Date.now() - 2000);
    const dir = join(work.root, 'words_inflight');
    const exp = makeExperiment(dir, { fixture: 'with-status-tables', seconds: 4 });
    const r = await cli(['run', dir, ...FAST, '--max-in-flight', '2']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('COMPLETED: 7 evaluations');
    const rows = await settledJobsUnder(dir, since);
    const jobs = evalJobsByKey(dir, rows, exp.keys);
    for (const [key, js] of jobs) expect(js.map((a) => a.state), key).toEqual(['COMPLETED']);
    const spans = [...jobs.values()].flat().map((a) => [secondsOf(a.submit), secondsOf(a.end)] as const);
    expect(spans).toHaveLength(7);
    // in flight = from SLURM's Submit to its End
    for (const [t] of spans) expect(spans.filter(([a, b]) => a <= t && t < b).length).toBeLessThanOrEqual(2);
    // and the limit was felt: some evals were submitted only after others had ended
    expect(Math.max(...spans.map(([a]) => a))).toBeGreaterThanOrEqual(Math.min(...spans.map(([, b]) => b)));
    const state = evalState(dir);
    for (const [key, js] of jobs) expect(state[key]).toMatchObject({ status: 'COMPLETED', job_id: js[0]!.id, slurm_state: 'COMPLETED' });
  });

  it.concurrent('stop --cancel-evals cancels the running link, its queued successor and the evals; state agrees with SLURM', async ({ expect }) => {
    const since = new Date(Date.now() - 2000);
    const dir = join(work.root, 'words_stop_all');
    const evals: EvalDef[] = [0, 1, 2].map((epoch) => ({ run: 'r4', task: 'reverse_words', epoch }));
    const exp = makeExperiment(dir, { fixture: 'with-status-tables', evals, seconds: 300 });
    const tags = tagsOf(dir);
    const launched = await cli(['launch', dir, ...FAST]);
    expect(launched.exitCode).toBe(0);
    const first = launched.stdout.trim();
    // the link runs, has queued its successor, and every eval runs
    const successor = await waitFor(
      'the evals to run and the successor to be queued',
      async () => {
        const q = await squeueAll();
        const st = existsSync(join(dir, 'eval_jobs.json')) ? evalState(dir) : {};
        const running = exp.keys.filter((k) => st[k]?.job_id && q.get(st[k].job_id)?.state === 'RUNNING');
        const next = [...q.entries()].find(([id, v]) => v.comment === tags.monitor && id !== first && v.state === 'PENDING');
        return q.get(first)?.state === 'RUNNING' && running.length === 3 && next ? next[0] : undefined;
      },
      90_000,
      1000,
    );
    expect((await squeueAll()).get(successor)).toMatchObject({ state: 'PENDING', reason: 'Dependency' });
    const stop = await cli(['stop', dir, '--cancel-evals']);
    expect(stop.exitCode).toBe(0);
    const evalIds = exp.keys.map((k) => evalState(dir)[k].job_id as string);
    expect(stop.stdout).toMatch(/^Cancelled monitor jobs: (\d+), (\d+)\nCancelled eval jobs: .+\n$/);
    expect(stop.stdout.split('\n')[0]!.replace('Cancelled monitor jobs: ', '').split(', ').sort()).toEqual([first, successor].sort());
    expect(stop.stdout.split('\n')[1]!.replace('Cancelled eval jobs: ', '').split(', ').sort()).toEqual([...evalIds].sort());

    const rows = await settledJobsUnder(dir, since, 60_000, [first, successor, ...evalIds]);
    for (const id of [first, successor, ...evalIds]) expect(rows.find((a) => a.id === id)?.state, `sacct of job ${id}`).toBe('CANCELLED by 0');
    expect(rows.filter((a) => a.comment === tags.monitor).map((a) => a.id).sort()).toEqual([first, successor].sort());
    // give a dying link the time to write whatever it writes, then compare with SLURM
    await new Promise((r) => setTimeout(r, 3000));
    const state = readJson(join(dir, 'eval_jobs.json'));
    for (const key of exp.keys) expect(state.evaluations[key], key).toMatchObject({ status: 'CANCELLED' });
    expect(state.monitor.stopped).not.toBeNull();
    expect(log(dir)).toMatch(/STOP: Monitor stopped by the user\nDetails: monitor jobs cancelled: .*; eval jobs cancelled: /);
    // the cancelled link must only save and leave: no further poll, no "Monitoring finished" (and --notify)
    expect(log(dir).split(/STOP: Monitor stopped by the user/)[1], 'run-inspect.log after STOP').not.toMatch(/STATUS_CHECK|STATE_CHANGE|CHAIN_END|ALL_COMPLETE/);
    expect(readFileSync(join(dir, 'experiment_summary.md'), 'utf8')).toMatch(/\| r4 \| reverse_words \| 0 \| CANCELLED \|/);
  });

  it.concurrent('stop leaves the evals running; a later run follows them to the end without submitting again', async ({ expect }) => {
    const since = new Date(Date.now() - 2000);
    const dir = join(work.root, 'words_stop_links');
    const evals: EvalDef[] = [0, 1, 2].map((epoch) => ({ run: 'r16', task: 'reverse_words', epoch }));
    const exp = makeExperiment(dir, { fixture: 'with-status-tables', evals, seconds: 25 });
    const tags = tagsOf(dir);
    const launched = await cli(['launch', dir, ...FAST]);
    expect(launched.exitCode).toBe(0);
    await waitFor(
      'every eval submitted',
      async () => (existsSync(join(dir, 'eval_jobs.json')) && exp.keys.every((k) => evalState(dir)[k]?.job_id) ? true : undefined),
      60_000,
      500,
    );
    const stop = await cli(['stop', dir]);
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout).toMatch(/^Cancelled monitor jobs: \d+(, \d+)?\n$/);
    const q = await squeueAll();
    expect([...q.values()].filter((v) => v.comment === tags.monitor && /PENDING|RUNNING/.test(v.state))).toEqual([]);
    const ids = exp.keys.map((k) => evalState(dir)[k].job_id as string);
    for (const id of ids) expect(q.get(id)?.state, `eval job ${id} after stop`).toMatch(/PENDING|RUNNING/);

    const resumed = await cli(['run', dir, ...FAST]);
    expect(resumed.exitCode).toBe(0);
    const rows = await settledJobsUnder(dir, since);
    const jobs = evalJobsByKey(dir, rows, exp.keys);
    const state = evalState(dir);
    for (const key of exp.keys) {
      expect(jobs.get(key)!.map((a) => [a.state, a.exitCode]), key).toEqual([['COMPLETED', '0:0']]);
      expect(state[key]).toMatchObject({ status: 'COMPLETED', job_id: jobs.get(key)![0]!.id });
    }
    expect(log(dir)).toMatch(/STOP: Monitor stopped by the user[\s\S]*ALL_COMPLETE/);
  });

  it.concurrent('--after auto finds fine-tuning submitted as the README does (sbatch finetune.slurm in the run folder)', async ({ expect }) => {
    const dir = join(work.root, 'words_auto');
    makeExperiment(dir, { fixture: 'with-status-tables', evals: [{ run: 'r4', task: 'reverse_words', epoch: 0 }] });
    finetuneScript(dir, 'r4', { seconds: 120 });
    const ftId = await submitFinetune(dir, 'r4');
    try {
      const launched = await cli(['launch', dir, '--after', 'auto', ...FAST]);
      expect(launched.exitCode).toBe(0);
      await waitingOn(launched.stdout.trim(), ftId);
    } finally {
      await cli(['stop', dir]);
      await slurm('scancel', [ftId]);
    }
  });

  it.concurrent('--after auto finds fine-tuning submitted with a relative path (sbatch ./finetune.slurm)', async ({ expect }) => {
    // Real sbatch keeps a path that starts with "." as given: squeue %o is `./finetune.slurm`,
    // relative to the job's work dir (%Z). (fake-slurm made it absolute.)
    const dir = join(work.root, 'words_auto_rel');
    makeExperiment(dir, { fixture: 'with-status-tables', evals: [{ run: 'r4', task: 'reverse_words', epoch: 0 }] });
    finetuneScript(dir, 'r4', { seconds: 120 });
    const ftId = await submitFinetune(dir, 'r4', './finetune.slurm');
    try {
      const cmd = await slurm('squeue', ['-h', '-j', ftId, '-o', '%o|%Z']);
      expect(cmd.stdout.trim()).toBe(`./finetune.slurm|${join(dir, 'r4')}`);
      const launched = await cli(['launch', dir, '--after', 'auto', ...FAST]);
      expect(launched.exitCode).toBe(0);
      await waitingOn(launched.stdout.trim(), ftId); // the monitor must wait for the fine-tuning job
    } finally {
      await cli(['stop', dir]);
      await slurm('scancel', [ftId]);
    }
  });

  it.concurrent('status warns of a monitor job that can never start, and stops warning once `stop` cancelled it', async ({ expect }) => {
    const dir = join(work.root, 'words_never');
    makeExperiment(dir, { fixture: 'with-status-tables', evals: [{ run: 'r4', task: 'reverse_words', epoch: 0 }] });
    finetuneScript(dir, 'r4', { seconds: 0, exit: 1 });
    const failed = await submitFinetune(dir, 'r4');
    await waitFor('the fine-tuning job to fail', async () => ((await squeueAll()).get(failed)?.state === 'FAILED' ? true : undefined), 30_000, 500);
    expect((await cli(['run', dir, '--once', '--stagger', '0'])).exitCode).toBe(4); // state to show, no monitor job
    // a link queued by hand with afterok on the failed fine-tuning job can never start
    const stuck = await slurm('sbatch', ['--parsable', `--dependency=afterok:${failed}`, `--comment=${tagsOf(dir).monitor}`, '--job-name=stuck'], {
      cwd: dir,
      input: '#!/bin/bash\ntrue\n',
    });
    const id = stuck.stdout.trim();
    await waitFor('DependencyNeverSatisfied', async () => ((await squeueAll()).get(id)?.reason === 'DependencyNeverSatisfied' ? true : undefined), 30_000, 500);
    expect((await cli(['status', dir])).stdout).toMatch(new RegExp(`WARNING: monitor job ${id} can never start \\(DependencyNeverSatisfied\\)`));
    const stop = await cli(['stop', dir]);
    expect(stop.stdout).toBe(`Cancelled monitor jobs: ${id}\n`);
    // SLURM keeps a cancelled pending job's reason: CANCELLED (DependencyNeverSatisfied) for MinJobAge
    expect((await squeueAll()).get(id)).toMatchObject({ state: 'CANCELLED', reason: 'DependencyNeverSatisfied' });
    const status = await cli(['status', dir]);
    expect(status.stdout, 'status after stop').not.toMatch(/can never start/);
    expect(JSON.parse((await cli(['status', dir, '--json'])).stdout).monitor.never_starts).toEqual([]);
  });

  it.concurrent('launch with an sbatch option SLURM refuses (--partition nosuch): one line saying why, exit 2, nothing queued', async ({ expect }) => {
    const dir = join(work.root, 'words_bad_partition');
    makeExperiment(dir, { fixture: 'with-status-tables', evals: [{ run: 'r4', task: 'reverse_words', epoch: 0 }] });
    const r = await cli(['launch', dir, '--partition', 'nosuch']);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr).toMatch(/^run-inspect: .*invalid partition specified: nosuch.*\n$/);
    expect(r.exitCode).toBe(2);
    expect([...(await squeueAll()).values()].filter((q) => q.workDir === dir)).toEqual([]);
  });

  it.concurrent('launch --time 2 without --safety-margin: each link still polls and submits', async ({ expect }) => {
    // The default --safety-margin (180 s) is longer than a 2-minute walltime: a link that stops
    // polling at once hands off at once, and the chain burns through --max-links doing nothing.
    const dir = join(work.root, 'words_short_time');
    makeExperiment(dir, { fixture: 'with-status-tables', evals: [{ run: 'r4', task: 'reverse_words', epoch: 0 }], seconds: 2 });
    const launched = await cli(['launch', dir, '--time', '2', ...FAST]);
    expect(launched.exitCode).toBe(0);
    try {
      await new Promise((r) => setTimeout(r, 20_000));
      const state = readJson(join(dir, 'eval_jobs.json'));
      const submitted = Object.values<any>(state.evaluations).filter((e) => e.job_id !== null).length;
      expect({ links: state.monitor.links.length <= 2 ? 'at most 2' : `${state.monitor.links.length} links in 20 s`, submitted }).toEqual({ links: 'at most 2', submitted: 1 });
    } finally {
      await cli(['stop', dir]);
      await cancelJobsUnder(dir);
    }
  });
});
