// The workflow end to end: the bundle against fake-slurm on real-shaped experiments.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { experiment, jobsPerScript, readJson, sandbox, type Sandbox } from '../support/harness.js';
import { FAKE_INSPECT } from '../support/make-experiment.mjs';
import { execa } from 'execa';

let s: Sandbox;
afterEach(async () => s?.cleanup());

const FAST = ['--poll-interval', '1', '--stagger', '0'];

function lines(text: string) {
  return text.split('\n');
}

describe('run', () => {
  it('submits every eval once, follows them to COMPLETED and rewrites only the table rows', async () => {
    s = sandbox();
    const { dir, keys } = experiment(s, 'words', { fixture: 'with-status-tables' });
    const before = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
    const r = await s.cli(['run', dir, ...FAST]);
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('## Run Inspect Complete');
    expect(r.stdout).toContain('COMPLETED: 7 evaluations');

    // Exactly one SLURM job per eval script.
    const per = jobsPerScript(s, dir);
    expect(per.size).toBe(7);
    for (const jobs of per.values()) expect(jobs).toHaveLength(1);

    const state = readJson(join(dir, 'eval_jobs.json'));
    expect(Object.keys(state.evaluations).sort()).toEqual([...keys].sort());
    for (const ev of Object.values<any>(state.evaluations)) {
      expect(ev.status).toBe('COMPLETED');
      expect(ev.job_id).toMatch(/^\d+$/);
      expect(ev.log_path).toMatch(/eval\/logs\/.*\.eval$/);
      expect(ev.scores[0].metrics[0]).toEqual({ name: 'accuracy', value: 0.8 });
    }
    expect(state.evaluations.r4_reverse_words_epoch0).toMatchObject({ run: 'r4', task: 'reverse_words', epoch: 0 });
    expect(state.evaluations['Llama-3.2-3B_base_reverse_words_base'].epoch).toBeNull();

    // Only the Evaluations rows changed; every other line is byte-identical.
    const after = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
    const a = lines(before);
    const b = lines(after);
    expect(b).toHaveLength(a.length);
    const changed = a.map((l, i) => (l === b[i] ? -1 : i)).filter((i) => i >= 0);
    expect(changed).toHaveLength(7);
    for (const i of changed) expect(a[i]).toMatch(/\| pending \|/);
    expect(after).toMatch(/\| r4 \| reverse_words \| 0 \| COMPLETED \| \d+ \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \|/);
    expect(after).toContain('Rank 4 was cut short once by a node failure | rerun on 10-20.');

    // The log other tools grep.
    const log = readFileSync(join(dir, 'run-inspect.log'), 'utf8');
    const ids = [...log.matchAll(/^Result: Job ID (\d+)/gm)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(7);
    for (const action of ['DISCOVER_EXPERIMENT', 'VERIFY_FINETUNING', 'VERIFY_CHECKPOINTS', 'IDENTIFY_EVALS', 'SUBMIT_EVAL', 'ALL_SUBMITTED', 'STATUS_CHECK', 'STATE_CHANGE', 'ALL_COMPLETE']) {
      expect(log).toMatch(new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\] ${action}: `, 'm'));
    }
    // each poll's counts, the last one all seven done
    const counts = [...log.matchAll(/STATUS_CHECK: Polling SLURM\nCommand: squeue -u \S+ -t all\nResult: (.*)/g)].map((m) => m[1]);
    expect(counts.at(-1)).toBe('7 COMPLETED');
    expect(counts[0]).toMatch(/^(\d+ (COMPLETED|PENDING|RUNNING)(, |$))+/);

    // A second run finds everything finished: no submission, file untouched.
    const again = await s.cli(['run', dir, ...FAST]);
    expect(again.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'experiment_summary.md'), 'utf8')).toBe(after);
    expect(s.jobs()).toHaveLength(7);
  });

  it('tells the true outcome: inspect error with exit 0, script exit 1, TIMEOUT, missing checkpoint, control run', async () => {
    s = sandbox({ FAKE_SLURM_TIME_SCALE: '0.05' });
    const { dir } = experiment(s, 'acs', {
      fixture: 'without-status',
      time: '1:00', // 3 real seconds at this scale
      outcomes: {
        '1B_lr1e-5_acs_income_calibration_epoch1': 'error',
        '1B_lr1e-4_acs_income_epoch1': 'exit1',
        '1B_lr1e-4_acs_income_calibration_epoch1': 'hang',
      },
      missingCheckpoints: ['8B_lr1e-4_acs_income_epoch1'],
    });
    const before = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
    const r = await s.cli(['run', dir, ...FAST]);
    expect(r.exitCode).toBe(1);
    const state = readJson(join(dir, 'eval_jobs.json')).evaluations;
    expect(state['1B_lr1e-5_acs_income_epoch1'].status).toBe('COMPLETED');
    expect(state['1B_lr1e-5_acs_income_calibration_epoch1']).toMatchObject({ status: 'FAILED' });
    expect(state['1B_lr1e-5_acs_income_calibration_epoch1'].notes).toContain('tokenizer config not found');
    // The script exited 1 after inspect wrote a complete success log: the log is the truth, the exit code a note.
    expect(state['1B_lr1e-4_acs_income_epoch1'].status).toBe('COMPLETED');
    expect(state['1B_lr1e-4_acs_income_epoch1'].notes).toContain('job ended FAILED (exit code 1:0) after inspect finished');
    expect(state['1B_lr1e-4_acs_income_calibration_epoch1'].status).toBe('TIMEOUT');
    expect(state['1B_lr1e-4_acs_income_calibration_epoch1'].notes).toMatch(/^slurmstepd: error: \*\*\* JOB \d+ ON \S+ CANCELLED AT \S+ DUE TO TIME LIMIT \*\*\* \(see 1B_lr1e-4\/eval\/slurm-\d+\.out\)$/);
    // No job ran: no Job ID and no Completed time (the workflow's Completed is when a job ended).
    expect(state['8B_lr1e-4_acs_income_epoch1']).toMatchObject({ status: 'SKIPPED', job_id: null, completed: null });
    expect(state['8B_lr1e-4_acs_income_epoch1'].notes).toContain('ck-out-8B_lr1e-4/epoch_1');
    expect(state['8B_lr1e-4_acs_income_calibration_epoch1'].status).toBe('SKIPPED'); // same checkpoint
    expect(state['1B_base_acs_income_base']).toMatchObject({ status: 'COMPLETED', epoch: null });
    // Nobody submitted the skipped ones.
    expect(jobsPerScript(s, dir).size).toBe(7);

    // The summary had no Status section: one was added at the end, the rest kept byte for byte.
    const after = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
    expect(after.startsWith(before)).toBe(true);
    const added = after.slice(before.length);
    expect(added).toContain('## Status');
    expect(added).toContain('### Evaluations');
    expect(added).toContain('| Run Name | Task | Epoch | Status | Job ID | Completed | Notes |');
    expect(added).toMatch(/\| 1B_base \| acs_income \| - \| COMPLETED \|/);
    expect(added).toMatch(/\| 8B_lr1e-4 \| acs_income \| 1 \| SKIPPED \| - \| - \| checkpoint missing/);
    expect(r.stdout).toMatch(/\[TIMEOUT\] 1B_lr1e-4\/acs_income_calibration\/epoch1/);
    expect(readFileSync(join(dir, 'run-inspect.log'), 'utf8')).toMatch(/VERIFY_CHECKPOINTS[\s\S]*checkpoint missing: .*ck-out-8B_lr1e-4\/epoch_1/);
  });

  it('does not resubmit an eval whose finished log for the same task and model is already there', async () => {
    s = sandbox();
    const { dir, ckDir } = experiment(s, 'words', { fixture: 'with-status-tables' });
    // A finished log of epoch 1 in the shared logs dir: it must not count for epoch 0 or 2.
    await execa(process.execPath, [FAKE_INSPECT, '--task', 'reverse_words', '--model-path', join(ckDir, 'ck-out-r4', 'epoch_1'), '--log-dir', join(dir, 'r4', 'eval', 'logs'), '--seconds', '0']);
    const r = await s.cli(['run', dir, ...FAST]);
    expect(r.exitCode).toBe(0);
    const state = readJson(join(dir, 'eval_jobs.json')).evaluations;
    expect(state.r4_reverse_words_epoch1).toMatchObject({ status: 'COMPLETED', job_id: null });
    expect(state.r4_reverse_words_epoch1.notes).toMatch(/^already done/);
    expect(state.r4_reverse_words_epoch0.job_id).not.toBeNull();
    expect(jobsPerScript(s, dir).size).toBe(6);
    expect(readFileSync(join(dir, 'run-inspect.log'), 'utf8')).toContain('(1 already completed, 0 skipped)');
  });

  it('waits out a QOS submit limit instead of failing, and never goes past --max-in-flight', async () => {
    s = sandbox({ FAKE_SLURM_MAX_SUBMIT: '3' });
    // Evals long enough that the first three still hold the limit when the fourth is submitted, however loaded the machine.
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 4 });
    const r = await s.cli(['run', dir, ...FAST]);
    expect(r.exitCode).toBe(0);
    for (const jobs of jobsPerScript(s, dir).values()) expect(jobs).toHaveLength(1);
    expect(readFileSync(join(dir, 'run-inspect.log'), 'utf8')).toMatch(/SUBMIT_DEFERRED[\s\S]*QOS submit limit/);

    s.faults({});
    const { dir: dir2 } = experiment(s, 'words2', { fixture: 'with-status-tables', seconds: 1 });
    const r2 = await s.cli(['run', dir2, ...FAST, '--max-in-flight', '2'], { env: { FAKE_SLURM_MAX_SUBMIT: '' } });
    expect(r2.exitCode).toBe(0);
    const spans = [...jobsPerScript(s, dir2).values()].flat().map((j) => [j.submit_time, j.end_time!] as const);
    expect(spans).toHaveLength(7);
    for (const [start] of spans) expect(spans.filter(([a, b]) => a <= start && start < b).length).toBeLessThanOrEqual(2);
    // The limit was felt: some evals were submitted only after others ended.
    expect(Math.max(...spans.map(([a]) => a))).toBeGreaterThan(Math.min(...spans.map(([, b]) => b)) - 1);
  });

  it('survives failing squeue calls: logged, retried next interval, nothing marked finished', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 2 });
    expect((await s.cli(['run', dir, '--once', '--stagger', '0'])).exitCode).toBe(4);
    // Three failures: one whole poll (a call and its two retries) fails.
    s.faults({ squeue: { fail: 3, message: 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)', exit_code: 1 } });
    const r = await s.cli(['run', dir, ...FAST]);
    expect(r.exitCode).toBe(0);
    const log = readFileSync(join(dir, 'run-inspect.log'), 'utf8');
    const failed = log.indexOf('Poll failed: squeue: slurm_load_jobs error: Unable to contact slurm controller');
    expect(failed).toBeGreaterThan(0);
    // The failed poll changed nothing: the next entry is the next poll, not a state change.
    expect(log.slice(failed).split('\n\n')[1]).toMatch(/STATUS_CHECK|STATE_CHANGE: .*\nPrevious: PENDING/);
    expect(log.slice(0, failed)).not.toMatch(/Current: COMPLETED/);
    for (const jobs of jobsPerScript(s, dir).values()) expect(jobs).toHaveLength(1);
  });

  it('a second run on the same experiment says who holds the lock, exits 2 and submits nothing', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 3 });
    const first = s.spawn(['run', dir, '--poll-interval', '1', '--stagger', '0']);
    await waitFor(() => existsSync(join(dir, 'run-inspect.lock')) && existsSync(join(dir, 'eval_jobs.json')));
    const second = await s.cli(['run', dir, ...FAST]);
    expect(second.exitCode).toBe(2);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(/another run-inspect is monitoring this experiment \(pid \d+ on /);
    expect((await first).exitCode).toBe(0);
    for (const jobs of jobsPerScript(s, dir).values()) expect(jobs).toHaveLength(1);
  });

  it('--once stops with evals in flight (exit 4) and a rerun resumes without submitting twice', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 2 });
    const once = await s.cli(['run', dir, '--once', '--stagger', '0']);
    expect(once.exitCode).toBe(4);
    expect(readJson(join(dir, 'eval_jobs.json')).evaluations.r4_reverse_words_epoch0.status).toBe('PENDING');
    const status = await s.cli(['status', dir, '--json']);
    expect(status.exitCode).toBe(0);
    const parsed = JSON.parse(status.stdout);
    expect(parsed.evaluations).toHaveLength(7);
    expect(parsed.monitor.last_successful_poll).toMatch(/^\d{4}-/);
    const rest = await s.cli(['run', dir, ...FAST]);
    expect(rest.exitCode).toBe(0);
    for (const jobs of jobsPerScript(s, dir).values()) expect(jobs).toHaveLength(1);
    const human = await s.cli(['status', dir]);
    expect(human.stdout).toMatch(/r4\s+reverse_words\s+0\s+COMPLETED\s+\d+/);
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'acs', { fixture: 'without-status', missingCheckpoints: ['1B_lr1e-4_acs_income_epoch1'] });
    const before = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
    const r = await s.cli(['run', dir, '--dry-run']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/1B_lr1e-5\/acs_income\/epoch1 {2}submit: sbatch .*acs_income_epoch1\.slurm/);
    expect(r.stdout).toMatch(/1B_lr1e-4\/acs_income\/epoch1 {2}skip: checkpoint missing/);
    expect(readFileSync(join(dir, 'experiment_summary.md'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'eval_jobs.json'))).toBe(false);
    expect(existsSync(join(dir, 'run-inspect.log'))).toBe(false);
    expect(s.jobs()).toHaveLength(0);
  });

  it('refuses bad input with one line naming the file, exit 2, and changes nothing', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables' });
    const noSummary = await s.cli(['run', s.root]);
    expect(noSummary.exitCode).toBe(2);
    expect(noSummary.stderr).toBe(`run-inspect: ${s.root}: no experiment_summary.yaml or experiment_summary.md (give the experiment directory)`);

    writeFileSync(join(dir, 'eval_jobs.json'), '{"version": 1, "experiment": "x", "evaluations": {');
    const summary = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
    const corrupt = await s.cli(['run', dir, ...FAST]);
    expect(corrupt.exitCode).toBe(2);
    expect(corrupt.stderr).toMatch(/^run-inspect: .*eval_jobs\.json: not valid JSON/);
    expect(corrupt.stderr.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(join(dir, 'eval_jobs.json'), 'utf8')).toBe('{"version": 1, "experiment": "x", "evaluations": {');
    expect(readFileSync(join(dir, 'experiment_summary.md'), 'utf8')).toBe(summary);
    expect(s.jobs()).toHaveLength(0);

    const usage = await s.cli(['run', dir, '--poll-interval', 'soon']);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toMatch(/--poll-interval: expected a number/);
  });

  it('exits 3 when SLURM is not installed', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables' });
    const r = await s.cli(['run', dir, ...FAST], { env: { PATH: '/nonexistent' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/squeue: command not found/);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
