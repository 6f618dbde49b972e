// Failures by cause: the class a researcher acts on, and what makes two failures the same.
import { describe, expect, it } from 'vitest';
import { classifyFailure, failureSignature } from '../src/failure.js';

describe('classifyFailure', () => {
  it.each([
    ['NODE_FAIL', '', 'infrastructure'],
    ['PREEMPTED', '', 'infrastructure'],
    ['FAILED', "exit code 1:0; requests.exceptions.ConnectionError: HTTPSConnectionPool(host='huggingface.co', port=443)", 'infrastructure'],
    ['FAILED', 'OSError: Temporary failure in name resolution (see r/slurm-9.out)', 'infrastructure'],
    ['OUT_OF_MEMORY', '', 'out of memory'],
    ['FAILED', 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB', 'out of memory'],
    ['TIMEOUT', 'slurmstepd: error: *** JOB 12 ON n1 CANCELLED AT 2026-11-29T04:01:02 DUE TO TIME LIMIT ***', 'timeout'],
    ['FAILED', "exit code 15:0; ModuleNotFoundError: No module named 'peft' (see r/slurm-7.out)", 'code/config'],
    ['FAILED', 'inspect error: ValueError: tokenizer config not found in checkpoint', 'code/config'],
    ['FAILED', 'no inspect log in r4/eval/logs', 'code/config'],
    ['FAILED', 'exit code 2:0', 'unknown'],
    ['CANCELLED', '', 'cancelled'],
    ['LOST', 'job 12 vanished from squeue and sacct at 2026-11-29 04:00:00', 'unknown'],
  ] as const)('%s "%s" → %s', (status, reason, want) => {
    expect(classifyFailure(status, reason)).toBe(want);
  });

  it('only failures have a class', () => {
    for (const status of ['COMPLETED', 'PENDING', 'NOT_SUBMITTED', 'SKIPPED'] as const) expect(classifyFailure(status, 'ValueError: x')).toBeNull();
  });
});

describe('failureSignature', () => {
  it('the first exception and its message, whatever the job, the exit code or the output file', () => {
    const a = failureSignature("exit code 15:0; ModuleNotFoundError: No module named 'peft' (see rank4/artifacts/epoch_1/slurm-1007.out)");
    const b = failureSignature("ModuleNotFoundError: No module named 'peft' (see rank64/artifacts/epoch_0/slurm-1012.out)");
    expect(a).toBe("ModuleNotFoundError: No module named 'peft'");
    expect(b).toBe(a);
    expect(failureSignature("ModuleNotFoundError: No module named 'trl'")).not.toBe(a);
  });

  it('without an exception: the reason with numbers and file pointers taken out', () => {
    expect(failureSignature('no inspect log in r4/eval/logs (see r4/eval/slurm-12.out)')).toBe('no inspect log in rN/eval/logs');
  });
});
