// The one runner of SLURM commands, on real processes: how a command that did not answer is told apart.
import { describe, expect, it } from 'vitest';
import { SlurmUnavailableError } from '../../src/errors.js';
import { commandError, execaRunner } from '../../src/slurm/exec.js';

describe('execaRunner', () => {
  it('a command ended by a signal ran: a transient failure that names the signal, not "could not be started"', async () => {
    // As when scancel or the walltime signals the monitor job's whole process group mid-squeue.
    const r = await execaRunner('sh', ['-c', 'kill -TERM $$'], { timeoutMs: 10_000 });
    expect(r.signal).toBe('SIGTERM');
    const e = commandError('squeue', r, 10_000);
    expect(e.transient).toBe(true);
    expect(e.message).toBe('squeue: ended by SIGTERM before it answered');
  });

  it('a command that exits is its exit code and output; one that is not there is SLURM missing', async () => {
    const r = await execaRunner('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3, timedOut: false });
    await expect(execaRunner('no-such-slurm-command', [])).rejects.toBeInstanceOf(SlurmUnavailableError);
  });

  it('one that does not answer in time is a transient time-out', async () => {
    const r = await execaRunner('sleep', ['5'], { timeoutMs: 1000 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBeUndefined();
    expect(commandError('sacct', r, 1000)).toMatchObject({ transient: true, detail: 'no answer within 1 s' });
  });
});
