import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failureReason, reasonFromText } from '../../src/experiment/job-output.js';

const CONFIG_JSON_ERROR =
  "OSError: /scratch/gpfs/jdoe/ck-outputs/ck-out-rank8/epoch_0 does not appear to have a file named config.json. Checkout 'https://huggingface.co//scratch/gpfs/jdoe/ck-outputs/ck-out-rank8/epoch_0/tree/None' for available files.";

/** The end of an inspect-ai run whose model does not load (rich traceback, then /usr/bin/time -p). */
const INSPECT_TRACEBACK = `[11/21/25 14:02:09] INFO     Loading model from /scratch/gpfs/jdoe/ck-outputs/ck-out-rank8/epoch_0
/home/jdoe/.conda/envs/cruijff/lib/python3.12/site-packages/transformers/utils/hub.py:111: FutureWarning: Using \`TRANSFORMERS_CACHE\` is deprecated and will be removed in v5 of Transformers. Use \`HF_HOME\` instead.
  warnings.warn(
╭───────────────────── Traceback (most recent call last) ──────────────────────╮
│ /home/jdoe/.conda/envs/cruijff/lib/python3.12/site-packages/inspect_ai/_eval │
│ /task/run.py:352 in task_run                                                 │
│                                                                              │
│ /home/jdoe/.conda/envs/cruijff/lib/python3.12/site-packages/transformers/uti │
│ ls/hub.py:470 in cached_files                                                │
│ ❱ 470 │   │   raise OSError(                                                 │
╰──────────────────────────────────────────────────────────────────────────────╯
${CONFIG_JSON_ERROR}
real 41.27
user 20.11
sys 5.02
`;

const CUDA_OOM = `Loading checkpoint shards: 100%|██████████| 30/30 [02:11<00:00,  4.38s/it]
Traceback (most recent call last):
  File "/home/jdoe/.conda/envs/cruijff/lib/python3.12/site-packages/inspect_ai/model/_providers/hf.py", line 412, in batched_generate
    generate_ids = model.generate(**input_ids, **kwargs)
  File "/home/jdoe/.conda/envs/cruijff/lib/python3.12/site-packages/torch/nn/modules/module.py", line 1773, in _wrapped_call_impl
    return self._call_impl(*args, **kwargs)
torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.96 GiB. GPU 0 has a total capacity of 79.25 GiB of which 1.02 GiB is free. Including non-PyTorch memory, this process has 78.21 GiB memory in use. Of the allocated memory 76.50 GiB is allocated by PyTorch, and 1.08 GiB is reserved by PyTorch but unallocated. If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)
real 188.90
`;

const MISSING_MODULE = `/home/jdoe/.conda/envs/cruijff/lib/python3.12/site-packages/torch/cuda/__init__.py:61: UserWarning: CUDA initialization: CUDA unknown error
  warnings.warn(
Traceback (most recent call last):
  File "/home/jdoe/.conda/envs/cruijff/bin/inspect", line 5, in <module>
    from inspect_ai._cli.main import main
  File "/home/jdoe/.conda/envs/cruijff/lib/python3.12/site-packages/inspect_ai/__init__.py", line 6, in <module>
    from inspect_ai._eval.eval import eval, eval_async, eval_retry, eval_retry_async
ModuleNotFoundError: No module named 'inspect_ai._vendor'
`;

const TIME_LIMIT = ` 37%|███▋      | 37/100 [12:01<20:28, 19.50s/it]\r 38%|███▊      | 38/100 [12:20<20:09, 19.51s/it]
slurmstepd: error: *** JOB 4511223 ON della-l05g3 CANCELLED AT 2025-11-21T16:32:05 DUE TO TIME LIMIT ***
`;

const CLEAN_RUN = `[11/21/25 14:02:09] INFO     Loading model from /scratch/gpfs/jdoe/ck-outputs/ck-out-rank8/epoch_0
capitalization (100 samples): hf/local
total time:                                     0:04:12
match  accuracy  0.87  stderr  0.034

Log: logs/2025-11-21T14-02-05-05-00_capitalization_Xb3kQ.eval
real 252.13
user 230.40
sys 12.77
Evaluation complete
`;

