// One poll: ONE squeue for every job of the user, at most ONE sacct (split only past the argument
// limit) for the jobs that left the queue, then every change written in one state update.
import { dirname, join, resolve } from 'node:path';
import { evalLabel } from '../domain.js';
import { GPU_METRICS_FILE, readGpuMetrics } from '../experiment/gpu-metrics.js';
import { classifyFailure } from '../failure.js';
import type { AccountingEntry, QueueEntry, QueueLine } from '../slurm/client.js';
import { parseJobState } from '../slurm/states.js';
import { formatTimestamp, humanDuration, parseTimestamp } from '../slurm/time.js';
import type { Attempt, EvalState, State } from '../state/schema.js';
import { isInFlight, SLURM_ACTIVE_STATES, type EvalStatus, type SlurmTerminalState } from '../status.js';
import { pollTimes, writeHeartbeat } from '../state/heartbeat.js';
import { evalKeys } from '../state/keys.js';
import { resubmission, setEval } from '../state/store.js';
import { resultText } from '../report/eval-text.js';
import type { Monitor } from './context.js';
import { judge, type TrackedJob, type Verdict } from './observe.js';
import { findEvalLogs, resolveOutcome, samplesOf } from './outcome.js';
import { evalComment, isMonitorComment } from './tags.js';

export interface StateChange {
  key: string;
  jobId: string | null;
  from: EvalStatus;
  to: EvalStatus;
  completed: string | null;
  elapsed: string | null;
  logPath: string | null;
  notes: string;
}

export interface PollResult {
  changes: StateChange[];
  /** Jobs by `--comment` in this poll's squeue, for reconciling unconfirmed submissions; null when none is open. */
  byComment: Map<string, SeenJob> | null;
  commands: number;
  /** The user's queued or running jobs, all experiments, when squeue was asked (cruijff_kit's max_submit counts them). */
  userJobs: number | null;
}

export interface SeenJob {
  jobId: string;
  submit: string;
}

/** Patch for one eval, applied to the freshest state only if the eval is still as we judged it. */
type Patch = { key: string; jobId: string | null; seen: string; fields: Partial<EvalState>; change?: StateChange };

/** What a poll remembers for the next one (a link's lifetime). */
export interface PollMemory {
  /** Accounting is asked once per process; when SLURM says it is disabled we stop asking. */
  accountingDisabled: boolean;
  /** Queued jobs whose last squeue line changed nothing, by job id (see QuietLine). */
  quiet: Map<string, QuietLine>;
  /** Polls that asked squeue. */
  scans: number;
}

/**
 * A queued job's squeue line that left its eval as it was. The same line for the same eval (evals
 * are replaced on every change, never edited) gives the same verdict: nothing to parse or write.
 */
interface QuietLine {
  /** A slice of the latest answer: every scan moves it to its own, so only one answer is kept alive. */
  text: string;
  ev: EvalState;
  /** Whether it counts toward cruijff_kit's max_submit (countsTowardSubmitCap). */
  counts: boolean;
  /** The scan that last found it quiet; the others are dropped after each scan. */
  scan: number;
}

export function newPollMemory(): PollMemory {
  return { accountingDisabled: false, quiet: new Map(), scans: 0 };
}

/** The evals with a job in flight: keys[i] is evals[i]'s key (two arrays, not 10,000 pairs, each poll). */
type Jobs = { keys: string[]; evals: EvalState[] };

/** A tracked eval settled after SLURM was asked: running, ended and vanished jobs need a look at their inspect logs. */
type Later = { key: string; ev: EvalState; verdict: Verdict };

