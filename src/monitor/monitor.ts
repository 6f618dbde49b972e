// `run`: discover → verify fine-tuning → verify checkpoints → plan → submit → poll until every eval
// has ended (or this link's walltime is near) → final summary.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { evalLabel, type EvalSpec, type UnscriptedEval } from '../domain.js';
import { isTerminal } from '../status.js';
import { checkModel } from '../experiment/checkpoints.js';
import type { Design } from '../experiment/design.js';
import { passingFileFault, SlurmUnavailableError, UserError } from '../errors.js';
import { allSucceeded, countByStatus, countsLine, finalSummary, formatCounts } from '../report/final.js';
import { resultRows, resultsSection } from '../report/results.js';
import type { LogEntry } from '../report/runlog.js';
import { ensureGeneratedSummary, isGenerated, SummaryTableSync } from '../report/summary-file.js';
import { upsertSection } from '../report/summary-table.js';
import type { CruijffJob } from '../report/cruijff-files.js';
import { SlurmCommandError } from '../slurm/exec.js';
import { formatTimestamp, humanDuration } from '../slurm/time.js';
import { pollTimes, writeHeartbeat } from '../state/heartbeat.js';
import { acquireMonitorLock } from '../state/lock.js';
import { evalKeys } from '../state/keys.js';
import type { EvalState, State } from '../state/schema.js';
import { readState } from '../state/store.js';
import { chainName, linkDeadline, otherLinks, submitLink } from './chain.js';
import { holdTripped } from './breaker.js';
import type { Monitor } from './context.js';
import { notify } from './notify.js';
import { activeFinetuneJobs } from './finetune.js';
import { LiveKnobs } from './knobs.js';
import { checkEvals, loadExperiment, mergeDiscovered } from './prepare.js';
import { poll, recordFailedPoll, type PollMemory, type StateChange } from './poll.js';
import { reconcileIntents, submitReady } from './submit.js';
import { writeOwnFile } from '../state/own-file.js';

export const EXIT = { allSucceeded: 0, someFailed: 1, badInput: 2, slurmUnavailable: 3, inFlight: 4 } as const;

/** How a successor link is started: the same node, bundle and run arguments as this process. */
export interface Relaunch {
  node: string;
  bundle: string;
  runArgs: string[];
}

export async function runMonitor(m: Monitor, relaunch: Relaunch, out: (text: string) => void): Promise<number> {
  const { design, evals, unscripted } = await loadExperiment(m);
  if (m.options.dryRun) {
    out(await planText(m, design, evals, unscripted));
    return EXIT.allSucceeded;
  }

  const lock = await acquireMonitorLock(m.layout.monitorLock, m.options.waitLockS * 1000);
  if (!lock) {
    const holder = (await readState(m.layout.state).catch(() => null))?.monitor.holder ?? 'holder unknown';
    throw new UserError(`${m.layout.monitorLock}: another run-inspect is monitoring this experiment (${holder}); nothing was done`);
  }
  const selfJob = m.job.jobId;
  try {
    let migrated: { from: string; evals: number; jobs: number } | null = null;
    const state = await m.store.update((cur) => {
      if (cur?.migrated_from) {
        const read = Object.values(cur.evaluations);
        migrated = { from: cur.migrated_from, evals: read.length, jobs: read.filter((e) => e.job_id).length };
      }
      const s = mergeDiscovered(m, cur, design, evals, unscripted);
      s.migrated_from = null;
      s.monitor.holder = `pid ${process.pid} on ${hostname()}${selfJob ? `, SLURM job ${selfJob}` : ''}`;
      s.monitor.stopped = null;
      if (m.options.chain && selfJob && !s.monitor.links.some((l) => l.job_id === selfJob)) {
        s.monitor.chain_name = m.job.jobName ?? s.monitor.chain_name;
        s.monitor.links.push({ job_id: selfJob, started: formatTimestamp(m.clock.now()), ended: null, end_reason: null });
      }
      return s;
    });
    await m.runlog.write('DISCOVER_EXPERIMENT', 'Found experiment', [
      ['Details', m.layout.design],
      ['Result', `Experiment "${design.title}" has ${design.runs.length} runs and ${evals.length} evaluation scripts${unscripted.length ? ` (${unscripted.length} planned evals have no script)` : ''}`],
    ]);
    if (migrated) {
      const { from, evals: read, jobs } = migrated as { from: string; evals: number; jobs: number };
      await m.runlog.write('MIGRATE_STATE', `Read ${from}`, [
        ['Details', `${read} evaluations, ${jobs} with a job id, kept as they were`],
        ['Result', 'eval_jobs.json is in run-inspect\'s schema from now on'],
      ]);
    }
    if (m.options.chain && selfJob) {
      await m.runlog.write('LINK_START', `Monitor link ${state.monitor.links.length} started`, [['Job ID', selfJob]]);
    }
    return await monitorLoop(m, relaunch, design, evals, out, () => lock.compromised);
  } catch (e) {
    // SLURM signals the whole process group: a command running then dies of the same signal that
    // asks this link to stop. That is a stop, not SLURM missing: hand off with the state saved.
    if (m.stop.requested && (e instanceof SlurmCommandError || e instanceof SlurmUnavailableError)) {
      const successor = (await m.store.current())?.monitor.successor_job_id ?? null;
      return await handOff(m, `signal ${m.stop.requested} (${e.message})`, successor, null);
    }
    throw e;
  } finally {
    await m.store.update((s) => ({ ...s!, monitor: { ...s!.monitor, holder: null } })).catch(() => undefined);
    await lock.release();
  }
}

