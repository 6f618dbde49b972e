// Before anything is submitted: merge the discovered evals into the state, wait for (or note) the
// fine-tuning, check checkpoints, and recognise evals whose finished log is already there.
import { join, relative } from 'node:path';
import { evalLabel, type EvalSpec } from '../domain.js';
import { checkCheckpoint } from '../experiment/checkpoints.js';
import type { ExperimentSummary } from '../experiment/summary.js';
import { findLogs } from '../inspect/find.js';
import { formatMainMetric } from '../inspect/format.js';
import { formatTimestamp } from '../slurm/time.js';
import { STATE_VERSION, type EvalState, type State } from '../state/schema.js';
import { setEval } from '../state/store.js';
import type { Monitor } from './context.js';

export function newEvalState(m: { experimentDir: string }, spec: EvalSpec): EvalState {
  return {
    run: spec.run,
    task: spec.task,
    epoch: spec.epoch,
    job_id: null,
    status: 'NOT_SUBMITTED',
    submitted: null,
    completed: null,
    elapsed: null,
    log_path: null,
    script: relative(m.experimentDir, spec.script),
    model_path: spec.modelPath,
    slurm_output: null,
    notes: '',
    submit_intent: null,
    missing_since: null,
    slurm_state: null,
    attempts: [],
    scores: [],
    samples: null,
  };
}

/** The state with every discovered eval present (existing entries are kept as they are). */
export function mergeDiscovered(m: Monitor, current: State | null, summary: ExperimentSummary, evals: EvalSpec[]): State {
  const state: State = current ?? {
    version: STATE_VERSION,
    experiment: summary.title,
    experiment_id: m.experimentId,
    monitoring_started: formatTimestamp(m.clock.now()),
    last_poll: null,
    last_successful_poll: null,
    next_poll: null,
    monitor: { holder: null, chain_name: null, links: [], successor_job_id: null, sbatch_options: [], stopped: null, finished: null },
    evaluations: {},
  };
  const added = evals.filter((spec) => !Object.hasOwn(state.evaluations, spec.key));
  // A new object: the one read may be sealed (evalKeys), and its key list must stay true.
  if (added.length > 0) state.evaluations = { ...state.evaluations, ...Object.fromEntries(added.map((spec) => [spec.key, newEvalState(m, spec)])) };
  return state;
}

export interface CheckReport {
  skipped: string[];
  alreadyDone: string[];
  checked: number;
}

/** Checkpoints and already-finished logs, for evals not yet submitted. */
export async function checkEvals(m: Monitor, summary: ExperimentSummary, specs: EvalSpec[]): Promise<CheckReport> {
  const state = (await m.store.current())!;
  const pending = specs.filter((s) => state.evaluations[s.key]?.status === 'NOT_SUBMITTED');
  const patches = new Map<string, Partial<EvalState>>();
  const report: CheckReport = { skipped: [], alreadyDone: [], checked: 0 };
  for (const spec of pending) {
    const ck = await checkCheckpoint(spec, summary.checkpointDir);
    if (spec.epoch !== null) report.checked++;
    if (!ck.ok) {
      patches.set(spec.key, { status: 'SKIPPED', notes: ck.reason, completed: formatTimestamp(m.clock.now()) });
      report.skipped.push(`${evalLabel(spec)}: ${ck.reason}`);
      continue;
    }
    const { finished, problems } = await findLogs(join(spec.evalDir, 'logs'), spec.task, spec.modelPath);
    for (const p of problems) m.progress.warn(p);
    if (finished?.status === 'success') {
      patches.set(spec.key, {
        status: 'COMPLETED',
        log_path: relative(m.experimentDir, finished.path),
        completed: finished.completedAt ? formatTimestamp(new Date(finished.completedAt)) : null,
        notes: ['already done', formatMainMetric(finished)].filter(Boolean).join(': '),
        scores: finished.scores,
      });
      report.alreadyDone.push(evalLabel(spec));
    }
  }
  if (patches.size > 0) {
    await m.store.update((s) => {
      for (const [key, p] of patches) if (s!.evaluations[key]?.status === 'NOT_SUBMITTED') setEval(s!, key, p);
      return s!;
    });
  }
  return report;
}
