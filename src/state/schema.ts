// eval_jobs.json: a superset of the workflow's schema, validated on every read.
import * as z from 'zod';
import { EVAL_STATUS_NAMES } from '../status.js';

export const STATE_VERSION = 1;

const status = z.enum(EVAL_STATUS_NAMES);

/** What an ended job used, as sacct tells it: wall seconds, GPUs held (null: never allocated), its walltime (null: unlimited). */
const usage = z.object({ wall_s: z.number(), gpus: z.number().nullable(), limit_s: z.number().nullable() });
/** nvidia-smi's samples during the job, from cruijff_kit's gpu_metrics.csv (experiment/gpu-metrics.ts). */
const gpuMetrics = z.object({ util_mean: z.number().nullable(), mem_peak_mib: z.number().nullable(), samples: z.number() });

const attempt = z.object({
  job_id: z.string(),
  status,
  submitted: z.string().nullable(),
  completed: z.string().nullable(),
  reason: z.string(),
  usage: usage.optional(),
  gpu: gpuMetrics.optional(),
});

// As inspect/log.ts reads them, so that the result is formatted from the state alone.
const metric = z.object({ name: z.string(), value: z.number().nullable(), nonFinite: z.enum(['NaN', 'Infinity', '-Infinity']).optional() });
const score = z.object({ name: z.string(), scorer: z.string(), metrics: z.array(metric), scoredSamples: z.number().optional() });

export const evaluationSchema = z.object({
  run: z.string(),
  task: z.string(),
  epoch: z.number().int().nonnegative().nullable(),
  job_id: z.string().nullable(),
  status,
  submitted: z.string().nullable(),
  completed: z.string().nullable(),
  elapsed: z.string().nullable(),
  log_path: z.string().nullable(),
  // Beyond the workflow's schema:
  /** Paths relative to the experiment directory. */
  script: z.string(),
  model_path: z.string().nullable().default(null),
  /** Where inspect writes this eval's logs (relative); null: `logs/` beside the script (older states). */
  logs_dir: z.string().nullable().default(null),
  /** The logs folder holds only this eval's logs (a cruijff_kit cell). */
  own_logs: z.boolean().default(false),
  /** Task names a log of this eval may carry, and its vis_label (see inspect/find.ts). */
  log_tasks: z.array(z.string()).default([]),
  vis_label: z.string().nullable().default(null),
  /** false: the design does not plan this eval (it is run, and noted). */
  in_design: z.boolean().default(true),
  slurm_output: z.string().nullable().default(null),
  notes: z.string().default(''),
  /** Set under the lock before sbatch; cleared once the job id is recorded. */
  submit_intent: z.string().nullable().default(null),
  /** When the job was first absent from both squeue and sacct. */
  missing_since: z.string().nullable().default(null),
  /** First poll that saw the job pending on a dependency that can never be satisfied. */
  stuck_since: z.string().nullable().default(null),
  slurm_state: z.string().nullable().default(null),
  attempts: z.array(attempt).default([]),
  scores: z.array(score).default([]),
  /** Samples done (of total) while running, and as the finished log counts them. */
  samples: z.object({ done: z.number(), total: z.number().nullable() }).nullable().default(null),
});

const link = z.object({
  job_id: z.string(),
  started: z.string(),
  ended: z.string().nullable(),
  end_reason: z.string().nullable(),
});

export const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  experiment: z.string(),
  experiment_id: z.string(),
  monitoring_started: z.string(),
  last_poll: z.string().nullable().default(null),
  last_successful_poll: z.string().nullable().default(null),
  next_poll: z.string().nullable().default(null),
  monitor: z
    .object({
      /** Who runs the monitor now: pid@host and the SLURM job id, if any. */
      holder: z.string().nullable(),
      chain_name: z.string().nullable(),
      links: z.array(link),
      successor_job_id: z.string().nullable(),
      /** sbatch options `launch` was given, reused for every successor link. */
      sbatch_options: z.array(z.string()).default([]),
      stopped: z.string().nullable(),
      finished: z.string().nullable().default(null),
    })
    .default({ holder: null, chain_name: null, links: [], successor_job_id: null, sbatch_options: [], stopped: null, finished: null }),
  evaluations: z.record(z.string(), evaluationSchema),
  /** Which lines of eval_jobs.journal.jsonl belong to this file (see journal.ts); null: no journal. */
  journal_id: z.string().nullable().default(null),
  /** Set when this state was read from the workflow's own eval_jobs.json (see migrate.ts); cleared once logged. */
  migrated_from: z.string().nullable().default(null),
});

export type EvalState = z.infer<typeof evaluationSchema>;
export type Attempt = z.infer<typeof attempt>;
export type JobUsage = z.infer<typeof usage>;
export type GpuMetrics = z.infer<typeof gpuMetrics>;
export type State = z.infer<typeof stateSchema>;
