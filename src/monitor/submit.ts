// Exactly-once submission: the intent is written under the lock before sbatch, the job carries a
// `--comment` tag, and an intent without a job id is reconciled with squeue/sacct before any
// second sbatch. Submissions go in batches so 10,000 evals do not mean 20,000 state writes.
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { evalLabel } from '../domain.js';
import { windowFromEnv } from '../env-seconds.js';
import type { LogEntry } from '../report/runlog.js';
import { pathExists } from '../experiment/layout.js';
import { expandOutputPattern, readEvalScript } from '../experiment/script.js';
import type { CruijffSubmission } from '../report/cruijff-files.js';
import type { SubmitOutcome } from '../slurm/client.js';
import { formatTimestamp, parseTimestamp } from '../slurm/time.js';
import type { EvalState, State } from '../state/schema.js';
import { evalKeys } from '../state/keys.js';
import { setEval } from '../state/store.js';
import { isInFlight } from '../status.js';
import type { Monitor } from './context.js';
import { countsTowardSubmitCap, type SeenJob } from './poll.js';
import { evalComment } from './tags.js';

const BATCH_SIZE = 50;
/**
 * An sbatch that timed out, or one still running when its monitor was killed, may show up in squeue
 * a little later: wait this long before resubmitting. 30 s, or RUN_INSPECT_RECONCILE_AFTER_S (at
 * least 2 s; the SIGKILL tests use it so their last run need not wait out the kills' intents).
 */
const RECONCILE_AFTER_MS = windowFromEnv('RUN_INSPECT_RECONCILE_AFTER_S', 30);

export interface SubmitReport {
  submitted: number;
  failed: number;
  qosLimited: boolean;
}

/**
 * Submits what has a slot. `userJobs`: the user's queued or running jobs, all experiments, when this
 * pass's squeue counted them (for cruijff_kit's max_submit); counted here when needed and unknown.
 */
export async function submitReady(m: Monitor, shouldStop: () => boolean, userJobs: number | null = null): Promise<SubmitReport> {
  const report: SubmitReport = { submitted: 0, failed: 0, qosLimited: false };
  if (Number.isFinite(m.options.maxUserJobs) && userJobs === null) userJobs = (await m.slurm.queue(m.user)).filter(countsTowardSubmitCap).length;
  for (;;) {
    if (shouldStop() || report.qosLimited) return report;
    const state = (await m.store.current())!;
    const { inFlight, ready } = submissionSlots(state);
    const userRoom = m.options.maxUserJobs - (userJobs ?? 0) - report.submitted;
    const batch = ready.slice(0, Math.max(0, Math.min(m.options.maxInFlight - inFlight, userRoom, BATCH_SIZE)));
    if (batch.length === 0) return report;

    const intent = formatTimestamp(m.clock.now());
    await m.store.update((s) => {
      for (const key of batch) setEval(s!, key, { status: 'SUBMITTING', submit_intent: intent });
      return s!;
    });

    const results = new Map<string, Submission>();
    for (const key of batch) {
      if (shouldStop() || report.qosLimited) break; // the rest go back to NOT_SUBMITTED
      if (results.size > 0 && m.options.staggerS > 0) await m.clock.sleep(m.options.staggerS * 1000);
      const submission = await sbatchEval(m, key, state.evaluations[key]!);
      results.set(key, submission);
      if (!submission.outcome.ok && submission.outcome.kind === 'qos') report.qosLimited = true;
    }
    await recordResults(m, batch, results, report);
  }
}

/** How many evals are in flight, and the keys of those to submit (a walk of its own: see monitor/poll.ts). */
function submissionSlots(state: State): { inFlight: number; ready: string[] } {
  let inFlight = 0;
  const ready: string[] = [];
  for (const key of evalKeys(state)) {
    const status = state.evaluations[key]!.status;
    if (isInFlight(status)) inFlight++;
    else if (status === 'NOT_SUBMITTED') ready.push(key);
  }
  return { inFlight, ready };
}

interface Submission {
  outcome: SubmitOutcome;
  at: Date;
  /** Where SLURM writes the job's output (relative to the experiment when inside it). */
  output: string | null;
  /** Output folders that did not exist and were made before sbatch. */
  madeDirs: string[];
  /** Why the eval was never given to sbatch (its output folder cannot be made), else null. */
  notSubmitted: string | null;
}

