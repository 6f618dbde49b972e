// The part of slurmctld the fake needs outside slurmd: handing a job to the state dir's slurmd
// (started when none is running), and noticing jobs whose slurmd died (the "node" went away).
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateDir } from './config.mjs';
import { pidAlive, readJson, updateJob, listJobs, withLock, writeAtomic } from './store.mjs';
import { nowSecs } from './timefmt.mjs';
import { signalJob } from './procs.mjs';

const SLURMD = fileURLToPath(new URL('./slurmd.mjs', import.meta.url));

/**
 * Which slurmd a job of this submitter goes to: one per set of FAKE_SLURM_* tunables, so a job
 * runs under the time scale, kill wait and node settings its sbatch saw, as with a process of its own.
 */
export function slurmdKey(env = process.env) {
  const tunables = Object.keys(env)
    .filter((k) => k.startsWith('FAKE_SLURM_') && k !== 'FAKE_SLURM_DIR')
    .sort()
    .map((k) => `${k}=${env[k]}`);
  return createHash('sha256').update(tunables.join('\n')).digest('hex').slice(0, 12);
}

export const slurmdPidFile = (key) => join(stateDir(), `slurmd-${key}.pid`);
export const slurmdLock = (key) => `slurmd-${key}`;

/**
 * Give job `id` to the slurmd of this submitter's tunables, starting one if none runs; returns its
 * pid. Under the slurmd's lock, so it cannot exit idle between being found and getting the job.
 * `give(record, pid)` decides under the job's lock (false: leave the record as it is).
 */
export function handToSlurmd(id, give = (r) => !r.supervisor_pid) {
  const key = slurmdKey();
  return withLock(slurmdLock(key), () => {
    const file = slurmdPidFile(key);
    let pid = Number(readJson(file));
    if (!isSlurmd(pid)) {
      const child = spawn(process.execPath, [SLURMD, key], {
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, FAKE_SLURM_DIR: stateDir() },
      });
      child.on('error', () => undefined); // reported below: no pid
      child.unref();
      if (!child.pid) throw new Error('cannot start slurmd');
      pid = child.pid;
      writeAtomic(file, `${pid}\n`);
    }
    updateJob(id, (r) => {
      if (give(r) === false) return false;
      r.supervisor_pid = pid;
    });
    return pid;
  });
}

/** Is pid a live fake-slurm slurmd of this state dir (and not a recycled pid)? */
export function isSlurmd(pid) {
  if (!pidAlive(pid)) return false;
  let cmd;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return true; // no /proc: trust the pid
  }
  if (!cmd.some((a) => a.endsWith('slurmd.mjs'))) return false; // a zombie's is empty
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`FAKE_SLURM_DIR=${stateDir()}`);
  } catch {
    return false; // exited meanwhile
  }
}

/**
 * Repair jobs whose slurmd is gone: a PENDING job goes to a live slurmd; a RUNNING job lost its
 * "node", so it ends as NODE_FAIL (its processes are killed).
 */
export function sweep(jobs = listJobs()) {
  const now = Date.now();
  for (const rec of jobs) {
    if (rec.no_run) continue; // recorded without a supervisor on purpose (FAKE_SLURM_NO_RUN, create-jobs)
    const active = rec.state === 'PENDING' || rec.state === 'RUNNING' || rec.completing;
    if (!active) continue;
    if (rec.supervisor_pid ? isSlurmd(rec.supervisor_pid) : now - (rec.created_ms || 0) < 5000) continue;
    if (rec.state === 'PENDING' && !rec.completing) {
      handToSlurmd(rec.id, (r) => r.state === 'PENDING' && !r.completing && !(r.supervisor_pid && isSlurmd(r.supervisor_pid)));
      continue;
    }
    updateJob(rec.id, (r) => {
      if (r.supervisor_pid && isSlurmd(r.supervisor_pid)) return false;
      if (r.state === 'PENDING' && !r.completing) return false; // pending after all: the next sweep hands it over
      signalJob(r, 'SIGKILL');
      if (r.state === 'RUNNING') {
        r.state = 'NODE_FAIL';
        r.reason = 'NodeDown';
        r.end_time = nowSecs();
        r.exit_code = '0:0';
      }
      r.completing = false;
      return true;
    });
  }
}
