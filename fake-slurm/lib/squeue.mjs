// squeue: the jobs the controller still holds (active ones, and finished ones within MinJobAge).
import { currentUser, lookupUid } from './config.mjs';
import { err, faultExit, list, out, parseCommand } from './cli.mjs';
import { sweep } from './controller.mjs';
import { squeueHides } from './faults.mjs';
import { DEFAULT_FORMAT, LONG_FORMAT, parseFormat, parseLongFormat, renderLine, sortJobs } from './squeue-format.mjs';
import { BASE_STATES, FLAG_STATES, isActive, knownToController, parseStateName, stateMatches } from './states.mjs';
import { listJobs } from './store.mjs';
import { nowSecs } from './timefmt.mjs';

const SPEC = [
  { long: 'accounts', short: 'A', arg: 'required', key: 'account' },
  { long: 'account', arg: 'required' },
  { long: 'all', short: 'a', arg: 'none' },
  { long: 'array', short: 'r', arg: 'none' },
  { long: 'array-unique', arg: 'none' },
  { long: 'Format', short: 'O', arg: 'required', key: 'Format' },
  { long: 'format', short: 'o', arg: 'required' },
  { long: 'federation', arg: 'none' },
  { long: 'help', arg: 'none' },
  { long: 'hide', arg: 'none' },
  { long: 'iterate', short: 'i', arg: 'required' },
  { long: 'jobs', short: 'j', arg: 'optional' },
  { long: 'job', arg: 'optional', key: 'jobs' },
  { long: 'local', arg: 'none' },
  { long: 'long', short: 'l', arg: 'none' },
  { long: 'licenses', short: 'L', arg: 'required' },
  { long: 'clusters', short: 'M', arg: 'required' },
  { long: 'cluster', arg: 'required', key: 'clusters' },
  { long: 'me', arg: 'none' },
  { long: 'name', short: 'n', arg: 'required' },
  { long: 'noconvert', arg: 'none' },
  { long: 'nodelist', short: 'w', arg: 'required' },
  { long: 'nodes', arg: 'required', key: 'nodelist' },
  { long: 'noheader', short: 'h', arg: 'none' },
  { long: 'partition', short: 'p', arg: 'required' },
  { long: 'partitions', arg: 'required', key: 'partition' },
  { long: 'priority', short: 'P', arg: 'none' },
  { long: 'qos', short: 'q', arg: 'required' },
  { long: 'reservation', short: 'R', arg: 'required' },
  { long: 'sibling', arg: 'none' },
  { long: 'sort', short: 'S', arg: 'required' },
  { long: 'start', arg: 'none' },
  { long: 'steps', short: 's', arg: 'optional' },
  { long: 'states', short: 't', arg: 'required' },
  { long: 'state', arg: 'required', key: 'states' },
  { long: 'usage', arg: 'none' },
  { long: 'user', short: 'u', arg: 'required' },
  { long: 'users', arg: 'required', key: 'user' },
  { long: 'verbose', short: 'v', arg: 'none' },
  { long: 'version', short: 'V', arg: 'none' },
];

const VALID_STATES = [...BASE_STATES, ...FLAG_STATES].join(',');

export function squeueMain(argv) {
  const parsed = parseCommand(argv, SPEC, { prog: 'squeue', usage: 'Usage: squeue [-A account] [--clusters names] [-i seconds] [--job jobid]\n' });
  if ('exit' in parsed) return parsed.exit;
  const { o, positionals } = parsed;
  if (o.long && o.format) {
    err('squeue: fatal: Options -o(--format) and -l(--long) are mutually exclusive. Please remove one and retry.');
    return 1;
  }
  if (o.iterate !== undefined || o.steps !== undefined) {
    err('squeue: error: fake-slurm does not implement --iterate or --steps');
    return 1;
  }
  // "-j 1001" (space): getopt leaves the list as the first positional, as real squeue expects.
  let jobsArg = o.jobs;
  const rest = [...positionals];
  if ('jobs' in o && jobsArg === undefined && rest.length) jobsArg = rest.shift();
  if (rest.length) {
    err(`squeue: error: Unrecognized option: ${rest[0]}`);
    err('Usage: squeue [-A account] [--clusters names] [-i seconds] [--job jobid]');
    return 1;
  }

  let jobIds = null;
  if (jobsArg !== undefined) {
    jobIds = [];
    for (const tok of list(jobsArg)) {
      const m = /^(\d+)$/.exec(tok);
      if (!m || Number(m[1]) <= 0) {
        err(`squeue: error: Invalid job id: ${tok}`);
        return 1;
      }
      jobIds.push(Number(m[1]));
    }
  }

  let states = null;
  let allStates = false;
  if (o.states !== undefined) {
    if (String(o.states).toLowerCase() === 'all') allStates = true;
    else {
      states = [];
      for (const s of list(o.states)) {
        const st = parseStateName(s);
        if (!st) {
          err(`squeue: error: Invalid job state specified: ${s}`);
          err(`squeue: error: Valid job states include: ${VALID_STATES}\n`);
          return 1;
        }
        states.push(st);
      }
    }
  }

  let users = null;
  if (o.me) users = [currentUser().uid];
  else if (o.user !== undefined) {
    users = [];
    for (const u of list(o.user)) {
      const uid = lookupUid(u);
      if (uid === null) err(`squeue: error: Invalid user: ${u}\n`);
      else users.push(uid);
    }
  }

  const onError = (m) => err(`squeue: error: ${m}`);
  const fmt = o.Format
    ? parseLongFormat(o.Format, onError)
    : parseFormat(o.format ?? process.env.SQUEUE_FORMAT ?? (o.long ? LONG_FORMAT : DEFAULT_FORMAT), onError);

  const fault = faultExit('squeue');
  if (fault !== null) return fault;

  const all = listJobs();
  sweep(all);
  const now = nowSecs();
  // The "hide" fault: a controller that lost its job list answers with no jobs; sacct still knows them.
  const known = squeueHides() ? [] : listJobs().filter((r) => knownToController(r, now));
  // One job id asked for: squeue loads just that job, and the controller says it does not exist.
  if (jobIds && jobIds.length === 1 && !known.some((r) => r.id === jobIds[0])) {
    err('slurm_load_jobs error: Invalid job id specified');
    return 1;
  }

  const names = o.name !== undefined ? list(o.name) : null;
  const parts = o.partition !== undefined ? list(o.partition) : null;
  const accounts = o.account !== undefined ? list(o.account) : null;
  const qos = o.qos !== undefined ? list(o.qos) : null;
  const shown = known.filter((r) => {
    if (jobIds && !jobIds.includes(r.id)) return false;
    if (accounts && !accounts.some((a) => a.toLowerCase() === String(r.account).toLowerCase())) return false;
    if (qos && !qos.some((q) => q.toLowerCase() === String(r.qos).toLowerCase())) return false;
    if (!allStates) {
      if (states) {
        if (!states.some((s) => stateMatches(r, s))) return false;
      } else if (!isActive(r)) {
        return false;
      }
    }
    if (users && !users.includes(r.uid)) return false;
    if (names && !names.some((n) => n.toLowerCase() === String(r.name).toLowerCase())) return false;
    if (parts && !parts.includes(r.partition)) return false;
    return true;
  });

  let text = '';
  if (!o.noheader) text += renderLine(fmt, null, now) + '\n';
  for (const r of sortJobs(shown, o.sort ?? process.env.SQUEUE_SORT ?? 'P,t,-p')) {
    text += renderLine(fmt, r, now) + '\n';
  }
  out(text);
  return 0;
}
