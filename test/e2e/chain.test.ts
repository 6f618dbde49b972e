// The monitor as a self-resubmitting chain of SLURM jobs, on fake-slurm with scaled time.
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { experiment, jobsPerScript, readJson, sandbox, type FakeJob, type Sandbox } from '../support/harness.js';

/** The last lines of a monitor link's output file (run-inspect-monitor-<id>.out), for a failure message. */
function outputTail(dir: string, id: number): string {
  try {
    return readFileSync(join(dir, `run-inspect-monitor-${id}.out`), 'utf8').trimEnd().split('\n').slice(-8).join(' | ');
  } catch (e) {
    return `no output file (${(e as NodeJS.ErrnoException).code})`;
  }
}

let s: Sandbox;
afterEach(async () => {
  if (process.env.KEEP_SANDBOX) console.log('sandbox kept:', s?.root);
  else await s?.cleanup();
});

/** Fine-tuning stand-ins: `{run}/finetune.slurm`, named after the run as the real ones are. */
function finetuneScript(dir: string, run: string, seconds: number, exit = 0) {
  const path = join(dir, run, 'finetune.slurm');
  writeFileSync(path, `#!/bin/bash\n#SBATCH --job-name=${run}\n#SBATCH --output=slurm-%j.out\nsleep ${seconds}\nexit ${exit}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function sbatch(s: Sandbox, script: string, cwd: string): Promise<string> {
  const r = await execa('sbatch', ['--parsable', script], { cwd, env: s.env, extendEnv: false });
  return String(r.stdout).trim();
}

const monitors = (s: Sandbox) => s.jobs().filter((j: FakeJob) => (j.comment ?? '').startsWith('run-inspect-monitor:'));

async function waitUntil(cond: () => boolean, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 250));
  }
}

const chainDone = (dir: string) => () => {
  try {
    return readJson(join(dir, 'eval_jobs.json')).monitor.finished !== null;
  } catch {
    return false;
  }
};

describe('launch: the monitor chain', () => {
  it('waits for fine-tuning, hands off across short walltimes, ends with every eval terminal and nothing left queued', async () => {
    // --time=5 (minutes) lasts 12 real seconds; USR1@120 arrives 4.8 s before the end.
    s = sandbox({ FAKE_SLURM_TIME_SCALE: '0.04', RUN_INSPECT_LOCK_STALE_S: '3' });
    // 7 evals of 8 s, two at a time: about 32 s of work, so at least two hand-offs however fast the monitor polls.
    const { dir, keys } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 8, missingCheckpoints: ['r16_reverse_words_epoch2'] });
    const ft = [await sbatch(s, finetuneScript(dir, 'r4', 3), join(dir, 'r4')), await sbatch(s, finetuneScript(dir, 'r16', 2, 1), join(dir, 'r16'))];
    const r = await s.cli(['launch', dir, '--after', ft.join(':'), '--time', '5', '--poll-interval', '1', '--stagger', '0', '--max-in-flight', '2', '--safety-margin', '2']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+$/);
    const first = s.jobs().find((j) => String(j.id) === r.stdout.trim())!;
    expect(first.dependency).toBe(`afterany:${ft.join(':')}`);
    await waitUntil(chainDone(dir), 150_000);
    await s.admin('wait-idle', '60');

    const state = readJson(join(dir, 'eval_jobs.json'));
    for (const key of keys) expect(['COMPLETED', 'SKIPPED']).toContain(state.evaluations[key].status);
    expect(state.evaluations.r16_reverse_words_epoch2.status).toBe('SKIPPED');
    for (const jobs of jobsPerScript(s, dir).values()) expect(jobs).toHaveLength(1);
    // Every eval started after fine-tuning ended.
    const ftEnd = Math.max(...s.jobs().filter((j) => ft.includes(String(j.id))).map((j) => j.end_time!));
    expect(ftEnd).toBeGreaterThan(0);
    for (const jobs of jobsPerScript(s, dir).values()) expect(jobs[0]!.submit_time).toBeGreaterThanOrEqual(ftEnd);

    const links = monitors(s);
    expect(links.length).toBeGreaterThanOrEqual(3);
    // A link that handed off ended as a success in SLURM's eyes, not FAILED.
    // (On failure the message carries each FAILED link's exit code and the end of its output file.)
    const failed = links.filter((j) => j.state === 'FAILED');
    const why = failed.map((j) => `job ${j.id} exit ${j.exit_code}: ${outputTail(dir, j.id)}`).join('\n');
    expect(failed, why).toHaveLength(0);
    expect(links.filter((j) => ['PENDING', 'RUNNING'].includes(j.state))).toHaveLength(0);
    // Never two links at once.
    const spans = links.filter((j) => j.start_time !== null && j.end_time! > j.start_time).map((j) => [j.start_time!, j.end_time!] as const);
    expect(spans.length).toBeGreaterThanOrEqual(3);
    spans.forEach(([a, b], i) => expect(spans.filter(([c, d], k) => k !== i && c < b && a < d)).toEqual([]));

    const log = readFileSync(join(dir, 'run-inspect.log'), 'utf8');
    expect(log).toMatch(/LAUNCH: Queued the run-inspect monitor job\nDetails: after /);
    expect((log.match(/^\[.*\] HANDOFF: Monitor job \d+ → \d+/gm) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(log).toMatch(/CHAIN_END: Every evaluation has ended/);
    expect((log.match(/ALL_COMPLETE/g) ?? []).length).toBe(1);
    // the links after the one that submitted the last eval do not announce it again
    expect((log.match(/^\[.*\] ALL_SUBMITTED: /gm) ?? []).length).toBe(1);
  }, 200_000);

  it('loses nothing when a link is killed with SIGKILL mid-poll', async () => {
    s = sandbox({ FAKE_SLURM_TIME_SCALE: '0.04', RUN_INSPECT_LOCK_STALE_S: '2' });
    const { dir, keys } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 4 });
    const r = await s.cli(['launch', dir, '--time', '10', '--poll-interval', '1', '--stagger', '0', '--max-in-flight', '3', '--safety-margin', '2']);
    expect(r.exitCode).toBe(0);
    // Kill the first link as soon as it has submitted something.
    await waitUntil(() => jobsPerScript(s, dir).size > 0, 30_000);
    const running = monitors(s).find((j) => j.state === 'RUNNING')!;
    // The job script runs node as its child: kill the monitor itself, mid-poll.
    const node = (await execa('pgrep', ['-P', String(running.pid)])).stdout.trim().split('\n')[0]!;
    process.kill(Number(node), 'SIGKILL');
    await waitUntil(chainDone(dir), 150_000);
    await s.admin('wait-idle', '60');
    const state = readJson(join(dir, 'eval_jobs.json'));
    for (const key of keys) expect(state.evaluations[key].status).toBe('COMPLETED');
    const per = jobsPerScript(s, dir);
    expect(per.size).toBe(keys.length);
    for (const jobs of per.values()) expect(jobs).toHaveLength(1);
    expect(monitors(s).filter((j) => ['PENDING', 'RUNNING'].includes(j.state))).toHaveLength(0);
  }, 200_000);

  it('stop cancels the queued and running links; --cancel-evals also the evals, state stays consistent', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 30 });
    const r = await s.cli(['launch', dir, '--poll-interval', '1', '--stagger', '0']);
    expect(r.exitCode).toBe(0);
    await waitUntil(() => jobsPerScript(s, dir).size === 7, 30_000);
    const stop = await s.cli(['stop', dir, '--cancel-evals']);
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout).toMatch(/Cancelled monitor jobs: \d+/);
    await waitUntil(() => s.jobs().every((j) => !['PENDING', 'RUNNING'].includes(j.state)), 30_000);
    const state = readJson(join(dir, 'eval_jobs.json'));
    for (const ev of Object.values<any>(state.evaluations)) expect(ev.status).toBe('CANCELLED');
    expect(state.monitor.stopped).not.toBeNull();
    expect(readFileSync(join(dir, 'run-inspect.log'), 'utf8')).toMatch(/STOP: Monitor stopped by the user/);
    expect(readFileSync(join(dir, 'experiment_summary.md'), 'utf8')).toMatch(/\| r4 \| reverse_words \| 0 \| CANCELLED \|/);
  }, 60_000);

  it('status shows the chain and reports a monitor whose dependency can never be satisfied', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables' });
    const failed = await sbatch(s, finetuneScript(dir, 'r4', 0, 1), join(dir, 'r4'));
    const training = await sbatch(s, finetuneScript(dir, 'r16', 60), join(dir, 'r16'));
    await waitUntil(() => s.jobs().some((j) => String(j.id) === failed && j.state === 'FAILED'), 20_000);
    const launched = await s.cli(['launch', dir, '--after', 'auto']);
    expect(launched.exitCode).toBe(0);
    const link = s.jobs().find((j) => String(j.id) === launched.stdout.trim())!;
    expect(link.dependency).toBe(`afterany:${training}`); // auto: the fine-tuning job still queued
    // A link queued by hand with afterok on the failed fine-tuning job can never start.
    const { experimentIdOf } = await import('../../src/monitor/tags.js');
    const { renderMonitorScript } = await import('../../src/monitor/template.js');
    const stuck = await execa('sbatch', ['--parsable', `--dependency=afterok:${failed}`, `--comment=run-inspect-monitor:${experimentIdOf(dir)}`], {
      cwd: dir, env: s.env, extendEnv: false, input: renderMonitorScript(process.execPath, '/nonexistent', [dir]),
    });
    await waitUntil(() => s.jobs().some((j) => String(j.id) === String(stuck.stdout).trim() && j.reason === 'DependencyNeverSatisfied'), 20_000);
    const status = await s.cli(['status', dir]);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(`job ${launched.stdout.trim()} PENDING (Dependency)`);
    expect(status.stdout).toMatch(new RegExp(`WARNING: monitor job ${String(stuck.stdout).trim()} can never start \\(DependencyNeverSatisfied\\)`));
    expect(status.stdout).toMatch(/Links so far: 0 +Last poll: -/);
    const json = JSON.parse((await s.cli(['status', dir, '--json'])).stdout);
    expect(json.monitor.never_starts).toEqual([String(stuck.stdout).trim()]);
  }, 60_000);
});
