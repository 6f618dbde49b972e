// fake-slurm-admin: what an administrator (or a node dying) does to the fake cluster, for tests.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from './config.mjs';
import { err, out } from './cli.mjs';
import { isSlurmd, sweep } from './controller.mjs';
import { createJobs, parseIds, readIdsFile, readSpecsFile, setStates } from './bulk.mjs';
import { readFaultFile } from './faults.mjs';
import { signalJob } from './procs.mjs';
import { isActive } from './states.mjs';
import { ensureDirs, listJobs, paths, readJob, sleepSync, updateJob, writeJson } from './store.mjs';
import { nowSecs } from './timefmt.mjs';

const USAGE = `Usage: fake-slurm-admin <command>
  node-fail ID...      the job's node dies: processes killed, state NODE_FAIL
  preempt ID...        the job is preempted: SIGTERM, KillWait, SIGKILL, state PREEMPTED
  purge [ID...]        forget finished jobs now (as if MinJobAge passed); sacct keeps them
  reset                kill every slurmd and job of this FAKE_SLURM_DIR, wipe the state
  wait-idle [SECONDS]  wait until no job is running or can still start (default 60 s)
  list                 all job records as JSON
  get ID               one job record as JSON
  faults [JSON|clear]  print, replace or remove faults.json
  dir                  print the state directory
  create-jobs FILE|-   record jobs that never run (JSON array or lines of {script, comment, ...}); prints their ids
  set-state STATE [--exit-code N:S] [--reason R] (ID|A-B)... | --ids-file FILE|-
                       move jobs that never run (create-jobs, FAKE_SLURM_NO_RUN=1) to STATE now`;

/** End running jobs the way a node failure or a preemption does; wait until they are down. */
function endJobs(ids, state) {
  let rc = 0;
  const waiting = [];
  for (const id of ids.map(Number)) {
    const r = updateJob(id, (x) => {
      if (x.state !== 'RUNNING' || x.completing) return false;
      x.state = state;
      x.reason = state === 'NODE_FAIL' ? 'NodeDown' : 'None';
      x.completing = true;
      x.end_time = nowSecs();
      x.exit_code = '0:0';
    });
    if (!r || r.state !== state) {
      err(`fake-slurm-admin: job ${id} is not running`);
      rc = 1;
      continue;
    }
    if (state === 'NODE_FAIL') signalJob(r, 'SIGKILL'); // a dead node gives no grace period
    waiting.push(id);
  }
  const deadline = Date.now() + 5000;
  while (waiting.some((id) => readJob(id)?.completing) && Date.now() < deadline) sleepSync(50);
  return rc;
}

