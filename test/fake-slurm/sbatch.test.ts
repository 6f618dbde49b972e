// sbatch: submission, the job's run (output, environment, exit codes), script checks, limits.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { BIN, FakeCluster } from './helpers.js';

let c: FakeCluster;
beforeEach(() => {
  c = new FakeCluster();
});
afterEach(() => c.cleanup());

describe('sbatch', () => {
  it('runs the script in the work dir with Slurm variables and the submitting environment', async () => {
    c.script(
      'job.sh',
      '#!/bin/bash\n' +
        'echo "id=$SLURM_JOB_ID/$SLURM_JOBID name=$SLURM_JOB_NAME user=$SLURM_JOB_USER"\n' +
        'echo "cluster=$SLURM_CLUSTER_NAME part=$SLURM_JOB_PARTITION submit=$SLURM_SUBMIT_DIR pwd=$PWD"\n' +
        'echo "mine=$MY_VAR end=${SLURM_JOB_END_TIME-unset} args=$*"\n' +
        'echo oops >&2\n',
    );
    const r = c.run('sbatch', ['job.sh', 'a', 'b c'], { env: { MY_VAR: 'kept' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Submitted batch job 1000\n$/);
    const j = await c.waitJob(1000);
    expect(j).toMatchObject({ id: 1000, name: 'job.sh', state: 'COMPLETED', exit_code: '0:0', workdir: c.work });
    expect(j.script).toBe(`${c.work}/job.sh`);
    expect(typeof j.submit_time).toBe('number');
    const out = c.read('slurm-1000.out');
    expect(out).toContain('id=1000/1000 name=job.sh user=');
    expect(out).toContain(`cluster=fake part=debug submit=${c.work} pwd=${c.work}`);
    expect(out).toContain('mine=kept end=unset args=a b c');
    expect(out).toContain('oops');
  });

  it('exit 1 is FAILED 1:0; death by signal is 0:<signal>; an exit status over 127 keeps 7 bits, as Slurm 22.05 shows it', async () => {
    const a = c.submit(['--wrap', 'exit 1']);
    const b = c.submit(['--wrap', 'kill -9 $$']);
    const waited = c.submit(['--wrap', 'sleep 100 & p=$!; kill $p; wait $p']); // 143: the cells template's end
    const x128 = c.submit(['--wrap', 'exit 128']);
    expect(await c.waitJob(a)).toMatchObject({ state: 'FAILED', exit_code: '1:0' });
    expect(await c.waitJob(b)).toMatchObject({ state: 'FAILED', exit_code: '0:9' });
    // as measured on the real cluster (Slurm 22.05.8): exit 143 → FAILED 15:0, exit 128 → FAILED 0:0
    expect(await c.waitJob(waited)).toMatchObject({ state: 'FAILED', exit_code: '15:0' });
    expect(await c.waitJob(x128)).toMatchObject({ state: 'FAILED', exit_code: '0:0' });
  });

  it('parses #SBATCH lines (several per line); the command line wins', async () => {
    c.script(
      'd.sh',
      '#!/bin/bash\n#SBATCH --job-name=from-script\n#SBATCH --time=0:30:00  --comment="two words" -o out-%x-%j.log\n' +
        '# plain comment\n\necho hi\n#SBATCH --partition=ignored-after-first-command\n',
    );
    const id = c.submit(['-J', 'from-cli', 'd.sh']);
    const j = await c.waitJob(id);
    expect(j).toMatchObject({ name: 'from-cli', comment: 'two words', time_limit: 30, partition: 'debug' });
    expect(c.read(`out-from-cli-${id}.log`)).toBe('hi\n');
  });

  it('reads the script from stdin and spools it', async () => {
    const r = c.run('sbatch', [], { input: '#!/bin/sh\necho "stdin job $SLURM_JOB_NAME"\n' });
    expect(r.stdout).toBe('Submitted batch job 1000\n');
    const j = await c.waitJob(1000);
    expect(j.name).toBe('sbatch');
    expect(j.script).toBe(`${c.env.FAKE_SLURM_DIR}/spool/1000.sh`);
    expect(c.read('slurm-1000.out')).toBe('stdin job sbatch\n');
    expect(c.run('squeue', ['-t', 'all', '-h', '-o', '%o']).stdout).toBe('(null)\n');
  });

  it('keeps a script path that starts with "." as given in %o; resolves a plain name (real 22.05)', () => {
    c.script('job.sh', '#!/bin/sh\nsleep 5\n');
    const a = c.submit(['./job.sh']);
    const b = c.submit(['job.sh']);
    expect(c.run('squeue', ['-h', '-j', `${a},${b}`, '-o', '%i|%o']).stdout.trim().split('\n').sort()).toEqual([`${a}|./job.sh`, `${b}|${c.work}/job.sh`].sort());
    c.run('scancel', [String(a), String(b)]);
  });

  it('refuses what real sbatch refuses, with its messages', () => {
    c.script('noshebang.sh', 'echo hi\n');
    let r = c.run('sbatch', ['noshebang.sh']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'sbatch: error: This does not look like a batch script.  The first\n' +
        'sbatch: error: line must start with #! followed by the path to an interpreter.\n' +
        'sbatch: error: For instance: #!/bin/sh\n',
    );
    r = c.run('sbatch', ['missing.sh']);
    expect(r).toMatchObject({ code: 1, stderr: 'sbatch: error: Unable to open file missing.sh\n' });
    c.script('ok.sh', '#!/bin/sh\ntrue\n');
    r = c.run('sbatch', ['--time=soon', 'ok.sh']);
    expect(r).toMatchObject({ code: 255, stderr: 'sbatch: error: Invalid --time specification\n' });
    r = c.run('sbatch', ['--no-such-option', 'ok.sh']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("sbatch: unrecognized option '--no-such-option'");
    r = c.run('sbatch', ['-d', 'afterok:x', 'ok.sh']);
    expect(r).toMatchObject({ code: 1, stderr: 'sbatch: error: Batch job submission failed: Job dependency problem\n' });
    expect(c.run('fake-slurm-admin', ['list']).stdout).toBe('[]\n');
  });

  it('accepts --opt=value, --opt value and short forms; --parsable may add the cluster', async () => {
    const r = c.run('sbatch', ['--parsable', '--job-name', 'n1', '-t', '5', '--comment=k', '-p', 'gpu', '--nice=10', '--mem', '4G', '-c', '2', '--wrap', 'true'], {
      env: { FAKE_SLURM_PARSABLE_CLUSTER: '1' },
    });
    expect(r.stdout).toBe('1000;fake\n');
    expect(await c.waitJob(1000)).toMatchObject({ name: 'n1', time_limit: 5, comment: 'k', partition: 'gpu', nice: 10, mem: '4G', cpus_per_task: 2 });
  });

  it('--export=NONE,VAR=x passes only what is named; the user comes from the OS, not $USER', async () => {
    const id = c.submit(['--export=NONE,FOO=bar', '--wrap', 'echo "FOO=$FOO MINE=${MINE-unset} job=$SLURM_JOB_ID"'], {
      env: { MINE: 'x', USER: 'somebody-else' },
    });
    const j = await c.waitJob(id);
    expect(c.read(`slurm-${id}.out`)).toBe(`FOO=bar MINE=unset job=${id}\n`);
    expect(j.user).toBe(userInfo().username);
  });

  it('gives unique ids to concurrent submissions', async () => {
    const { spawn } = await import('node:child_process');
    const runs = Array.from({ length: 12 }, () =>
      new Promise<string>((resolve) => {
        const p = spawn(join(BIN, 'sbatch'), ['--parsable', '--wrap', 'true'], { env: c.env, cwd: c.work });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('close', () => resolve(out.trim()));
      }),
    );
    const ids = await Promise.all(runs);
    expect(new Set(ids).size).toBe(12);
    expect(ids.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => 1000 + i));
  });

  it('enforces the QOS submit limit with the real error text', async () => {
    const env = { FAKE_SLURM_MAX_SUBMIT: '2' };
    c.submit(['--wrap', 'sleep 5'], { env });
    c.submit(['--wrap', 'sleep 5'], { env });
    const r = c.run('sbatch', ['--wrap', 'sleep 5'], { env });
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'sbatch: error: QOSMaxSubmitJobPerUserLimit\n' +
        "sbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)\n",
    });
    c.run('scancel', ['1000']);
    // Completing still counts against the limit; scancel waits for that only 3 s, a loaded machine longer.
    await c.waitJob(1000);
    expect(c.run('sbatch', ['--wrap', 'true'], { env }).code).toBe(0);
  });

  it('--signal=B:USR1@N reaches the batch shell N (scaled) seconds before the limit', async () => {
    c.script(
      'sig.sh',
      '#!/bin/bash\ntrap \'echo "USR1 after $SECONDS s"; exit 0\' USR1\nwhile true; do sleep 0.1; done\n',
    );
    // --time=1 is 60 s, 3 s real at scale 0.05; @40 is 2 s real: USR1 after ~1 s.
    const id = c.submit(['--time=1', '--signal=B:USR1@40', 'sig.sh']);
    const j = await c.waitJob(id);
    expect(j.state).toBe('COMPLETED');
    expect(c.read(`slurm-${id}.out`)).toMatch(/^USR1 after [12] s\n$/);
  });

  it('--signal without B: goes to job steps only: a script without srun never sees it (as in Slurm)', async () => {
    c.script('nosig.sh', '#!/bin/bash\ntrap \'echo "got USR1"\' USR1\nfor i in $(seq 15); do sleep 0.1; done\necho done\n');
    const id = c.submit(['--time=1', '--signal=USR1@55', 'nosig.sh']);
    expect((await c.waitJob(id)).state).toBe('COMPLETED');
    expect(c.read(`slurm-${id}.out`)).toBe('done\n');
  });

  it('--wait blocks until the job ends and returns its exit code', () => {
    const r = c.run('sbatch', ['--wait', '--wrap', 'sleep 0.3; exit 3']);
    expect(r).toMatchObject({ code: 3, stdout: 'Submitted batch job 1000\n' });
    expect(c.job(1000).state).toBe('FAILED');
  });

  it('does not set SLURM_JOB_END_TIME unless asked (22.05 does not)', async () => {
    const a = c.submit(['-t', '10', '--wrap', 'echo ${SLURM_JOB_END_TIME-unset}']);
    const b = c.submit(['-t', '10', '--wrap', 'echo ${SLURM_JOB_END_TIME-unset}'], { env: { FAKE_SLURM_SET_END_TIME: '1' } });
    await c.waitJob(a);
    const jb = await c.waitJob(b);
    expect(c.read(`slurm-${a}.out`)).toBe('unset\n');
    expect(Number(c.read(`slurm-${b}.out`))).toBe((jb.start_time ?? 0) + 30);
  });

  it('jobs survive the death of the process that submitted them', async () => {
    const r = c.run('fake-slurm-admin', ['dir']);
    expect(r.stdout.trim()).toBe(c.env.FAKE_SLURM_DIR);
    // sbatch has exited by now; the job still runs and completes.
    const id = c.submit(['--wrap', 'sleep 0.5; echo done']);
    // (a fixed 100 ms could still find it PENDING on a loaded machine)
    expect(['RUNNING', 'COMPLETED']).toContain((await c.waitJob(id, (j) => j.state !== 'PENDING')).state);
    await c.waitJob(id);
    expect(c.read(`slurm-${id}.out`)).toBe('done\n');
  });
});
