// The "controller database": one JSON file per job under $FAKE_SLURM_DIR/jobs.
// Every write is temp-file + rename, so a reader sees the old or the new record, never half.
// Read-modify-write cycles run under small mkdir locks (atomic on every filesystem).
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { config, stateDir } from './config.mjs';

export const paths = {
  root: () => stateDir(),
  jobs: () => join(stateDir(), 'jobs'),
  job: (id) => join(stateDir(), 'jobs', `${id}.json`),
  env: (id) => join(stateDir(), 'env', `${id}.json`),
  spool: (id) => join(stateDir(), 'spool', `${id}.sh`),
  locks: () => join(stateDir(), 'locks'),
  faults: () => join(stateDir(), 'faults.json'),
  faultCounters: () => join(stateDir(), 'fault-counters.json'),
  logs: () => join(stateDir(), 'log'),
};

export function ensureDirs() {
  for (const d of ['jobs', 'env', 'spool', 'locks', 'log']) {
    mkdirSync(join(stateDir(), d), { recursive: true });
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Block this thread (the CLI commands are synchronous by design: simple and ordered). */
export function sleepSync(ms) {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

let tmpCounter = 0;
export function writeAtomic(path, text) {
  const tmp = `${path}.tmp-${process.pid}-${threadId}-${Date.now()}-${tmpCounter++}`; // slurmctld's workers share a pid
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeJson(path, value) {
  writeAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Parsed JSON, or null when missing / empty / being created. */
export function readJson(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * A lock is stale when its owner died, or when it is older than any real holder would keep it
 * (locks guard one read-modify-write; this also covers an owner pid recycled by the OS).
 */
function lockIsStale(dir) {
  let age = 0;
  try {
    age = Date.now() - statSync(dir).mtimeMs;
  } catch {
    return false; // gone already
  }
  if (age > 10_000) return true;
  let owner = NaN;
  try {
    owner = Number(readFileSync(join(dir, 'owner'), 'utf8'));
  } catch {
    /* owner not written yet */
  }
  return Number.isInteger(owner) && owner > 0 && !pidAlive(owner);
}

/** Run fn while holding the named lock. Locks are short-lived: held for one read-modify-write. */
export function withLock(name, fn, timeoutMs = 15_000) {
  mkdirSync(paths.locks(), { recursive: true });
  const dir = join(paths.locks(), `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'owner'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      if (lockIsStale(dir)) {
        // Move it aside first: rename is atomic, so only one breaker wins.
        const aside = `${dir}.stale-${process.pid}-${attempt}`;
        try {
          renameSync(dir, aside);
          rmSync(aside, { recursive: true, force: true });
        } catch {
          /* someone else broke it */
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`fake-slurm: lock ${name} is busy`);
      sleepSync(2 + Math.floor(Math.random() * 8));
    }
  }
  try {
    return fn();
  } finally {
    releaseLock(dir);
  }
}

/** Two unlinks, not rmSync's recursive walk (measured 0.17–0.39 against 0.45–0.52 ms a lock); that walk only for a lock not as we made it. */
function releaseLock(dir) {
  try {
    unlinkSync(join(dir, 'owner'));
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function readJob(id) {
  return readJson(paths.job(id));
}

export function writeJob(rec) {
  writeJson(paths.job(rec.id), rec);
}

/** Read-modify-write one job under its lock. mutate returns false to skip the write. */
export function updateJob(id, mutate) {
  return withLock(`job-${id}`, () => {
    const rec = readJob(id);
    if (!rec) return null;
    if (mutate(rec) === false) return rec;
    writeJob(rec);
    return rec;
  });
}

export function jobIds() {
  let names;
  try {
    names = readdirSync(paths.jobs());
  } catch {
    return [];
  }
  return names
    .map((n) => /^(\d+)\.json$/.exec(n))
    .filter(Boolean)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Every complete record, in id order. Records still being created are skipped. */
export function listJobs() {
  return jobIds()
    .map((id) => readJob(id))
    .filter((r) => r && typeof r.id === 'number');
}

/**
 * Create the record for a new job with the next free id. The id is claimed with an exclusive
 * create ("wx"), so concurrent sbatch calls can never get the same one.
 */
export function createJob(build) {
  ensureDirs();
  const ids = jobIds();
  let id = Math.max(config.firstJobId, ids.length ? ids[ids.length - 1] + 1 : 0);
  for (;;) {
    try {
      closeSync(openSync(paths.job(id), 'wx'));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      id++;
    }
  }
  try {
    const rec = build(id);
    writeJob(rec);
    return rec;
  } catch (e) {
    rmSync(paths.job(id), { force: true });
    throw e;
  }
}

export { pidAlive };
