// The commands besides `run`: status, launch, stop, retry, report. Each is one small function of the core.
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { evalLabel } from './domain.js';
import { UserError } from './errors.js';
import { classifyFailure, FAILURE_CLASSES } from './failure.js';
import { checkModel } from './experiment/checkpoints.js';
import { readDesign } from './experiment/design.js';
import { readSummary } from './experiment/summary.js';
import { chainName, otherLinks, submitLink } from './monitor/chain.js';
import type { Monitor } from './monitor/context.js';
import { activeFinetuneJobs } from './monitor/finetune.js';
import { EXIT, type Relaunch } from './monitor/monitor.js';
import { loadExperiment, mergeDiscovered } from './monitor/prepare.js';
import { monitorComment } from './monitor/tags.js';
import { metricChart } from './report/chart.js';
import { resultText, statusText } from './report/eval-text.js';
import { countsLine } from './report/final.js';
import { chooseMainMetric, formatReport, resultRows, resultsSection, type ReportFormat } from './report/results.js';
import { ensureGeneratedSummary, syncSummaryTable } from './report/summary-file.js';
import { upsertSection } from './report/summary-table.js';
import type { QueueEntry } from './slurm/client.js';
import { parseJobState } from './slurm/states.js';
import { formatTimestamp, humanDuration } from './slurm/time.js';
import { pollTimes } from './state/heartbeat.js';
import { costLine, costTotals } from './report/cost.js';
import { acquireMonitorLock, monitorLockHeld } from './state/lock.js';
import type { EvalState, State } from './state/schema.js';
import { readState, resubmission, setEval } from './state/store.js';
import { isInFlight, isRetryable } from './status.js';
import { writeOwnFile } from './state/own-file.js';

function requireState(state: State | null, m: Monitor): State {
  if (!state) throw new UserError(`${m.store.file}: not there yet (nothing was submitted; start with \`run-inspect run\` or \`run-inspect launch\`)`);
  return state;
}

