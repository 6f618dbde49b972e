// What squeue, sacct and scontrol print, and when jobs disappear from them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCluster, sleep } from './helpers.js';

let c: FakeCluster;
beforeEach(() => {
  // MinJobAge 5 s: long enough for a few checks on a loaded machine, short enough to wait out.
  c = new FakeCluster({ FAKE_SLURM_MIN_JOB_AGE: '5' });
});
afterEach(() => c.cleanup());

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;

describe('squeue', () => {
  it('prints the default header and format', async () => {
    const a = c.submit(['-J', 'a-rather-long-name', '--wrap', 'sleep 5']);
    const b = c.submit(['-J', 'b', '-d', `afterany:${a}`, '--wrap', 'true']);
    await c.waitJob(a, (j) => j.state === 'RUNNING');
    await sleep(100);
    const lines = c.run('squeue').stdout.split('\n');
    expect(lines[0]).toBe('             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)');
    const user = c.job(a).user as string;
    // Pending jobs sort before running ones (state order), names cut to 8 columns.
    expect(lines[1]).toBe(`${String(b).padStart(18)}     debug        b ${user.slice(0, 8).padStart(8)} PD       0:00      1 (Dependency)`);
    expect(lines[2]).toMatch(new RegExp(`^ {14}${a}     debug a-rather ${user.slice(0, 8).padStart(8)}  R       0:0\\d      1 \\S+$`));
    c.run('scancel', [String(a), String(b)]);
  });

  it('understands width and alignment in -o, and every field run-inspect reads', async () => {
    c.script('w.sh', '#!/bin/bash\nsleep 5\n');
    const id = c.submit(['--comment', 'exp:key1', '-t', '10', 'w.sh']);
    await c.waitJob(id, (j) => j.state === 'RUNNING');
    const r = c.run('squeue', ['--noheader', '-j', String(id), '--format', '%i|%A|%.6i|%6j|%.6j|%T|%t|%M|%L|%l|%S|%e|%V|%k|%o|%Z|%r|%P|%D|%C|%y']);
    const f = r.stdout.replace(/\n$/, '').split('|');
    expect(f.slice(0, 7)).toEqual([String(id), String(id), `  ${id}`, 'w.sh  ', '  w.sh', 'RUNNING', 'R']);
    expect(f[7]).toMatch(/^0:0\d$/);
    expect(f[8]).toMatch(/^0:(29|30)$/); // 10 min at scale 0.05 = 30 s real
    expect(f[9]).toBe('10:00');
    expect(f[10]).toMatch(ISO);
    expect(f[11]).toMatch(ISO);
    expect(f[12]).toMatch(ISO);
    expect(f.slice(13)).toEqual(['exp:key1', `${c.work}/w.sh`, c.work, 'None', 'debug', '1', '1', '0']);
    const hdr = c.run('squeue', ['-j', String(id), '-o', '%.10i %k %L']).stdout.split('\n')[0];
    expect(hdr).toBe('     JOBID COMMENT TIME_LEFT');
    // squeue has no '-' flag: "%-6j" is an invalid specification, printed as typed.
    const dash = c.run('squeue', ['-h', '-j', String(id), '-o', '%i %-6j']);
    expect(dash.stdout).toBe(`${id} %-6j\n`);
    expect(dash.stderr).toBe('squeue: error: Invalid job format specification: -\n');
    c.run('scancel', [String(id)]);
  });

  it('default shows only active jobs; -t all shows ended ones until MinJobAge; then they vanish', async () => {
    const id = c.submit(['--wrap', 'true']);
    const j = await c.waitJob(id);
    expect(c.run('squeue', ['-h']).stdout).toBe('');
    expect(c.run('squeue', ['-h', '-j', String(id)])).toMatchObject({ code: 0, stdout: '' });
    expect(c.run('squeue', ['-h', '-t', 'all', '-o', '%i %T %t']).stdout).toBe(`${id} COMPLETED CD\n`);
    expect(c.run('squeue', ['-h', '-t', 'CD,F', '-o', '%i']).stdout).toBe(`${id}\n`);
    while (Date.now() / 1000 < (j.end_time ?? 0) + 5.2) await sleep(100);
    expect(c.run('squeue', ['-h', '-t', 'all']).stdout).toBe('');
    const gone = c.run('squeue', ['-h', '-j', String(id)]);
    expect(gone).toMatchObject({ code: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified\n' });
    // With a list, unknown ids are silently absent.
    expect(c.run('squeue', ['-h', '-j', `${id},99999`])).toMatchObject({ code: 0, stdout: '' });
    expect(c.run('scontrol', ['show', 'job', String(id)]).stderr).toBe('slurm_load_jobs error: Invalid job id specified\n');
    // sacct still knows it.
    expect(c.run('sacct', ['-X', '-n', '-P', '-j', String(id), '-o', 'State']).stdout).toBe('COMPLETED\n');
  });

  it('purge forgets finished jobs at once', async () => {
    const id = c.submit(['--wrap', 'true']);
    await c.waitJob(id);
    expect(c.run('fake-slurm-admin', ['purge']).code).toBe(0);
    expect(c.run('squeue', ['-h', '-j', String(id)]).code).toBe(1);
  });

  it('filters by user (name or uid, --me), name and state; refuses unknown states', async () => {
    const a = c.submit(['-J', 'one', '--wrap', 'sleep 3']);
    const b = c.submit(['-J', 'two', '--wrap', 'sleep 3']);
    await c.waitJob(b, (j) => j.state === 'RUNNING');
    const me = c.job(a).user as string;
    expect(c.run('squeue', ['-h', '-u', me, '-o', '%i']).stdout).toBe(`${a}\n${b}\n`);
    expect(c.run('squeue', ['-h', '--me', '-n', 'two', '-o', '%i']).stdout).toBe(`${b}\n`);
    expect(c.run('squeue', ['-h', '-t', 'PD', '-o', '%i']).stdout).toBe('');
    const bad = c.run('squeue', ['-t', 'bogus']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('squeue: error: Invalid job state specified: bogus');
    c.run('scancel', [String(a), String(b)]);
  });
});

describe('sacct', () => {
  it('-X -n -P with the fields run-inspect asks for', async () => {
    const ok = c.submit(['-J', 'good', '--comment', 'c1', '--wrap', 'true']);
    const bad = c.submit(['-J', 'bad', '--wrap', 'exit 2']);
    await c.waitJob(ok);
    await c.waitJob(bad);
    const fields = 'JobID,JobIDRaw,JobName,State,ExitCode,Submit,Start,End,Elapsed,WorkDir,Comment,User,Partition,Timelimit,NodeList,Reason';
    const r = c.run('sacct', ['-X', '-n', '-P', '-o', fields, '-j', `${ok},${bad}`]);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('|'));
    expect(rows).toHaveLength(2);
    const user = c.job(ok).user as string;
    expect(rows[0].slice(0, 5)).toEqual([String(ok), String(ok), 'good', 'COMPLETED', '0:0']);
    expect(rows[1].slice(0, 5)).toEqual([String(bad), String(bad), 'bad', 'FAILED', '2:0']);
    for (const row of rows) {
      expect(row[5]).toMatch(ISO);
      expect(row[6]).toMatch(ISO);
      expect(row[7]).toMatch(ISO);
      expect(row[8]).toMatch(/^00:00:0\d$/);
      // No Comment: most sites do not set AccountingStoreFlags=job_comment.
      expect(row.slice(9)).toEqual([c.work, '', user, 'debug', 'UNLIMITED', expect.any(String), 'None']);
    }
    const comment = (env: Record<string, string> = {}) => c.run('sacct', ['-X', '-n', '-P', '-o', 'Comment,SubmitLine', '-j', String(ok)], { env }).stdout.trim();
    expect(comment()).toBe('|sbatch --parsable -J good --comment c1 --wrap true');
    expect(comment({ FAKE_SLURM_ACCOUNTING_STORE_FLAGS: 'job_comment' })).toBe('c1|sbatch --parsable -J good --comment c1 --wrap true');
  });

  it('AllocTRES counts the GPUs a job was given (gres/gpu, and its type), nothing while it pends', async () => {
    const plain = c.submit(['--gres=gpu:2', '--wrap', 'true']);
    const typed = c.submit(['--gres=gpu:a100:1', '-t', '30', '--wrap', 'true']);
    const none = c.submit(['--wrap', 'true']);
    const held = c.submit(['-H', '--gres=gpu:1', '--wrap', 'true']);
    for (const id of [plain, typed, none]) await c.waitJob(id);
    const tres = (id: number) => c.run('sacct', ['-X', '-n', '-P', '-o', 'AllocTRES,Timelimit', '-j', String(id)]).stdout.trim();
    expect(tres(plain)).toBe('billing=1,cpu=1,gres/gpu=2,node=1|UNLIMITED');
    expect(tres(typed)).toBe('billing=1,cpu=1,gres/gpu=1,gres/gpu:a100=1,node=1|00:30:00');
    expect(tres(none)).toBe('billing=1,cpu=1,node=1|UNLIMITED');
    expect(tres(held)).toBe('|UNLIMITED');
    c.run('scancel', [String(held)]);
  });

  it('shows .batch steps without -X, a header without -n, and cuts long values with +', async () => {
    const id = c.submit(['-J', 'a-very-long-job-name', '--wrap', 'true']);
    await c.waitJob(id);
    const lines = c.run('sacct', ['-j', String(id), '-o', 'JobID,JobName,State']).stdout.split('\n');
    expect(lines[0]).toBe('JobID           JobName      State ');
    expect(lines[1]).toBe('------------ ---------- ---------- ');
    expect(lines[2]).toBe(`${String(id).padEnd(12)} a-very-lo+  COMPLETED `);
    expect(lines[3]).toBe(`${`${id}.batch`.padEnd(12)}      batch  COMPLETED `);
    expect(c.run('sacct', ['-p', '-n', '-X', '-j', String(id), '-o', 'JobID,State']).stdout).toBe(`${id}|COMPLETED|\n`);
  });

  it('without -j, shows jobs since midnight that became eligible (not one pending on a dependency); pending and running jobs read Unknown', async () => {
    const a = c.submit(['--wrap', c.gate('a')]);
    const b = c.submit(['-d', `afterok:${a}`, '--wrap', 'true']);
    await c.waitJob(a, (j) => j.state === 'RUNNING');
    const r = c.run('sacct', ['-X', '-n', '-P', '-o', 'JobID,State,Start,End,Reason']);
    // real 22.05: a job pending on a dependency never became eligible, so no time window shows it
    expect(r.stdout).toMatch(new RegExp(`^${a}\\|RUNNING\\|\\S+\\|Unknown\\|None\\n$`));
    const byId = c.run('sacct', ['-X', '-n', '-P', '-o', 'JobID,State,Start,End,Reason', '-j', String(b)]);
    expect(byId.stdout).toBe(`${b}|PENDING|Unknown|Unknown|Dependency\n`);
    c.run('scancel', [String(a), String(b)]);
  });

  it('refuses unknown fields; says so when accounting is disabled', () => {
    expect(c.run('sacct', ['-o', 'JobID,Nope'])).toMatchObject({ code: 1, stderr: 'sacct: error: Invalid field requested: "Nope"\n' });
    const r = c.run('sacct', ['-j', '1000'], { env: { FAKE_SLURM_ACCOUNTING: '0' } });
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'Slurm accounting storage is disabled\n' });
  });
});

describe('scontrol show job', () => {
  it('prints the key=value block, or one line with -o', async () => {
    const id = c.submit(['-J', 'sc', '--comment', 'hello', '-t', '1:00:00', '--wrap', 'sleep 3']);
    await c.waitJob(id, (j) => j.state === 'RUNNING');
    const block = c.run('scontrol', ['show', 'job', String(id)]).stdout;
    expect(block.startsWith(`JobId=${id} JobName=sc\n   UserId=`)).toBe(true);
    expect(block).toContain('   JobState=RUNNING Reason=None Dependency=(null)\n');
    expect(block).toContain('TimeLimit=01:00:00');
    expect(block).toContain(`   WorkDir=${c.work}\n   Comment=hello \n   StdErr=${c.work}/slurm-${id}.out\n`);
    expect(block.endsWith('\n\n')).toBe(true);
    const one = c.run('scontrol', ['-o', 'show', 'job', String(id)]).stdout;
    expect(one.split('\n')).toHaveLength(2);
    expect(one).toMatch(new RegExp(`^JobId=${id} JobName=sc UserId=\\S+ GroupId=\\S+ MCS_label=N/A Priority=`));
    c.run('scancel', [String(id)]);
  });
});
