// The fake's slurmd: one detached process per state dir (and per set of FAKE_SLURM_* tunables)
// runs every job handed to it, each supervised by supervisor.mjs. One process for all jobs, not
// one per job: a node process costs ~100 ms of CPU to start and ~45 MB to keep.
// Started by controller.mjs's handToSlurmd; exits once it has had nothing to run for IDLE_MS.
//   node slurmd.mjs KEY
import { existsSync, rmSync } from 'node:fs';
import { config, stateDir } from './config.mjs';
import { slurmdLock, slurmdPidFile } from './controller.mjs';
import { isActive } from './states.mjs';
import { jobIds, readJob, readJson, withLock } from './store.mjs';
import { logFailure, supervise } from './supervisor.mjs';

const key = process.argv[2];
const IDLE_MS = 10_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Job id → its supervision, while it lasts. */
const supervising = new Map();
/**
 * Ids that will never be this slurmd's to run: ended, or recorded not to run. A job another slurmd
 * has is read again: it comes here when that one dies, and a job may be read here before
 * handToSlurmd has written this pid into it.
 */
const done = new Set();

/** Jobs handed to this process and not yet supervised. */
function newJobs() {
  const found = [];
  for (const id of jobIds()) {
    if (supervising.has(id) || done.has(id)) continue;
    const r = readJob(id);
    if (!r || typeof r.id !== 'number') continue; // still being created
    if (r.no_run || !isActive(r)) done.add(id);
    else if (r.supervisor_pid === process.pid) found.push(id);
  }
  return found;
}

function start(id) {
  supervising.set(
    id,
    supervise(id)
      .catch((e) => logFailure(id, e))
      .finally(() => {
        supervising.delete(id);
        done.add(id);
      }),
  );
}

/** Idle long enough: under the lock handToSlurmd takes, check once more and give up the pid file. */
function retire() {
  return withLock(slurmdLock(key), () => {
    const pending = newJobs();
    if (pending.length) {
      pending.forEach(start);
      return false;
    }
    const file = slurmdPidFile(key);
    if (Number(readJson(file)) === process.pid) rmSync(file, { force: true });
    return true;
  });
}

async function main() {
  let idleSince = Date.now();
  for (;;) {
    if (!existsSync(stateDir())) return; // wiped (fake-slurm-admin reset, a test's sandbox removed)
    newJobs().forEach(start);
    if (supervising.size) idleSince = Date.now();
    else if (Date.now() - idleSince >= IDLE_MS && retire()) return;
    await sleep(config.pollMs);
  }
}

main();