/** Processes started for this state dir: its slurmds, and everything running inside a job. */
function ourProcesses() {
  const dir = stateDir();
  const found = [];
  for (const n of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    if (Number(n) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${n}/environ`, 'utf8').split('\0');
      if (!env.includes(`FAKE_SLURM_DIR=${dir}`)) continue;
      const cmd = readFileSync(`/proc/${n}/cmdline`, 'utf8');
      if (cmd.includes('slurmd.mjs') || env.some((e) => e.startsWith('SLURM_JOB_ID='))) found.push(Number(n));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

function reset() {
  const jobs = listJobs();
  for (const r of jobs) {
    if (r.supervisor_pid && isSlurmd(r.supervisor_pid)) {
      try {
        process.kill(r.supervisor_pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    signalJob(r, 'SIGKILL');
  }
  for (let round = 0; round < 3; round++) {
    const pids = ourProcesses();
    if (!pids.length) break;
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    sleepSync(50);
  }
  const dir = stateDir();
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    /* nothing to wipe */
  }
  for (const n of names) rmSync(join(dir, n), { recursive: true, force: true });
  return 0;
}

/** Jobs that still hold or may still get resources (a job that can never run does not count). */
const busy = (r) =>
  !r.no_run && // a job that never runs moves only by set-state: nothing to wait for
  (r.state === 'RUNNING' || r.completing || (r.state === 'PENDING' && r.reason !== 'DependencyNeverSatisfied' && !r.hold));

export function adminMain(argv) {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'node-fail':
      return endJobs(args, 'NODE_FAIL');
    case 'preempt':
      return endJobs(args, 'PREEMPTED');
    case 'purge': {
      const ids = args.map(Number);
      for (const r of listJobs()) {
        if (ids.length && !ids.includes(r.id)) continue;
        if (isActive(r)) {
          if (ids.length) err(`fake-slurm-admin: job ${r.id} is still active, not purged`);
          continue;
        }
        updateJob(r.id, (x) => {
          x.purged = true;
        });
      }
      return 0;
    }
    case 'reset':
      return reset();
    case 'wait-idle': {
      const limit = args[0] !== undefined ? Number(args[0]) : 60;
      const deadline = Date.now() + limit * 1000;
      for (;;) {
        sweep();
        const left = listJobs().filter(busy);
        if (!left.length) return 0;
        if (Date.now() > deadline) {
          err(`fake-slurm-admin: still busy after ${limit}s: ${left.map((r) => `${r.id} ${r.state}`).join(', ')}`);
          return 1;
        }
        sleepSync(100);
      }
    }
    case 'list':
      out(JSON.stringify(listJobs(), null, 2) + '\n');
      return 0;
    case 'get': {
      const r = readJob(Number(args[0]));
      if (!r) {
        err(`fake-slurm-admin: no job ${args[0]}`);
        return 1;
      }
      out(JSON.stringify(r, null, 2) + '\n');
      return 0;
    }
    case 'faults': {
      if (!args.length) {
        out(JSON.stringify(readFaultFile(), null, 2) + '\n');
        return 0;
      }
      if (args[0] === 'clear') {
        rmSync(paths.faults(), { force: true });
        return 0;
      }
      let value;
      try {
        value = JSON.parse(args.join(' '));
      } catch (e) {
        err(`fake-slurm-admin: faults: not JSON: ${e.message}`);
        return 2;
      }
      ensureDirs();
      writeJson(paths.faults(), value);
      return 0;
    }
    case 'dir':
      out(stateDir() + '\n');
      return 0;
    case 'create-jobs': {
      if (args.length !== 1) {
        err('fake-slurm-admin: create-jobs FILE|-');
        return 2;
      }
      const ids = createJobs(readSpecsFile(args[0]));
      out(ids.length ? ids.join('\n') + '\n' : '');
      return 0;
    }
    case 'set-state':
      return setStateCommand(args);
    default:
      err(USAGE);
      return cmd === undefined || cmd === '--help' || cmd === '-h' ? 0 : 2;
  }
}

/** set-state STATE [--exit-code N:S] [--reason R] (ID|A-B)... | --ids-file FILE|- */
function setStateCommand(args) {
  const [state, ...rest] = args;
  const opts = { exitCode: null, reason: null };
  const tokens = [];
  let idsFile = null;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => (inline !== undefined ? inline : rest[++i]);
    if (flag === '--exit-code') opts.exitCode = value();
    else if (flag === '--reason') opts.reason = value();
    else if (flag === '--ids-file') idsFile = value();
    else tokens.push(a);
  }
  if (!state || (idsFile === null && tokens.length === 0)) {
    err('fake-slurm-admin: set-state STATE [--exit-code N:S] [--reason R] (ID|A-B)... | --ids-file FILE|-');
    return 2;
  }
  if (opts.exitCode !== null && !/^\d+:\d+$/.test(opts.exitCode)) {
    err(`fake-slurm-admin: set-state: --exit-code wants N:S, got ${opts.exitCode}`);
    return 2;
  }
  const ids = [...parseIds(tokens), ...(idsFile !== null ? readIdsFile(idsFile) : [])];
  const refused = setStates(ids, state.toUpperCase(), opts);
  if (refused.length) {
    err(`fake-slurm-admin: set-state: not a job that never runs (unknown, or really running): ${refused.slice(0, 20).join(', ')}${refused.length > 20 ? ` and ${refused.length - 20} more` : ''}`);
    return 1;
  }
  return 0;
}
