// What changes at every poll (when it ran, when the next one is due) lives in a small file of its
// own beside eval_jobs.json, so that a quiet poll writes about 150 bytes instead of rewriting a large
// experiment's state (megabytes at 10,000 evals); eval_jobs.json is rewritten only when an eval
// changed. Readers take the times from here, falling back to the state's (written by older links).
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { writeOwnFile } from './own-file.js';
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

export async function writeHeartbeat(file: string, beat: Heartbeat): Promise<void> {
  await writeOwnFile(file, `${JSON.stringify(beat)}\n`);
}

/** The poll times a reader should show: the heartbeat's, else those an older link wrote into the state. */
export async function pollTimes(file: string, state: State): Promise<Heartbeat> {
  return (await readHeartbeat(file)) ?? { last_poll: state.last_poll, last_successful_poll: state.last_successful_poll, next_poll: state.next_poll };
}

/** The monitor let go (finished, detached): no poll is due any more. */
export async function clearNextPoll(file: string, state: State): Promise<void> {
  await writeHeartbeat(file, { ...(await pollTimes(file, state)), next_poll: null });
}
