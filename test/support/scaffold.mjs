// Faithful experiment folders of both cruijff_kit generations, for tests and the demo. Types and
// the full option / return documentation: scaffold.d.mts.
//
//   renderSummaryMd(design, { statusTables, titleStyle })  experiment_summary.md, either shape
//   exampleSummary('with-status-tables' | 'without-status') the two example summaries
//   scaffoldSeedEra(dir, design, opts)                     Oct–Nov 2025: summary .md, {run}/eval/*.slurm
//   scaffoldToday(dir, design, opts)                       2026: experiment_summary.yaml, cells
//
// The eval scripts are the scaffolding templates' text; how each eval goes (outcome, seconds,
// scores, the task name inspect writes) is in a plan file beside the experiment, read by the
// `inspect` stub in fake-bin/. Run a generated experiment's jobs with the returned `env`
// (fake-bin first on PATH, FAKE_INSPECT_PLAN, FAKE_INSPECT_NODE, FAKE_NVIDIA_SMI), which
// sbatch exports to the job.
export { evalKey, evalsOf } from './scaffold/design.mjs';
export { renderSummaryMd } from './scaffold/summary-md.mjs';
export { CAPITALIZATION, EXAMPLE_SHAPES, WITHOUT_STATUS, WITH_STATUS_TABLES, exampleSummary } from './scaffold/designs.mjs';
export { FAKE_BIN } from './scaffold/common.mjs';
export { findPlanFile, planPathFor } from './scaffold/plan.mjs';
export { MODEL_PATH_STYLES, scaffoldSeedEra } from './scaffold/seed-era.mjs';
export { EVAL_TEMPLATE, MODEL_SLURM, renderCellSlurm, scaffoldToday } from './scaffold/today.mjs';
