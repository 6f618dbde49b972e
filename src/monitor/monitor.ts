// `run`: discover → verify fine-tuning → verify checkpoints → plan → submit → poll until every eval
// has ended (or this link's walltime is near) → final summary.
import { hostname } from 'node:os';
import type { EvalSpec } from '../domain.js';
import type { Design } from '../experiment/design.js';
import { passingFileFault, SlurmCommandError, SlurmUnavailableError, UserError } from '../errors.js';
import { countByStatus, formatCounts } from '../report/final.js';
import { ensureGeneratedSummary, SummaryTableSync } from '../report/summary-file.js';
import { formatTimestamp } from '../slurm/time.js';
import { acquireMonitorLock } from '../state/lock.js';
import { evalKeys } from '../state/keys.js';
import type { State } from '../state/schema.js';
import { readState } from '../state/store.js';
import { isTerminal } from '../status.js';
import { detach, detachRequested, ensureSuccessor, handOff, linkDeadline } from './chain.js';
import { EXIT, type Monitor, type Relaunch } from './context.js';
import { planText } from './dry-run.js';
import { waitForFinetune } from './finetune.js';
import { finish } from './finish.js';
import { LiveKnobs } from './knobs.js';
import { cruijffJobs, passOrLogFailure, waitingCount, type Announced } from './pass.js';
import { loadExperiment, mergeDiscovered, verifyCheckpoints } from './prepare.js';
import { newPollMemory } from './poll.js';

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
    // The link's last write folds the journal into eval_jobs.json: between links the file is whole.
    await m.store.update((s) => ({ ...s!, monitor: { ...s!.monitor, holder: null } }), { compact: true }).catch(() => undefined);
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

  const memory = newPollMemory();
  if (m.layout.summaryGenerated && (await ensureGeneratedSummary(m.layout.summary, design, (await m.store.current())!))) {
    m.progress.info(`wrote ${m.layout.summary} (generated from the design; progress is kept there)`);
  }
  const syncSummary = summaryView(m);
  await syncSummary((await m.store.current())!); // the table is true from the link's start
  // ALL_SUBMITTED once per experiment, not once per link: a link that starts with nothing left to
  // submit stays quiet (an earlier link said it); evals put back by `retry` get their own. The
  // counts as the link found them are said (STATUS_CHECK) only once a poll changes them.
  const startCounts = countByStatus((await m.store.current())!);
  const announced: Announced = { allSubmitted: waitingCount(startCounts) === 0, counts: formatCounts(startCounts) };
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

function everyEvalEnded(state: State): boolean {
  for (const key of evalKeys(state)) if (!isTerminal(state.evaluations[key]!.status)) return false;
  return true;
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

