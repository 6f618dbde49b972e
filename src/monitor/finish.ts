// The end of `run` once every eval has ended: the chain stopped, the final summary and Results,
// ALL_COMPLETE in the log, --notify once.
import { readFile } from 'node:fs/promises';
import type { Design } from '../experiment/design.js';
import { allSucceeded, countsLine, finalSummary } from '../report/final.js';
import { resultRows, resultsSection } from '../report/results.js';
import { isGenerated } from '../report/summary-file.js';
import { upsertSection } from '../report/summary-table.js';
import { formatTimestamp, humanDuration } from '../slurm/time.js';
import { clearNextPoll } from '../state/heartbeat.js';
import { writeOwnFile } from '../state/own-file.js';
import type { State } from '../state/schema.js';
import { endChain } from './chain.js';
import { EXIT, type Monitor } from './context.js';
import { notify } from './notify.js';

export async function finish(m: Monitor, state: State, design: Design, out: (text: string) => void): Promise<number> {
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
    await clearNextPoll(m.layout.heartbeat, state);
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
