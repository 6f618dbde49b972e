// The design object every generator in scaffold.mjs reads, and the evals it implies.
//
// A design is what cruijff_kit's design-experiment step decides: runs (fine-tuned, control,
// eval-only), tasks, the epochs each fine-tuned run is evaluated at, vis_labels. The same design
// renders an experiment_summary.md (seed era, either shape), a seed-era experiment folder, or
// today's experiment_summary.yaml + cells. See scaffold.d.mts for the full shape.
import { basename } from 'node:path';

export const RUN_TYPES = ['fine-tuned', 'control', 'eval-only'];

/** `Fine-tuned` / `Control` / `Eval-only`: the Type column of All Runs. */
export function typeLabel(type) {
  if (!RUN_TYPES.includes(type)) throw new Error(`run type must be one of ${RUN_TYPES.join(', ')}: ${type}`);
  return type === 'fine-tuned' ? 'Fine-tuned' : type === 'control' ? 'Control' : 'Eval-only';
}

/** The model a run uses (its own, else the design's first base model). */
export function modelOf(design, run) {
  const name = run.model ?? design.models?.[0]?.name;
  if (!name) throw new Error(`run ${run.name}: no model, and the design names no base model`);
  return design.models?.find((m) => m.name === name) ?? { name };
}

/** The tasks a run is evaluated on (all of the design's tasks when the run names none). */
export function tasksOf(design, run) {
  return run.tasks ?? design.tasks.map((t) => t.name);
}

export function taskOf(design, name) {
  const t = design.tasks.find((x) => x.name === name);
  if (!t) throw new Error(`task ${name} is not in the design's tasks`);
  return t;
}

/** Epochs a fine-tuned run is evaluated at: its own list, else the design's evalEpochs, else the last epoch. */
export function epochsOf(design, run) {
  if (run.type !== 'fine-tuned') return null;
  if (run.epochs) return run.epochs;
  if (design.evalEpochs) return design.evalEpochs;
  return [(design.epochs ?? 1) - 1];
}

/** run-inspect's key for an eval: `{run}_{task}_epoch{N}`, or `{run}_{task}_base` without an epoch. */
export function evalKey(run, task, epoch) {
  return epoch === null ? `${run}_${task}_base` : `${run}_${task}_epoch${epoch}`;
}

/**
 * Every (run, task, epoch) the design asks for, in All Runs order, then task order, then epoch:
 * `{ key, run, task, epoch, type }` (epoch null for control and eval-only runs).
 */
export function evalsOf(design) {
  const out = [];
  for (const run of design.runs) {
    typeLabel(run.type);
    const epochs = epochsOf(design, run);
    for (const task of tasksOf(design, run)) {
      taskOf(design, task);
      for (const epoch of epochs ?? [null]) out.push({ key: evalKey(run.name, task, epoch), run: run.name, task, epoch, type: run.type });
    }
  }
  return out;
}

/** The experiment's folder name as the design gives it (`name`), else the last part of `dir`. */
export function experimentName(design) {
  return design.name ?? basename(design.dir);
}

/**
 * A per-eval option: a plain value, a record by eval key (falls back to `fallback`), or a
 * function of the eval. Lets a test give every eval the same accuracy, or a learning curve.
 */
export function pick(option, e, fallback) {
  if (option === undefined || option === null) return fallback;
  if (typeof option === 'function') return option(e) ?? fallback;
  if (typeof option === 'object' && !Array.isArray(option)) return e.key in option ? option[e.key] : fallback;
  return option;
}
