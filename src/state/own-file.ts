// Files run-inspect owns in the experiment folder (eval_jobs.json, its heartbeat, the generated page,
// the chart, cruijff_kit's state files) are replaced atomically and never written through a symbolic
// link: in a shared folder a planted link would send our write to someone else's file.
// (write-file-atomic resolves links; the user's own experiment_summary.md may be one, and stays one.)
import { constants } from 'node:fs';
import { lstat, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
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

const TEMP_INFIX = '.run-inspect-';

/** The temp file beside `file` that a process writes before a rename or swap puts it in place: named by host and pid, as a folder can be shared by nodes. */
export const tempFileOf = (file: string, host = hostname(), pid = process.pid) => `${file}${TEMP_INFIX}${host}-${pid}.tmp`;

/** Who wrote `name`, a file beside `file`, if it is one of tempFileOf's names for it. */
export function tempWriterOf(file: string, name: string): { host: string; pid: number } | null {
  const prefix = basename(file) + TEMP_INFIX;
  const writer = name.startsWith(prefix) ? /^(.+)-(\d+)\.tmp$/.exec(name.slice(prefix.length)) : null;
  return writer ? { host: writer[1]!, pid: Number(writer[2]) } : null;
}

/**
 * Removes the temp files replaceOwnFile left beside `file` when its process was killed mid-write
 * (7 MB each at 10,000 evals). Only for a caller that holds the file's lock: then no other writer
 * is half way through one.
 */
export async function removeLeftTemps(file: string): Promise<void> {
  const prefix = basename(file) + TEMP_INFIX;
  for (const name of await readdir(dirname(file))) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await rm(join(dirname(file), name), { force: true });
  }
}

/**
 * Replaces one of our files with `parts` written one after another, so that a large file
 * (eval_jobs.json is megabytes at 10,000 evals) is never one buffer in memory: a temp file beside
 * it (never through a link) with the old file's mode, fsync, rename. Whatever fails, the old file
 * stands and the temp file goes. Returns the bytes written.
 */
export async function replaceOwnFile(file: string, parts: Iterable<string>): Promise<number> {
  const old = await lstat(file).catch(() => null);
  if (old?.isSymbolicLink()) throw notThroughLinks(file);
  const temp = tempFileOf(file);
  let fh: FileHandle | null = null;
  try {
    fh = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o666);
    if (old) await fh.chmod(old.mode & 0o7777); // a mode someone gave the file (g+w for a lab) stays
    const bytes = await writeParts(fh, parts);
    await fh.sync();
    await fh.close();
    fh = null;
    await rename(temp, file);
    return bytes;
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw (e as NodeJS.ErrnoException).code === 'ELOOP' ? notThroughLinks(temp) : e;
  }
}

/**
 * Writes `parts` in order, ~64 KB at a time; returns the bytes written. A short write (a disk
 * filling up) is followed by one that fails with the disk's error.
 */
export async function writeParts(fh: FileHandle, parts: Iterable<string>): Promise<number> {
  let total = 0;
  let batch = '';
  const flush = async () => {
    const bytes = Buffer.from(batch);
    batch = '';
    for (let at = 0; at < bytes.length; ) at += (await fh.write(bytes, at)).bytesWritten;
    total += bytes.length;
  };
  for (const part of parts) {
    batch += part;
    if (batch.length >= 65_536) await flush();
  }
  if (batch) await flush();
  return total;
}