async function monitorLoop(
  m: Monitor,
  relaunch: Relaunch,
  design: Design,
  evals: EvalSpec[],
  out: (text: string) => void,
  lockLost: () => boolean,
): Promise<number> {
  let state = (await m.store.current())!;
  if (everyEvalEnded(state)) return finish(m, state, design, out);
  // cruijff_kit's files are rebuilt from the state at every link (one may have been set aside).
  await m.cruijff?.recordStates(cruijffJobs(Object.values(state.evaluations)));
  if (await detachRequested(m)) return detach(m);

  let successor = await ensureSuccessor(m, relaunch, state);
  const deadline = m.options.chain ? await linkDeadline(m) : null;
  /** Why to stop now, or in `lookaheadS` seconds (the next poll), if anything says so. */
  const stopReason = (lookaheadS = 0): string | null => {
    if (m.stop.requested) return `signal ${m.stop.requested}`;
    if (lockLost()) return 'monitor lock lost';
    const margin = (lookaheadS + m.options.safetyMarginS) * 1000;
    if (deadline && m.clock.now().getTime() + margin >= deadline.getTime()) return 'walltime ending';
    return null;
  };
  const pause = (reason: string) => handOff(m, reason, successor, deadline);

  if (Object.values(state.evaluations).some((e) => e.status === 'NOT_SUBMITTED')) {
    const ready = await waitForFinetune(m, design, stopReason);
    if (ready !== 'ready') return pause(ready);
    await verifyCheckpoints(m, evals);
  }

  const memory: PollMemory = { accountingDisabled: false };
  if (m.layout.summaryGenerated && (await ensureGeneratedSummary(m.layout.summary, design, (await m.store.current())!))) {
    m.progress.info(`wrote ${m.layout.summary} (generated from the design; progress is kept there)`);
  }
  const syncSummary = summaryView(m);
  await syncSummary((await m.store.current())!); // the table is true from the link's start
  // ALL_SUBMITTED once per experiment, not once per link: a link that starts with nothing left to
  // submit stays quiet (an earlier link said it); evals put back by `retry` get their own.
  const announced = { allSubmitted: waitingCount(countByStatus((await m.store.current())!)) === 0 };
  const knobs = new LiveKnobs(m);
  for (;;) {
    await knobs.refresh();
    if (await detachRequested(m)) return detach(m);
    try {
      await passOrLogFailure(m, memory, announced, () => stopReason() !== null);
      state = (await m.store.current())!;
      await syncSummary(state);
    } catch (e) {
      // Disk full or over quota (common on /scratch): nothing is written until someone makes room,
      // then the next pass goes on. eval_jobs.json is written whole or not at all.
      const fault = passingFileFault(e);
      if (!fault) throw e;
      m.progress.warn(`${fault}; still polling, retrying in ${m.options.pollIntervalS} s`);
      state = (await m.store.current())!;
    }
    if (everyEvalEnded(state)) return finish(m, state, design, out);
    if (m.options.once) return pause('--once');
    const reason = stopReason(m.options.pollIntervalS);
    if (reason) return pause(reason);
    successor ??= await ensureSuccessor(m, relaunch, state);
    await m.clock.sleep(m.options.pollIntervalS * 1000);
    // A signal (scancel, walltime) wakes the sleep: leave without another poll.
    const woken = stopReason();
    if (woken) return pause(woken);
  }
}

