// A job's supervision (the fake's slurmstepd): waits while the job pends, runs the batch script,
// enforces the (scaled) time limit and --signal, records how the job ended. slurmd.mjs runs one
// of these for every job handed to it, all in one process.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stderrPath, stdinPath, stdoutPath } from './patterns.mjs';
import { config, stateDir } from './config.mjs';
import { isSlurmd } from './controller.mjs';
import { evaluateDependency, jobDb } from './deps.mjs';
import { signalJob, jobProcesses } from './procs.mjs';
import { signalNumber } from './signals.mjs';
import { isTerminal } from './states.mjs';
import { listJobs, paths, readJob, readJson, updateJob, withLock } from './store.mjs';
import { fmtDate, nowSecs } from './timefmt.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function log(id, msg) {
  try {
    mkdirSync(paths.logs(), { recursive: true });
    appendFileSync(join(paths.logs(), `supervisor-${id}.log`), `${new Date().toISOString()} ${msg}\n`);
  } catch {
    /* logging is best effort */
  }
}

/** Claim the job: refuse to run if another live slurmd owns it. */
function claim(id) {
  return updateJob(id, (r) => {
    if (r.supervisor_pid && r.supervisor_pid !== process.pid && isSlurmd(r.supervisor_pid)) {
      throw new Error('another slurmd owns this job');
    }
    r.supervisor_pid = process.pid;
  });
}

/** Why rec cannot start now ('None' when it can), and what its Dependency field shows. */
function assess(rec, db) {
  const now = nowSecs();
  if (rec.hold) return { reason: 'JobHeldUser', display: null };
  const dep = evaluateDependency(rec, db);
  if (dep.status === 'never') return { reason: 'DependencyNeverSatisfied', display: dep.display };
  if (dep.status === 'wait') return { reason: 'Dependency', display: dep.display };
  if (rec.begin_time && rec.begin_time > now) return { reason: 'BeginTime', display: null };
  if (config.maxRunning) {
    const all = db.all();
    const busy = all.filter((r) => r.state === 'RUNNING' || r.completing).length;
    // Older runnable jobs go first, as priority/basic orders them.
    const older = all.filter((r) => r.state === 'PENDING' && r.id < rec.id && r.reason === 'Resources').length;
    if (busy + older >= config.maxRunning) return { reason: 'Resources', display: null };
  }
  return { reason: 'None', display: null };
}

function noteReason(id, v) {
  updateJob(id, (r) => {
    if (r.state !== 'PENDING') return false;
    if (r.reason === v.reason && (r.dependency_display ?? null) === v.display) return false;
    r.reason = v.reason;
    r.dependency_display = v.display;
  });
}

/**
 * One scheduling pass for a pending job: 'run', 'wait', or 'gone' (no longer pending).
 * The cheap check runs unlocked; a job that looks runnable is confirmed under the scheduler
 * lock, so two singleton jobs (or the MaxRunning limit) can never both start.
 */
function schedule(id) {
  const rec = readJob(id);
  if (!rec || rec.state !== 'PENDING') return 'gone';
  const v = assess(rec, jobDb(readJob, listJobs));
  if (v.reason !== 'None') {
    noteReason(id, v);
    return 'wait';
  }
  return withLock('sched', () => {
    const fresh = readJob(id);
    if (!fresh || fresh.state !== 'PENDING') return 'gone';
    const v2 = assess(fresh, jobDb(readJob, listJobs));
    if (v2.reason !== 'None') {
      noteReason(id, v2);
      return 'wait';
    }
    const now = nowSecs();
    const updated = updateJob(id, (r) => {
      if (r.state !== 'PENDING') return false;
      r.state = 'RUNNING';
      r.reason = 'None';
      r.dependency_display = null;
      r.start_time = now;
      r.eligible_time = r.eligible_time || now;
      r.node = config.nodeName;
    });
    return updated && updated.state === 'RUNNING' ? 'run' : 'gone';
  });
}

