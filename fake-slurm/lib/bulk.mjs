// Jobs that are recorded but never run, for benchmarks: thousands of jobs known to the fake
// without thousands of running scripts and sbatch processes. `fake-slurm-admin create-jobs` makes
// their records in one process; `fake-slurm-admin set-state` moves them through their states, as
// the supervisor would (start/end times, node, exit codes). Jobs submitted with
// FAKE_SLURM_NO_RUN=1 are the same kind of job. Neither command touches a job that really runs.
import { readFileSync, rmSync, chmodSync, closeSync, openSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { config, currentUser, stateDir } from './config.mjs';
import { list, readStdin } from './cli.mjs';
import { ensureDirs, jobIds, paths, updateJob, withLock, writeAtomic, writeJob } from './store.mjs';
import { nowSecs, parseTimeLimit } from './timefmt.mjs';

const ENDED = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY'];
export const SETTABLE_STATES = ['PENDING', 'RUNNING', ...ENDED];

/** Exit codes as the supervisor records them for each ending. */
const DEFAULT_EXIT = { COMPLETED: '0:0', FAILED: '1:0', CANCELLED: '0:15', TIMEOUT: '0:0' };

/**
 * Job specs (a JSON array, or one JSON object per line) → no-run job records, ids counting up as
 * sbatch's would. A spec: { script (required), comment?, name?, workdir?, time?, output?,
 * partition?, submit_time? (epoch seconds) }. Returns the new ids in spec order.
 */
export function createJobs(specs) {
  ensureDirs();
  const user = currentUser();
  const now = nowSecs();
  return withLock('submit', () => {
    const existing = jobIds();
    let next = Math.max(config.firstJobId, existing.length ? existing[existing.length - 1] + 1 : 0);
    const ids = [];
    for (const [i, spec] of specs.entries()) {
      if (!spec || typeof spec.script !== 'string' || !spec.script) throw new Error(`create-jobs: spec ${i + 1} has no "script"`);
      const limit = parseTimeLimit(spec.time ?? config.defaultTime);
      if (limit === null) throw new Error(`create-jobs: spec ${i + 1}: invalid time "${spec.time}"`);
      // Claim the id exclusively, exactly like sbatch: a concurrent sbatch can never share it.
      for (;;) {
        try {
          closeSync(openSync(paths.job(next), 'wx'));
          break;
        } catch (e) {
          if (e.code !== 'EEXIST') throw e;
          next++;
        }
      }
      const id = next++;
      try {
        const script = resolve(spec.script);
        let body = '';
        try {
          body = readFileSync(script, 'utf8');
        } catch {
          body = '#!/bin/sh\n';
        }
        const spool = paths.spool(id);
        writeAtomic(spool, body);
        chmodSync(spool, 0o700);
        const workdir = spec.workdir ? resolve(spec.workdir) : dirname(script);
        const submit = Number.isFinite(spec.submit_time) ? Math.floor(spec.submit_time) : now;
        writeJob({
          id,
          name: spec.name ?? basename(script),
          user: user.name,
          uid: user.uid,
          gid: user.gid,
          group: user.group,
          script,
          spool,
          command: script,
          script_source: 'file',
          argv: [],
          submit_line: `sbatch${spec.comment ? ` --comment=${spec.comment}` : ''} ${script}`,
          submit_dir: workdir,
          workdir,
          output: spec.output ?? null,
          error: null,
          input: null,
          open_mode: 'truncate',
          state: 'PENDING',
          completing: false,
          reason: 'None',
          submit_time: submit,
          eligible_time: submit,
          start_time: null,
          end_time: null,
          exit_code: null,
          batch_exit_code: null,
          cancelled_by: null,
          time_limit: limit === Infinity ? null : limit,
          time_limit_spec: spec.time ?? null,
          dependency: null,
          signal: null,
          begin_time: null,
          hold: false,
          nice: 0,
          partition: spec.partition ?? config.partition,
          account: null,
          qos: 'normal',
          comment: spec.comment ?? null,
          mem: null,
          cpus_per_task: null,
          gres: null,
          constraint: null,
          mail_type: null,
          mail_user: null,
          export: null,
          node: null,
          pid: null,
          supervisor_pid: null,
          purged: false,
          created_ms: Date.now(),
          options: {},
          state_dir: stateDir(),
          no_run: true,
        });
      } catch (e) {
        rmSync(paths.job(id), { force: true });
        throw e;
      }
      ids.push(id);
    }
    return ids;
  });
}

/** "1000 1002-1005,1009" → [1000, 1002, 1003, 1004, 1005, 1009]. */
export function parseIds(tokens) {
  const ids = [];
  for (const tok of tokens.flatMap((t) => list(String(t).replace(/\s+/g, ',')))) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(tok);
    if (!m) throw new Error(`not a job id or range: ${tok}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let id = a; id <= b; id++) ids.push(id);
  }
  return ids;
}

/**
 * Put no-run jobs into `state` now, as the supervisor would have: RUNNING gets a start time and
 * the node; an ending gets an end time (and a start time if it had none) and an exit code
 * (`exitCode`, else COMPLETED 0:0, FAILED 1:0, CANCELLED 0:15, others 0:0); CANCELLED is
 * `CANCELLED by <uid>`. Returns the ids it refused (unknown, or a job that really runs).
 */
export function setStates(ids, state, { exitCode = null, reason = null } = {}) {
  if (!SETTABLE_STATES.includes(state)) throw new Error(`set-state: unknown state ${state} (one of ${SETTABLE_STATES.join(' ')})`);
  const refused = [];
  const now = nowSecs();
  const uid = currentUser().uid;
  for (const id of ids) {
    const r = updateJob(id, (x) => {
      if (!x.no_run) return false;
      x.completing = false;
      x.state = state;
      if (state === 'PENDING') {
        Object.assign(x, { reason: reason ?? 'None', start_time: null, end_time: null, node: null, exit_code: null, batch_exit_code: null, cancelled_by: null });
        return true;
      }
      if (state === 'RUNNING') {
        Object.assign(x, { reason: 'None', start_time: now, end_time: null, node: config.nodeName, exit_code: null, batch_exit_code: null });
        x.eligible_time = x.eligible_time || now;
        return true;
      }
      const code = exitCode ?? DEFAULT_EXIT[state] ?? '0:0';
      const wasPending = !x.start_time;
      x.end_time = now;
      if (!x.start_time && state !== 'CANCELLED') x.start_time = now;
      if (x.start_time) x.node = x.node ?? config.nodeName;
      x.exit_code = state === 'CANCELLED' && wasPending ? '0:0' : code;
      x.batch_exit_code = x.start_time ? x.exit_code : null;
      x.cancelled_by = state === 'CANCELLED' ? uid : null;
      x.reason = reason ?? (state === 'FAILED' ? 'NonZeroExitCode' : state === 'TIMEOUT' ? 'TimeLimit' : state === 'NODE_FAIL' ? 'NodeDown' : 'None');
      return true;
    });
    if (!r || !r.no_run) refused.push(id);
  }
  return refused;
}

/** Ids from a file: whitespace/comma separated, ranges allowed; `-` is stdin. */
export function readIdsFile(file) {
  const text = file === '-' ? readStdin('utf8') : readFileSync(resolve(file), 'utf8');
  return parseIds(text.split(/\s+/).filter(Boolean));
}

/** Specs from a file: a JSON array or JSON lines; `-` is stdin. */
export function readSpecsFile(file) {
  const text = (file === '-' ? readStdin('utf8') : readFileSync(resolve(file), 'utf8')).trim();
  if (!text) return [];
  if (text.startsWith('[')) return JSON.parse(text);
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}