export async function poll(m: Monitor, memory: PollMemory): Promise<PollResult> {
  const state = (await m.store.current())!;
  const now = m.clock.now();
  const { jobs, unconfirmed } = inFlight(state);
  const late = await lateLogs(m, state, now);
  if (jobs.keys.length === 0 && unconfirmed === 0) {
    await applyPatches(m, late, now);
    return { changes: late.flatMap((p) => (p.change ? [p.change] : [])), byComment: null, commands: 0, userJobs: null };
  }
  // SLURM errors propagate: the caller logs the failed poll and nothing here was changed.
  const seen = await askSlurm(m, memory, jobs, unconfirmed > 0);
  const patches = [...late, ...seen.patches];
  for (const { key, ev, verdict } of seen.later) {
    const patch =
      verdict.kind !== 'active'
        ? await patchFor(m, key, ev, verdict, now)
        : verdict.reason === NEVER_SATISFIED
          ? await neverStarts(m, key, ev, verdict, now)
          : activePatch(key, ev, verdict, '', null, await liveProgress(m, ev));
    if (patch) patches.push(patch);
  }
  await applyPatches(m, patches, now);
  return { changes: patches.flatMap((p) => (p.change ? [p.change] : [])), byComment: seen.byComment, commands: seen.commands, userJobs: seen.userJobs };
}

// The walks over every eval are small functions of their own, not loops inside the async poll: V8
// then optimizes each once and keeps it, instead of recompiling the whole poll when a loop gets hot.

/** The evals with a job in flight, and how many are SUBMITTING without an id (reconciled by the submitter). */
function inFlight(state: State): { jobs: Jobs; unconfirmed: number } {
  const jobs: Jobs = { keys: [], evals: [] };
  let unconfirmed = 0;
  for (const key of evalKeys(state)) {
    const ev = state.evaluations[key]!;
    if (!isInFlight(ev.status)) continue;
    if (ev.job_id) {
      jobs.keys.push(key);
      jobs.evals.push(ev);
    } else unconfirmed++;
  }
  return { jobs, unconfirmed };
}

/**
 * Job id → position in `jobs`. Two evals holding one id (a controller reset reused it) are both
 * judged against its line (`shared`); their comments tell whose it is.
 */
function jobIndex(evals: EvalState[]): { index: Map<string, number>; shared: Map<string, number[]> } {
  const index = new Map<string, number>();
  const shared = new Map<string, number[]>();
  for (let i = 0; i < evals.length; i++) {
    const id = evals[i]!.job_id!;
    const first = index.get(id);
    if (first === undefined) index.set(id, i);
    else shared.set(id, [...(shared.get(id) ?? [first]), i]);
  }
  return { index, shared };
}

/**
 * One squeue and at most one sacct, and every job judged as its squeue line arrives: queued jobs
 * are settled there and then, the others wait for sacct or a log read. At 10,000 jobs SLURM's
 * answer is megabytes; keeping none of it past its line keeps the poll's memory to what changed.
 */
async function askSlurm(m: Monitor, memory: PollMemory, jobs: Jobs, wantComments: boolean) {
  const { keys, evals } = jobs;
  const reading = new QueueReading(m, memory, jobs, wantComments);
  await m.slurm.scanQueue(m.user, (line) => reading.line(line));
  reading.end();
  const { patches, later, unsettled } = reading;

  let commands = 1;
  let accounting: Map<string, AccountingEntry> | null = null;
  if (unsettled.size > 0) {
    commands++;
    const entries = await m.slurm.accounting([...unsettled.keys()].map((i) => evals[i]!.job_id!));
    if (entries === null) {
      memory.accountingDisabled = true;
      m.progress.warn('SLURM accounting is disabled: using squeue -t all and the inspect logs instead of sacct');
      await m.runlog.write('WARNING', 'SLURM accounting storage is disabled', [
        ['Details', 'sacct is unavailable; jobs are followed with squeue -t all and their inspect logs'],
      ]);
    } else accounting = new Map(entries.map((e) => [e.jobId, e]));
  }
  for (const [i, q] of unsettled) {
    const ev = evals[i]!;
    settle(patches, later, keys[i]!, ev, judge(trackedJob(m, keys[i]!, ev), q, accounting?.get(ev.job_id!), reading.lines === 0));
  }
  return { patches, later, byComment: reading.byComment, commands, userJobs: reading.userJobs };
}

/**
 * squeue's answer read against the tracked jobs as its lines arrive: a queued job is settled there
 * and then; the others wait for sacct (`unsettled`) or a log read (`later`). A class rather than
 * closures in askSlurm, so that V8 optimizes its methods once for the link's life.
 */
