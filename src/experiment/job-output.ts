// Why a job failed, in one line, from the end of its SLURM output file: the line a person would
// look for first. In order:
//  1. Slurm's own verdict printed after the last Python exception (`*** JOB 123 ON node CANCELLED
//     AT ... DUE TO TIME LIMIT ***`, an oom-kill event): the job was stopped from outside, and an
//     earlier exception was not what ended it;
//  2. the last Python exception line (`ModuleNotFoundError: No module named 'x'`,
//     `torch.OutOfMemoryError: CUDA out of memory. ...`), or click's `Error: ...` (inspect's CLI);
//  3. the last other `slurmstepd:`/`srun:` error;
//  4. the last shell error: `command not found`, `No such file or directory`, `Permission denied`,
//     a process `Killed`.
// ANSI colours are stripped, a line rewritten with \r counts as its last state, and the answer is
// at most 160 characters. Warnings and `Traceback (most recent call last):` never match.
import { open, stat } from 'node:fs/promises';

const TAIL_BYTES = 64 * 1024;
const MAX_REASON = 160;

/** The failure line of a job's output file; null when the file is missing, unreadable or says nothing. Never throws. */
export async function failureReason(file: string): Promise<string | null> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return null;
    const length = Math.min(info.size, TAIL_BYTES);
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, info.size - length);
      let tail = buffer.subarray(0, bytesRead).toString('utf8');
      // A tail that starts mid-file starts mid-line: drop that partial line.
      if (info.size > length) tail = tail.slice(tail.indexOf('\n') + 1);
      return reasonFromText(tail);
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

// `(pkg.)Name(Error|Exception|...)`, alone or followed by `: message`; `Error:` alone is click's.
const EXCEPTION = /^(?:[A-Za-z_]\w*\.)*(?:[A-Za-z_]\w*(?:Error|Exception|Interrupt|Exit)|Error)(?::\s|$)/;
const SLURM_ERROR = /^(?:slurmstepd|srun)(?:-[\w.-]+)?: error: /;
const SLURM_VERDICT = /\*\*\* (?:JOB|STEP) \S+ ON \S+ CANCELLED|oom[-_]kill/i;
const SHELL_ERROR = /: command not found$|No such file or directory|Permission denied|^\S+: line \d+: +\d+ (?:Killed|Segmentation fault|Aborted|Bus error)/;

/** The best failure line of an output file's text (pure). */
export function reasonFromText(tail: string): string | null {
  const lines = tail
    .replace(/\x1b\][^\x07]*\x07|\x1b\[[0-9;?]*[ -/]*[@-~]/g, '') // OSC and CSI sequences (colours, cursor moves)
    .split('\n')
    .map((line) => {
      const shown = line.split('\r').filter((part) => part.trim() !== '').pop() ?? '';
      return shown.trim().replace(/^\[rank\d+\]:\s*/, ''); // torchrun prefixes each rank's lines
    });
  const last = (matches: (line: string) => boolean) => {
    for (let i = lines.length - 1; i >= 0; i--) if (matches(lines[i]!)) return i;
    return -1;
  };
  const exception = last((l) => EXCEPTION.test(l));
  const verdict = last((l) => SLURM_ERROR.test(l) && SLURM_VERDICT.test(l));
  let index = verdict > exception ? verdict : exception;
  if (index < 0) index = last((l) => SLURM_ERROR.test(l));
  if (index < 0) index = last((l) => SHELL_ERROR.test(l));
  if (index < 0) return null;
  const line = lines[index]!;
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}