describe('reasonFromText', () => {
  it('takes the exception line after an inspect-ai traceback, not the warnings or the box', () => {
    // cut to 160 characters: what went wrong (no config.json in the checkpoint) is in the first half
    expect(reasonFromText(INSPECT_TRACEBACK)).toBe(`${CONFIG_JSON_ERROR.slice(0, 159)}…`);
    expect(reasonFromText(INSPECT_TRACEBACK)).toContain('does not appear to have a file named config.json');
    expect(reasonFromText(INSPECT_TRACEBACK.replace(CONFIG_JSON_ERROR, 'FileNotFoundError: [Errno 2] No such file or directory: \'/data/words.json\''))).toBe(
      "FileNotFoundError: [Errno 2] No such file or directory: '/data/words.json'",
    );
  });

  it('takes a CUDA OOM, cut to 160 characters (one table cell, never a paragraph)', () => {
    const reason = reasonFromText(CUDA_OOM)!;
    expect(reason.startsWith('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.96 GiB.')).toBe(true);
    expect(reason).toHaveLength(160);
    expect(reason.endsWith('…')).toBe(true);
  });

  it('takes a missing module', () => {
    expect(reasonFromText(MISSING_MODULE)).toBe("ModuleNotFoundError: No module named 'inspect_ai._vendor'");
  });

  it("takes Slurm's time limit, also over an exception logged before it", () => {
    const line = 'slurmstepd: error: *** JOB 4511223 ON della-l05g3 CANCELLED AT 2025-11-21T16:32:05 DUE TO TIME LIMIT ***';
    expect(reasonFromText(TIME_LIMIT)).toBe(line);
    expect(reasonFromText(`ValueError: retrying sample 12 after a bad answer\n${TIME_LIMIT}`)).toBe(line);
    // An exception after a Slurm line that is not a verdict still wins.
    expect(reasonFromText('slurmstepd: error: Unable to create TMPDIR [/tmp/job1]: Permission denied\nValueError: bad config\n')).toBe('ValueError: bad config');
  });

  it('takes an oom-kill event over the shell saying the process was killed', () => {
    const tail = `/var/spool/slurmd/job4511224/slurm_script: line 45: 2816213 Killed                  /usr/bin/time -p inspect eval /home/jdoe/blueprints/cap/inspect_task.py@capitalization
slurmstepd: error: Detected 1 oom_kill event in StepId=4511224.batch. Some of the step tasks have been OOM Killed.
`;
    expect(reasonFromText(tail)).toBe('slurmstepd: error: Detected 1 oom_kill event in StepId=4511224.batch. Some of the step tasks have been OOM Killed.');
    expect(reasonFromText(tail.split('\n')[0]!)).toMatch(/^\/var\/spool\/slurmd\/job4511224\/slurm_script: line 45: 2816213 Killed/);
  });

  it('takes the last shell error when nothing else says why', () => {
    const tail = `/var/spool/slurmd/job4511230/slurm_script: line 17: module: command not found
/var/spool/slurmd/job4511230/slurm_script: line 38: inspect: command not found
real 0.00
user 0.00
sys 0.00
`;
    expect(reasonFromText(tail)).toBe('/var/spool/slurmd/job4511230/slurm_script: line 38: inspect: command not found');
    expect(reasonFromText('/usr/bin/time: cannot run inspect: No such file or directory\nCommand exited with non-zero status 127\n')).toBe(
      '/usr/bin/time: cannot run inspect: No such file or directory',
    );
  });

  it("takes click's usage error from inspect's command line", () => {
    expect(reasonFromText("Usage: inspect eval [OPTIONS] [TASKS]...\nTry 'inspect eval --help' for help.\n\nError: No such option: --model-args\n")).toBe('Error: No such option: --model-args');
  });

  it('strips colours and reads a line rewritten with \\r as its last state', () => {
    expect(reasonFromText('\x1b[1;31mRuntimeError\x1b[0m: CUDA error: device-side assert triggered\n')).toBe('RuntimeError: CUDA error: device-side assert triggered');
    expect(reasonFromText('Generating:  10%|█         |\rGenerating:  20%|██        |\r[rank0]: torch.distributed.DistBackendError: NCCL error\r\n')).toBe(
      'torch.distributed.DistBackendError: NCCL error',
    );
  });

  it('says nothing for a clean run or noise alone', () => {
    expect(reasonFromText(CLEAN_RUN)).toBeNull();
    expect(reasonFromText('Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n    raise ValueError("x")\n')).toBeNull();
    expect(reasonFromText('/x/y.py:3: DeprecationWarning: old\n')).toBeNull();
    expect(reasonFromText('')).toBeNull();
  });
});

describe('failureReason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ri-job-output-'));

  it('reads the file, and is null for a missing file or a folder', async () => {
    writeFileSync(join(dir, 'slurm-1.out'), MISSING_MODULE);
    expect(await failureReason(join(dir, 'slurm-1.out'))).toBe("ModuleNotFoundError: No module named 'inspect_ai._vendor'");
    expect(await failureReason(join(dir, 'slurm-404.out'))).toBeNull();
    expect(await failureReason(dir)).toBeNull();
  });

  it('reads only the last 64 KiB', async () => {
    const progress = `${'Generating: 50%|█████     | 50/100\n'.repeat(3000)}`; // > 64 KiB
    writeFileSync(join(dir, 'slurm-2.out'), `${MISSING_MODULE}${progress}${TIME_LIMIT}`);
    expect(await failureReason(join(dir, 'slurm-2.out'))).toMatch(/DUE TO TIME LIMIT/);
    writeFileSync(join(dir, 'slurm-3.out'), `${MISSING_MODULE}${progress}`);
    expect(await failureReason(join(dir, 'slurm-3.out'))).toBeNull(); // the exception lies before the tail
  });
});