class QueueReading {
  readonly patches: Patch[] = [];
  readonly later: Later[] = [];
  /** Position in `jobs` → its squeue line, if any: to be asked of sacct. */
  readonly unsettled = new Map<number, QueueEntry | undefined>();
  /** Jobs by `--comment`, when a submission is to be reconciled. */
  readonly byComment: Map<string, SeenJob> | null;
  userJobs = 0;
  lines = 0;
  private readonly index: Map<string, number>;
  private readonly shared: Map<string, number[]>;
  private readonly seen: Uint8Array;
  private readonly scan: number;
  private stillQuiet = 0;

  constructor(
    private readonly m: Monitor,
    private readonly memory: PollMemory,
    private readonly jobs: Jobs,
    wantComments: boolean,
  ) {
    ({ index: this.index, shared: this.shared } = jobIndex(jobs.evals));
    this.seen = new Uint8Array(jobs.evals.length);
    this.byComment = wantComments ? new Map() : null;
    this.scan = ++memory.scans;
  }

  line(line: QueueLine): void {
    this.lines++;
    const i = this.index.get(line.jobId);
    const text = line.text;
    const quiet = this.memory.quiet;
    const before = i === undefined ? undefined : quiet.get(line.jobId);
    // byComment needs every line's fields: rare (a submission to reconcile), so then nothing is skipped.
    if (before && !this.byComment && before.ev === this.jobs.evals[i!] && before.text === text && !this.shared.has(line.jobId)) {
      this.seen[i!] = 1;
      if (before.counts) this.userJobs++;
      before.text = text;
      before.scan = this.scan;
      this.stillQuiet++;
      return;
    }
    const q = line.entry();
    const counts = countsTowardSubmitCap(q);
    if (counts) this.userJobs++;
    this.byComment?.set(q.comment, { jobId: q.jobId, submit: q.submitTime });
    if (i === undefined) return;
    const holders = this.shared.get(q.jobId);
    if (holders) for (const j of holders) this.look(j, q);
    else if (this.look(i, q)) {
      quiet.set(q.jobId, { text, ev: this.jobs.evals[i]!, counts, scan: this.scan });
      this.stillQuiet++;
    }
  }

  /** After the last line: quiet lines not met again are forgotten; jobs squeue did not list are for sacct. */
  end(): void {
    const quiet = this.memory.quiet;
    if (quiet.size > this.stillQuiet) for (const [id, q] of quiet) if (q.scan !== this.scan) quiet.delete(id);
    for (let i = 0; i < this.seen.length; i++) {
      if (this.seen[i] === 1) continue;
      if (!this.memory.accountingDisabled) this.unsettled.set(i, undefined);
      else settle(this.patches, this.later, this.jobs.keys[i]!, this.jobs.evals[i]!, { kind: 'absent' });
    }
  }

  /** Judges position i by its squeue line; true when that left the eval as it was (queued, nothing to write). */
  private look(i: number, q: QueueEntry): boolean {
    this.seen[i] = 1;
    const key = this.jobs.keys[i]!;
    const ev = this.jobs.evals[i]!;
    const verdict = judge(trackedJob(this.m, key, ev), q, undefined);
    // Gone from the queue, someone else's id, or ended: sacct says more (its exit code, its usage).
    if (!this.memory.accountingDisabled && (verdict.kind === 'ended' || verdict.kind === 'absent')) {
      this.unsettled.set(i, q);
      return false;
    }
    return settle(this.patches, this.later, key, ev, verdict);
  }
}

/** One of the user's jobs that cruijff_kit's max_submit caps: queued or running, and not a monitor link. */
export function countsTowardSubmitCap(q: QueueEntry): boolean {
  return !isMonitorComment(q.comment) && parseJobState(q.state).kind === 'active';
}

/**
 * A queued job is written now (no promise, no log read); every other verdict waits for `later`.
 * True when the eval stays as it was.
 */
function settle(patches: Patch[], later: Later[], key: string, ev: EvalState, verdict: Verdict): boolean {
  if (verdict.kind === 'active' && SLURM_ACTIVE_STATES[verdict.state] === 'PENDING' && verdict.reason !== NEVER_SATISFIED) {
    const patch = activePatch(key, ev, verdict, pendingNote(verdict.reason));
    if (!patch) return true;
    patches.push(patch);
  } else later.push({ key, ev, verdict });
  return false;
}

