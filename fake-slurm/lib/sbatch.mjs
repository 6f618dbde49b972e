// sbatch: validate the script and options like Slurm 22.05, record the job, hand it to slurmd.
import { chmodSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { config, currentUser, stateDir } from './config.mjs';
import { err, out, OwnProcessNeeded, parseCommand, readStdin } from './cli.mjs';
import { handToSlurmd, sweep } from './controller.mjs';
import { parseDependency } from './deps.mjs';
import { evalFault, maxSubmit } from './faults.mjs';
import { getopt, lastValues, splitDirective, UsageError } from './getopt.mjs';
import { parseSignalSpec } from './signals.mjs';
import { isActive, isTerminal, knownToController } from './states.mjs';
import { createJob, ensureDirs, listJobs, paths, readJob, sleepSync, withLock, writeAtomic, writeJson } from './store.mjs';
import { fmtDate, nowSecs, parseDateTime, parseTimeLimit } from './timefmt.mjs';

const req = (long, short) => ({ long, short, arg: 'required' });
const flag = (long, short) => ({ long, short, arg: 'none' });
const opt = (long, short) => ({ long, short, arg: 'optional' });

/** Every sbatch 22.05 option, so real spellings are accepted and typos are refused as Slurm does. */
export const SBATCH_OPTIONS = [
  req('account', 'A'), req('acctg-freq'), req('array', 'a'), req('batch'), req('bb'), req('bbf'),
  req('begin', 'b'), req('chdir', 'D'), req('cluster-constraint'), req('clusters', 'M'),
  { long: 'cluster', arg: 'required', key: 'clusters' }, req('comment'), req('constraint', 'C'),
  req('container'), flag('contiguous'), req('core-spec', 'S'), req('cores-per-socket'), req('cpu-freq'),
  req('cpus-per-gpu'), req('cpus-per-task', 'c'), req('deadline'), req('delay-boot'),
  req('dependency', 'd'), req('distribution', 'm'), req('error', 'e'), req('exclude', 'x'),
  opt('exclusive'), req('export'), req('export-file'), req('extra-node-info', 'B'), opt('get-user-env'),
  req('gid'), req('gpu-bind'), req('gpu-freq'), req('gpus', 'G'), req('gpus-per-node'),
  req('gpus-per-socket'), req('gpus-per-task'), req('gres'), req('gres-flags'), flag('help', 'h'),
  req('hint'), flag('hold', 'H'), flag('ignore-pbs'), req('input', 'i'), req('job-name', 'J'),
  req('kill-on-invalid-dep'), req('licenses', 'L'), req('mail-type'), req('mail-user'), req('mcs-label'),
  req('mem'), req('mem-bind'), req('mem-per-cpu'), req('mem-per-gpu'), req('mincpus'), req('network'),
  opt('nice'), opt('no-kill', 'k'), flag('no-requeue'), req('nodefile', 'F'), req('nodelist', 'w'),
  req('nodes', 'N'), req('ntasks', 'n'), req('ntasks-per-core'), req('ntasks-per-gpu'),
  req('ntasks-per-node'), req('ntasks-per-socket'), req('open-mode'), req('output', 'o'),
  flag('overcommit', 'O'), flag('oversubscribe', 's'), flag('parsable'), req('partition', 'p'),
  req('power'), req('prefer'), req('priority'), req('profile'), opt('propagate'), req('qos', 'q'),
  flag('quiet', 'Q'), flag('reboot'), flag('requeue'), req('reservation'), req('signal'),
  req('sockets-per-node'), flag('spread-job'), req('switches'), flag('test-only'), req('thread-spec'),
  req('threads-per-core'), req('time', 't'), req('time-min'), req('tmp'), req('tres-per-task'),
  req('uid'), flag('usage'), flag('use-min-nodes'), flag('verbose', 'v'), flag('version', 'V'),
  flag('wait', 'W'), req('wait-all-nodes'), req('wckey'), req('wrap'),
];

/** Input environment variables (they override #SBATCH lines, the command line overrides them). */
const ENV_INPUTS = {
  SBATCH_ACCOUNT: 'account',
  SBATCH_EXPORT: 'export',
  SBATCH_JOB_NAME: 'job-name',
  SBATCH_OPEN_MODE: 'open-mode',
  SBATCH_PARTITION: 'partition',
  SBATCH_QOS: 'qos',
  SBATCH_SIGNAL: 'signal',
  SBATCH_TIMELIMIT: 'time',
};

class SbatchError extends Error {
  constructor(lines) {
    super(lines.join('\n'));
    this.lines = lines;
  }
}
const fail = (...lines) => {
  throw new SbatchError(lines.map((l) => `sbatch: error: ${l}`));
};

/** Options from the "#SBATCH" lines at the top of the script (stops at the first command). */
export function scriptDirectives(body) {
  const args = [];
  for (const line of body.split('\n').slice(1)) {
    const m = /^#SBATCH(\s+(.*))?$/.exec(line);
    if (m) {
      args.push(...splitDirective(m[2] || ''));
      continue;
    }
    const t = line.trim();
    if (t && !t.startsWith('#')) break;
  }
  return getopt(args, SBATCH_OPTIONS, { prog: 'sbatch' }).opts;
}

function readScript(positional, wrap) {
  if (wrap !== undefined) {
    if (positional.length) fail('Script arguments not permitted with --wrap option');
    return { body: `#!/bin/sh\n# This script was created by sbatch --wrap.\n\n${wrap}\n`, path: null, how: 'wrap' };
  }
  let buf;
  const path = positional[0];
  if (path !== undefined) {
    try {
      buf = readFileSync(resolve(path));
    } catch {
      fail(`Unable to open file ${path}`);
    }
  } else {
    try {
      buf = readStdin();
    } catch (e) {
      if (e instanceof OwnProcessNeeded) throw e;
      buf = Buffer.alloc(0);
    }
  }
  const body = buf.toString('utf8');
  if (buf.length === 0) fail('Batch script is empty!');
  if (!body.trim()) fail('Batch script contains only whitespace!');
  if (!body.startsWith('#!')) {
    fail(
      'This does not look like a batch script.  The first',
      'line must start with #! followed by the path to an interpreter.',
      'For instance: #!/bin/sh',
    );
  }
  if (buf.includes(0)) fail('The Slurm controller does not allow scripts that', "contain a NULL character '\\0'.");
  if (body.includes('\r\n')) fail('Batch script contains DOS line breaks (\\r\\n)', 'instead of expected UNIX line breaks (\\n).');
  return { body, path: path === undefined ? null : resolve(path), given: path, how: path === undefined ? 'stdin' : 'file' };
}

/** --export: ALL (default), NONE, or a list of NAME / NAME=value, optionally with ALL. */
function exportedEnv(spec, env) {
  if (spec === undefined || spec === 'ALL') return { ...env };
  const items = String(spec).split(',').filter(Boolean);
  const base = items.some((i) => i.toUpperCase() === 'ALL') ? { ...env } : {};
  for (const item of items) {
    const u = item.toUpperCase();
    if (u === 'ALL' || u === 'NONE' || u === 'NIL') continue;
    const eq = item.indexOf('=');
    if (eq > 0) base[item.slice(0, eq)] = item.slice(eq + 1);
    else if (env[item] !== undefined) base[item] = env[item];
  }
  return base;
}

function validate(o) {
  const v = {};
  const limit = o.time ?? config.defaultTime;
  v.time_limit = parseTimeLimit(limit);
  if (v.time_limit === null) fail('Invalid --time specification');
  if (o['time-min'] !== undefined && parseTimeLimit(o['time-min']) === null) fail('Invalid --time-min specification');
  if (o.signal !== undefined) {
    v.signal = parseSignalSpec(o.signal);
    if (!v.signal) fail('Invalid --signal specification');
  }
  if ('nice' in o) {
    const n = o.nice === undefined ? 100 : Number(o.nice);
    if (!Number.isInteger(n) || Math.abs(n) > 2147483645) fail(`Invalid --nice value: ${o.nice}`);
    v.nice = n;
  }
  if (o['cpus-per-task'] !== undefined) {
    const c = Number(o['cpus-per-task']);
    if (!Number.isInteger(c) || c < 1) fail(`Invalid numeric value "${o['cpus-per-task']}" for --cpus-per-task.`);
    v.cpus = c;
  }
  if (o.mem !== undefined && !/^\d+(\.\d+)?[KMGT]?B?$/i.test(o.mem)) fail('Invalid --mem specification');
  if (o['open-mode'] !== undefined) {
    const m = String(o['open-mode']).toLowerCase();
    if (m.startsWith('a')) v.open_mode = 'append';
    else if (m.startsWith('t')) v.open_mode = 'truncate';
    else fail('Invalid --open-mode specification');
  }
  if (o.begin !== undefined) {
    v.begin = parseDateTime(o.begin);
    if (v.begin === null) {
      err(`Invalid time specification (pos=0): ${o.begin}`); // printed without a prefix, as 22.05 does
      fail('Invalid --begin specification');
    }
  }
  if (o.array !== undefined) fail('fake-slurm does not implement job arrays (--array)');
  return v;
}

function usageText() {
  return 'Usage: sbatch [OPTIONS(0)...] [ : [OPTIONS(N)...]] script(0) [args(0)...]\n';
}

export async function sbatchMain(argv) {
  const parsed = parseCommand(argv, SBATCH_OPTIONS, { prog: 'sbatch', usage: usageText(), stopAtPositional: true });
  if ('exit' in parsed) return parsed.exit;
  const { o: cli, positionals } = parsed;
  try {
    return submit(argv, cli, positionals);
  } catch (e) {
    if (e instanceof SbatchError) {
      err(e.message);
      // 22.05's option checks exit(-1): `Invalid --time specification` etc. exit 255 (sbatch_bad_time)
      return /^sbatch: error: Invalid --[a-z-]+ specification$/m.test(e.message) ? 255 : 1;
    }
    if (e instanceof UsageError) throw e;
    throw e;
  }
}

function submit(argv, cli, positionals) {
  const script = readScript(positionals, cli.wrap);
  // Precedence: #SBATCH lines < SBATCH_* environment < command line.
  const o = lastValues(scriptDirectives(script.body));
  for (const [envName, key] of Object.entries(ENV_INPUTS)) {
    if (process.env[envName] !== undefined) o[key] = process.env[envName];
  }
  Object.assign(o, cli);
  const v = validate(o);
  let dependency = null;
  if (o.dependency !== undefined && String(o.dependency).trim() !== '') {
    try {
      dependency = parseDependency(o.dependency);
    } catch {
      fail('Batch job submission failed: Job dependency problem');
    }
  }

  if (o['test-only']) {
    const next = Math.max(config.firstJobId, ...listJobs().map((r) => r.id + 1));
    err(`sbatch: Job ${next} to start at ${fmtDate(nowSecs())} using ${v.cpus || 1} processors on nodes ${config.nodeName} in partition ${o.partition || config.partition}`);
    return 0;
  }

  // A plain fault hangs and fails before the controller sees the job; an "accepted" one
  // creates the job first, then hangs and fails (the reply is what got lost).
  const fault = evalFault('sbatch');
  if (fault && !fault.accepted) {
    sleepSync(fault.delayMs);
    if (fault.fail) {
      err(fault.message);
      return fault.exitCode;
    }
  }

  ensureDirs();
  sweep();
  const user = currentUser();
  const cwd = process.cwd();
  const workdir = o.chdir !== undefined ? resolve(cwd, o.chdir) : cwd;
  const submitEnv = exportedEnv(o.export, process.env);

  const rec = withLock('submit', () => {
    const all = listJobs();
    const limit = maxSubmit();
    const mine = all.filter((r) => r.uid === user.uid && !r.purged && isActive(r)).length;
    if (mine >= limit) {
      fail('QOSMaxSubmitJobPerUserLimit', 'Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user\'s size and/or time limits)');
    }
    // Real 22.05 accepts a dependency on a job the controller does not know (never existed, or
    // purged after MinJobAge), for every type, and counts it as satisfied: the job runs at once
    // (test/cluster/samples/sbatch_dependency_unknown.txt).
    const unknownDeps = [];
    if (dependency) {
      const byId = new Map(all.map((r) => [r.id, r]));
      for (const p of dependency.parts) {
        if (p.type === 'singleton') continue;
        const target = byId.get(p.id);
        if (!target || !knownToController(target)) unknownDeps.push(p.id);
      }
    }
    const now = nowSecs();
    const reason = dependency ? 'Dependency' : o.hold ? 'JobHeldUser' : v.begin && v.begin > now ? 'BeginTime' : 'None';
    return createJob((id) => {
      const spool = paths.spool(id);
      writeAtomic(spool, script.body);
      chmodSync(spool, 0o700);
      writeJson(paths.env(id), submitEnv);
      const name = o['job-name'] ?? (script.how === 'file' ? basename(script.given) : script.how === 'wrap' ? 'wrap' : 'sbatch');
      return {
        id,
        name,
        user: user.name,
        uid: user.uid,
        gid: user.gid,
        group: user.group,
        script: script.how === 'file' ? script.path : spool,
        spool,
        // sbatch resolves a script name against the cwd but keeps a path that starts with "." as
        // given: `sbatch ./job.sh` shows `./job.sh` in squeue %o and scontrol's Command=.
        command: script.how === 'file' ? (script.given.startsWith('.') ? script.given : script.path) : null,
        script_source: script.how,
        argv: script.how === 'file' ? positionals.slice(1) : [],
        submit_line: ['sbatch', ...argv].join(' '),
        submit_dir: cwd,
        workdir,
        output: o.output ?? null,
        error: o.error ?? null,
        input: o.input ?? null,
        open_mode: v.open_mode ?? 'truncate',
        state: 'PENDING',
        completing: false,
        reason,
        submit_time: now,
        eligible_time: reason === 'None' ? now : null,
        start_time: null,
        end_time: null,
        exit_code: null,
        batch_exit_code: null,
        cancelled_by: null,
        time_limit: v.time_limit === Infinity ? null : v.time_limit,
        time_limit_spec: o.time ?? null,
        dependency: o.dependency ? String(o.dependency) : null,
        ...(unknownDeps.length ? { dependency_unknown: unknownDeps } : {}),
        signal: v.signal ?? null,
        begin_time: v.begin ?? null,
        hold: Boolean(o.hold),
        nice: v.nice ?? 0,
        partition: o.partition ?? config.partition,
        account: o.account ?? null,
        qos: o.qos ?? 'normal',
        comment: o.comment ?? null,
        mem: o.mem ?? null,
        cpus_per_task: v.cpus ?? null,
        gres: o.gres ?? null,
        constraint: o.constraint ?? null,
        mail_type: o['mail-type'] ?? null,
        mail_user: o['mail-user'] ?? null,
        export: o.export ?? null,
        node: null,
        pid: null,
        supervisor_pid: null,
        purged: false,
        created_ms: Date.now(),
        options: o,
        state_dir: stateDir(),
        ...(config.noRun ? { no_run: true } : {}),
      };
    });
  });

  // FAKE_SLURM_NO_RUN=1: the job is only recorded; fake-slurm-admin set-state moves it along.
  if (!rec.no_run) handToSlurmd(rec.id);

  if (fault && fault.accepted) {
    sleepSync(fault.delayMs);
    if (fault.fail) {
      err(fault.message);
      return fault.exitCode;
    }
  }
  if (!o.quiet) {
    if (o.parsable) out(config.parsableCluster ? `${rec.id};${config.clusterName}\n` : `${rec.id}\n`);
    else out(`Submitted batch job ${rec.id}\n`);
  }
  if (o.wait) return waitForJob(rec.id);
  return 0;
}

/** sbatch --wait: block until the job ends, exit with its exit code. */
function waitForJob(id) {
  for (;;) {
    const r = readJob(id);
    if (r && isTerminal(r) && !r.completing) {
      const [code, sig] = String(r.exit_code || '0:0').split(':').map(Number);
      if (r.state === 'COMPLETED') return 0;
      return code || (sig ? 128 + sig : 1);
    }
    if (r && r.state === 'PENDING' && r.reason === 'DependencyNeverSatisfied') {
      err(`sbatch: error: Job ${id} will never run: DependencyNeverSatisfied`);
      return 1;
    }
    sleepSync(200);
  }
}
