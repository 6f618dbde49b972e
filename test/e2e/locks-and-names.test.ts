// Who may act on an experiment, and names and permissions a shared cluster brings: the bundle on
// fake-slurm. (The SIGKILL loop is chaos.test.ts, a file of its own so the two run side by side.)
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSummary } from '../../src/experiment/summary.js';
import { BUNDLE, evalsAsTheyEnded, experiment, jobsPerScript, readJson, sandbox, type Sandbox } from '../support/harness.js';

let s: Sandbox;
afterEach(async () => s?.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('one monitor per experiment', () => {
  it('8 runs started at once: exactly one acts, the others name the holder and exit 2', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 4 });
    const results = await Promise.all(Array.from({ length: 8 }, () => s.cli(['run', dir, '--poll-interval', '0.5', '--stagger', '0'])));
    const codes = results.map((r) => r.exitCode).sort();
    // On a failure, what the acting run said (its final summary names each eval that did not succeed).
    const acting = () => results.filter((r) => r.exitCode !== 2).map((r) => `${r.stdout}${r.stderr}`).join('\n');
    expect(codes, acting()).toEqual([0, 2, 2, 2, 2, 2, 2, 2]);
    for (const r of results.filter((x) => x.exitCode === 2)) {
      expect(r.stderr).toMatch(/^run-inspect: .*run-inspect\.lock: another run-inspect is monitoring this experiment \((pid \d+ on .*|holder unknown)\); nothing was done$/);
    }
    for (const jobs of jobsPerScript(s, dir).values()) expect(jobs).toHaveLength(1);
    expect(jobsPerScript(s, dir).size).toBe(7);
  }, 60_000);

  it('takes over a lock left by a killed monitor once it is stale (RUN_INSPECT_LOCK_STALE_S), not before', async () => {
    s = sandbox({ RUN_INSPECT_LOCK_STALE_S: '3' });
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 1 });
    const child = s.spawn(['run', dir, '--poll-interval', '0.5', '--stagger', '0']);
    const lock = join(dir, 'run-inspect.lock');
    const holder = () => (existsSync(join(dir, 'eval_jobs.json')) ? readJson(join(dir, 'eval_jobs.json')).monitor.holder : null);
    while (!existsSync(lock) || !holder()) await sleep(20);
    child.kill('SIGKILL');
    await child;
    const killedAt = statSync(lock).mtimeMs;
    const early = await s.cli(['run', dir, '--poll-interval', '0.5', '--stagger', '0']);
    expect(early.exitCode).toBe(2);
    await sleep(Math.max(0, killedAt + 3_500 - Date.now()));
    // status no longer shows the dead monitor as running once its lock is stale
    const status = await s.cli(['status', dir]);
    expect(status.stdout).not.toMatch(/Active monitor/);
    expect(status.stdout).toContain(`No monitor running: the last one (${holder()}) ended without a word`);
    const later = await s.cli(['run', dir, '--poll-interval', '0.5', '--stagger', '0']);
    expect(later.exitCode).toBe(0);
    for (const jobs of jobsPerScript(s, dir).values()) expect(jobs).toHaveLength(1);
  }, 60_000);
});

describe('hostile names and permissions', () => {
  it('runs and tasks named with shell metacharacters go through end to end, and nothing is executed', async () => {
    s = sandbox();
    const run = `r $(touch PWNED); x|y 'q"`;
    const task = 'task;`touch PWNED2`';
    const { dir } = experiment(s, 'meta', { fixture: 'with-status-tables', evals: [{ run, task, epoch: 0 }, { run: 'plain', task: 'ok', epoch: 1 }] });
    const r = await s.cli(['run', dir, '--poll-interval', '0.5', '--stagger', '0']);
    expect(r.stderr).not.toMatch(/    at /);
    expect(r.exitCode).toBe(0);
    const state = readJson(join(dir, 'eval_jobs.json')).evaluations;
    expect(state[`${run}_${task}_epoch0`]).toMatchObject({ run, task, epoch: 0, status: 'COMPLETED' });
    for (const where of [dir, s.root, process.cwd()]) {
      expect(existsSync(join(where, 'PWNED'))).toBe(false);
      expect(existsSync(join(where, 'PWNED2'))).toBe(false);
    }
    const summary = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
    const rows = parseSummary(summary, 'x').evaluations!;
    expect(rows.find((row) => row.run === run)).toMatchObject({ task, status: 'COMPLETED' });
  }, 60_000);

  it('refuses a summary that names a run outside the experiment (../x): exit 2, nothing written', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables' });
    const file = join(dir, 'experiment_summary.md');
    const evil = readFileSync(file, 'utf8').replace('| r4 | reverse_words | 0 | pending |', '| ../x | reverse_words | 0 | pending |');
    await import('node:fs').then((fs) => fs.writeFileSync(file, evil));
    const r = await s.cli(['run', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
    expect(readFileSync(file, 'utf8')).toBe(evil);
    expect(existsSync(join(dir, 'eval_jobs.json'))).toBe(false);
    expect(s.jobs()).toHaveLength(0);
  });

  it('creates its files with the user\'s umask and keeps the summary\'s own mode', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 0 });
    const summaryMode = statSync(join(dir, 'experiment_summary.md')).mode & 0o777;
    const r = await execa('bash', ['-c', 'umask 077 && exec "$0" "$@"', process.execPath, BUNDLE, 'run', dir, '--poll-interval', '0.5', '--stagger', '0'], { env: s.env, extendEnv: false, reject: false });
    expect(r.exitCode, evalsAsTheyEnded(dir, r)).toBe(0);
    expect(statSync(join(dir, 'eval_jobs.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'run-inspect.log')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'experiment_summary.md')).mode & 0o777).toBe(summaryMode);
  }, 60_000);
});