function trackedJob(m: Monitor, key: string, ev: EvalState): TrackedJob {
  return { jobId: ev.job_id ?? '', comment: evalComment(m.experimentId, key), submitted: ev.submitted };
}

/**
 * A job SLURM still runs or queues; `notes` is its pending reason; `samples` the running log's
 * progress; `stuckSince`: see neverStarts.
 */
function activePatch(
  key: string,
  ev: EvalState,
  v: Extract<Verdict, { kind: 'active' }>,
  notes: string,
  stuckSince: string | null = null,
  samples: EvalState['samples'] = null,
): Patch | null {
  const from = ev.status;
  const to = SLURM_ACTIVE_STATES[v.state];
  const elapsed = v.elapsedSeconds !== null && to !== 'PENDING' ? humanDuration(v.elapsedSeconds) : undefined;
  // Most of 10,000 queued jobs, most polls: nothing to write, and nothing allocated to find out. A
  // running job's clock alone is no change (it would rewrite the state every poll): its elapsed time
  // is recorded with its next real change, and `status` shows it live from squeue.
  if (
    from === to &&
    ev.slurm_state === v.state &&
    ev.missing_since === null &&
    ev.stuck_since === stuckSince &&
    ev.notes === notes &&
    ev.samples?.done === samples?.done &&
    ev.samples?.total === samples?.total
  ) {
    return null;
  }
  const fields: Partial<EvalState> = { status: to, slurm_state: v.state, missing_since: null, stuck_since: stuckSince, notes, samples };
  if (elapsed !== undefined) fields.elapsed = elapsed;
  return { key, jobId: ev.job_id, seen: ev.status, fields, change: to !== from ? change(key, ev, from, to, null, fields.elapsed ?? ev.elapsed, null, notes) : undefined };
}

/**
 * A job pending on a dependency that can never be satisfied never starts, and would keep the chain
 * polling for ever: shown at once, then cancelled and FAILED with the reason after --lost-after
 * (time for a person to mend the dependency with scontrol).
 */
async function neverStarts(m: Monitor, key: string, ev: EvalState, v: Extract<Verdict, { kind: 'active' }>, now: Date): Promise<Patch | null> {
  const since = ev.stuck_since ?? formatTimestamp(now);
  const stuckFor = (now.getTime() - (parseTimestamp(since) ?? now).getTime()) / 1000;
  if (stuckFor < m.options.lostAfterS) {
    return activePatch(key, ev, v, `pending: ${NEVER_SATISFIED} since ${since}; cancelled after ${humanDuration(m.options.lostAfterS)}`, since);
  }
  await m.slurm.cancel([ev.job_id!]);
  const notes = `never started: its dependency can never be satisfied (${NEVER_SATISFIED} since ${since}); job ${ev.job_id} cancelled`;
  const completed = formatTimestamp(now);
  const attempt = { job_id: ev.job_id ?? '', status: 'FAILED' as const, submitted: ev.submitted, completed, reason: notes };
  return {
    key,
    jobId: ev.job_id,
    seen: ev.status,
    fields: { status: 'FAILED', slurm_state: 'PENDING', completed, notes, attempts: [...ev.attempts, attempt] },
    change: change(key, ev, ev.status, 'FAILED', completed, ev.elapsed, null, notes),
  };
}

