// `retry`: evals put back to be submitted, with the history of every earlier attempt.
import { evalLabel } from '../domain.js';
import { UserError } from '../errors.js';
import { checkModel } from '../experiment/checkpoints.js';
import { classifyFailure, FAILURE_CLASSES } from '../failure.js';
import { syncSummaryTable } from '../report/summary-file.js';
import { formatTimestamp } from '../slurm/time.js';
import { acquireMonitorLock } from '../state/lock.js';
import { readState, requireState, resubmission, setEval } from '../state/store.js';
import { isRetryable } from '../status.js';
import { chainName, otherLinks, submitLink } from './chain.js';
import type { Monitor, Relaunch } from './context.js';
import { loadExperiment } from './prepare.js';

export interface RetryOptions {
  keys: string[];
  failed: boolean;
  held: boolean;
  failureClass: string | null;
  /** Queue a monitor when none is running. */
  launch: boolean;
}

export interface RetryOutcome {
  /** Keys put back. */
  ready: string[];
  /** `key: why` of the chosen evals that cannot run yet (a model still missing, a script gone). */
  notReady: string[];
  monitorRunning: boolean;
  /** The monitor job `launch` queued, if it did. */
  queued: string | null;
}

/**
 * Puts evals back to be submitted, each earlier attempt kept: the named ones, or every failed
 * (`--failed`, of one class with `failureClass`) or held (`--held`) one whose model is there. With
 * no monitor running, `launch` queues one.
 */
export async function retryEvals(m: Monitor, o: RetryOptions, relaunch: Relaunch): Promise<RetryOutcome> {
  if (o.keys.length === 0 && !o.failed && !o.held) throw new UserError('retry: name the evals (KEY...) or pass --failed or --held');
  const wanted = o.failureClass;
  if (wanted !== null && !(FAILURE_CLASSES as readonly string[]).includes(wanted)) {
    throw new UserError(`retry: --class ${JSON.stringify(wanted)} is not a failure class (${FAILURE_CLASSES.join(', ')})`);
  }
  const { evals } = await loadExperiment(m);
  const current = requireState(await readState(m.layout.state), m.store.file);
  for (const key of o.keys) if (!current.evaluations[key]) throw new UserError(`${m.store.file}: no eval "${key}"`);
  const chosen = o.keys.length ? o.keys : Object.keys(current.evaluations);
  const ready: string[] = [];
  const notReady: string[] = [];
  for (const key of chosen) {
    const ev = current.evaluations[key]!;
    if (!isRetryable(ev.status)) continue;
    if (heldOnly(o) && ev.status !== 'HELD') continue;
    if (wanted !== null && classifyFailure(ev.status, ev.notes) !== wanted) continue;
    const spec = evals.find((e) => e.key === key);
    if (!spec) {
      notReady.push(`${key}: its eval script is gone`);
      continue;
    }
    const ck = await checkModel(spec);
    if (ck.ok) ready.push(key);
    else notReady.push(`${key}: ${ck.reason}`);
  }
  const now = formatTimestamp(m.clock.now());
  const state = await m.store.update((s) => {
    for (const key of ready) {
      const ev = s!.evaluations[key]!;
      if (!isRetryable(ev.status)) continue;
      // Ended jobs are in the history already; a skip or a loss is recorded here.
      const recorded = ev.job_id !== null && ev.attempts.some((a) => a.job_id === ev.job_id && a.status === ev.status);
      const attempt = { job_id: ev.job_id ?? '', status: ev.status, submitted: ev.submitted, completed: ev.completed, reason: ev.notes };
      setEval(s!, key, resubmission(`retry requested ${now}`, recorded ? ev.attempts : [...ev.attempts, attempt]));
    }
    s!.monitor.finished = null;
    return s!;
  });
  await syncSummaryTable(m.layout.summary, state).catch(() => false); // a view: a missing page is not an error
  await m.runlog.write('RETRY', `${ready.length} evaluations put back to be submitted`, [
    ['Details', ready.map((k) => evalLabel(state.evaluations[k]!)).join(', ') || 'none'],
    ['Result', notReady.length ? `not ready: ${notReady.join('; ')}` : 'all ready'],
  ]);
  const lock = await acquireMonitorLock(m.layout.monitorLock);
  const monitorRunning = lock === null || (await otherLinks(m.slurm, m.user, m.experimentId, null).catch(() => [])).length > 0;
  await lock?.release();
  let queued: string | null = null;
  if (!monitorRunning && ready.length && o.launch) {
    queued = await submitLink(m.slurm, {
      experimentDir: m.experimentDir,
      output: m.layout.monitorOutput,
      experimentId: m.experimentId,
      jobName: chainName(m.experimentDir, m.experimentId),
      sbatchOptions: state.monitor.sbatch_options,
      dependency: null,
      ...relaunch,
    });
  }
  return { ready, notReady, monitorRunning, queued };
}

/** `--held` alone: only what the circuit breaker held; `--failed` (or named evals) take those too. */
function heldOnly(o: RetryOptions): boolean {
  return o.held && !o.failed && o.keys.length === 0;
}
