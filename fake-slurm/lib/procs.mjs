// Finding and signalling a job's processes. A job runs in its own process group (pgid = pid of
// the batch shell); before signalling we check /proc that the group really is this job's, so a
// recycled pid can never make fake-slurm kill an unrelated process.
import { readdirSync, readFileSync } from 'node:fs';
import { stateDir } from './config.mjs';

function statOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), pgid: Number(f[2]) };
  } catch {
    return null;
  }
}

function belongsTo(pid, rec) {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return env.includes(`SLURM_JOB_ID=${rec.id}`) && env.includes(`FAKE_SLURM_DIR=${stateDir()}`);
  } catch {
    return false;
  }
}

/** Live (non-zombie) pids of the job's process group that carry the job's identity. */
/** A process's environment as an object (slurmctld's callers; test/support/inspectd.mjs's too). */
export function environOf(pid) {
  const env = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

export function jobProcesses(rec) {
  if (!rec.pid) return [];
  let names;
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const st = statOf(n);
    if (st && st.pgid === rec.pid && st.state !== 'Z' && belongsTo(n, rec)) pids.push(Number(n));
  }
  return pids;
}

/**
 * Send sig to the job. who: 'all' (every process of the job), 'batch' (the batch shell only),
 * 'steps' (the job steps). As in Slurm, the batch shell and its children form the batch step,
 * not a job step; job steps are what srun launches, and the fake has no srun — so 'steps'
 * reaches no process, exactly like a real job whose script does not use srun.
 * Returns how many processes were signalled.
 */
export function signalJob(rec, sig, who = 'all') {
  const pids = jobProcesses(rec);
  let targets = pids;
  if (who === 'batch') targets = pids.filter((p) => p === rec.pid);
  if (who === 'steps') targets = [];
  let n = 0;
  for (const p of targets) {
    try {
      process.kill(p, sig);
      n++;
    } catch {
      /* exited meanwhile */
    }
  }
  return n;
}
