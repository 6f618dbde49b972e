// Where the state dir's slurmctld listens, and starting one when none does.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateDir } from './config.mjs';
import { pidAlive, sleepSync } from './store.mjs';

const SLURMCTLD = fileURLToPath(new URL('./slurmctld.mjs', import.meta.url));

/** "PORT PID": written by slurmctld once it listens, removed when it stops. */
export const slurmctldFile = () => join(stateDir(), 'slurmctld.port');

/** The pid slurmctld.port names, or null when there is none. */
export function slurmctldPidInFile() {
  try {
    return Number(readFileSync(slurmctldFile(), 'utf8').split(' ')[1]) || null;
  } catch {
    return null;
  }
}

/** The pid of this state dir's live slurmctld, or null. */
export function liveSlurmctld() {
  const pid = slurmctldPidInFile();
  try {
    return pid && pidAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a.endsWith('slurmctld.mjs')) ? pid : null;
  } catch {
    return null; // gone meanwhile
  }
}

/**
 * Start a slurmctld for this state dir unless one runs, and wait (briefly) until it listens. Two
 * callers may start two: the one that finds another already listening stops (slurmctld.mjs).
 */
export function ensureSlurmctld() {
  if (liveSlurmctld()) return;
  const child = spawn(process.execPath, [SLURMCTLD], {
    detached: true,
    stdio: 'ignore',
    cwd: '/',
    env: { ...process.env, FAKE_SLURM_DIR: stateDir() },
  });
  child.on('error', () => undefined); // none started: the next command tries again
  child.unref();
  for (let t = 0; t < 100 && !liveSlurmctld(); t++) sleepSync(20);
}