function jobEnv(rec) {
  const base = readJson(paths.env(rec.id)) || {};
  const cpus = rec.cpus_per_task || 1;
  const env = {
    ...base,
    ENVIRONMENT: 'BATCH',
    FAKE_SLURM_DIR: stateDir(),
    SLURM_JOB_ID: String(rec.id),
    SLURM_JOBID: String(rec.id),
    SLURM_JOB_NAME: rec.name,
    SLURM_JOB_USER: rec.user,
    SLURM_JOB_UID: String(rec.uid),
    SLURM_JOB_GID: String(rec.gid),
    SLURM_SUBMIT_DIR: rec.submit_dir,
    SLURM_SUBMIT_HOST: config.nodeName,
    SLURM_CLUSTER_NAME: config.clusterName,
    SLURM_JOB_PARTITION: rec.partition,
    SLURM_JOB_QOS: rec.qos,
    SLURM_JOB_NODELIST: config.nodeName,
    SLURM_NODELIST: config.nodeName,
    SLURM_JOB_NUM_NODES: '1',
    SLURM_NNODES: '1',
    SLURM_NODEID: '0',
    SLURM_PROCID: '0',
    SLURM_LOCALID: '0',
    SLURM_GTIDS: '0',
    SLURM_TASKS_PER_NODE: '1',
    SLURM_CPUS_ON_NODE: String(cpus),
    SLURM_JOB_CPUS_PER_NODE: String(cpus),
    SLURMD_NODENAME: config.nodeName,
    SLURM_PRIO_PROCESS: '0',
  };
  if (rec.account) env.SLURM_JOB_ACCOUNT = rec.account;
  if (rec.cpus_per_task) env.SLURM_CPUS_PER_TASK = String(rec.cpus_per_task);
  if (rec.comment) env.SLURM_JOB_COMMENT = rec.comment;
  if (rec.export) env.SLURM_EXPORT_ENV = rec.export;
  if (rec.restarts) env.SLURM_RESTART_COUNT = String(rec.restarts);
  if (config.setEndTime && rec.time_limit) {
    env.SLURM_JOB_END_TIME = String(rec.start_time + Math.round(rec.time_limit * 60 * config.timeScale));
  }
  return env;
}

/**
 * Open an output file for the job. Slurm does not create missing directories: a bad --output
 * path fails the job. Truncate first (unless --open-mode=append), then write in O_APPEND mode
 * so the job and slurmstepd's own notices never overwrite each other.
 */
function openOutput(path, append) {
  if (!append) closeSync(openSync(path, 'w'));
  return openSync(path, 'a');
}

/** "slurmstepd: error: *** JOB 1001 ON node CANCELLED AT ... ***", as the real step daemon writes. */
function stepdNotice(rec, why) {
  const line = `slurmstepd: error: *** JOB ${rec.id} ON ${config.nodeName} CANCELLED AT ${fmtDate(nowSecs())}${why} ***\n`;
  try {
    appendFileSync(stderrPath(rec), line);
  } catch {
    /* output file unavailable */
  }
}

