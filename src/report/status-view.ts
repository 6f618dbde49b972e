// `status`: what the state says of every eval, what squeue says right now, the monitor chain.
import type { Monitor } from '../monitor/context.js';
import { monitorComment } from '../monitor/tags.js';
import type { QueueEntry } from '../slurm/client.js';
import { parseJobState } from '../slurm/states.js';
import { humanDuration } from '../slurm/time.js';
import { pollTimes } from '../state/heartbeat.js';
import { monitorLockHeld } from '../state/lock.js';
import type { EvalState } from '../state/schema.js';
import { readState, requireState } from '../state/store.js';
import { costLine, costTotals } from './cost.js';
import { resultText, statusText } from './eval-text.js';
import { countsLine } from './final.js';

/** Every eval from eval_jobs.json with one live squeue, the monitor chain, and the cost so far. */
export async function statusView(m: Monitor) {
  const state = requireState(await readState(m.layout.state), m.store.file);
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
  return { experiment: state.experiment, counts: countsLine(state), evaluations: rows, monitor, cost: costTotals(Object.values(state.evaluations)), squeue_error: queueError };
}

export type StatusView = Awaited<ReturnType<typeof statusView>>;

/** `status` for a person: a line of counts, a table of evals, the cost, the monitor. */
export function statusLines(view: StatusView): string {
  const { evaluations: rows, monitor, squeue_error: queueError } = view;
  const table = [['RUN', 'TASK', 'EPOCH', 'STATE', 'JOB ID', 'ELAPSED', 'NOTES'], ...rows.map((r) => [r.run, r.task, r.epoch === null ? '-' : String(r.epoch), statusText({ status: r.state, samples: r.samples }), r.job_id ?? '-', r.elapsed ?? '-', r.notes || '-'])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = [`${view.experiment}: ${view.counts}`, ''];
  for (const row of table) lines.push(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  lines.push('');
  const cost = costLine(view.cost);
  if (cost) lines.push(cost);
  lines.push(`Monitor: ${monitor.jobs.length ? monitor.jobs.map((j) => `job ${j.job_id} ${j.state}${j.reason && j.reason !== 'None' ? ` (${j.reason})` : ''}`).join(', ') : 'no monitor job queued or running'}`);
  if (monitor.never_starts.length) lines.push(`WARNING: monitor job ${monitor.never_starts.join(', ')} can never start (DependencyNeverSatisfied): run \`run-inspect stop\` then \`run-inspect launch\``);
  lines.push(`Links so far: ${monitor.links}   Last poll: ${monitor.last_poll ?? '-'}   Last successful poll: ${monitor.last_successful_poll ?? '-'}   Next poll due: ${monitor.next_poll ?? '-'}`);
  if (monitor.holder) lines.push(`Active monitor: ${monitor.holder}`);
  else if (monitor.last_holder) lines.push(`No monitor running: the last one (${monitor.last_holder}) ended without a word (killed?); \`run-inspect run\` or \`launch\` resumes`);
  if (monitor.finished) lines.push(`Finished: ${monitor.finished}`);
  if (queueError) lines.push(`squeue failed, states are from the last poll: ${queueError}`);
  return `${lines.join('\n')}\n`;
}

/** A running job's time from this squeue (the state records it only with its changes). */
function liveElapsed(ev: EvalState, live: QueueEntry | undefined): string | null {
  return live && ev.status === 'RUNNING' && live.elapsedSeconds !== null ? humanDuration(live.elapsedSeconds) : null;
}
