// sacct: the accounting view. Sees every job ever submitted (no MinJobAge), plus .batch steps.
import { config, currentUser, lookupUid } from './config.mjs';
import { err, faultExit, list, out, parseCommand } from './cli.mjs';
import { sweep } from './controller.mjs';
import { accountingEnabled } from './faults.mjs';
import { elapsedSecs, limitMinutes, parseStateName, reasonOf } from './states.mjs';
import { listJobs } from './store.mjs';
import { fmtDate, fmtMins, fmtSecs, nowSecs, parseDateTime, UNLIMITED } from './timefmt.mjs';

const SPEC = [
  { long: 'allusers', short: 'a', arg: 'none' },
  { long: 'accounts', short: 'A', arg: 'required' },
  { long: 'allocations', short: 'X', arg: 'none' },
  { long: 'brief', short: 'b', arg: 'none' },
  { long: 'clusters', short: 'M', arg: 'required' },
  { long: 'completion', short: 'c', arg: 'none' },
  { long: 'delimiter', arg: 'required' },
  { long: 'duplicates', short: 'D', arg: 'none' },
  { long: 'endtime', short: 'E', arg: 'required' },
  { long: 'env-vars', arg: 'none' },
  { long: 'format', short: 'o', arg: 'required' },
  { long: 'gid', short: 'g', arg: 'required' },
  { long: 'group', arg: 'required', key: 'gid' },
  { long: 'help', short: 'h', arg: 'none' },
  { long: 'helpformat', short: 'e', arg: 'none' },
  { long: 'jobs', short: 'j', arg: 'required' },
  { long: 'long', short: 'l', arg: 'none' },
  { long: 'local', arg: 'none' },
  { long: 'name', arg: 'required' },
  { long: 'nodelist', short: 'N', arg: 'required' },
  { long: 'noconvert', arg: 'none' },
  { long: 'noheader', short: 'n', arg: 'none' },
  { long: 'parsable', short: 'p', arg: 'none' },
  { long: 'parsable2', short: 'P', arg: 'none' },
  { long: 'partition', short: 'r', arg: 'required' },
  { long: 'qos', short: 'q', arg: 'required' },
  { long: 'reason', short: 'R', arg: 'required' },
  { long: 'starttime', short: 'S', arg: 'required' },
  { long: 'state', short: 's', arg: 'required' },
  { long: 'truncate', short: 'T', arg: 'none' },
  { long: 'uid', short: 'u', arg: 'required', key: 'user' },
  { long: 'user', arg: 'required' },
  { long: 'usage', arg: 'none' },
  { long: 'verbose', short: 'v', arg: 'none' },
  { long: 'version', short: 'V', arg: 'none' },
  { long: 'wckeys', short: 'W', arg: 'required' },
  { long: 'whole-hetjob', arg: 'optional' },
];

const DEFAULT_FIELDS = 'JobID,JobName,Partition,Account,AllocCPUS,State,ExitCode';
const BRIEF_FIELDS = 'JobID,State,ExitCode';

const isStep = (row) => row.step !== null;
const cpus = (r) => r.cpus_per_task || 1;

/** How the batch step of a finished job reads: killed steps show CANCELLED. */
function stepState(r) {
  if (r.state === 'RUNNING' && !r.completing) return 'RUNNING';
  if (r.state === 'COMPLETED' || r.state === 'FAILED') return r.state;
  return 'CANCELLED';
}

function jobState(r) {
  if (r.state === 'CANCELLED' && r.cancelled_by !== null && r.cancelled_by !== undefined) {
    return `CANCELLED by ${r.cancelled_by}`;
  }
  return r.state;
}