/** The monitor let go: no poll is due any more. */
async function noNextPoll(m: Monitor, state: State): Promise<void> {
  await writeHeartbeat(m.layout.heartbeat, { ...(await pollTimes(m.layout.heartbeat, state)), next_poll: null });
}

/** One pass; a failed poll is logged and retried at the next interval, and never marks a job finished. */
async function passOrLogFailure(m: Monitor, memory: PollMemory, announced: { allSubmitted: boolean }, stopping: () => boolean): Promise<void> {
  try {
    await pass(m, memory, announced, stopping);
  } catch (e) {
    if (!(e instanceof SlurmCommandError)) throw e;
    m.progress.warn(`poll failed: ${e.message}; retrying in ${m.options.pollIntervalS} s`);
    await recordFailedPoll(m, m.clock.now());
    await m.runlog.write('STATUS_CHECK', 'Polling SLURM', [['Result', `Poll failed: ${e.message}; retrying at the next interval`]]);
  }
}

/** Checkpoints and already-finished logs of the evals not yet submitted, logged as the workflow does. */
async function verifyCheckpoints(m: Monitor, evals: EvalSpec[]): Promise<void> {
  const report = await checkEvals(m, evals);
  await m.runlog.write('VERIFY_CHECKPOINTS', 'Checking model checkpoints', [
    ['Details', `Verified ${report.checked} checkpoint directories`],
    ['Result', report.skipped.length === 0 ? `All ${report.checked} checkpoints exist` : `${report.skipped.length} missing; their evaluations are SKIPPED: ${report.skipped.join('; ')}`],
  ]);
  for (const s of report.skipped) m.progress.warn(`skipped ${s}`);
  const toSubmit = Object.values((await m.store.current())!.evaluations).filter((e) => e.status === 'NOT_SUBMITTED').length;
  await m.runlog.write('IDENTIFY_EVALS', 'Scanning for evaluation scripts', [
    ['Details', `Found ${evals.length} evaluation scripts in */eval/ directories${outsideDesign(evals)}`],
    ['Result', `${toSubmit} evaluations ready to submit (${report.alreadyDone.length} already completed, ${report.skipped.length} skipped)`],
  ]);
}

function outsideDesign(evals: EvalSpec[]): string {
  const outside = evals.filter((e) => !e.inDesign).map(evalLabel);
  return outside.length ? `; not planned in the design, run anyway: ${outside.join(', ')}` : '';
}

/** One pass: poll, reconcile unconfirmed submissions, submit what has a slot, log. */
async function pass(m: Monitor, memory: PollMemory, announced: { allSubmitted: boolean }, shouldStop: () => boolean): Promise<void> {
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
  if (polled.commands > 0) {
    await m.runlog.write('STATUS_CHECK', 'Polling SLURM', [['Command', `squeue -u ${m.user} -t all`], ['Result', formatCounts(counts)]]);
  }
}

/** The evals with a job, as cruijff_kit's state file lists them. */
function cruijffJobs(evals: EvalState[]): CruijffJob[] {
  return evals.flatMap((e) => (e.job_id ? [{ cellScript: e.script, jobId: e.job_id, submittedAt: e.submitted, status: e.status }] : []));
}

