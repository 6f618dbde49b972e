// One pass of the monitor loop: poll, reconcile unconfirmed submissions, hold what the breaker
// trips, submit what has a slot, and log it all as the workflow does.
import { evalLabel } from '../domain.js';
import { countByStatus, formatCounts } from '../report/final.js';
import type { CruijffJob } from '../report/cruijff-files.js';
import type { LogEntry } from '../report/runlog.js';
import { SlurmCommandError } from '../errors.js';
import type { EvalState } from '../state/schema.js';
import { isTerminal } from '../status.js';
import { holdTripped } from './breaker.js';
import type { Monitor } from './context.js';
import { poll, recordFailedPoll, type PollMemory, type StateChange } from './poll.js';
import { reconcileIntents, submitReady } from './submit.js';

/** One pass; a failed poll is logged and retried at the next interval, and never marks a job finished. */
/** What the log has said already this link: ALL_SUBMITTED, and the counts of the last STATUS_CHECK. */
export interface Announced {
  allSubmitted: boolean;
  counts: string | null;
}

export async function passOrLogFailure(m: Monitor, memory: PollMemory, announced: Announced, stopping: () => boolean): Promise<void> {
  try {
    await pass(m, memory, announced, stopping);
  } catch (e) {
    if (!(e instanceof SlurmCommandError)) throw e;
    m.progress.warn(`poll failed: ${e.message}; retrying in ${m.options.pollIntervalS} s`);
    announced.counts = null; // the next good poll says where things stand
    await recordFailedPoll(m, m.clock.now());
    await m.runlog.write('STATUS_CHECK', 'Polling SLURM', [['Result', `Poll failed: ${e.message}; retrying at the next interval`]]);
  }
}

/** One pass: poll, reconcile unconfirmed submissions, submit what has a slot, log. */
async function pass(m: Monitor, memory: PollMemory, announced: Announced, shouldStop: () => boolean): Promise<void> {
  const polled = await poll(m, memory);
  const afterPoll = (await m.store.current())!;
  await m.runlog.writeAll(polled.changes.map((c) => changeEntry(m, afterPoll.evaluations[c.key]!, c)));
  await m.cruijff?.recordStates(cruijffJobs(polled.changes.map((c) => afterPoll.evaluations[c.key]!)));
  if (polled.byComment) await reconcileIntents(m, polled.byComment, memory.accountingDisabled);
  await holdTripped(m);
  const submitted = await submitReady(m, shouldStop, polled.userJobs);
  const state = (await m.store.current())!;
  const counts = countByStatus(state); // one look at 10,000 evals serves the check and the log line
  const waiting = waitingCount(counts);
  if (waiting > 0) announced.allSubmitted = false;
  if (!announced.allSubmitted && waiting === 0 && (submitted.submitted > 0 || polled.commands > 0)) {
    announced.allSubmitted = true;
    const evals = Object.values(state.evaluations);
    const ids = evals.flatMap((e) => (e.job_id ? [Number(e.job_id)] : []));
    await m.runlog.write('ALL_SUBMITTED', 'Evaluation submission complete', [
      ['Summary', `${ids.length} evaluations submitted (${evals.filter((e) => e.notes.startsWith('sbatch failed')).length} failures)`],
      ['Job IDs', ids.length ? `${Math.min(...ids)}-${Math.max(...ids)}` : '-'],
    ]);
  }
  // A quiet poll (the counts as last said) writes nothing but the heartbeat: at one poll a minute for
  // days, a line each would be the log's bulk and a disk write each time to say nothing new.
  const result = formatCounts(counts);
  if (polled.commands > 0 && result !== announced.counts) {
    announced.counts = result;
    await m.runlog.write('STATUS_CHECK', 'Polling SLURM', [['Command', `squeue -u ${m.user} -t all`], ['Result', result]]);
  }
}

/** The evals with a job, as cruijff_kit's state file lists them. */
export function cruijffJobs(evals: EvalState[]): CruijffJob[] {
  return evals.flatMap((e) => (e.job_id ? [{ cellScript: e.script, jobId: e.job_id, submittedAt: e.submitted, status: e.status }] : []));
}

/** Evals still to be submitted or whose submission is unconfirmed. */
export function waitingCount(counts: Record<string, number>): number {
  return (counts.NOT_SUBMITTED ?? 0) + (counts.SUBMITTING ?? 0);
}

/** The STATE_CHANGE entry of one change (and its progress line). */
function changeEntry(m: Monitor, ev: EvalState, c: StateChange): LogEntry {
  m.progress.info(`${evalLabel(ev)}: ${c.from} → ${c.to}${c.notes ? ` (${c.notes})` : ''}`);
  const fields: Array<[string, string]> = [['Previous', c.from], ['Current', c.to], ['Job ID', c.jobId ?? '-']];
  if (c.completed && isTerminal(c.to)) fields.push(['Completed', c.completed]);
  if (c.elapsed && isTerminal(c.to)) fields.push(['Elapsed', c.elapsed]);
  if (c.notes) fields.push(['Notes', c.notes]);
  fields.push(['Action', 'Updated experiment_summary.md']);
  if (c.logPath) fields.push(['Result log', c.logPath]);
  return { action: 'STATE_CHANGE', description: evalLabel(ev), fields };
}
