// Tunables and identity: everything fake-slurm reads from the environment lives here,
// so README.md can list it from one place.
import { hostname, tmpdir, userInfo } from 'node:os';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

function num(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

/** Where all state lives. Resolved once so a job's FAKE_SLURM_DIR is absolute. */
export function stateDir() {
  const env = process.env;
  if (env.FAKE_SLURM_DIR) return resolve(env.FAKE_SLURM_DIR);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(env.TMPDIR || tmpdir() || '/tmp', `fake-slurm-${uid}`);
}

/** Read at each use: a slurmctld worker serves callers with different environments. */
export const config = {
  /** Multiplies every --time limit (and --signal lead time); reports stay in real time. */
  get timeScale() {
    return num('FAKE_SLURM_TIME_SCALE', 1);
  },
  /** Seconds a finished job stays visible to squeue / scontrol (slurm.conf MinJobAge). */
  get minJobAge() {
    return num('FAKE_SLURM_MIN_JOB_AGE', 300);
  },
  get firstJobId() {
    return Math.max(1, Math.floor(num('FAKE_SLURM_FIRST_JOB_ID', 1000)));
  },
  /** Real seconds between SIGTERM and SIGKILL (slurm.conf KillWait, already scaled). */
  get killWait() {
    return num('FAKE_SLURM_KILL_WAIT', 1);
  },
  /** How often slurmd re-reads a job's state, in ms. */
  get pollMs() {
    return Math.max(10, num('FAKE_SLURM_POLL_MS', 100));
  },
  /** At most this many jobs RUNNING at once; 0 = no limit. Excess jobs pend with reason Resources. */
  get maxRunning() {
    return Math.max(0, Math.floor(num('FAKE_SLURM_MAX_RUNNING', 0)));
  },
  /** slurm.conf AccountingStoreFlags: sacct shows `Comment` only with `job_comment` (off by default, as at most sites). */
  get accountingStoreFlags() {
    return (process.env.FAKE_SLURM_ACCOUNTING_STORE_FLAGS || '').split(',').map((f) => f.trim()).filter(Boolean);
  },
  get clusterName() {
    return process.env.FAKE_SLURM_CLUSTER_NAME || 'fake';
  },
  get partition() {
    return process.env.FAKE_SLURM_PARTITION || 'debug';
  },
  /** Time limit of a job submitted without --time (a partition's DefaultTime). */
  get defaultTime() {
    return process.env.FAKE_SLURM_DEFAULT_TIME || 'UNLIMITED';
  },
  get nodeName() {
    return process.env.FAKE_SLURM_NODENAME || hostname().split('.')[0] || 'localhost';
  },
  get parsableCluster() {
    return process.env.FAKE_SLURM_PARSABLE_CLUSTER === '1';
  },
  get setEndTime() {
    return process.env.FAKE_SLURM_SET_END_TIME === '1';
  },
  /** `1`: sbatch records jobs but hands them to no slurmd; they stay PENDING until `fake-slurm-admin set-state`. */
  get noRun() {
    return process.env.FAKE_SLURM_NO_RUN === '1';
  },
};

/** The submitting user, from the OS (never $USER: it may be unset). */
export function currentUser() {
  const info = userInfo();
  const uid = typeof process.getuid === 'function' ? process.getuid() : info.uid;
  const gid = typeof process.getgid === 'function' ? process.getgid() : info.gid;
  return { name: info.username, uid, gid, group: groupName(gid) };
}

function readDb(path) {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

export function groupName(gid) {
  const row = readDb('/etc/group').find((f) => Number(f[2]) === gid);
  return row ? row[0] : String(gid);
}

/** uid for a user name or number; null when the OS does not know it. */
export function lookupUid(user) {
  const me = currentUser();
  if (user === me.name) return me.uid;
  if (/^\d+$/.test(user)) return Number(user);
  const row = readDb('/etc/passwd').find((f) => f[0] === user);
  return row ? Number(row[2]) : null;
}

export function userNameOf(uid) {
  const me = currentUser();
  if (uid === me.uid) return me.name;
  const row = readDb('/etc/passwd').find((f) => Number(f[2]) === uid);
  return row ? row[0] : String(uid);
}