async function detachRequested(m: Monitor): Promise<boolean> {
  return m.cruijff !== null && (await m.cruijff.detachRequested());
}

/**
 * `logs/.detach` (cruijff_kit's sentinel): let go cleanly. The evals keep running; no successor
 * link is left queued; `run-inspect launch` resumes (and removes the sentinel).
 */
async function detach(m: Monitor): Promise<number> {
  const self = m.job.jobId;
  const now = m.clock.now();
  let cancelled: string[] = [];
  if (m.options.chain) {
    try {
      cancelled = (await otherLinks(m.slurm, m.user, m.experimentId, self)).filter((q) => q.state === 'PENDING').map((q) => q.jobId);
      await m.slurm.cancel(cancelled);
    } catch (e) {
      if (!(e instanceof SlurmCommandError)) throw e;
      m.progress.warn(`could not cancel the queued monitor job (${e.message}); it will start, see logs/.detach and let go too`);
    }
  }
  const state = await m.store.update((s) => {
    s!.monitor.stopped = formatTimestamp(now);
    s!.monitor.successor_job_id = null;
    s!.next_poll = null;
    const link = s!.monitor.links.find((l) => l.job_id === self && l.ended === null);
    if (link) Object.assign(link, { ended: formatTimestamp(now), end_reason: 'detached (logs/.detach)' });
    return s!;
  });
  await noNextPoll(m, state);
  await m.cruijff!.recordDetached('sentinel', now);
  m.progress.info(`logs/.detach: monitoring paused, evaluations keep running (${countsLine(state)})${cancelled.length ? `; cancelled queued monitor job ${cancelled.join(', ')}` : ''}; \`run-inspect launch\` resumes`);
  return EXIT.inFlight;
}

/** Evals still to be submitted or whose submission is unconfirmed. */
function waitingCount(counts: Record<string, number>): number {
  return (counts.NOT_SUBMITTED ?? 0) + (counts.SUBMITTING ?? 0);
}

