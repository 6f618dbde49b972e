// Job life: time limits, scancel, dependencies, node failure and preemption.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCluster, sleep } from './helpers.js';

let c: FakeCluster;
beforeEach(() => {
  c = new FakeCluster();
});
afterEach(() => c.cleanup());

const uid = process.getuid ? process.getuid() : 0;

/** A killed process may linger as a zombie until someone reaps it: that is not alive. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('time limits', () => {
  it('a job past its (scaled) limit is TIMEOUT 0:0, after SIGTERM then SIGKILL', async () => {
    c.script('stubborn.sh', '#!/bin/bash\ntrap "echo got TERM" TERM\nwhile true; do sleep 0.1; done\n');
    const t0 = Date.now();
    const id = c.submit(['--time=1', 'stubborn.sh']); // 60 s * 0.05 = 3 s real
    const j = await c.waitJob(id);
    const took = (Date.now() - t0) / 1000;
    expect(j).toMatchObject({ state: 'TIMEOUT', exit_code: '0:0', reason: 'TimeLimit' });
    expect(took).toBeGreaterThan(2.8);
    expect(took).toBeLessThan(10);
    const out = c.read(`slurm-${id}.out`);
    expect(out).toContain('got TERM');
    expect(out).toMatch(new RegExp(`slurmstepd: error: \\*\\*\\* JOB ${id} ON \\S+ CANCELLED AT \\S+ DUE TO TIME LIMIT \\*\\*\\*`));
    const acct = c.run('sacct', ['-j', String(id), '-n', '-P', '-o', 'JobID,State,ExitCode,Timelimit']);
    // The script ignored SIGTERM, so the batch step died by SIGKILL.
    expect(acct.stdout).toBe(`${id}|TIMEOUT|0:0|00:01:00\n${id}.batch|CANCELLED|0:9|\n`);
  });

  it('reports real time: elapsed and time left count down to the scaled kill', async () => {
    const id = c.submit(['--time=2', '--wrap', 'sleep 30']); // 120 s -> 6 s real
    await c.waitJob(id, (j) => j.state === 'RUNNING');
    await sleep(1200);
    const r = c.run('squeue', ['-h', '-j', String(id), '-o', '%M|%L|%l']);
    const [used, left, limit] = r.stdout.trim().split('|');
    expect(limit).toBe('2:00');
    expect(['0:01', '0:02', '0:03']).toContain(used);
    expect(['0:03', '0:04', '0:05']).toContain(left);
    c.run('scancel', [String(id)]);
  });
});

describe('scancel', () => {
  it('cancels a pending job at once (CANCELLED by <uid>)', async () => {
    const a = c.submit(['--wrap', 'sleep 10']);
    const b = c.submit(['-d', `afterany:${a}`, '--wrap', 'true']);
    const r = c.run('scancel', [String(b)]);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(c.job(b)).toMatchObject({ state: 'CANCELLED', cancelled_by: uid, exit_code: '0:0' });
    const acct = c.run('sacct', ['-n', '-P', '-j', String(b), '-o', 'JobID,State,ExitCode']);
    expect(acct.stdout).toBe(`${b}|CANCELLED by ${uid}|0:0\n`); // never started: no .batch step
    c.run('scancel', [String(a)]);
  });

  it('cancels a running job: SIGTERM to its processes, the record settles before scancel returns', async () => {
    const id = c.submit(['--wrap', 'sleep 30 & wait']);
    await c.waitJob(id, (j) => j.state === 'RUNNING' && Boolean(j.pid));
    const r = c.run('scancel', [String(id)]);
    expect(r.code).toBe(0);
    const j = c.job(id);
    expect(j).toMatchObject({ state: 'CANCELLED', completing: false, cancelled_by: uid, exit_code: '0:15' });
    expect(c.run('squeue', ['-h', '-j', String(id)]).stdout).toBe('');
    expect(c.run('squeue', ['-h', '-t', 'all', '-j', String(id), '-o', '%T']).stdout).toBe('CANCELLED\n');
    const fixed = c.run('sacct', ['-X', '-n', '-j', String(id), '-o', 'State']);
    expect(fixed.stdout).toBe('CANCELLED+ \n'); // "CANCELLED by <uid>" cut to 10 columns
  });

  it('unknown and finished jobs: silent, exit 0, as real 22.05; -v shows the error (still exit 0)', async () => {
    let r = c.run('scancel', ['4242']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    r = c.run('scancel', ['-v', '4242']);
    expect(r).toMatchObject({ code: 0, stderr: 'scancel: Terminating job 4242\nscancel: error: Kill job error on job id 4242: Invalid job id specified\n' });
    const id = c.submit(['--wrap', 'true']);
    await c.waitJob(id);
    r = c.run('scancel', [String(id)]);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    r = c.run('scancel', ['-v', String(id)]);
    expect(r).toMatchObject({ code: 0, stderr: `scancel: Terminating job ${id}\nscancel: error: Kill job error on job id ${id}: Job/step already completing or completed\n` });
  });

  it('-s signals without cancelling; --batch reaches only the batch shell', async () => {
    c.script('s.sh', '#!/bin/bash\ntrap \'echo "shell got USR1"\' USR1\nfor i in $(seq 20); do sleep 0.1; done\necho finished\n');
    const id = c.submit(['s.sh']);
    await c.waitJob(id, (j) => j.state === 'RUNNING' && Boolean(j.pid));
    await sleep(200);
    expect(c.run('scancel', ['-s', 'USR1', '-b', String(id)]).code).toBe(0);
    expect(c.job(id).state).toBe('RUNNING');
    const j = await c.waitJob(id);
    expect(j.state).toBe('COMPLETED');
    expect(c.read(`slurm-${id}.out`)).toBe('shell got USR1\nfinished\n');
  });

  it('cancels by name and user', async () => {
    const a = c.submit(['-J', 'x', '--wrap', 'sleep 20']);
    const b = c.submit(['-J', 'y', '--wrap', 'sleep 20']);
    await c.waitJob(b, (j) => j.state === 'RUNNING');
    expect(c.run('scancel', ['-n', 'x', '-u', String(uid)]).code).toBe(0);
    expect(c.job(a).state).toBe('CANCELLED');
    expect(c.job(b).state).toBe('RUNNING');
  });
});

describe('dependencies', () => {
  it('afterany waits for any end; afterok on a failure is DependencyNeverSatisfied and stays pending', async () => {
    const a = c.submit(['--wrap', `${c.gate('a')}; exit 3`]);
    const any = c.submit(['-d', `afterany:${a}`, '--wrap', 'true']);
    const ok = c.submit(['--dependency', `afterok:${a}`, '--wrap', 'true']);
    const notok = c.submit(['-d', `afternotok:${a}`, '--wrap', 'true']);
    expect(c.job(any)).toMatchObject({ state: 'PENDING', reason: 'Dependency' });
    expect(c.run('squeue', ['-h', '-j', String(ok), '-o', '%r %E']).stdout).toBe(`Dependency afterok:${a}(unfulfilled)\n`);
    c.open('a');
    expect(await c.waitJob(a)).toMatchObject({ state: 'FAILED', exit_code: '3:0' });
    expect((await c.waitJob(any)).state).toBe('COMPLETED');
    expect((await c.waitJob(notok)).state).toBe('COMPLETED');
    const never = await c.waitJob(ok, (j) => j.reason === 'DependencyNeverSatisfied');
    expect(never.state).toBe('PENDING');
    expect(c.run('squeue', ['-h', '-j', String(ok), '-o', '%t %R']).stdout).toBe('PD (DependencyNeverSatisfied)\n');
    expect(c.run('scontrol', ['show', 'job', '-o', String(ok)]).stdout).toContain(
      `JobState=PENDING Reason=DependencyNeverSatisfied Dependency=afterok:${a}(failed)`,
    );
    expect(c.run('fake-slurm-admin', ['wait-idle', '5']).code).toBe(0);
  });

  it('afterok:a:b waits for both to succeed', async () => {
    const a = c.submit(['--wrap', c.gate('a')]);
    const b = c.submit(['--wrap', c.gate('b')]);
    const d = c.submit(['-d', `afterok:${a}:${b}`, '--wrap', 'true']);
    c.open('a');
    const ja = await c.waitJob(a);
    await sleep(300); // a scheduling pass or more
    expect(c.job(d).state).toBe('PENDING');
    c.open('b');
    const jd = await c.waitJob(d);
    expect(jd.state).toBe('COMPLETED');
    expect(jd.start_time!).toBeGreaterThanOrEqual(c.job(b).end_time!);
    expect(ja.state).toBe('COMPLETED');
  });

  it('a dependency on a job the controller does not know is accepted and counts as met (real 22.05)', async () => {
    const any = c.submit(['-d', 'afterany:999999', '--wrap', 'true']);
    const ok = c.submit(['-d', 'afterok:999998', '--wrap', 'true']);
    expect((await c.waitJob(any)).state).toBe('COMPLETED');
    expect((await c.waitJob(ok)).state).toBe('COMPLETED');
  });

  it('a job cancelled while pending keeps its pending reason (real 22.05)', async () => {
    const a = c.submit(['--wrap', 'sleep 10']);
    const b = c.submit(['-d', `afterany:${a}`, '--wrap', 'true']);
    c.run('scancel', [String(b)]);
    expect(c.run('squeue', ['-h', '-t', 'all', '-j', String(b), '-o', '%T|%r']).stdout).toBe('CANCELLED|Dependency\n');
    c.run('scancel', [String(a)]);
  });

  it('singleton: jobs of one name and user never overlap, and run in submit order', async () => {
    const ids = [1, 2, 3].map((n) => c.submit(['-J', 'chain', '-d', 'singleton', '--wrap', `${c.gate(String(n))}; sleep 0.5`]));
    await c.waitJob(ids[0], (j) => j.state === 'RUNNING');
    await sleep(300); // a scheduling pass or more
    expect(c.jobs().filter((j) => j.state === 'RUNNING').map((j) => j.id)).toEqual([ids[0]]);
    expect(c.job(ids[2])).toMatchObject({ state: 'PENDING', reason: 'Dependency' });
    for (const n of [1, 2, 3]) c.open(String(n));
    const done = await Promise.all(ids.map((id) => c.waitJob(id)));
    for (let i = 1; i < done.length; i++) {
      expect(done[i].start_time!).toBeGreaterThanOrEqual(done[i - 1].end_time!);
    }
  });
});

describe('admin', () => {
  it('node-fail and preempt end running jobs with NODE_FAIL / PREEMPTED', async () => {
    const a = c.submit(['--wrap', 'sleep 30']);
    const b = c.submit(['--wrap', 'sleep 30']);
    await c.waitJob(b, (j) => j.state === 'RUNNING' && Boolean(j.pid));
    expect(c.run('fake-slurm-admin', ['node-fail', String(a)]).code).toBe(0);
    expect(c.run('fake-slurm-admin', ['preempt', String(b)]).code).toBe(0);
    expect(c.job(a)).toMatchObject({ state: 'NODE_FAIL', completing: false });
    expect(c.job(b)).toMatchObject({ state: 'PREEMPTED', completing: false });
    expect(c.run('squeue', ['-h', '-t', 'all', '-o', '%i %t']).stdout).toBe(`${a} NF\n${b} PR\n`);
  });

  it('one slurmd runs every job; when it dies, its running jobs are NODE_FAIL and a pending one runs under a new slurmd', async () => {
    const a = c.submit(['--wrap', 'sleep 30']);
    const b = c.submit(['--wrap', 'sleep 30']);
    const later = c.submit(['-d', `afterany:${a}`, '--wrap', 'echo ran']);
    const ra = await c.waitJob(a, (j) => j.state === 'RUNNING' && Boolean(j.pid));
    const rb = await c.waitJob(b, (j) => j.state === 'RUNNING' && Boolean(j.pid));
    const slurmd = ra.supervisor_pid as number;
    expect(alive(slurmd)).toBe(true);
    expect(rb.supervisor_pid).toBe(slurmd);
    expect(c.job(later)).toMatchObject({ state: 'PENDING', supervisor_pid: slurmd });

    process.kill(slurmd, 'SIGKILL'); // the node goes away
    await sleep(100);
    expect(c.run('squeue', ['-h', '-t', 'all', '-o', '%i %T %r']).code).toBe(0); // the next command notices
    expect(c.job(a)).toMatchObject({ state: 'NODE_FAIL', reason: 'NodeDown' });
    expect(c.job(b)).toMatchObject({ state: 'NODE_FAIL', reason: 'NodeDown' });
    expect(alive(ra.pid as number)).toBe(false);
    const done = await c.waitJob(later);
    expect(done).toMatchObject({ state: 'COMPLETED' });
    expect(done.supervisor_pid).not.toBe(slurmd);
    expect(c.read(`slurm-${later}.out`)).toBe('ran\n');
  });

  it('a pending job of a dead slurmd goes to a live one that had already seen it as another\'s', async () => {
    const a = c.submit(['--wrap', 'sleep 30']);
    const later = c.submit(['-d', `afterany:${a}`, '--wrap', 'echo ran']);
    const ra = await c.waitJob(a, (j) => j.state === 'RUNNING' && Boolean(j.pid));
    // Other tunables, another slurmd; once its job runs, it has read `later` (then slurmd ra's).
    const other = { FAKE_SLURM_CLUSTER_NAME: 'other' };
    const b = c.submit(['--wrap', 'sleep 30'], { env: other });
    const rb = await c.waitJob(b, (j) => j.state === 'RUNNING' && Boolean(j.pid));
    expect(rb.supervisor_pid).not.toBe(ra.supervisor_pid);

    process.kill(ra.supervisor_pid as number, 'SIGKILL');
    await sleep(100);
    expect(c.run('squeue', ['-h'], { env: other }).code).toBe(0); // hands `later` to b's slurmd, alive
    expect(c.job(a)).toMatchObject({ state: 'NODE_FAIL' });
    const done = await c.waitJob(later);
    expect(done).toMatchObject({ state: 'COMPLETED', supervisor_pid: rb.supervisor_pid });
    expect(c.read(`slurm-${later}.out`)).toBe('ran\n');
  });

  it('reset kills everything and wipes the state', async () => {
    const id = c.submit(['--wrap', 'sleep 30']);
    const j = await c.waitJob(id, (x) => Boolean(x.pid));
    expect(c.run('fake-slurm-admin', ['reset']).code).toBe(0);
    expect(alive(j.pid as number)).toBe(false);
    expect(c.run('fake-slurm-admin', ['list']).stdout).toBe('[]\n');
    expect(c.submit(['--wrap', 'true'])).toBe(1000); // ids restart, as after a controller reset
  });
});
