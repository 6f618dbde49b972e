// scancel: cancel jobs (or just signal them with -s). Returns once the records show the change,
// as real scancel + squeue look synchronous to a user.
import { currentUser, lookupUid } from './config.mjs';
import { err, faultExit, list, parseCommand } from './cli.mjs';
import { sweep } from './controller.mjs';
import { signalJob } from './procs.mjs';
import { signalName } from './signals.mjs';
import { isActive, knownToController, parseStateName } from './states.mjs';
import { listJobs, readJob, sleepSync, updateJob } from './store.mjs';
import { nowSecs } from './timefmt.mjs';

const SPEC = [
  { long: 'account', short: 'A', arg: 'required' },
  { long: 'batch', short: 'b', arg: 'none' },
  { long: 'clusters', short: 'M', arg: 'required' },
  { long: 'cluster', arg: 'required', key: 'clusters' },
  { long: 'ctld', arg: 'none' },
  { long: 'full', short: 'f', arg: 'none' },
  { long: 'help', arg: 'none' },
  { long: 'hurry', short: 'H', arg: 'none' },
  { long: 'interactive', short: 'i', arg: 'none' },
  { long: 'me', arg: 'none' },
  { long: 'name', short: 'n', arg: 'required' },
  { long: 'jobname', arg: 'required', key: 'name' },
  { long: 'nodelist', short: 'w', arg: 'required' },
  { long: 'partition', short: 'p', arg: 'required' },
  { long: 'qos', short: 'q', arg: 'required' },
  { long: 'quiet', short: 'Q', arg: 'none' },
  { long: 'reservation', short: 'R', arg: 'required' },
  { long: 'sibling', arg: 'required' },
  { long: 'signal', short: 's', arg: 'required' },
  { long: 'state', short: 't', arg: 'required' },
  { long: 'usage', arg: 'none' },
  { long: 'user', short: 'u', arg: 'required' },
  { long: 'verbose', short: 'v', arg: 'none' },
  { long: 'version', short: 'V', arg: 'none' },
  { long: 'wckey', arg: 'required' },
];

export function scancelMain(argv) {
  const parsed = parseCommand(argv, SPEC, { prog: 'scancel', usage: 'Usage: scancel [OPTIONS] [job_id[_array_id][.step_id]]\n' });
  if ('exit' in parsed) return parsed.exit;
  const { o, positionals } = parsed;
  const ids = [];
  for (const p of positionals) {
    for (const tok of p.split(/[\s,]+/).filter(Boolean)) {
      const m = /^(\d+)(?:\.batch)?$/.exec(tok);
      if (!m) {
        err(`scancel: error: Invalid job_id ${tok}`);
        return 1;
      }
      ids.push(Number(m[1]));
    }
  }
  let sig = null;
  if (o.signal !== undefined) {
    sig = signalName(o.signal);
    if (!sig) {
      err(`scancel: error: Invalid job signal: ${o.signal}`);
      return 1;
    }
  }
  const me = currentUser();
  const filters = {
    user: o.me ? me.uid : o.user !== undefined ? lookupUid(o.user) : undefined,
    names: o.name !== undefined ? list(o.name) : null,
    states: o.state !== undefined ? list(o.state).map(parseStateName) : null,
    partitions: o.partition !== undefined ? list(o.partition) : null,
    accounts: o.account !== undefined ? list(o.account) : null,
    qos: o.qos !== undefined ? list(o.qos) : null,
  };
  if (filters.states && filters.states.includes(null)) {
    err(`scancel: error: Invalid job state specified: ${o.state}`);
    return 1;
  }
  if (o.user !== undefined && filters.user === null) {
    err(`scancel: error: Invalid user name: ${o.user}`);
    return 1;
  }
  const hasFilter = Object.values(filters).some((f) => f !== null && f !== undefined);
  if (!ids.length && !hasFilter) {
    err('scancel: error: No job identification provided');
    return 1;
  }

  const fault = faultExit('scancel', { id: ids[0] ?? '' });
  if (fault !== null) return fault;
  sweep();

  const matches = (r) =>
    (filters.user === undefined || r.uid === filters.user) &&
    (!filters.names || filters.names.includes(r.name)) &&
    (!filters.states || filters.states.some((s) => (s === 'COMPLETING' ? r.completing : r.state === s))) &&
    (!filters.partitions || filters.partitions.includes(r.partition)) &&
    (!filters.accounts || filters.accounts.includes(r.account)) &&
    (!filters.qos || filters.qos.includes(r.qos));

  let rc = 0;
  const targets = [];
  if (ids.length) {
    for (const id of ids) {
      const r = readJob(id);
      // Real scancel (22.05) says nothing and exits 0 for an unknown or already ended job; only
      // -v shows the error (test/cluster/samples: scancel_unknown, scancel_completed[_v]).
      if (!r || !knownToController(r)) {
        if (o.verbose) {
          err(`scancel: Terminating job ${id}`);
          err(`scancel: error: Kill job error on job id ${id}: Invalid job id specified`);
        }
        continue;
      }
      if (!matches(r)) continue;
      if (!isActive(r) || r.completing) {
        if (o.verbose) {
          err(`scancel: Terminating job ${id}`);
          err(`scancel: error: Kill job error on job id ${id}: Job/step already completing or completed`);
        }
        continue;
      }
      targets.push(r);
    }
  } else {
    targets.push(...listJobs().filter((r) => knownToController(r) && isActive(r) && !r.completing && matches(r)));
  }

  const waitFor = [];
  for (const r of targets) {
    if (sig && sig !== 'SIGKILL') {
      if (r.state === 'PENDING') {
        err(`scancel: error: Kill job error on job id ${r.id}: Job is pending execution`);
        rc = 1;
        continue;
      }
      if (o.verbose) err(`scancel: Signal ${sig} to job ${r.id}`);
      // Real scancel signals job steps only, unless -b (batch shell) or -f (everything).
      signalJob(r, sig, o.batch ? 'batch' : o.full ? 'all' : 'steps');
      continue;
    }
    if (o.verbose) err(`scancel: Terminating job ${r.id}`);
    const now = nowSecs();
    const after = updateJob(r.id, (x) => {
      if (!isActive(x) || x.completing) return false;
      x.cancelled_by = me.uid;
      x.end_time = now;
      // A job cancelled while pending keeps its pending reason (Dependency, DependencyNeverSatisfied...).
      if (x.state !== 'PENDING') x.reason = 'None';
      if (x.state === 'PENDING') {
        x.start_time = now; // Slurm stamps a job cancelled while pending as started and ended now
        x.exit_code = '0:0';
      } else {
        x.completing = true;
      }
      x.state = 'CANCELLED';
    });
    if (after && after.completing) waitFor.push(r.id);
  }
  // The supervisor takes the processes down (SIGTERM, KillWait, SIGKILL); wait for it briefly.
  const deadline = Date.now() + 3000;
  while (waitFor.length && Date.now() < deadline) {
    if (waitFor.every((id) => !readJob(id)?.completing)) break;
    sleepSync(50);
  }
  return rc;
}

