// Before anything is submitted: read the design and the scripts, merge the evals into the state,
// check the models they load, and recognise evals whose finished log is already there.
import { relative } from 'node:path';
import { evalLabel, type EvalSpec, type UnscriptedEval } from '../domain.js';
import { UserError } from '../errors.js';
import { checkModel } from '../experiment/checkpoints.js';
import { readDesign, type Design } from '../experiment/design.js';
import { discoverEvals } from '../experiment/discover.js';
import { listScripts, type ExperimentLayout } from '../experiment/layout.js';
import { formatTimestamp } from '../slurm/time.js';
import { STATE_VERSION, type EvalState, type State } from '../state/schema.js';
import { setEval } from '../state/store.js';
import type { Monitor } from './context.js';
import { findEvalLogs, notASuccess, samplesOf } from './outcome.js';

export interface Experiment {
  design: Design;
  evals: EvalSpec[];
  unscripted: UnscriptedEval[];
}

/** The design and the evals on disk; problems are warned about; no eval at all is a UserError. */
export async function loadExperiment(m: Pick<Monitor, 'layout' | 'progress' | 'env'>): Promise<Experiment> {
  const design = await readDesign(m.layout.design);
  const found = await discoverEvals(m.layout, design, m.env);
  for (const p of found.problems) m.progress.warn(p);
  if (found.evals.length === 0) throw new UserError(noEvalsMessage(m.layout, found.searched, found.unscripted.length));
  return { design, evals: found.evals, unscripted: found.unscripted };
}

function noEvalsMessage(layout: ExperimentLayout, searched: string, planned: number): string {
  const other = layout.generation === 'seed' ? 'cells' : 'seed';
  const instead = listScripts(layout.dir, other).found.length;
  const found =
    instead > 0
      ? `found instead ${instead} ${other === 'cells' ? '*/eval/*/cell.slurm (cruijff_kit\'s layout, whose design is experiment_summary.yaml)' : 'flat */eval/*.slurm scripts (the seed-era layout, whose design is experiment_summary.md)'}`
      : 'found none of either layout';
  const design = planned > 0 ? `; ${relative(layout.dir, layout.design)} plans ${planned} evals` : '';
  return `${layout.dir}: no eval scripts found (searched ${searched}; ${found}${design})`;
}

function newEvalState(m: { experimentDir: string }, spec: EvalSpec): EvalState {
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
    ...specFields(m.experimentDir, spec),
    slurm_output: null,
    notes: spec.inDesign ? '' : 'not planned in the design; run anyway',
    submit_intent: null,
    missing_since: null,
    stuck_since: null,
    slurm_state: null,
    attempts: [],
    scores: [],
    samples: null,
  };
}

/** What the state keeps of a script: refreshed while the eval has not been submitted. */
function specFields(dir: string, spec: EvalSpec) {
  return {
    script: relative(dir, spec.script),
    model_path: spec.modelPath,
    logs_dir: relative(dir, spec.logsDir),
    own_logs: spec.ownLogs,
    log_tasks: spec.logTasks,
    vis_label: spec.visLabel,
    in_design: spec.inDesign,
  };
}

function unscriptedState(m: { experimentDir: string }, u: UnscriptedEval, now: string): EvalState {
  const spec: EvalSpec = {
    ...u,
    kind: null,
    script: u.expected,
    submitDir: u.expected,
    logsDir: u.expected,
    ownLogs: false,
    modelPath: null,
    logTasks: [],
    visLabel: null,
    inDesign: true,
  };
  return { ...newEvalState(m, spec), status: 'NO_SCRIPT', logs_dir: null, completed: now, notes: `no eval script: expected ${relative(m.experimentDir, u.expected)}` };
}

/**
 * The state with every discovered eval present. Evals not submitted yet take the scripts as they
 * are now; a NO_SCRIPT eval whose script appeared becomes an eval to submit; the rest are kept.
 */
