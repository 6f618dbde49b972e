// States written by run-inspect before the state held facts only: a completed eval's Notes began with
// its formatted main metric (`accuracy 0.800 ± 0.011 (n=10)`) and ended with ` · <elapsed>`, and a
// running eval's Notes were `120/500 samples`. Such notes are taken apart on read, so the result is
// not shown twice; the sample count they carried becomes `samples`. Notes of today's form pass as
// they are (they never begin with a metric), so this is safe on every read.
import { formatScores } from '../inspect/format.js';
import type { EvalState } from './schema.js';

const SAMPLES = /^(\d+)\/(\d+|\?) samples$/;
const COUNT = /^ \(n=(\d+)\)/;

export function withoutOldPresentation(ev: EvalState): EvalState {
  if (ev.status === 'RUNNING') {
    const m = SAMPLES.exec(ev.notes);
    if (!m) return ev;
    return { ...ev, notes: '', samples: ev.samples ?? { done: Number(m[1]), total: m[2] === '?' ? null : Number(m[2]) } };
  }
  if (ev.status !== 'COMPLETED' || ev.notes === '') return ev;
  let notes = ev.notes;
  let samples = ev.samples;
  if (ev.elapsed && notes.endsWith(` · ${ev.elapsed}`)) notes = notes.slice(0, -` · ${ev.elapsed}`.length);
  const prefix = notes.startsWith('already done: ') ? 'already done: ' : '';
  const metric = formatScores(ev.scores, null);
  if (metric && notes.startsWith(prefix + metric)) {
    let rest = notes.slice(prefix.length + metric.length);
    const n = COUNT.exec(rest);
    if (n) {
      samples ??= { done: Number(n[1]), total: null };
      rest = rest.slice(n[0].length);
    }
    notes = prefix ? 'already done' : rest.replace(/^; /, '');
  }
  return notes === ev.notes ? ev : { ...ev, notes, samples };
}