/** A job that ended, vanished, or shows a state we do not know. */
async function patchFor(m: Monitor, key: string, ev: EvalState, v: Exclude<Verdict, { kind: 'active' }>, now: Date): Promise<Patch | null> {
  const from = ev.status;
  const base = { key, jobId: ev.job_id, seen: ev.status };
  switch (v.kind) {
    case 'unknown': {
      m.progress.warn(`${evalLabel(ev)}: SLURM reports an unknown state "${v.state}"; still watching`);
      return { ...base, fields: { slurm_state: v.state, notes: `unknown SLURM state ${v.state}` } };
    }
    case 'ended':
      return ended(m, key, ev, { ...v, end: v.end ?? now }, now);
    case 'absent': {
      // A job no source can tell about (accounting off, purged, a runaway record) is judged by its
      // inspect log when that has finished: the log is the truth.
      const { finished } = await findEvalLogs(m.experimentDir, ev);
      if (finished) return ended(m, key, ev, { state: 'COMPLETED', exitCode: null, start: null, end: now, elapsedSeconds: null, usage: null }, now);
      const since = ev.missing_since ?? formatTimestamp(now);
      const missingFor = (now.getTime() - (parseTimestamp(since) ?? now).getTime()) / 1000;
      if (missingFor >= m.options.lostAfterS) {
        const notes = `job ${ev.job_id} vanished from squeue and sacct at ${since}`;
        return { ...base, fields: { status: 'LOST', completed: formatTimestamp(now), notes, missing_since: since }, change: change(key, ev, from, 'LOST', formatTimestamp(now), ev.elapsed, null, notes) };
      }
      const notes = `not seen in squeue/sacct since ${since}`;
      return { ...base, fields: { status: 'MISSING', missing_since: since, notes }, change: from !== 'MISSING' ? change(key, ev, from, 'MISSING', null, ev.elapsed, null, notes) : undefined };
    }
  }
}

type EndedJob = Omit<Extract<Verdict, { kind: 'ended' }>, 'kind' | 'end'> & { end: Date };

async function ended(m: Monitor, key: string, ev: EvalState, job: EndedJob, now: Date): Promise<Patch | null> {
  const { state: slurmState, end } = job;
  const from = ev.status;
  const outcome = await resolveOutcome(m.experimentDir, ev, slurmState, job.exitCode);
  // NFS and GPFS may list a folder late: a job that ended with no log of its own at all gets about
  // two polls for it to appear before it is judged (the eval stays as it was meanwhile).
  const graceMs = LOG_GRACE_POLLS * m.options.pollIntervalS * 1000;
  if (outcome.logPath === null && (slurmState === 'COMPLETED' || slurmState === 'FAILED') && now.getTime() - end.getTime() < graceMs) return null;
  const completed = formatTimestamp(end);
  const elapsed = job.elapsedSeconds !== null ? humanDuration(job.elapsedSeconds) : ev.elapsed;
  const attempt: Attempt = { job_id: ev.job_id ?? '', status: outcome.status, submitted: ev.submitted, completed, reason: outcome.notes };
  if (job.usage) attempt.usage = job.usage;
  const gpu = ev.slurm_output ? await readGpuMetrics(join(dirname(resolve(m.experimentDir, ev.slurm_output)), GPU_METRICS_FILE), job.start ?? parseTimestamp(ev.submitted ?? ''), end) : null;
  if (gpu) attempt.gpu = gpu;
  // The machine's fault (a node, preemption, the hub or the network), not the eval's: try again.
  const machine = (status: EvalStatus, reason: string) => classifyFailure(status, reason) === 'infrastructure';
  const retries = ev.attempts.filter((a) => machine(a.status, a.reason)).length;
  if (machine(outcome.status, outcome.notes) && retries < m.options.maxRetries) {
    // The node failed, not the eval: submit it again (each attempt stays in the history).
    const notes = `${outcome.status} on job ${ev.job_id}; resubmitting (retry ${retries + 1} of ${m.options.maxRetries})`;
    return {
      key,
      jobId: ev.job_id,
      seen: ev.status,
      fields: { ...resubmission(notes, [...ev.attempts, attempt]), slurm_state: slurmState },
      change: change(key, ev, from, 'NOT_SUBMITTED', completed, elapsed, null, notes),
    };
  }
  const fields: Partial<EvalState> = {
    status: outcome.status,
    slurm_state: slurmState,
    completed,
    elapsed,
    log_path: outcome.logPath ?? ev.log_path,
    notes: outcome.notes,
    missing_since: null,
    samples: outcome.log ? samplesOf(outcome.log) : null,
    attempts: [...ev.attempts, attempt],
    scores: outcome.log?.scores ?? [],
  };
  const shown = resultText({ ...ev, ...fields });
  return { key, jobId: ev.job_id, seen: ev.status, fields, change: change(key, ev, from, outcome.status, completed, elapsed, fields.log_path ?? null, shown) };
}

/**
 * NFS and GPFS may list a log minutes after its job ended, past the grace: an eval FAILED with no
 * log of its own is looked at again while its end is recent (--lost-after) and the monitor still
 * polls, and is COMPLETED when its log now says success. The same job: its attempt is amended.
 */
