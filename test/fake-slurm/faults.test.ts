// Fault switches: faults.json (read on every call) and environment variables.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { BIN, FakeCluster, sleep } from './helpers.js';

let c: FakeCluster;
beforeEach(() => {
  c = new FakeCluster();
});
afterEach(() => c.cleanup());

const TIMEOUT = 'slurm_load_jobs error: Socket timed out on send/recv operation';

describe('faults.json', () => {
  it('fails the next N squeue calls, then recovers (the counter counts down in the file)', () => {
    c.faults({ squeue: { fail: 2, message: TIMEOUT } });
    expect(c.run('squeue')).toMatchObject({ code: 1, stdout: '', stderr: `${TIMEOUT}\n` });
    expect(c.run('squeue').code).toBe(1);
    expect(c.run('squeue').code).toBe(0);
    expect(JSON.parse(c.run('fake-slurm-admin', ['faults']).stdout)).toMatchObject({ squeue: { fail: 0 } });
  });

  it('"always" keeps failing, with a custom exit code; flipping the file takes effect at once', () => {
    c.faults({ sacct: { fail: 'always', message: 'sacct: error: Problem talking to the database: Connection refused', exit_code: 1 } });
    for (let i = 0; i < 3; i++) expect(c.run('sacct', ['-j', '1']).code).toBe(1);
    c.faults({});
    expect(c.run('sacct', ['-j', '1'])).toMatchObject({ code: 0 });
  });

  it('each command can fail: sbatch (no job created), scontrol, scancel', () => {
    c.faults({ sbatch: { fail: 1 }, scontrol: { fail: 1 }, scancel: { fail: 1 } });
    const s = c.run('sbatch', ['--wrap', 'true']);
    expect(s).toMatchObject({ code: 1, stderr: 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation\n' });
    expect(c.jobs()).toEqual([]);
    expect(c.run('scontrol', ['show', 'job', '1000'])).toMatchObject({ code: 1, stderr: `${TIMEOUT}\n` });
    expect(c.run('scancel', ['1000']).stderr).toBe('scancel: error: Kill job error on job id 1000: Socket timed out on send/recv operation\n');
  });

  it('sbatch "accepted but timed out": the job exists although sbatch failed', async () => {
    c.faults({ sbatch: { fail: 1, accepted: true } });
    const r = c.run('sbatch', ['--parsable', '--comment', 'tag-1', '--wrap', 'true']);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation\n' });
    const jobs = c.jobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0].comment).toBe('tag-1');
    expect((await c.waitJob(jobs[0].id)).state).toBe('COMPLETED');
    expect(c.run('squeue', ['-h', '-t', 'all', '-o', '%i %k']).stdout).toBe(`${jobs[0].id} tag-1\n`);
  });

  it('an accepted sbatch that hangs has created its job before the caller gives up', async () => {
    c.faults({ sbatch: { fail: 1, accepted: true, delay_ms: 5000 } });
    const { spawn } = await import('node:child_process');
    const p = spawn(join(BIN, 'sbatch'), ['--parsable', '--wrap', 'true'], { env: c.env, cwd: c.work });
    const t0 = Date.now();
    while (c.jobs().length === 0 && Date.now() - t0 < 3000) await sleep(50);
    p.kill('SIGKILL'); // the caller's timeout
    expect(c.jobs()).toHaveLength(1);
    expect((await c.waitJob(1000)).state).toBe('COMPLETED');
  });

  it('delay_ms hangs the command before it answers', () => {
    c.faults({ squeue: { delay_ms: 700 } });
    const t0 = Date.now();
    expect(c.run('squeue', ['-h']).code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
  });

  it('max_submit and accounting live in the same file', () => {
    c.faults({ max_submit: 1, accounting: false });
    // The first job must still be queued or running at the second sbatch, however loaded the machine.
    expect(c.run('sbatch', ['--wrap', 'sleep 120']).code).toBe(0);
    expect(c.run('sbatch', ['--wrap', 'sleep 120']).stderr).toContain('QOSMaxSubmitJobPerUserLimit');
    expect(c.run('sacct')).toMatchObject({ code: 1, stderr: 'Slurm accounting storage is disabled\n' });
    c.run('scancel', ['1000']);
  });
});

describe('environment switches', () => {
  it('FAKE_SLURM_FAIL_<CMD>=N fails the first N calls in this state dir', () => {
    const env = { FAKE_SLURM_FAIL_SQUEUE: '1', FAKE_SLURM_FAIL_SQUEUE_MESSAGE: 'squeue: error: boom', FAKE_SLURM_FAIL_SQUEUE_EXIT: '2' };
    expect(c.run('squeue', [], { env })).toMatchObject({ code: 2, stderr: 'squeue: error: boom\n' });
    expect(c.run('squeue', [], { env }).code).toBe(0);
  });

  it('FAKE_SLURM_FAIL_SBATCH=always with FAKE_SLURM_SBATCH_ACCEPTED=1 creates jobs and reports failure', () => {
    const env = { FAKE_SLURM_FAIL_SBATCH: 'always', FAKE_SLURM_SBATCH_ACCEPTED: '1' };
    expect(c.run('sbatch', ['--wrap', 'true'], { env }).code).toBe(1);
    expect(c.run('sbatch', ['--wrap', 'true'], { env }).code).toBe(1);
    expect(c.jobs()).toHaveLength(2);
  });

  it('FAKE_SLURM_DELAY_<CMD>_MS delays; FAKE_SLURM_ACCOUNTING=0 disables sacct', () => {
    const t0 = Date.now();
    expect(c.run('scontrol', ['show', 'job'], { env: { FAKE_SLURM_DELAY_SCONTROL_MS: '500' } }).code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(c.run('sacct', [], { env: { FAKE_SLURM_ACCOUNTING: '0' } }).code).toBe(1);
  });
});
