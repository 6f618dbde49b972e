// An eval's state as eval_jobs.json holds it, for unit tests: through the schema, so every field a
// test does not name gets the value a fresh eval has.
import { evalKey } from '../../src/domain.js';
import { evaluationSchema, stateSchema, type EvalState, type State } from '../../src/state/schema.js';

/** `fields` may name any field, `status` included; the script path follows the seed era's layout. */
export function evalState(run: string, task: string, epoch: number | null, status: string, fields: Partial<EvalState> = {}): EvalState {
  const base = evaluationSchema.parse({
    run,
    task,
    epoch,
    job_id: null,
    status,
    submitted: null,
    completed: null,
    elapsed: null,
    log_path: null,
    script: `${run}/eval/${task}_${epoch === null ? 'base' : `epoch${epoch}`}.slurm`,
  });
  return { ...base, ...fields };
}

/** A state holding `evals`, keyed as run-inspect keys them. */
export function stateOf(experiment: string, evals: EvalState[]): State {
  const state = stateSchema.parse({ version: 1, experiment, experiment_id: 'test', monitoring_started: '2025-10-20 10:40:00', evaluations: {} });
  for (const ev of evals) state.evaluations[evalKey(ev.run, ev.task, ev.epoch)] = ev;
  return state;
}
