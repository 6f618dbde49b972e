// Two locks, both mkdir-based (proper-lockfile), so they hold on NFS and GPFS too:
// - the state lock, held for one read-modify-write of eval_jobs.json;
// - the monitor lock, held by the one `run` that acts on an experiment for as long as it runs.
import { rm, stat } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { windowFromEnv } from '../env-seconds.js';

/**
 * A monitor lock whose holder died (SIGKILL, node failure) is taken over after this long: 30 s,
 * or RUN_INSPECT_LOCK_STALE_S (at least 2 s; tests use it to replay a kill quickly).
 */
export const MONITOR_LOCK_STALE_MS = windowFromEnv('RUN_INSPECT_LOCK_STALE_S', 30);
const STATE_LOCK_STALE_MS = 10_000;

export async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const release = await lockfile.lock(file, {
    realpath: false,
    stale: STATE_LOCK_STALE_MS,
    retries: { retries: 200, factor: 1.3, minTimeout: 20, maxTimeout: 500, randomize: true },
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

export interface MonitorLock {
  release(): Promise<void>;
  /** Set when the lock was lost (its directory removed or not refreshed in time): stop acting. */
  readonly compromised: boolean;
}

/** Whether a live monitor holds the lock: it exists and its holder refreshed it within the stale period. */
export async function monitorLockHeld(lockPath: string): Promise<boolean> {
  return lockfile.check(lockPath.replace(/\.lock$/, ''), { realpath: false, lockfilePath: lockPath, stale: MONITOR_LOCK_STALE_MS });
}

/**
 * Take the monitor lock, or return null when someone else holds it. `waitMs` > 0 keeps trying
 * that long (a chain link whose predecessor was killed waits for its stale lock to expire).
 */
export async function acquireMonitorLock(lockPath: string, waitMs = 0): Promise<MonitorLock | null> {
  let compromised = false;
  const deadline = Date.now() + waitMs;
  // proper-lockfile compares the lock's mtime with this clock: a lock stamped in the future by a node
  // whose clock runs ahead would look alive until this clock catches up. A live holder refreshes the
  // stamp every few seconds, so one that has not changed for the stale period, by this clock, is dead.
  let seen = null as { mtimeMs: number; since: number } | null;
  for (;;) {
    try {
      // proper-lockfile locks a file by a folder beside it: `lockfilePath` is that folder.
      const release = await lockfile.lock(lockPath.replace(/\.lock$/, ''), {
        realpath: false,
        lockfilePath: lockPath,
        stale: MONITOR_LOCK_STALE_MS,
        onCompromised: () => {
          compromised = true;
        },
      });
      return {
        release: () => release().catch(() => undefined),
        get compromised() {
          return compromised;
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      const mtimeMs = (await stat(lockPath).catch(() => null))?.mtimeMs ?? null;
      if (mtimeMs !== null && mtimeMs > Date.now()) {
        if (seen?.mtimeMs !== mtimeMs) seen = { mtimeMs, since: Date.now() };
        else if (Date.now() - seen.since >= MONITOR_LOCK_STALE_MS) {
          await rm(lockPath, { recursive: true, force: true });
          continue;
        }
      }
      if (Date.now() >= deadline) return null;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