export function mergeDiscovered(m: Monitor, current: State | null, design: Design, evals: EvalSpec[], unscripted: UnscriptedEval[]): State {
  const now = formatTimestamp(m.clock.now());
  const state: State = current ?? {
    version: STATE_VERSION,
    experiment: design.title,
    experiment_id: m.experimentId,
    monitoring_started: now,
    last_poll: null,
    last_successful_poll: null,
    next_poll: null,
    monitor: { holder: null, chain_name: null, links: [], successor_job_id: null, sbatch_options: [], stopped: null, finished: null },
    evaluations: {},
    journal_id: null,
    migrated_from: null,
  };
  // A state read from the workflow's own file knows only run, task, epoch and the job: discovery fills in the rest.
  const migrated = state.migrated_from !== null;
  if (migrated) state.experiment_id = m.experimentId;
  const added: Array<[string, EvalState]> = [];
  for (const spec of evals) {
    const ev = state.evaluations[spec.key];
    if (!ev) added.push([spec.key, newEvalState(m, spec)]);
    else if (migrated) setEval(state, spec.key, specFields(m.experimentDir, spec));
    else if (ev.status === 'NO_SCRIPT') setEval(state, spec.key, { ...newEvalState(m, spec), attempts: ev.attempts });
    else if (ev.status === 'NOT_SUBMITTED') setEval(state, spec.key, specFields(m.experimentDir, spec));
  }
  for (const u of unscripted) if (!Object.hasOwn(state.evaluations, u.key)) added.push([u.key, unscriptedState(m, u, now)]);
  // A new object: the one read may be sealed (evalKeys), and its key list must stay true.
  if (added.length > 0) state.evaluations = { ...state.evaluations, ...Object.fromEntries(added) };
  return state;
}

export interface CheckReport {
  skipped: string[];
  alreadyDone: string[];
  checked: number;
}

/** Models on disk and already-finished logs, for evals not yet submitted. */
async function checkEvals(m: Monitor, specs: EvalSpec[]): Promise<CheckReport> {
  const state = (await m.store.current())!;
  const pending = specs.filter((s) => state.evaluations[s.key]?.status === 'NOT_SUBMITTED');
  const patches = new Map<string, Partial<EvalState>>();
  const report: CheckReport = { skipped: [], alreadyDone: [], checked: 0 };
  for (const spec of pending) {
    const ck = await checkModel(spec);
    if (ck.path !== null) report.checked++;
    if (!ck.ok) {
      // No job runs, so no Completed time (the workflow's Completed is when a job ended); the
      // log's VERIFY_CHECKPOINTS entry says when it was skipped.
      patches.set(spec.key, { status: 'SKIPPED', notes: ck.reason });
      report.skipped.push(`${evalLabel(spec)}: ${ck.reason}`);
      continue;
    }
    const { finished, problems } = await findEvalLogs(m.experimentDir, state.evaluations[spec.key]!);
    for (const p of problems) m.progress.warn(p);
    if (finished && notASuccess(finished) === null) {
      patches.set(spec.key, {
        status: 'COMPLETED',
        log_path: relative(m.experimentDir, finished.path),
        completed: finished.completedAt ? formatTimestamp(new Date(finished.completedAt)) : null,
        notes: 'already done',
        scores: finished.scores,
        samples: samplesOf(finished),
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

/** Checkpoints and already-finished logs of the evals not yet submitted, logged as the workflow does. */
export async function verifyCheckpoints(m: Monitor, evals: EvalSpec[]): Promise<void> {
  const report = await checkEvals(m, evals);
  await m.runlog.write('VERIFY_CHECKPOINTS', 'Checking model checkpoints', [
    ['Details', `Verified ${report.checked} checkpoint directories`],
    ['Result', report.skipped.length === 0 ? `All ${report.checked} checkpoints exist` : `${report.skipped.length} missing; their evaluations are SKIPPED: ${report.skipped.join('; ')}`],
  ]);
  for (const s of report.skipped) m.progress.warn(`skipped ${s}`);
  const toSubmit = Object.values((await m.store.current())!.evaluations).filter((e) => e.status === 'NOT_SUBMITTED').length;
  await m.runlog.write('IDENTIFY_EVALS', 'Scanning for evaluation scripts', [
    ['Details', `Found ${evals.length} evaluation scripts in */eval/ directories${outsideDesign(evals)}`],
    ['Result', `${toSubmit} evaluations ready to submit (${report.alreadyDone.length} already completed, ${report.skipped.length} skipped)`],
  ]);
}

function outsideDesign(evals: EvalSpec[]): string {
  const outside = evals.filter((e) => !e.inDesign).map(evalLabel);
  return outside.length ? `; not planned in the design, run anyway: ${outside.join(', ')}` : '';
}
