// The eval_jobs.json the workflow text documents (someone ran the workflow by hand before run-inspect):
// no version, and per eval only run, task, epoch, job_id, status, submitted, completed, elapsed and
// log_path (a folder). It is read into run-inspect's schema with every job id kept; what discovery
// knows (scripts, models, log folders) is filled in when the monitor next starts (mergeDiscovered).
import * as z from 'zod';
import { evalKey } from '../domain.js';
import { EVAL_STATUS_NAMES } from '../status.js';

const WORKFLOW_SCHEMA = 'the workflow’s eval_jobs.json';

const text = z.string().nullish().transform((v) => v ?? null);
const workflowEval = z.object({
  run: z.string(),
  task: z.string(),
  epoch: z.number().int().nonnegative().nullable(),
  job_id: z.union([z.string(), z.number()]).nullish().transform((v) => (v === null || v === undefined ? null : String(v))),
  status: z.string().transform((s) => s.trim().split(/\s+/)[0]!.toUpperCase()).pipe(z.enum(EVAL_STATUS_NAMES)),
  submitted: text,
  completed: text,
  elapsed: text,
  log_path: text,
});
const workflowState = z.object({
  experiment: z.string(),
  monitoring_started: z.string(),
  evaluations: z.record(z.string(), workflowEval),
});

/** The state the workflow's file describes, in run-inspect's shape (not yet validated), or null when it is not that file. */
export function fromWorkflowState(data: unknown): Record<string, unknown> | null {
  if (data === null || typeof data !== 'object' || 'version' in data) return null;
  const parsed = workflowState.safeParse(data);
  if (!parsed.success) return null;
  const w = parsed.data;
  const evaluations = Object.fromEntries(
    Object.values(w.evaluations).map((e) => [
      evalKey(e.run, e.task, e.epoch),
      {
        ...e,
        // The workflow's log_path is the logs folder; run-inspect's is the log file.
        log_path: e.log_path && !e.log_path.endsWith('/') && /\.(eval|json)$/.test(e.log_path) ? e.log_path : null,
        // The seed era's script path, until discovery says where it is.
        script: `${e.run}/eval/${e.task}_${e.epoch === null ? 'base' : `epoch${e.epoch}`}.slurm`,
      },
    ]),
  );
  return { version: 1, experiment: w.experiment, experiment_id: '', monitoring_started: w.monitoring_started, evaluations, migrated_from: WORKFLOW_SCHEMA };
}
