// The monitor lock against clocks that disagree: one node's future is not a lock held for ever.
import { mkdirSync, mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

describe('acquireMonitorLock', () => {
  it('takes over a lock stamped a year ahead once its stamp has not moved for the stale period; a fresh one is never taken', async () => {
    process.env.RUN_INSPECT_LOCK_STALE_S = '2'; // read once, when the module loads
    vi.resetModules(); // another file in this worker may have loaded it already
    const { acquireMonitorLock, MONITOR_LOCK_STALE_MS } = await import('../../src/state/lock.js');
    delete process.env.RUN_INSPECT_LOCK_STALE_S;
    expect(MONITOR_LOCK_STALE_MS).toBe(2_000);
    const dir = mkdtempSync(join(tmpdir(), 'ri-lock-'));

    // A dead holder whose clock ran a year ahead: proper-lockfile alone would wait a year.
    const skewed = join(dir, 'a.lock');
    mkdirSync(skewed);
    const ahead = new Date(Date.now() + 365 * 86_400_000);
    utimesSync(skewed, ahead, ahead);
    expect(await acquireMonitorLock(skewed, 0)).toBeNull(); // no waiting: held, as far as anyone can tell
    const started = Date.now();
    const lock = await acquireMonitorLock(skewed, 10_000);
    expect(lock).not.toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(Date.now() - started).toBeLessThan(8_000);
    await lock!.release();

    // A live holder on this clock keeps its lock.
    const live = join(dir, 'b.lock');
    const holder = await acquireMonitorLock(live, 0);
    expect(holder).not.toBeNull();
    expect(await acquireMonitorLock(live, 3_000)).toBeNull();
    await holder!.release();
  }, 20_000);
});
