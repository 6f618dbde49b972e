// The fake-inspect plan: how each eval of a generated experiment behaves (outcome, seconds,
// samples, scores, the task name inspect writes), kept OUTSIDE the experiment so the eval scripts
// keep the shape of the scaffolding templates. The `inspect` stub (fake-bin/inspect) finds its
// entry by the job's working directory, the expanded model path and the TASKSPEC.
//
// File: `{parent of the experiment}/.fake-inspect-plan.{experiment folder name}.json`
//   { "version": 1, "experiment": "/abs/exp", "entries": [ { workDir, modelPath, taskSpec, ... } ] }
// Found through $FAKE_INSPECT_PLAN, else by walking up from the working directory: at each
// ancestor A whose child on the way down is C, `A/.fake-inspect-plan.C.json`.
import { existsSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export const PLAN_VERSION = 1;

export function planPathFor(experimentDir) {
  const abs = resolve(experimentDir);
  return join(dirname(abs), `.fake-inspect-plan.${basename(abs)}.json`);
}

export function writePlan(experimentDir, entries) {
  const file = planPathFor(experimentDir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ version: PLAN_VERSION, experiment: resolve(experimentDir), entries }, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

function real(p) {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** The plan file for a job running in `cwd`, or null. */
export function findPlanFile(cwd, env = process.env) {
  if (env.FAKE_INSPECT_PLAN) {
    const plan = resolve(cwd, env.FAKE_INSPECT_PLAN);
    return existsSync(plan) ? plan : null;
  }
  let child = real(cwd);
  for (let dir = dirname(child); ; child = dir, dir = dirname(dir)) {
    const candidate = join(dir, `.fake-inspect-plan.${basename(child)}.json`);
    if (existsSync(candidate)) return candidate;
    if (dir === dirname(dir)) return null;
  }
}

const normPath = (p) => (typeof p === 'string' && p.length > 1 ? p.replace(/\/+$/, '') : p);

/** The plan entry for this invocation, or null (then the eval succeeds with defaults). */
export function findEntry(planFile, { cwd, modelPath, taskSpec }) {
  if (!planFile) return null;
  const plan = JSON.parse(readFileSync(planFile, 'utf8'));
  if (plan.version !== PLAN_VERSION) throw new Error(`${planFile}: plan version ${plan.version}, expected ${PLAN_VERSION}`);
  const here = real(cwd);
  return (
    plan.entries.find(
      (e) => real(e.workDir) === here && normPath(e.modelPath) === normPath(modelPath) && (e.taskSpec === undefined || e.taskSpec === taskSpec),
    ) ?? null
  );
}
