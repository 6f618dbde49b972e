// The circuit breaker. When the first evals of a task all fail the same way in the code or its
// configuration (a missing module, a bad path), the rest of that task would only start, fail the
// same way and burn their GPU slots one after another. They are HELD instead, with the shared reason,
// until a person fixes the cause and runs `run-inspect retry --held`. Evals whose jobs still wait in
// the queue are held too (their jobs cancelled): by default everything is queued at once, and those
// jobs are the bleeding to stop. The machine's faults never
// trip it (they are resubmitted by themselves); one success in the task keeps it closed.
import { evalLabel } from '../domain.js';
import { classifyFailure, failureSignature } from '../failure.js';
import { formatTimestamp } from '../slurm/time.js';
import type { State } from '../state/schema.js';
import { evalKeys } from '../state/keys.js';
import { resubmission, setEval } from '../state/store.js';
import type { Monitor } from './context.js';
import { notify } from './notify.js';

export interface Trip {
  task: string;
  /** The failure the task's evals share (failure.ts's signature). */
  signature: string;
  failed: number;
  /** Keys of the task's evals not yet submitted or still queued: to be held. */
  held: string[];
  /** Job ids of the queued ones among them: to be cancelled. */
  queued: string[];
}

/**
 * The tasks whose breaker trips now: `threshold` failures with one code/config signature, no
 * success, evals still to submit. After a release (`retry --held`) only failures that ended since
 * count: the ones that tripped it are known and, the user says, fixed.
 */
export function tripsOf(state: State, threshold: number): Trip[] {
  if (threshold <= 0) return [];
  const tripped = failingTasks(state, threshold);
  return tripped.size === 0 ? [] : heldBy(state, tripped);
}

/**
 * Every poll, over every eval: the tasks with `threshold` failures of one code/config signature and
 * no success, with that signature and count. Nothing is collected per eval (at 10,000 evals, lists
 * of the queued ones every poll were most of a quiet poll's garbage); heldBy lists them when a task trips.
 */
function failingTasks(state: State, threshold: number): Map<string, { signature: string; failed: number }> {
  const keys = evalKeys(state);
  const released = new Map<string, string>(); // task → its latest hold (timestamps compare as text)
  const succeeded = new Set<string>();
  const failures: Array<{ task: string; signature: string; completed: string }> = [];
  for (const key of keys) {
    const ev = state.evaluations[key]!;
    for (const a of ev.attempts) if (a.status === 'HELD' && a.completed && a.completed > (released.get(ev.task) ?? '')) released.set(ev.task, a.completed);
    if (ev.status === 'COMPLETED') succeeded.add(ev.task);
    else if (classifyFailure(ev.status, ev.notes) === 'code/config') {
      failures.push({ task: ev.task, signature: failureSignature(ev.notes), completed: ev.completed ?? '' });
    }
  }
  const counts = new Map<string, Map<string, number>>();
  for (const f of failures) {
    if (succeeded.has(f.task) || f.completed <= (released.get(f.task) ?? '')) continue;
    const bySignature = counts.get(f.task) ?? new Map<string, number>();
    counts.set(f.task, bySignature.set(f.signature, (bySignature.get(f.signature) ?? 0) + 1));
  }
  const tripped = new Map<string, { signature: string; failed: number }>();
  for (const [task, bySignature] of counts) {
    const [signature, failed] = [...bySignature].sort((a, b) => b[1] - a[1])[0]!;
    if (failed >= threshold) tripped.set(task, { signature, failed });
  }
  return tripped;
}

/** The trips of the tripped tasks that still have evals to hold: those not yet submitted or still queued. */
function heldBy(state: State, tripped: Map<string, { signature: string; failed: number }>): Trip[] {
  const trips = new Map<string, Trip>();
  for (const key of evalKeys(state)) {
    const ev = state.evaluations[key]!;
    const t = tripped.get(ev.task);
    if (!t) continue;
    const queued = ev.status === 'PENDING' && ev.job_id;
    if (ev.status !== 'NOT_SUBMITTED' && !queued) continue;
    let trip = trips.get(ev.task);
    if (!trip) trips.set(ev.task, (trip = { task: ev.task, ...t, held: [], queued: [] }));
    trip.held.push(key);
    if (queued) trip.queued.push(ev.job_id!);
  }
  return [...trips.values()].map((t) => ({ ...t, held: t.held.sort(), queued: t.queued.sort() }));
}

/**
 * Holds what trips now: the queued jobs cancelled (one scancel), the evals HELD with the reason, a
 * log entry and one notification per trip. A queued job that started meanwhile is cancelled too:
 * it would fail the same way. If scancel fails, only the unsubmitted evals are held this time.
 */
export async function holdTripped(m: Monitor): Promise<Trip[]> {
  const trips = tripsOf((await m.store.current())!, m.options.breaker);
  if (trips.length === 0) return [];
  const now = formatTimestamp(m.clock.now());
  let cancelled = new Set(trips.flatMap((t) => t.queued));
  try {
    await m.slurm.cancel([...cancelled]);
  } catch (e) {
    m.progress.warn(`circuit breaker: scancel failed (${(e as Error).message}); their queued jobs stay, to be held next poll`);
    cancelled = new Set();
  }
  await m.store.update((s) => {
    for (const trip of trips) {
      const notes = `held: ${trip.failed} evals of ${trip.task} failed the same way (${trip.signature}); fix it, then \`run-inspect retry --held\``;
      for (const key of trip.held) {
        const ev = s!.evaluations[key];
        if (ev?.status === 'NOT_SUBMITTED') setEval(s!, key, { status: 'HELD', notes, completed: now });
        else if (ev?.status === 'PENDING' && ev.job_id && cancelled.has(ev.job_id)) {
          const attempt = { job_id: ev.job_id, status: 'CANCELLED' as const, submitted: ev.submitted, completed: now, reason: `cancelled while queued: ${notes}` };
          setEval(s!, key, { ...resubmission(notes, [...ev.attempts, attempt]), status: 'HELD', completed: now, slurm_state: null });
        }
      }
    }
    return s!;
  });
  const state = (await m.store.current())!;
  for (const trip of trips) {
    // What is HELD now: a queued eval whose scancel failed is not, and is not said to be.
    const labels = trip.held.filter((k) => state.evaluations[k]?.status === 'HELD').map((k) => evalLabel(state.evaluations[k]!));
    const jobs = trip.queued.filter((id) => cancelled.has(id));
    const queuedNote = jobs.length ? ` (${jobs.length} queued jobs cancelled: ${jobs.join(', ')})` : '';
    m.progress.warn(`circuit breaker: ${trip.failed} evals of ${trip.task} failed the same way (${trip.signature}); holding ${labels.length}${queuedNote}`);
    await m.runlog.write('CIRCUIT_BREAKER', trip.task, [
      ['Details', `${trip.failed} evaluations failed the same way and none succeeded: ${trip.signature}`],
      ['Result', `${labels.length} evaluations HELD${queuedNote}: ${labels.join(', ')}`],
      ['Next', 'fix the cause, then: run-inspect retry --held'],
    ]);
    await notify(
      m,
      `run-inspect held ${labels.length} evaluations of ${trip.task} in ${m.experimentDir}:\n${trip.failed} failed the same way: ${trip.signature}\nFix it, then: run-inspect retry --held ${m.experimentDir}\n`,
    );
  }
  return trips;
}
