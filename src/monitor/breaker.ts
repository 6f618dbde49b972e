// The circuit breaker. When the first evals of a task all fail the same way in the code or its
// configuration (a missing module, a bad path), the rest of that task would only start, fail the
// same way and burn their GPU slots one after another. They are HELD instead, with the shared reason,
// until a person fixes the cause and runs `run-inspect retry --held`. The machine's faults never
// trip it (they are resubmitted by themselves); one success in the task keeps it closed.
import { evalLabel } from '../domain.js';
import { classifyFailure, failureSignature } from '../failure.js';
import { formatTimestamp } from '../slurm/time.js';
import type { State } from '../state/schema.js';
import { setEval } from '../state/store.js';
import type { Monitor } from './context.js';
import { notify } from './notify.js';

export interface Trip {
  task: string;
  /** The failure the task's evals share (failure.ts's signature). */
  signature: string;
  failed: number;
  /** Keys of the task's evals not yet submitted: to be held. */
  held: string[];
}

/**
 * The tasks whose breaker trips now: `threshold` failures with one code/config signature, no
 * success, evals still to submit. After a release (`retry --held`) only failures that ended since
 * count: the ones that tripped it are known and, the user says, fixed.
 */
export function tripsOf(state: State, threshold: number): Trip[] {
  if (threshold <= 0) return [];
  const evals = Object.entries(state.evaluations);
  const released = new Map<string, string>(); // task → its latest hold (timestamps compare as text)
  for (const [, ev] of evals) {
    for (const a of ev.attempts) if (a.status === 'HELD' && a.completed && a.completed > (released.get(ev.task) ?? '')) released.set(ev.task, a.completed);
  }
  const tasks = new Map<string, { completed: boolean; waiting: string[]; failures: Map<string, number> }>();
  for (const [key, ev] of evals) {
    let t = tasks.get(ev.task);
    if (!t) tasks.set(ev.task, (t = { completed: false, waiting: [], failures: new Map() }));
    if (ev.status === 'COMPLETED') t.completed = true;
    else if (ev.status === 'NOT_SUBMITTED') t.waiting.push(key);
    else if (classifyFailure(ev.status, ev.notes) === 'code/config' && (ev.completed ?? '') > (released.get(ev.task) ?? '')) {
      const signature = failureSignature(ev.notes);
      t.failures.set(signature, (t.failures.get(signature) ?? 0) + 1);
    }
  }
  const trips: Trip[] = [];
  for (const [task, t] of tasks) {
    if (t.completed || t.waiting.length === 0) continue;
    const [signature, failed] = [...t.failures].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    if (failed >= threshold) trips.push({ task, signature, failed, held: t.waiting.sort() });
  }
  return trips;
}

/** Holds what trips now: the evals HELD with the reason, a log entry and one notification per trip. */
export async function holdTripped(m: Monitor): Promise<Trip[]> {
  const trips = tripsOf((await m.store.current())!, m.options.breaker);
  if (trips.length === 0) return [];
  const now = formatTimestamp(m.clock.now());
  await m.store.update((s) => {
    for (const trip of trips) {
      const notes = `held: ${trip.failed} evals of ${trip.task} failed the same way (${trip.signature}); fix it, then \`run-inspect retry --held\``;
      for (const key of trip.held) if (s!.evaluations[key]?.status === 'NOT_SUBMITTED') setEval(s!, key, { status: 'HELD', notes, completed: now });
    }
    return s!;
  });
  const state = (await m.store.current())!;
  for (const trip of trips) {
    const labels = trip.held.map((k) => evalLabel(state.evaluations[k]!));
    m.progress.warn(`circuit breaker: ${trip.failed} evals of ${trip.task} failed the same way (${trip.signature}); holding ${labels.length} not yet submitted`);
    await m.runlog.write('CIRCUIT_BREAKER', trip.task, [
      ['Details', `${trip.failed} evaluations failed the same way and none succeeded: ${trip.signature}`],
      ['Result', `${labels.length} evaluations HELD, not submitted: ${labels.join(', ')}`],
      ['Next', 'fix the cause, then: run-inspect retry --held'],
    ]);
    await notify(
      m,
      `run-inspect held ${labels.length} evaluations of ${trip.task} in ${m.experimentDir}:\n${trip.failed} failed the same way: ${trip.signature}\nFix it, then: run-inspect retry --held ${m.experimentDir}\n`,
    );
  }
  return trips;
}