async function runJob(rec) {
  const id = rec.id;
  let cwd = rec.workdir;
  const notes = [];
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
    notes.push(`slurmstepd: error: couldn't chdir to \`${cwd}': No such file or directory: going to /tmp instead\n`);
    cwd = '/tmp';
  }
  let outFd;
  let errFd;
  let inFd = 'ignore';
  try {
    const append = rec.open_mode === 'append';
    outFd = openOutput(stdoutPath(rec), append);
    errFd = stderrPath(rec) === stdoutPath(rec) ? outFd : openOutput(stderrPath(rec), append);
    if (stdinPath(rec)) inFd = openSync(stdinPath(rec), 'r');
  } catch (e) {
    log(id, `cannot open output: ${e.message}`);
    finish(id, { code: 1, signal: null }, 'FAILED');
    return;
  }
  for (const n of notes) appendFileSync(stderrPath(rec), n);

  let child;
  try {
    child = spawn(rec.spool, rec.argv || [], {
      cwd,
      env: jobEnv(rec),
      detached: true, // own process group: signals reach the whole job, never the supervisor
      stdio: [inFd, outFd, errFd],
    });
  } catch (e) {
    log(id, `spawn failed: ${e.message}`);
    finish(id, { code: 1, signal: null }, 'FAILED');
    return;
  }
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (e) => {
      log(id, `exec failed: ${e.message}`);
      resolve({ code: 1, signal: null, error: true });
    });
  });
  closeSync(outFd);
  if (errFd !== outFd) closeSync(errFd);
  if (inFd !== 'ignore') closeSync(inFd);

  const started = Date.now();
  const limitMs = rec.time_limit ? rec.time_limit * 60 * 1000 * config.timeScale : Infinity;
  updateJob(id, (r) => {
    r.pid = child.pid;
  });

  let ending = null; // why the job is being taken down: CANCELLED, TIMEOUT, NODE_FAIL, PREEMPTED
  let killAt = Infinity;
  let signalled = false;
  let result = null;
  exited.then((r) => (result = r));

  const takeDown = (state, note) => {
    if (ending) return;
    ending = state;
    if (note !== null) stepdNotice(rec, note);
    const sig = state === 'NODE_FAIL' ? 'SIGKILL' : 'SIGTERM';
    signalJob({ ...rec, pid: child.pid }, 'SIGCONT');
    signalJob({ ...rec, pid: child.pid }, sig);
    killAt = Date.now() + config.killWait * 1000;
  };

  while (!result) {
    const elapsed = Date.now() - started;
    if (rec.signal && !signalled && limitMs !== Infinity && elapsed >= limitMs - rec.signal.secs * 1000 * config.timeScale) {
      signalled = true;
      const n = signalJob({ ...rec, pid: child.pid }, rec.signal.sig, rec.signal.batchOnly ? 'batch' : 'steps');
      log(id, `--signal ${rec.signal.sig} delivered to ${n} process(es)` + (rec.signal.batchOnly ? '' : ' (no B: means job steps only; the fake has no srun steps)'));
    }
    if (!ending && elapsed >= limitMs) {
      updateJob(id, (r) => {
        if (r.state !== 'RUNNING') return false;
        r.state = 'TIMEOUT';
        r.reason = 'TimeLimit';
        r.completing = true;
        r.end_time = nowSecs();
        r.exit_code = '0:0';
      });
      takeDown('TIMEOUT', ' DUE TO TIME LIMIT');
    }
    if (!ending) {
      // Someone else ended the job (scancel, fake-slurm-admin): take the processes down.
      const cur = readJob(id);
      if (cur && cur.state !== 'RUNNING') {
        const note = cur.state === 'CANCELLED' ? '' : cur.state === 'PREEMPTED' ? ' DUE TO PREEMPTION' : null;
        takeDown(cur.state, note);
      }
    }
    if (ending && Date.now() >= killAt) {
      signalJob({ ...rec, pid: child.pid }, 'SIGKILL');
      killAt = Date.now() + 500;
    }
    await Promise.race([exited, sleep(Math.min(config.pollMs, 100))]);
  }
  // The batch shell is gone; its leftovers (same process group) go with it, as slurmstepd does.
  const stragglers = { ...rec, pid: child.pid };
  if (jobProcesses(stragglers).length) {
    signalJob(stragglers, 'SIGTERM');
    const until = Date.now() + config.killWait * 1000;
    while (jobProcesses(stragglers).length && Date.now() < until) await sleep(50);
    signalJob(stragglers, 'SIGKILL');
  }
  finish(id, result, null);
}

/** Record how the batch shell ended. Keeps a state someone else already decided. */
function finish(id, result, forced) {
  const sigNum = result.signal ? signalNumber(result.signal) || 0 : 0;
  // Slurm 22.05 keeps 7 bits of an exit status: 143 (a shell's `wait` on a child killed by
  // SIGTERM) reads 15:0, 128 reads 0:0 — still FAILED (measured on the real cluster).
  const status = `${result.signal ? 0 : (result.code ?? 0) & 0x7f}:${sigNum}`;
  updateJob(id, (r) => {
    r.batch_exit_code = status;
    r.completing = false;
    if (r.state === 'RUNNING') {
      const ok = !forced && !result.signal && result.code === 0;
      r.state = forced || (ok ? 'COMPLETED' : 'FAILED');
      r.reason = ok ? 'None' : 'NonZeroExitCode';
      r.exit_code = status;
      r.end_time = nowSecs();
    } else if (r.state === 'CANCELLED') {
      r.exit_code = status;
    }
    if (!r.end_time) r.end_time = nowSecs();
  });
}

/** Supervises job `id` to its end; resolves when there is nothing more to do for it. */
export async function supervise(id) {
  if (!readJob(id)) return;
  claim(id);
  log(id, `supervising job ${id} (slurmd pid ${process.pid})`);
  const waitingSince = Date.now();
  for (;;) {
    const st = schedule(id);
    if (st === 'gone') return;
    if (st === 'run') break;
    // Poll briskly at first, then ease off so many pending jobs stay cheap.
    await sleep(Date.now() - waitingSince < 5000 ? config.pollMs : Math.max(config.pollMs, 500));
  }
  const rec = readJob(id);
  if (!rec || isTerminal(rec)) return;
  await runJob(rec);
}

/** For the log when supervise() throws. */
export function logFailure(id, e) {
  log(id, `supervisor failed: ${e && e.stack ? e.stack : e}`);
}