async function sbatchEval(m: Monitor, key: string, ev: EvalState): Promise<Submission> {
  const script = join(m.experimentDir, ev.script);
  const submitDir = dirname(script);
  const job = await outputPatterns(m, script);
  // SLURM cannot open an output file in a missing folder and fails the job at once (today's
  // control cells point at {run}/artifacts/, which nothing creates).
  const madeDirs: string[] = [];
  const workDir = job.chdir ? resolve(submitDir, job.chdir) : submitDir; // relative output paths start here
  for (const pattern of [job.output, job.error]) {
    const dir = pattern && outputFolder(pattern, workDir);
    if (dir && !(await pathExists(dir))) {
      const shown = relative(m.experimentDir, dir) || '.';
      try {
        await mkdir(dir, { recursive: true });
      } catch (e) {
        // The job would fail at once with nothing to read: fail the eval now, before any GPU time.
        const notSubmitted = `not submitted: the job's output folder ${shown} cannot be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
        return { outcome: { ok: false, kind: 'rejected', message: notSubmitted }, at: m.clock.now(), output: null, madeDirs, notSubmitted };
      }
      madeDirs.push(shown);
    }
  }
  // Submitted when asked: sbatch can answer after the job started (a busy controller, an idle
  // partition), and a log created before a later `submitted` would be taken for an older attempt's.
  const at = m.clock.now();
  const outcome = await m.slurm.submit({ script, cwd: submitDir, options: [`--comment=${evalComment(m.experimentId, key)}`] });
  if (!outcome.ok) return { outcome, at, output: null, madeDirs, notSubmitted: null };
  const path = expandOutputPattern(job.output ?? 'slurm-%j.out', { jobId: outcome.jobId, jobName: job.jobName, user: m.user, submitDir, chdir: job.chdir });
  const rel = relative(m.experimentDir, path);
  return { outcome, at, output: rel.startsWith('..') ? path : rel, madeDirs, notSubmitted: null };
}

/** The script's `#SBATCH --output/--error/--job-name` (sbatch's default job name is the script's file name). */
async function outputPatterns(m: Monitor, script: string): Promise<{ output: string | null; error: string | null; jobName: string; chdir: string | null }> {
  try {
    const { sbatch } = readEvalScript(await readFile(script, 'utf8'), m.env, dirname(script));
    return { output: sbatch.output, error: sbatch.error, jobName: sbatch.jobName ?? basename(script), chdir: sbatch.chdir };
  } catch {
    // The script was readable at discovery; if not now, sbatch will say so.
    return { output: null, error: null, jobName: basename(script), chdir: null };
  }
}

/** The folder of an output pattern, when it does not depend on the job (no `%` before the file name). */
function outputFolder(pattern: string, workDir: string): string | null {
  const folder = dirname(pattern);
  if (folder === '.' || folder.includes('%')) return null;
  return resolve(workDir, folder);
}

async function recordResults(
  m: Monitor,
  batch: string[],
  results: Map<string, Submission>,
  report: SubmitReport,
): Promise<void> {
  const state = await m.store.update((s) => {
    for (const key of batch) {
      const ev = s!.evaluations[key]!;
      if (ev.status !== 'SUBMITTING') continue;
      const r = results.get(key);
      if (!r) {
        setEval(s!, key, { status: 'NOT_SUBMITTED', submit_intent: null }); // never reached sbatch
        continue;
      }
      const at = formatTimestamp(r.at);
      const o = r.outcome;
      if (o.ok) setEval(s!, key, { status: 'PENDING', job_id: o.jobId, submitted: at, submit_intent: null, slurm_output: r.output, notes: '' });
      else if (o.kind === 'qos') setEval(s!, key, { status: 'NOT_SUBMITTED', submit_intent: null, notes: 'waiting: QOS submit limit' });
      // Maybe accepted: keep the intent; the next poll looks for the job by its comment first.
      else if (o.kind === 'transient') setEval(s!, key, { notes: `sbatch uncertain: ${o.message}` });
      else setEval(s!, key, { status: 'FAILED', submit_intent: null, completed: at, notes: r.notSubmitted ?? `sbatch failed: ${o.message}` });
    }
    return s!;
  });
  const entries: LogEntry[] = [];
  const cruijff: CruijffSubmission[] = [];
  for (const key of batch) {
    const r = results.get(key);
    if (!r) continue;
    const ev = state.evaluations[key]!;
    const command = `cd ${relative(m.experimentDir, dirname(join(m.experimentDir, ev.script)))} && sbatch ${ev.script.split('/').pop()}`;
    const o = r.outcome;
    for (const dir of r.madeDirs) {
      entries.push({ action: 'CREATE_OUTPUT_DIR', description: evalLabel(ev), fields: [['Details', `the job's output folder ${dir} did not exist (SLURM would fail the job at once)`], ['Result', 'created']] });
    }
    if (o.ok) {
      report.submitted++;
      m.progress.info(`submitted ${evalLabel(ev)}: job ${o.jobId}`);
      // The cells layout's log is cruijff_kit's too: its SUBMIT_EVAL blocks, in its shape, come from m.cruijff.
      if (m.cruijff) cruijff.push({ cellScript: ev.script, submittedAt: r.at, jobId: o.jobId });
      else entries.push({ action: 'SUBMIT_EVAL', description: evalLabel(ev), fields: [['Command', command], ['Result', `Job ID ${o.jobId} submitted at ${formatTimestamp(r.at)}`]] });
    } else if (o.kind === 'qos') {
      m.progress.warn(`QOS submit limit reached at ${evalLabel(ev)}; the rest are submitted as jobs end`);
      entries.push({ action: 'SUBMIT_DEFERRED', description: evalLabel(ev), fields: [['Command', command], ['Result', `QOS submit limit: ${o.message}; retrying on a later poll`]] });
    } else {
      if (o.kind === 'rejected') report.failed++;
      m.progress.error(r.notSubmitted ? `${evalLabel(ev)}: ${r.notSubmitted}` : `sbatch ${o.kind === 'transient' ? 'uncertain' : 'failed'} for ${evalLabel(ev)}: ${o.message}`);
      const result = o.kind === 'transient' ? `Uncertain (${o.message}); checking squeue before any resubmission` : `Failed: ${o.message}`;
      if (m.cruijff && o.kind === 'rejected') cruijff.push({ cellScript: ev.script, submittedAt: r.at, jobId: null, error: o.message });
      else entries.push({ action: 'SUBMIT_FAILED', description: evalLabel(ev), fields: [['Command', command], ['Result', result]] });
    }
  }
  await m.runlog.writeAll(entries);
  await m.cruijff?.recordSubmissions(cruijff);
}

/**
 * Evals left SUBMITTING (killed between recording the intent and the job id, or sbatch timed out):
 * find their job by comment in this poll's squeue, else in sacct; only when SLURM has no such job
 * are they put back to be submitted.
 */
export async function reconcileIntents(m: Monitor, seen: ReadonlyMap<string, SeenJob>, accountingDisabled: boolean): Promise<void> {
  const state = (await m.store.current())!;
  const now = m.clock.now();
  const open: Array<[string, EvalState]> = [];
  for (const key in state.evaluations) {
    const ev = state.evaluations[key]!;
    if (ev.status === 'SUBMITTING' && !ev.job_id) open.push([key, ev]);
  }
  if (open.length === 0) return;
  const byComment = new Map(seen);
  // The age either way: an intent stamped ahead by a link on a node whose clock runs fast is old, not frozen.
  const settled = open.filter(([, e]) => Math.abs(now.getTime() - (parseTimestamp(e.submit_intent ?? '') ?? now).getTime()) >= RECONCILE_AFTER_MS);
  const unseen = settled.filter(([key]) => !byComment.has(evalComment(m.experimentId, key)));
  if (unseen.length > 0 && !accountingDisabled) {
    const earliest = Math.min(...unseen.map(([, e]) => (parseTimestamp(e.submit_intent ?? '') ?? now).getTime()));
    const entries = await m.slurm.accountingSince(m.user, new Date(earliest - 60_000));
    for (const a of entries ?? []) if (a.comment) byComment.set(a.comment, { jobId: a.jobId, submit: a.submitTime });
  }
  const found: Array<[string, string]> = [];
  const lost: string[] = [];
  for (const [key] of open) {
    const hit = byComment.get(evalComment(m.experimentId, key));
    if (hit) found.push([key, hit.jobId]);
    else if (settled.some(([k]) => k === key)) lost.push(key);
  }
  if (found.length === 0 && lost.length === 0) return;
  await m.store.update((s) => {
    for (const [key, jobId] of found) setEval(s!, key, { status: 'PENDING', job_id: jobId, submitted: s!.evaluations[key]!.submit_intent, submit_intent: null, notes: '' });
    for (const key of lost) setEval(s!, key, { status: 'NOT_SUBMITTED', submit_intent: null });
    return s!;
  });
  await m.cruijff?.recordSubmissions(found.map(([key, jobId]) => ({ cellScript: state.evaluations[key]!.script, submittedAt: parseTimestamp(state.evaluations[key]!.submit_intent ?? '') ?? now, jobId })));
  for (const [key, jobId] of found) {
    await m.runlog.write('RECONCILE', evalLabel(state.evaluations[key]!), [['Details', 'submission without a recorded job id found in SLURM by its comment'], ['Result', `Job ID ${jobId}`]]);
  }
  for (const key of lost) {
    await m.runlog.write('RECONCILE', evalLabel(state.evaluations[key]!), [['Details', 'SLURM has no job for an unconfirmed submission'], ['Result', 'will be submitted again']]);
  }
}

