// Files run-inspect owns in the experiment folder (eval_jobs.json, its heartbeat, the generated page,
// the chart, cruijff_kit's state files) are replaced atomically and never written through a symbolic
// link: in a shared folder a planted link would send our write to someone else's file.
// (write-file-atomic resolves links; the user's own experiment_summary.md may be one, and stays one.)
import { constants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { UserError } from '../errors.js';

export function notThroughLinks(file: string): UserError {
  return new UserError(`${file}: is a symbolic link; run-inspect does not write through links (replace it with a plain file)`);
}

export async function writeOwnFile(file: string, data: string | Buffer): Promise<void> {
  if ((await lstat(file).catch(() => null))?.isSymbolicLink()) throw notThroughLinks(file);
  await writeFileAtomic(file, data);
}

/**
 * Opens one of our files for writing in place (the heartbeat, the journal), created if missing,
 * never through a link (O_NOFOLLOW). `append`: every write goes to the end.
 */
export async function openOwnFile(file: string, append: boolean): Promise<FileHandle> {
  try {
    return await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (append ? constants.O_APPEND : 0), 0o666);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw notThroughLinks(file);
    throw e;
  }
}
