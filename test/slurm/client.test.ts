import { describe, expect, it } from 'vitest';
import { chunkIds, createSlurmClient, gpusOf, parseQueue } from '../../src/slurm/client.js';
import type { CommandResult, CommandRunner } from '../../src/slurm/exec.js';
import { parseJobState } from '../../src/slurm/states.js';
import { humanDuration, parseSlurmDuration, timestampMs } from '../../src/slurm/time.js';

type Call = { cmd: string; args: string[]; cwd?: string; input?: string };

/** A runner that answers from a script and records every call. */
function scripted(answers: Array<Partial<CommandResult>>): { run: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const run: CommandRunner = async (cmd, args, opts = {}) => {
    calls.push({ cmd, args, cwd: opts.cwd, input: opts.input });
    const a = answers.shift() ?? {};
    return { stdout: '', stderr: '', exitCode: 0, timedOut: false, ...a };
  };
  return { run, calls };
}

const noSleep = async () => {};

describe('slurm client', () => {
  it('submits with --parsable from the eval folder and reads `id` or `id;cluster`', async () => {
    const { run, calls } = scripted([{ stdout: '1234\n' }, { stdout: '1235;cluster1\n' }]);
    const slurm = createSlurmClient({ run, sleep: noSleep });
    expect(await slurm.submit({ script: '/e/r/eval/t_epoch0.slurm', cwd: '/e/r/eval', options: ['--comment=x'] })).toEqual({ ok: true, jobId: '1234' });
    expect(await slurm.submit({ script: '/e/s.slurm', cwd: '/e', options: [] })).toEqual({ ok: true, jobId: '1235' });
    expect(calls[0]).toMatchObject({ cmd: 'sbatch', args: ['--parsable', '--comment=x', '/e/r/eval/t_epoch0.slurm'], cwd: '/e/r/eval' });
  });

  it('classifies sbatch failures: QOS limit, transient, rejected — and never retries sbatch itself', async () => {
    const { run, calls } = scripted([
      { exitCode: 1, stderr: 'sbatch: error: QOSMaxSubmitJobPerUserLimit\nsbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user\'s size and/or time limits)\n' },
      { exitCode: 1, stderr: 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation\n' },
      { exitCode: 1, stderr: 'sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified\n' },
      { timedOut: true, exitCode: -1 },
    ]);
    const slurm = createSlurmClient({ run, sleep: noSleep });
    const req = { script: '/s', cwd: '/', options: [] };
    expect((await slurm.submit(req)) as { kind: string }).toMatchObject({ ok: false, kind: 'qos' });
    expect((await slurm.submit(req)) as { kind: string }).toMatchObject({ ok: false, kind: 'transient' });
    expect((await slurm.submit(req)) as { kind: string }).toMatchObject({ ok: false, kind: 'rejected' });
    expect((await slurm.submit(req)) as { kind: string }).toMatchObject({ ok: false, kind: 'transient' });
    expect(calls).toHaveLength(4);
  });

  it('feeds a script on stdin when no path is given', async () => {
    const { run, calls } = scripted([{ stdout: '77\n' }]);
    await createSlurmClient({ run }).submit({ scriptText: '#!/bin/bash\necho hi\n', cwd: '/x', options: ['--job-name=m'] });
    expect(calls[0]!.args).toEqual(['--parsable', '--job-name=m']);
    expect(calls[0]!.input).toBe('#!/bin/bash\necho hi\n');
  });

  it('polls every job of the user with one squeue -t all and parses its fields', async () => {
    const { run, calls } = scripted([{ stdout: '101|RUNNING|None|1:02|2026-11-29T04:00:00|2026-11-29T04:00:05|run-inspect:abc:def\n102|CANCELLED by 0|None|0:00|2026-11-29T04:00:01|N/A|(null)\n' }]);
    const q = await createSlurmClient({ run }).queue('alice');
    expect(calls[0]!.args).toEqual(['--noheader', '--states=all', '--user=alice', '--format=%i|%T|%r|%M|%V|%S|%k']);
    expect(q[0]).toMatchObject({ jobId: '101', state: 'RUNNING', elapsedSeconds: 62, comment: 'run-inspect:abc:def' });
    expect(q[1]).toMatchObject({ jobId: '102', state: 'CANCELLED' });
  });

  it('reads squeue lines whatever their ending, padding or comment, and skips what is not a job', () => {
    const text = ['', '  7 | PENDING | Priority | 0:00 |2026-11-29T04:00:00|N/A| run-inspect:a:b ', '8|RUNNING|None|1-02:03:04|x|y|a|b|c\r', '10|PENDING|', '11 no bars here', 'JOBID|STATE', '9|COMPLETING', ''].join('\n');
    expect(parseQueue(text)).toEqual([
      { jobId: '7', state: 'PENDING', reason: 'Priority', elapsedSeconds: 0, submitTime: '2026-11-29T04:00:00', startTime: 'N/A', comment: 'run-inspect:a:b' },
      { jobId: '8', state: 'RUNNING', reason: 'None', elapsedSeconds: 93784, submitTime: 'x', startTime: 'y', comment: 'a|b|c' },
      { jobId: '10', state: 'PENDING', reason: '', elapsedSeconds: null, submitTime: '', startTime: '', comment: '' },
      { jobId: '9', state: 'COMPLETING', reason: '', elapsedSeconds: null, submitTime: '', startTime: '', comment: '' },
    ]);
  });

  it('retries transient squeue errors with backoff, then gives up with SLURM\'s message', async () => {
    const timeout = { exitCode: 1, stderr: 'slurm_load_jobs error: Socket timed out on send/recv operation\n' };
    const sleeps: number[] = [];
    const { run, calls } = scripted([timeout, timeout, timeout]);
    const slurm = createSlurmClient({ run, retries: 2, backoffMs: 100, sleep: async (ms) => void sleeps.push(ms) });
    await expect(slurm.queue('u')).rejects.toThrow(/Socket timed out/);
    expect(calls).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]!).toBeGreaterThan(sleeps[0]! * 0.6);
  });

  it('does not retry a permanent error', async () => {
    const { run, calls } = scripted([{ exitCode: 1, stderr: 'squeue: error: Invalid user: nobody\n' }]);
    await expect(createSlurmClient({ run, sleep: noSleep }).queue('nobody')).rejects.toThrow(/Invalid user/);
    expect(calls).toHaveLength(1);
  });

  it('asks sacct once for many jobs and reports accounting disabled as null', async () => {
    const { run, calls } = scripted([
      { stdout: '101|COMPLETED|0:0|2026-11-29T04:00:00|2026-11-29T04:00:05|2026-11-29T04:04:57|00:04:52|00:30:00|billing=1,cpu=1,gres/gpu=2,mem=32G,node=1|\n102|CANCELLED by 1000|0:15|a|b|c|00:00:03|UNLIMITED||x\n' },
      { exitCode: 1, stderr: 'Slurm accounting storage is disabled\n' },
    ]);
    const slurm = createSlurmClient({ run, sleep: noSleep });
    const a = await slurm.accounting(['101', '102']);
    expect(calls[0]!.args).toEqual(['-X', '-n', '-P', '--format=JobIDRaw,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,AllocTRES,Comment', '--jobs=101,102']);
    expect(a![0]).toMatchObject({ jobId: '101', state: 'COMPLETED', exitCode: '0:0', elapsedSeconds: 292, timelimitSeconds: 1800, gpus: 2 });
    expect(a![1]).toMatchObject({ state: 'CANCELLED by 1000', comment: 'x', timelimitSeconds: null, gpus: null });
    expect(await slurm.accounting(['1'])).toBeNull();
  });

  it("finds the user's recent jobs' comments in sacct's SubmitLine where accounting stores no Comment", async () => {
    const tag = 'run-inspect:0123456789:abcdef012345';
    const { run, calls } = scripted([
      {
        stdout: [
          `201|COMPLETED|0:0|a|b|c|00:00:01||||sbatch --parsable --comment=${tag} t_epoch0.slurm`,
          `202|COMPLETED|0:0|a|b|c|00:00:01|||${tag}|sbatch --parsable --comment=${tag} t_epoch1.slurm`,
          '203|FAILED|1:0|a|b|c|00:00:01||||sbatch --wrap echo a|b --comment x',
          '204|PENDING|0:0|a|b|c|00:00:00||||sbatch job.sh',
        ].join('\n'),
      },
    ]);
    const entries = await createSlurmClient({ run, sleep: noSleep }).accountingSince('alice', new Date(2026, 10, 29, 4, 0, 0));
    expect(calls[0]!.args).toEqual(['-X', '-n', '-P', '--format=JobIDRaw,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,AllocTRES,Comment,SubmitLine', '--user=alice', '--starttime=2026-11-29T04:00:00']);
    expect(entries!.map((e) => [e.jobId, e.comment])).toEqual([['201', tag], ['202', tag], ['203', 'x'], ['204', '']]);
  });

  it('counts the GPUs a job held from AllocTRES', () => {
    expect(gpusOf('billing=4,cpu=4,gres/gpu=2,mem=16G,node=1')).toBe(2);
    expect(gpusOf('cpu=4,gres/gpu:a100=1,gres/gpu=1,mem=16G')).toBe(1); // the plain count wins over typed ones
    expect(gpusOf('cpu=4,gres/gpu:a100=1,gres/gpu:v100=2')).toBe(3);
    expect(gpusOf('billing=1,cpu=1,mem=1000M,node=1')).toBe(0);
    expect(gpusOf('')).toBeNull();
  });

  it('splits the sacct id list below the argument size limit at any size', () => {
    const ids = Array.from({ length: 50_000 }, (_, i) => String(10_000_000 + i));
    const chunks = chunkIds(ids);
    expect(chunks.length).toBeGreaterThan(1);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(100_000);
    expect(chunks.join(',').split(',')).toEqual(ids);
    expect(chunkIds(ids.slice(0, 10_000))).toHaveLength(1);
  });

  it('reads time left from squeue %L', async () => {
    const { run } = scripted([{ stdout: '55:10\n' }, { stdout: '1-02:03:04\n' }, { stdout: 'UNLIMITED\n' }]);
    const slurm = createSlurmClient({ run });
    expect(await slurm.timeLeft('1')).toBe(55 * 60 + 10);
    expect(await slurm.timeLeft('1')).toBe(86400 + 2 * 3600 + 3 * 60 + 4);
    expect(await slurm.timeLeft('1')).toBeNull();
  });
});

