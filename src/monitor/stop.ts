// `stop`: the monitor chain cancelled, and on request the experiment's eval jobs too.
import { countsLine } from '../report/final.js';
import { syncSummaryTable } from '../report/summary-file.js';
import { formatTimestamp } from '../slurm/time.js';
import { readState, requireState, setEval } from '../state/store.js';
import { isInFlight } from '../status.js';
import { otherLinks } from './chain.js';
import type { Monitor } from './context.js';

/** Cancels the monitor links (and with `cancelEvals` this experiment's eval jobs, their evals CANCELLED). */
export async function stopMonitor(m: Monitor, cancelEvals: boolean): Promise<{ links: string[]; cancelled: string[] }> {
  requireState(await readState(m.layout.state), m.store.file);
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
  return { links, cancelled };
}