function everyEvalEnded(state: State): boolean {
  for (const key of evalKeys(state)) if (!isTerminal(state.evaluations[key]!.status)) return false;
  return true;
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

type FinetuneWait = 'ready' | string;

async function waitForFinetune(m: Monitor, design: Design, stopReason: () => string | null): Promise<FinetuneWait> {
  const known = design.finetuneJobs.flatMap((j) => (j.jobId ? [j.jobId] : []));
  const own = m.job.jobId ? [m.job.jobId] : [];
  const command = `squeue -u ${m.user} (fine-tuning jobs by id and script path)`;
  const say = (result: string) => m.runlog.write('VERIFY_FINETUNING', 'Checking if fine-tuning complete', [['Command', command], ['Result', result]]);
  let told = false;
  for (;;) {
    const jobs = await activeFinetuneJobs(m.slurm, m.user, m.experimentDir, known, own).catch((e: unknown) => {
      if (e instanceof SlurmCommandError) return e;
      throw e;
    });
    if (jobs instanceof SlurmCommandError) {
      m.progress.warn(`fine-tuning check failed: ${jobs.message}; retrying in ${m.options.pollIntervalS} s`);
      await say(`Check failed: ${jobs.message}; retrying at the next interval`);
    } else if (jobs.length === 0) {
      await say('No fine-tuning jobs running - training complete');
      return 'ready';
    } else {
      const list = jobs.map((j) => `${j.jobId} (${j.state})`).join(', ');
      if (m.options.finetune === 'proceed') {
        await say(`${jobs.length} fine-tuning jobs still running: ${list}; proceeding as asked (--finetune proceed)`);
        return 'ready';
      }
      if (!told) {
        told = true;
        m.progress.info(`waiting for ${jobs.length} fine-tuning jobs: ${list}`);
        await say(`${jobs.length} fine-tuning jobs still running: ${list}; waiting`);
      }
    }
    if (m.options.once) return '--once';
    const reason = stopReason();
    if (reason) return reason;
    await m.clock.sleep(m.options.pollIntervalS * 1000);
  }
}

async function ensureSuccessor(m: Monitor, relaunch: Relaunch, state: State): Promise<string | null> {
  const self = m.job.jobId;
  if (!m.options.chain || !self) return null;
  try {
    const queued = await otherLinks(m.slurm, m.user, m.experimentId, self);
    if (queued.length > 0) return queued[0]!.jobId;
    if (state.monitor.links.length >= m.options.maxLinks) {
      await m.runlog.write('CHAIN_LIMIT', `Monitor chain reached ${m.options.maxLinks} links`, [['Result', 'No successor queued; run `run-inspect launch` to continue']]);
      return null;
    }
    const id = await submitLink(m.slurm, {
      experimentDir: m.experimentDir,
      output: m.layout.monitorOutput,
      experimentId: m.experimentId,
      jobName: m.job.jobName ?? chainName(m.experimentDir, m.experimentId),
      sbatchOptions: state.monitor.sbatch_options,
      dependency: `afterany:${self},singleton`,
      ...relaunch,
    });
    await m.store.update((s) => ({ ...s!, monitor: { ...s!.monitor, successor_job_id: id } }));
    m.progress.info(`queued successor monitor job ${id}`);
    return id;
  } catch (e) {
    m.progress.warn(`could not queue the successor monitor job (${(e as Error).message}); will try again`);
    return null;
  }
}

async function handOff(m: Monitor, reason: string, successor: string | null, deadline: Date | null): Promise<number> {
  const self = m.job.jobId;
  const now = m.clock.now();
  const state = await m.store.update((s) => {
    const link = s!.monitor.links.find((l) => l.job_id === self && l.ended === null);
    if (link) Object.assign(link, { ended: formatTimestamp(now), end_reason: reason });
    return s!;
  });
  const left = deadline ? humanDuration((deadline.getTime() - now.getTime()) / 1000) : 'unknown';
  if (m.options.chain && self) {
    await m.runlog.write('HANDOFF', `Monitor job ${self} → ${successor ?? 'no successor'}`, [
      ['Details', `${reason}; time left ${left}`],
      ['Result', `${countsLine(state)}; state saved`],
    ]);
  } else {
    await m.runlog.write('MONITOR_PAUSED', `Stopped with evaluations in flight (${reason})`, [
      ['Result', `${countsLine(state)}; run \`run-inspect run\` again to resume`],
    ]);
  }
  m.progress.info(`stopping (${reason}) with evaluations in flight: ${countsLine(state)}`);
  return EXIT.inFlight;
}

async function finish(m: Monitor, state: State, design: Design, out: (text: string) => void): Promise<number> {
  const self = m.job.jobId;
  if (m.options.chain) await endChain(m, state);
  const results = resultsSection(resultRows(state, design), formatTimestamp(m.clock.now()), null);
  const text = finalSummary(state, m.layout, results);
  if (m.layout.summaryGenerated) await writeGeneratedResults(m, results);
  if (!state.monitor.finished) {
    const now = formatTimestamp(m.clock.now());
    await m.store.update((s) => {
      s!.monitor.finished = now;
      s!.monitor.successor_job_id = null;
      s!.next_poll = null;
      const link = s!.monitor.links.find((l) => l.job_id === self && l.ended === null);
      if (link) Object.assign(link, { ended: now, end_reason: 'all evaluations ended' });
      return s!;
    });
    await noNextPoll(m, state);
    const started = new Date(state.monitoring_started.replace(' ', 'T'));
    await m.runlog.write('ALL_COMPLETE', 'Monitoring finished', [
      ['Summary', `${Object.keys(state.evaluations).length} evaluations ended - ${countsLine(state)}`],
      ['Total time', humanDuration((m.clock.now().getTime() - started.getTime()) / 1000)],
      ['Next', 'See experiment_summary.md for result analysis steps'],
    ]);
    await notify(m, text);
  }
  out(text);
  return allSucceeded(state) ? EXIT.allSucceeded : EXIT.someFailed;
}

/**
 * The summary is a view of eval_jobs.json: when it cannot be read or written (an editor moving it
 * away, a row pasted twice), the link says so once, goes on polling and keeping the state true, and
 * tries again at the next poll. Only a bug (no file error, no user error) is let through.
 */
function summaryView(m: Monitor): (state: State) => Promise<void> {
  const table = new SummaryTableSync(m.layout.summary);
  let problem: string | null = null;
  return async (state) => {
    try {
      await table.sync(state);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (!(e instanceof UserError) && typeof code !== 'string') throw e;
      const message = e instanceof UserError ? e.message : `${m.layout.summary}: ${code}`;
      if (message !== problem) {
        m.progress.warn(`${message}; still polling, the table is written again at the next poll`);
        await m.runlog.write('WARNING', 'experiment_summary.md could not be updated', [
          ['Details', message],
          ['Result', 'still polling; eval_jobs.json stays true; retrying at the next poll'],
        ]);
      }
      problem = message;
      return;
    }
    if (problem !== null) {
      problem = null;
      await m.runlog.write('SUMMARY_UPDATE', 'experiment_summary.md is updated again', [['Result', 'the Evaluations table is true again']]);
    }
  };
}

/** The last link cancels the successor it queued; if that fails, the successor finds nothing to do. */
async function endChain(m: Monitor, state: State): Promise<void> {
  let result: string;
  try {
    const pending = (await otherLinks(m.slurm, m.user, m.experimentId, m.job.jobId)).filter((q) => q.state === 'PENDING').map((q) => q.jobId);
    if (pending.length === 0 && state.monitor.finished) return; // an earlier link already ended the chain
    await m.slurm.cancel(pending);
    result = pending.length ? `Cancelled queued monitor jobs ${pending.join(', ')}` : 'No monitor job left queued';
  } catch (e) {
    if (!(e instanceof SlurmCommandError)) throw e;
    result = `Could not cancel the queued successor (${e.message}); it will start, find nothing to do and end`;
  }
  await m.runlog.write('CHAIN_END', 'Every evaluation has ended; the monitor chain stops', [
    ['Details', `${state.monitor.links.length} links`],
    ['Result', result],
  ]);
}

async function planText(m: Monitor, design: Design, evals: EvalSpec[], unscripted: UnscriptedEval[]): Promise<string> {
  const state = await readState(m.layout.state);
  const lines = [`Plan for "${design.title}" (${evals.length} evaluations; dry run: nothing submitted or written)`];
  for (const spec of evals) {
    const known = state?.evaluations[spec.key];
    let action: string;
    if (known && known.status !== 'NOT_SUBMITTED' && known.status !== 'NO_SCRIPT') action = `${known.status}${known.job_id ? ` (job ${known.job_id})` : ''}: nothing to do`;
    else {
      const ck = await checkModel(spec);
      action = ck.ok ? `submit: sbatch ${spec.script}${spec.modelPath ? ` (model ${spec.modelPath})` : ''}` : `skip: ${ck.reason}`;
      if (!spec.inDesign) action += ' [not planned in the design]';
    }
    lines.push(`  ${evalLabel(spec)}  ${action}`);
  }
  for (const u of unscripted) lines.push(`  ${evalLabel(u)}  NO_SCRIPT: planned in the design, no script at ${u.expected}`);
  return `${lines.join('\n')}\n`;
}

/** The generated page of the cells layout gets the Results too (a user's own page only on `report --write`). */
async function writeGeneratedResults(m: Monitor, results: string): Promise<void> {
  try {
    const text = await readFile(m.layout.summary, 'utf8');
    if (!isGenerated(text) || !results) return;
    const next = upsertSection(text, 'Results', results);
    if (next !== text) await writeOwnFile(m.layout.summary, next);
  } catch (e) {
    m.progress.warn(`could not write the Results into ${m.layout.summary}: ${(e as Error).message}`);
  }
}