async function lateLogs(m: Monitor, state: State, now: Date): Promise<Patch[]> {
  const patches: Patch[] = [];
  for (const { key, ended } of awaitingLogs(state, now.getTime() - m.options.lostAfterS * 1000)) {
    const ev = state.evaluations[key]!;
    const outcome = await resolveOutcome(m.experimentDir, ev, ended, null);
    if (outcome.status !== 'COMPLETED') continue;
    const attempts = ev.attempts.map((a) => (a.job_id === ev.job_id ? { ...a, status: outcome.status, reason: outcome.notes } : a));
    const fields: Partial<EvalState> = { status: 'COMPLETED', log_path: outcome.logPath, notes: outcome.notes, samples: samplesOf(outcome.log!), scores: outcome.log!.scores, attempts };
    patches.push({ key, jobId: ev.job_id, seen: ev.status, fields, change: change(key, ev, 'FAILED', 'COMPLETED', ev.completed, ev.elapsed, outcome.logPath, resultText({ ...ev, ...fields })) });
  }
  return patches;
}

/** Evals FAILED for want of a log of their own, whose job ended (COMPLETED or FAILED) since `sinceMs`. */
function awaitingLogs(state: State, sinceMs: number): Array<{ key: string; ended: SlurmTerminalState }> {
  const found: Array<{ key: string; ended: SlurmTerminalState }> = [];
  for (const key of evalKeys(state)) {
    const ev = state.evaluations[key]!;
    const ended = ev.slurm_state;
    if (ev.status !== 'FAILED' || ev.log_path !== null || !ev.job_id || (ended !== 'COMPLETED' && ended !== 'FAILED')) continue;
    const end = parseTimestamp(ev.completed ?? '');
    if (end && end.getTime() >= sinceMs) found.push({ key, ended });
  }
  return found;
}

/** Samples done (of total) from a running inspect log's journal, or null. */
async function liveProgress(m: Monitor, ev: EvalState): Promise<EvalState['samples']> {
  const { running } = await findEvalLogs(m.experimentDir, ev);
  const p = running?.progress;
  return p ? { done: p.done, total: p.total ?? null } : null;
}

const LOG_GRACE_POLLS = 2;
const NEVER_SATISFIED = 'DependencyNeverSatisfied';

// Pending reasons worth showing in the table; the routine ones are noise.
const ROUTINE_REASONS = new Set(['None', 'Priority', 'Resources', '(null)', '']);

function pendingNote(reason: string): string {
  return ROUTINE_REASONS.has(reason) ? '' : `pending: ${reason}`;
}

function change(key: string, ev: EvalState, from: EvalStatus, to: EvalStatus, completed: string | null, elapsed: string | null, logPath: string | null, notes: string): StateChange {
  return { key, jobId: ev.job_id, from, to, completed, elapsed, logPath, notes };
}

/**
 * The poll's changes into eval_jobs.json, only when there are any: at 10,000 evals a rewrite is
 * megabytes. When it polled goes into the heartbeat, every poll (state/heartbeat.ts).
 */
async function applyPatches(m: Monitor, patches: Patch[], now: Date): Promise<void> {
  const stamp = formatTimestamp(now);
  const beat = { last_poll: stamp, last_successful_poll: stamp, next_poll: formatTimestamp(new Date(now.getTime() + m.options.pollIntervalS * 1000)) };
  if (patches.length > 0) {
    await m.store.update((s) => {
      const state = s!;
      for (const p of patches) {
        const ev = state.evaluations[p.key];
        if (!ev || ev.job_id !== p.jobId || ev.status !== p.seen) continue; // `retry` or `stop` changed it meanwhile
        setEval(state, p.key, p.fields);
      }
      return Object.assign(state, beat);
    });
  }
  await writeHeartbeat(m.layout.heartbeat, beat);
}

/** A poll that failed: its time is the last poll's, the last successful one stays. */
export async function recordFailedPoll(m: Monitor, now: Date): Promise<void> {
  const before = await pollTimes(m.layout.heartbeat, (await m.store.current())!);
  await writeHeartbeat(m.layout.heartbeat, { ...before, last_poll: formatTimestamp(now) });
}

