// Errors that carry their exit code, so the CLI can print one line and leave with the right status.

/** Bad usage or bad input: a one-line message naming the file and the problem; nothing was changed. */
export class UserError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

// What the machine says when a file cannot be written or read, in words a researcher acts on.
const FILE_FAULTS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/**
 * A file the machine refused (disk full, quota, permissions, read-only): one line naming the file
 * and the fault, or null when `e` is no such error. eval_jobs.json is written atomically, so the
 * state stays whole and a later run resumes.
 */
export function fileFault(e: unknown): string | null {
  const { code, path } = (e ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !(code in FILE_FAULTS)) return null;
  return `${path ?? 'a file'}: ${FILE_FAULTS[code]} (${code}); eval_jobs.json is kept whole: run again when it is fixed`;
}

// A full disk or quota clears when someone makes room: a monitor link waits for that, polling on.
const PASSING = new Set(['ENOSPC', 'EDQUOT']);

/** `path: no space left on the device (ENOSPC)` for a fault that clears by itself, else null. */
export function passingFileFault(e: unknown): string | null {
  const { code, path } = (e ?? {}) as NodeJS.ErrnoException;
  return typeof code === 'string' && PASSING.has(code) ? `${path ?? 'a file'}: ${FILE_FAULTS[code]} (${code})` : null;
}

/** SLURM's commands are missing or the controller cannot be reached. */
export class SlurmUnavailableError extends Error {
  readonly exitCode = 3;
  constructor(message: string) {
    super(message);
    this.name = 'SlurmUnavailableError';
  }
}

/** A SLURM command that ran and failed. `transient` ones are worth retrying after a pause. */
export class SlurmCommandError extends Error {
  constructor(
    readonly command: string,
    readonly detail: string,
    readonly transient: boolean,
  ) {
    super(`${command}: ${detail}`);
    this.name = 'SlurmCommandError';
  }
}
