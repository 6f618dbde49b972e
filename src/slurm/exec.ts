// The one place that starts SLURM processes. Argument arrays only (never a shell string), always
// with a timeout; the result is data, errors are classified once here.
import { execa } from 'execa';
import { SlurmCommandError, SlurmUnavailableError } from '../errors.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  timedOut: boolean;
  /** The signal that ended the command before it answered (SLURM signals a job's whole process group). */
  signal?: string;
}

export interface CommandOptions {
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

/** Runs one command; tests swap it for a recorder or a scripted fake. */
export type CommandRunner = (cmd: string, args: string[], opts?: CommandOptions) => Promise<CommandResult>;

export const DEFAULT_TIMEOUT_MS = 60_000;

export const execaRunner: CommandRunner = async (cmd, args, opts = {}) => {
  const r = await execa(cmd, args, {
    cwd: opts.cwd,
    input: opts.input,
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    reject: false,
    stripFinalNewline: false,
    env: { LC_ALL: 'C' },
  });
  if (r.failed && !r.timedOut && r.exitCode === undefined && !r.signal) {
    const code = (r as { code?: string }).code;
    if (code === 'ENOENT') throw new SlurmUnavailableError(`${cmd}: command not found (is SLURM installed and on PATH?)`);
    throw new SlurmUnavailableError(`${cmd}: could not be started (${code ?? r.shortMessage})`);
  }
  return {
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    exitCode: r.exitCode ?? -1,
    timedOut: Boolean(r.timedOut),
    ...(r.signal && !r.timedOut ? { signal: r.signal } : {}),
  };
};

// Messages users of submitit, snakemake and nextflow see when the controller is busy or restarting.
const TRANSIENT = [
  /socket timed out/i,
  /unable to contact slurm controller/i,
  /unexpected message received/i,
  /temporarily unavailable/i,
  /connection refused/i,
  /connection timed out/i,
  /slurm_receive_msg/i,
  /zero bytes were transmitted or received/i,
];

function isTransient(message: string): boolean {
  return TRANSIENT.some((re) => re.test(message));
}

/** First non-empty line of stderr (or stdout): what SLURM said, on one line. */
function slurmMessage(r: CommandResult): string {
  const text = (r.stderr.trim() || r.stdout.trim()).replace(/\s*\n\s*/g, ' / ');
  return text || `exit code ${r.exitCode}`;
}

export function commandError(cmd: string, r: CommandResult, timeoutMs: number): SlurmCommandError {
  if (r.timedOut) return new SlurmCommandError(cmd, `no answer within ${Math.round(timeoutMs / 1000)} s`, true);
  // It ran and was stopped (by the signal that stops this link, most likely): it may have done its work.
  if (r.signal) return new SlurmCommandError(cmd, `ended by ${r.signal} before it answered`, true);
  const msg = slurmMessage(r);
  return new SlurmCommandError(cmd, msg, isTransient(msg));
}