export async function statusCommand(m: Monitor, json: boolean, out: (text: string) => void): Promise<number> {
  const state = requireState(await readState(m.layout.state), m);
  let queue: Map<string, QueueEntry> | null = null;
  let queueError: string | null = null;
  try {
    queue = new Map((await m.slurm.queue(m.user)).map((q) => [q.jobId, q]));
  } catch (e) {
    queueError = (e as Error).message;
  }
  const tag = monitorComment(m.experimentId);
  // Links SLURM still shows after they ended (MinJobAge) are history, not the current monitor.
  const links = queue ? [...queue.values()].filter((q) => q.comment === tag && parseJobState(q.state).kind === 'active') : [];
  const rows = Object.entries(state.evaluations).map(([key, ev]) => {
    const live = ev.job_id ? queue?.get(ev.job_id) : undefined;
    return { key, run: ev.run, task: ev.task, epoch: ev.epoch, state: ev.status, slurm_state: live?.state ?? null, job_id: ev.job_id, elapsed: liveElapsed(ev, live) ?? ev.elapsed, samples: ev.samples, notes: resultText(ev) };
  });
  const monitor = {
    jobs: links.map((l) => ({ job_id: l.jobId, state: l.state, reason: l.reason })),
    never_starts: links.filter((l) => l.state === 'PENDING' && l.reason === 'DependencyNeverSatisfied').map((l) => l.jobId),
    links: state.monitor.links.length,
    // A monitor killed outright (SIGKILL, a node failure) leaves its name behind: only a live lock says it runs.
    holder: state.monitor.holder && (await monitorLockHeld(m.layout.monitorLock)) ? state.monitor.holder : null,
    last_holder: state.monitor.holder,
    ...(await pollTimes(m.layout.heartbeat, state)),
    finished: state.monitor.finished,
    stopped: state.monitor.stopped,
  };
  if (json) {
    out(`${JSON.stringify({ experiment: state.experiment, evaluations: rows, monitor, cost: costTotals(Object.values(state.evaluations)), squeue_error: queueError }, null, 2)}\n`);
    return EXIT.allSucceeded;
  }
  const table = [['RUN', 'TASK', 'EPOCH', 'STATE', 'JOB ID', 'ELAPSED', 'NOTES'], ...rows.map((r) => [r.run, r.task, r.epoch === null ? '-' : String(r.epoch), statusText({ status: r.state, samples: r.samples }), r.job_id ?? '-', r.elapsed ?? '-', r.notes || '-'])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = [`${state.experiment}: ${countsLine(state)}`, ''];
  for (const row of table) lines.push(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  lines.push('');
  const cost = costLine(costTotals(Object.values(state.evaluations)));
  if (cost) lines.push(cost);
  lines.push(`Monitor: ${monitor.jobs.length ? monitor.jobs.map((j) => `job ${j.job_id} ${j.state}${j.reason && j.reason !== 'None' ? ` (${j.reason})` : ''}`).join(', ') : 'no monitor job queued or running'}`);
  if (monitor.never_starts.length) lines.push(`WARNING: monitor job ${monitor.never_starts.join(', ')} can never start (DependencyNeverSatisfied): run \`run-inspect stop\` then \`run-inspect launch\``);
  lines.push(`Links so far: ${monitor.links}   Last poll: ${monitor.last_poll ?? '-'}   Last successful poll: ${monitor.last_successful_poll ?? '-'}   Next poll due: ${monitor.next_poll ?? '-'}`);
  if (monitor.holder) lines.push(`Active monitor: ${monitor.holder}`);
  else if (monitor.last_holder) lines.push(`No monitor running: the last one (${monitor.last_holder}) ended without a word (killed?); \`run-inspect run\` or \`launch\` resumes`);
  if (monitor.finished) lines.push(`Finished: ${monitor.finished}`);
  if (queueError) lines.push(`squeue failed, states are from the last poll: ${queueError}`);
  out(`${lines.join('\n')}\n`);
  return EXIT.allSucceeded;
}

/** A running job's time from this squeue (the state records it only with its changes). */
function liveElapsed(ev: EvalState, live: QueueEntry | undefined): string | null {
  return live && ev.status === 'RUNNING' && live.elapsedSeconds !== null ? humanDuration(live.elapsedSeconds) : null;
}

export interface LaunchOptions {
  after: string | null;
  sbatchOptions: string[];
}

export async function launchCommand(m: Monitor, o: LaunchOptions, relaunch: Relaunch, out: (text: string) => void): Promise<number> {
  // Bad input fails now, on the login node, not at 3 am inside the job.
  const { design, evals, unscripted } = await loadExperiment(m);
  const existing = await otherLinks(m.slurm, m.user, m.experimentId, null);
  if (existing.length > 0) {
    throw new UserError(`${m.experimentDir}: a monitor job is already queued or running (${existing.map((q) => `${q.jobId} ${q.state}`).join(', ')}); \`run-inspect stop\` it first`);
  }
  let after: string[] = [];
  if (o.after === 'auto') {
    const known = design.finetuneJobs.flatMap((j) => (j.jobId ? [j.jobId] : []));
    after = (await activeFinetuneJobs(m.slurm, m.user, m.experimentDir, known, [])).map((j) => j.jobId);
  } else if (o.after) {
    after = o.after.split(/[:,]/).filter(Boolean);
    const bad = after.find((id) => !/^\d+(_\d+)?$/.test(id));
    if (bad) throw new UserError(`--after: "${bad}" is not a SLURM job id`);
  }
  // The links read their sbatch options from the state, so it is written first — and put back
  // as it was when SLURM refuses the job: a failed launch changes nothing.
  const stateFile = m.store.file;
  const before = await readFile(stateFile, 'utf8').catch(() => null);
  await m.store.update((cur) => {
    const s = mergeDiscovered(m, cur, design, evals, unscripted);
    s.monitor.sbatch_options = o.sbatchOptions;
    s.monitor.chain_name = chainName(m.experimentDir, m.experimentId);
    s.monitor.finished = null;
    return s;
  });
  // cruijff_kit's detach sentinel is sticky; launching again is the user's word to resume.
  const detach = m.layout.cruijff && (await m.cruijff?.detachRequested()) ? m.layout.cruijff.detach : null;
  if (detach) await rm(detach, { force: true });
  let jobId: string;
  try {
    jobId = await submitLink(m.slurm, {
      experimentDir: m.experimentDir,
      output: m.layout.monitorOutput,
      experimentId: m.experimentId,
      jobName: chainName(m.experimentDir, m.experimentId),
      sbatchOptions: o.sbatchOptions,
      dependency: after.length ? `afterany:${after.join(':')}` : null,
      ...relaunch,
    });
  } catch (e) {
    await (before === null ? rm(stateFile, { force: true }) : writeOwnFile(stateFile, before));
    if (detach) await writeOwnFile(detach, '');
    throw e;
  }
  if (detach) await m.runlog.write('RESUME', 'Removed logs/.detach: launching again resumes monitoring', [['Details', detach]]);
  await m.runlog.write('LAUNCH', 'Queued the run-inspect monitor job', [
    ['Details', `after ${after.length ? after.join(', ') : 'nothing (starts when scheduled)'}; ${o.sbatchOptions.join(' ')}`],
    ['Result', `Monitor Job ID ${jobId}`],
  ]);
  out(`${jobId}\n`);
  return EXIT.allSucceeded;
}

export async function stopCommand(m: Monitor, cancelEvals: boolean, out: (text: string) => void): Promise<number> {
  requireState(await readState(m.layout.state), m);
  const links = (await otherLinks(m.slurm, m.user, m.experimentId, null)).map((q) => q.jobId);
  await m.slurm.cancel(links);
  const cancelled: string[] = [];
  const now = formatTimestamp(m.clock.now());
  const state = await m.store.update((s) => {
    s!.monitor.stopped = now;
    s!.monitor.successor_job_id = null;
    if (cancelEvals) {
      for (const [key, ev] of Object.entries(s!.evaluations)) {
        if (!isInFlight(ev.status) && ev.status !== 'NOT_SUBMITTED') continue;
        if (ev.job_id) cancelled.push(ev.job_id);
        setEval(s!, key, { status: 'CANCELLED', completed: now, submit_intent: null, notes: 'cancelled by run-inspect stop' });
      }
    }
    return s!;
  });
  if (cancelled.length) await m.slurm.cancel(cancelled);
  await syncSummaryTable(m.layout.summary, state).catch(() => false); // a view: a missing page is not an error
  await m.runlog.write('STOP', 'Monitor stopped by the user', [
    ['Details', `monitor jobs cancelled: ${links.join(', ') || 'none'}${cancelEvals ? `; eval jobs cancelled: ${cancelled.join(', ') || 'none'}` : ''}`],
    ['Result', countsLine(state)],
  ]);
  out(`Cancelled monitor jobs: ${links.join(', ') || 'none'}${cancelEvals ? `\nCancelled eval jobs: ${cancelled.join(', ') || 'none'}` : ''}\n`);
  return EXIT.allSucceeded;
}

export async function retryCommand(
  m: Monitor,
  o: { keys: string[]; failed: boolean; held: boolean; failureClass: string | null; launch: boolean },
  relaunch: Relaunch,
  out: (text: string) => void,
): Promise<number> {
  if (o.keys.length === 0 && !o.failed && !o.held) throw new UserError('retry: name the evals (KEY...) or pass --failed or --held');
  const wanted = o.failureClass;
  if (wanted !== null && !(FAILURE_CLASSES as readonly string[]).includes(wanted)) {
    throw new UserError(`retry: --class ${JSON.stringify(wanted)} is not a failure class (${FAILURE_CLASSES.join(', ')})`);
  }
  const { evals } = await loadExperiment(m);
  const current = requireState(await readState(m.layout.state), m);
  for (const key of o.keys) if (!current.evaluations[key]) throw new UserError(`${m.store.file}: no eval "${key}"`);
  const chosen = o.keys.length ? o.keys : Object.keys(current.evaluations);
  const ready: string[] = [];
  const notReady: string[] = [];
  for (const key of chosen) {
    const ev = current.evaluations[key]!;
    if (!isRetryable(ev.status)) continue;
    // --held alone: only what the circuit breaker held; --failed takes those too.
    if (o.held && !o.failed && o.keys.length === 0 && ev.status !== 'HELD') continue;
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
  const lines = [`${ready.length} evaluations will be submitted again${ready.length ? `: ${ready.join(', ')}` : ''}`];
  if (notReady.length) lines.push(`Not ready: ${notReady.join('; ')}`);
  const lock = await acquireMonitorLock(m.layout.monitorLock);
  const monitorRunning = lock === null || (await otherLinks(m.slurm, m.user, m.experimentId, null).catch(() => [])).length > 0;
  await lock?.release();
  if (!monitorRunning && ready.length) {
    if (o.launch) {
      const id = await submitLink(m.slurm, {
        experimentDir: m.experimentDir,
        output: m.layout.monitorOutput,
        experimentId: m.experimentId,
        jobName: chainName(m.experimentDir, m.experimentId),
        sbatchOptions: state.monitor.sbatch_options,
        dependency: null,
        ...relaunch,
      });
      lines.push(`Queued monitor job ${id}`);
    } else lines.push(`No monitor is running: start one with \`run-inspect launch ${m.experimentDir}\` (or \`run-inspect run\`, or pass --launch)`);
  }
  out(`${lines.join('\n')}\n`);
  return EXIT.allSucceeded;
}

export interface ReportOptions {
  format: string;
  output: string | null;
  write: boolean;
}

/** `report`: one row per eval with its metrics and the run's parameters; `--write` adds `## Results` and a chart to the summary. */
export async function reportCommand(m: Monitor, o: ReportOptions, out: (text: string) => void): Promise<number> {
  const file = m.layout.summary;
  const design = await readDesign(m.layout.design);
  const state = requireState(await readState(m.layout.state), m);
  const rows = resultRows(state, design);
  const text = formatReport(rows, o.format as ReportFormat, costTotals(Object.values(state.evaluations)));
  if (o.output) await writeFileAtomic(resolve(o.output), text);
  else out(text);
  if (o.write) {
    const chart = metricChart(rows);
    const metric = chooseMainMetric(rows);
    const chartFile = chart && metric ? `results-${metric.name.replace(/[^A-Za-z0-9._-]/g, '_')}.svg` : null;
    if (chart && chartFile) await writeOwnFile(join(m.layout.chartDir, chartFile), chart);
    // Re-read just before writing: the user may have edited the summary meanwhile. A generated page
    // (cells layout) is no design: it is read as text, and made first if no run has made it yet.
    if (m.layout.summaryGenerated) await ensureGeneratedSummary(file, design, state);
    const current = m.layout.summaryGenerated ? await readFile(file, 'utf8') : (await readSummary(file)).text;
    const next = upsertSection(current, 'Results', resultsSection(rows, formatTimestamp(m.clock.now()), chartFile));
    if (next !== current) await writeFileAtomic(file, next);
    await m.runlog.write('REPORT', 'Wrote the Results section', [['Details', file], ['Result', chartFile ? `chart ${chartFile}` : 'no chart (no metric to plot)']]);
  }
  return EXIT.allSucceeded;
}
