// What changes at every poll (when it ran, when the next one is due) lives in a small file of its
// own beside eval_jobs.json, so that a quiet poll writes one page instead of rewriting a large
// experiment's state (megabytes at 10,000 evals); eval_jobs.json is written only when an eval
// changed. Readers take the times from here, falling back to the state's (written by older links).
//
// Unlike run-inspect's other files the heartbeat is overwritten in place, one write of a record
// padded to a fixed size: a replace by rename costs a new inode and, on ext4, often a second page
// per poll, and a heartbeat lost in a crash only shows an older poll time. A reader that catches the
// write half done reads no heartbeat (the state's times) for that one look.
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { openOwnFile } from './own-file.js';
import type { State } from './schema.js';

const heartbeatSchema = z.object({
  last_poll: z.string().nullable(),
  last_successful_poll: z.string().nullable(),
  next_poll: z.string().nullable(),
});

export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** The heartbeat, or null when there is none (or it is unreadable: it is only a view of the monitor's pace). */
async function readHeartbeat(file: string): Promise<Heartbeat | null> {
  try {
    const parsed = heartbeatSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Every heartbeat has this size (JSON allows the trailing spaces): an overwrite leaves no tail of a longer one. */
const RECORD_BYTES = 256;

export async function writeHeartbeat(file: string, beat: Heartbeat): Promise<void> {
  const record = `${JSON.stringify(beat)}\n`.padEnd(RECORD_BYTES, ' ');
  const fh = await openOwnFile(file, false);
  try {
    await fh.write(record, 0);
    // Only a heartbeat file of another size (an older link's) needs cutting: ext4 runs a truncate,
    // a journal transaction, even when the size does not change, and a quiet poll should be one write.
    if ((await fh.stat()).size !== RECORD_BYTES) await fh.truncate(RECORD_BYTES);
  } finally {
    await fh.close();
  }
}

/** The poll times a reader should show: the heartbeat's, else those an older link wrote into the state. */
export async function pollTimes(file: string, state: State): Promise<Heartbeat> {
  return (await readHeartbeat(file)) ?? { last_poll: state.last_poll, last_successful_poll: state.last_successful_poll, next_poll: state.next_poll };
}

/** The monitor let go (finished, detached): no poll is due any more. */
export async function clearNextPoll(file: string, state: State): Promise<void> {
  await writeHeartbeat(file, { ...(await pollTimes(file, state)), next_poll: null });
}