/** Field table: name -> [width (negative = left-justified), value(row, now)]. Widths are sacct's. */
const FIELDS = {
  Account: [10, (x) => x.r.account ?? ''],
  AdminComment: [15, () => ''],
  AllocCPUS: [10, (x) => (x.r.state === 'PENDING' ? 0 : cpus(x.r))],
  AllocNodes: [10, (x) => (x.r.state === 'PENDING' ? '0' : '1')],
  // gres/gpu as a site with AccountingStorageTRES=gres/gpu stores it (typed gres count under both names)
  AllocTRES: [10, (x) => (x.r.state === 'PENDING' ? '' : [`billing=${cpus(x.r)}`, `cpu=${cpus(x.r)}`, ...gpuTres(x.r.gres), 'node=1'].join(','))],
  Cluster: [10, () => config.clusterName],
  // Stored only with AccountingStoreFlags=job_comment, and slurmdbd gets it with the job's end
  // record: empty while the job pends or runs
  Comment: [14, (x) => (!storesComments() || isStep(x) || x.r.state === 'PENDING' || x.r.state === 'RUNNING' || x.r.completing ? '' : x.r.comment ?? '')],
  Constraints: [19, (x) => (isStep(x) ? '' : x.r.constraint ?? '')],
  CPUTime: [10, (x, now) => fmtSecs(elapsedSecs(x.r, now) * cpus(x.r))],
  CPUTimeRAW: [10, (x, now) => elapsedSecs(x.r, now) * cpus(x.r)],
  DerivedExitCode: [15, (x) => (isStep(x) ? '' : '0:0')],
  Elapsed: [10, (x, now) => fmtSecs(elapsedSecs(x.r, now))],
  ElapsedRaw: [10, (x, now) => elapsedSecs(x.r, now)],
  Eligible: [19, (x) => (isStep(x) ? 'Unknown' : fmtDate(x.r.eligible_time))],
  End: [19, (x) => fmtDate(x.r.end_time)],
  // slurmdbd records a job cancelled or timed out at that moment, before the batch shell's status
  // (0:15) is known: the job line says 0:0 while scontrol says 0:15 (samples: sacct_X, sacct_timeout).
  ExitCode: [8, (x) => (isStep(x) ? x.r.batch_exit_code || '0:0' : x.r.state === 'CANCELLED' || x.r.state === 'TIMEOUT' ? '0:0' : x.r.exit_code || '0:0')],
  GID: [6, (x) => x.r.gid],
  Group: [9, (x) => x.r.group],
  JobID: [-12, (x) => (isStep(x) ? `${x.r.id}.${x.step}` : String(x.r.id))],
  JobIDRaw: [-12, (x) => (isStep(x) ? `${x.r.id}.${x.step}` : String(x.r.id))],
  JobName: [10, (x) => (isStep(x) ? x.step : x.r.name)],
  NCPUS: [10, (x) => (x.r.state === 'PENDING' ? 0 : cpus(x.r))],
  NNodes: [8, () => 1],
  NodeList: [15, (x) => (x.r.node ? x.r.node : 'None assigned')],
  NTasks: [8, (x) => (isStep(x) ? 1 : '')],
  Partition: [10, (x) => (isStep(x) ? '' : x.r.partition)],
  Priority: [10, (x) => (x.r.state === 'PENDING' ? 4294901760 - x.r.id : 0)],
  QOS: [10, (x) => (isStep(x) ? '' : x.r.qos)],
  Reason: [22, (x) => (isStep(x) ? '' : x.r.state === 'PENDING' ? reasonOf(x.r) : 'None')],
  ReqCPUS: [8, (x) => cpus(x.r)],
  ReqMem: [10, (x) => (isStep(x) ? '' : x.r.mem ?? '0')],
  ReqNodes: [8, () => '1'],
  Reservation: [20, () => ''],
  Restarts: [8, (x) => x.r.restarts || 0],
  Start: [19, (x) => fmtDate(x.r.start_time)],
  State: [10, (x) => (isStep(x) ? stepState(x.r) : jobState(x.r))],
  StdErr: [20, (x) => (isStep(x) ? '' : x.r.error ?? x.r.output ?? 'slurm-%j.out')],
  StdOut: [20, (x) => (isStep(x) ? '' : x.r.output ?? 'slurm-%j.out')],
  Submit: [19, (x) => fmtDate(isStep(x) ? x.r.start_time : x.r.submit_time)],
  SubmitLine: [20, (x) => (isStep(x) ? '' : x.r.submit_line ?? '')],
  Suspended: [10, () => '00:00:00'],
  Timelimit: [10, (x) => (isStep(x) ? '' : fmtMins(limitMinutes(x.r)))],
  TimelimitRaw: [10, (x) => (isStep(x) ? '' : limitMinutes(x.r) === UNLIMITED ? 'UNLIMITED' : limitMinutes(x.r))],
  UID: [6, (x) => (isStep(x) ? '' : x.r.uid)],
  User: [9, (x) => (isStep(x) ? '' : x.r.user)],
  WCKey: [10, () => ''],
  WorkDir: [20, (x) => x.r.workdir],
};
const FIELD_BY_LOWER = new Map(Object.keys(FIELDS).map((k) => [k.toLowerCase(), k]));

