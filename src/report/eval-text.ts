// What a person reads about one eval, formatted where it is shown (the summary table, `status`,
// the final summary, the log) from facts in its state: the state holds no presentation.
import { formatScores } from '../inspect/format.js';
import { classifyFailure } from '../failure.js';
import type { EvalState } from '../state/schema.js';

type Shown = Pick<EvalState, 'status' | 'scores' | 'samples' | 'notes'>;

/** `RUNNING 120/500 samples` while inspect reports its progress; else the status. */
export function statusText(ev: Pick<Shown, 'status' | 'samples'>): string {
  return ev.status === 'RUNNING' && ev.samples ? `RUNNING ${ev.samples.done}/${ev.samples.total ?? '?'} samples` : ev.status;
}

/**
 * A completed eval's main metric, then its notes (a reason, or what a person should know); a
 * FAILED eval's reason after its class (`[code/config] ModuleNotFoundError: ...`) when that tells more.
 */
export function resultText(ev: Shown): string {
  const result = ev.status === 'COMPLETED' ? formatScores(ev.scores, ev.samples?.done ?? null) : '';
  const cause = ev.status === 'FAILED' ? classifyFailure(ev.status, ev.notes) : null;
  const tag = cause && cause !== 'unknown' ? `[${cause}] ` : '';
  return [result, ev.notes ? `${tag}${ev.notes}` : ''].filter(Boolean).join('; ');
}