describe('SLURM words', () => {
  it('parses states: CANCELLED by N, unknown ones never terminal, cut ones unknown', () => {
    expect(parseJobState('CANCELLED by 0')).toEqual({ kind: 'terminal', state: 'CANCELLED' });
    expect(parseJobState('OUT_OF_MEMORY')).toEqual({ kind: 'terminal', state: 'OUT_OF_MEMORY' });
    expect(parseJobState('REQUEUE_HOLD').kind).toBe('active');
    expect(parseJobState('OUT_OF_ME+').kind).toBe('unknown');
    expect(parseJobState('WEIRD').kind).toBe('unknown');
  });

  it('parses durations and prints the workflow\'s elapsed form', () => {
    expect(parseSlurmDuration('4:52')).toBe(292);
    expect(parseSlurmDuration('1:00:00')).toBe(3600);
    expect(parseSlurmDuration('2-01')).toBe(2 * 86400 + 3600);
    expect(parseSlurmDuration('2-01:30')).toBe(2 * 86400 + 3600 + 1800);
    expect(parseSlurmDuration('30')).toBe(1800);
    expect(parseSlurmDuration('INVALID')).toBeNull();
    expect(humanDuration(292)).toBe('4m 52s');
    expect(humanDuration(3723)).toBe('1h 2m 3s');
  });

  it('reads SLURM\'s and run-inspect\'s timestamps as the same local instant, the same each time it is asked', () => {
    const at = new Date(2026, 10, 29, 4, 0, 5).getTime();
    expect(timestampMs('2026-11-29T04:00:05')).toBe(at);
    expect(timestampMs('2026-11-29 04:00:05')).toBe(at);
    expect(timestampMs('2026-11-29T04:00:05')).toBe(at);
    expect(timestampMs('N/A')).toBeNull();
    expect(timestampMs('Unknown')).toBeNull();
  });
});