/** "JobID,State%20" -> [{ name, width }]; throws on an unknown field, as sacct does. */
function parseFields(spec) {
  return list(spec).map((tok) => {
    const [raw, w] = tok.split('%');
    const name = FIELD_BY_LOWER.get(raw.toLowerCase());
    if (!name) throw new FieldError(raw);
    const base = FIELDS[name][0];
    let width = base;
    if (w !== undefined && /^\d+$/.test(w)) width = base < 0 ? -Number(w) : Number(w);
    return { name, width };
  });
}
class FieldError extends Error {}

/** print_fields_str: cut with '+' when too long; an empty value prints as blanks. */
function cell(value, width, mode, last, delim) {
  const s = value === null || value === undefined ? '' : String(value);
  if (mode === 'parsable2') return last ? s : s + delim;
  if (mode === 'parsable') return s + delim;
  const abs = Math.abs(width);
  let v = s.length > abs ? s.slice(0, abs - 1) + '+' : s;
  if (!s) v = ' ';
  return (width < 0 ? v.padEnd(abs) : v.padStart(abs)) + ' ';
}

function header(fields, mode, delim) {
  if (mode !== 'fixed') return fields.map((f, i) => (mode === 'parsable2' && i === fields.length - 1 ? f.name : f.name + delim)).join('') + '\n';
  const names = fields.map((f) => {
    const abs = Math.abs(f.width);
    const n = f.name.slice(0, abs);
    return (f.width < 0 ? n.padEnd(abs) : n.padStart(abs)) + ' ';
  });
  const dashes = fields.map((f) => '-'.repeat(Math.abs(f.width)) + ' ');
  return names.join('') + '\n' + dashes.join('') + '\n';
}

/** Which records fall in the -S/-E window (and -s states), as sacct selects them. */
function inWindow(r, start, end, states) {
  const started = r.start_time;
  const finished = r.completing ? null : r.end_time;
  // slurmdbd's window (as_mysql: time_eligible && time_eligible < end && (time_end >= start ||
  // time_end = 0)): a job that never became eligible (cancelled while pending on a dependency, or
  // still waiting on one) is left out.
  if (!states) return Boolean(r.eligible_time) && r.eligible_time <= end && (!finished || finished >= start);
  return states.some((s) => {
    if (s === 'PENDING') return r.submit_time <= end && (!started || started >= start);
    if (s === 'RUNNING') return started && started <= end && (!finished || finished >= start);
    return r.state === s && finished && finished >= start && finished <= end;
  });
}

export function sacctMain(argv) {
  const parsed = parseCommand(argv, SPEC, { prog: 'sacct', usage: 'sacct [<OPTION>]\n' });
  if ('exit' in parsed) return parsed.exit;
  const { o, positionals } = parsed;
  if (o.helpformat) {
    out(Object.keys(FIELDS).join(' ') + '\n');
    return 0;
  }
  if (positionals.length) {
    err(`sacct: error: Unknown arguments: ${positionals.join(' ')}`);
    return 1;
  }
  if (!accountingEnabled()) {
    err('Slurm accounting storage is disabled');
    return 1;
  }
  let fields;
  try {
    fields = parseFields(o.format ?? process.env.SACCT_FORMAT ?? (o.brief ? BRIEF_FIELDS : DEFAULT_FIELDS));
  } catch (e) {
    if (e instanceof FieldError) {
      err(`sacct: error: Invalid field requested: "${e.message}"`);
      return 1;
    }
    throw e;
  }
  const mode = o.parsable2 ? 'parsable2' : o.parsable ? 'parsable' : 'fixed';
  const delim = o.delimiter ?? '|';

  let jobIds = null;
  if (o.jobs !== undefined) {
    jobIds = [];
    for (const tok of list(o.jobs)) {
      const m = /^(\d+)(?:\.(?:batch|extern|\d+))?$/.exec(tok);
      if (!m) {
        err(`sacct: fatal: Bad job/step specified: ${tok}`);
        return 1;
      }
      jobIds.push(Number(m[1]));
    }
  }
  let states = null;
  if (o.state !== undefined) {
    states = [];
    for (const s of list(o.state)) {
      const st = parseStateName(s);
      if (!st) {
        err(`sacct: error: Invalid state: ${s}`);
        return 1;
      }
      states.push(st);
    }
  }
  const now = new Date();
  // Default window: since midnight; 'now' with -s; everything with -j.
  const start = o.starttime !== undefined ? parseDateTime(o.starttime, now) : jobIds ? 0 : states ? Math.floor(now.getTime() / 1000) : parseDateTime('midnight', now);
  const end = o.endtime !== undefined ? parseDateTime(o.endtime, now) : Math.floor(now.getTime() / 1000);
  if (start === null || end === null) {
    err(`sacct: error: Invalid time specification: ${start === null ? o.starttime : o.endtime}`);
    return 1;
  }

  const fault = faultExit('sacct');
  if (fault !== null) return fault;

  let users = null;
  if (o.user !== undefined) users = list(o.user).map(lookupUid);
  else if (!o.allusers && currentUser().uid !== 0) users = [currentUser().uid];
  const names = o.name !== undefined ? list(o.name) : null;
  const parts = o.partition !== undefined ? list(o.partition) : null;

  sweep();
  const nowS = nowSecs();
  const rows = [];
  for (const r of listJobs()) {
    if (jobIds && !jobIds.includes(r.id)) continue;
    if (users && !users.includes(r.uid)) continue;
    if (names && !names.includes(r.name)) continue;
    if (parts && !parts.includes(r.partition)) continue;
    // -j without -S/-E/-s: no time window at all
    if (!(jobIds && o.starttime === undefined && o.endtime === undefined && !states) && !inWindow(r, start, end, states)) continue;
    rows.push({ r, step: null });
    // The batch step exists once the job started (a job cancelled while pending has none).
    if (!o.allocations && r.node && r.start_time) rows.push({ r, step: 'batch' });
  }

  let text = o.noheader ? '' : header(fields, mode, delim);
  for (const row of rows) {
    text += fields.map((f, i) => cell(FIELDS[f.name][1](row, nowS), f.width, mode, i === fields.length - 1, delim)).join('');
    text += '\n';
  }
  out(text);
  return 0;
}

/** `--gres=gpu:a100:2` → `gres/gpu:a100=2`, `gres/gpu=2`; `gpu` alone is one GPU. */
function gpuTres(gres) {
  const m = /^gpu(?::([^:,=]+))?(?::(\d+))?$/.exec(gres ?? '');
  if (!m) return [];
  const [, type, n] = m;
  // `gpu:2` is a count, `gpu:a100` a type
  const count = n ?? (type && /^\d+$/.test(type) ? type : '1');
  const name = type && !/^\d+$/.test(type) ? type : null;
  return [`gres/gpu=${count}`, ...(name ? [`gres/gpu:${name}=${count}`] : [])];
}

function storesComments() {
  return config.accountingStoreFlags.includes('job_comment');
}
