// The monitor as a chain of short, low-priority SLURM jobs. Each link queues its successor as soon
// as it starts (`afterany:<self>,singleton`: it can only start once this link has ended, however
// it ended, and never beside another link of the same name), polls within its walltime, and when
// every eval has ended cancels the queued successor so the chain stops.
import { basename } from 'node:path';
import { UserError } from '../errors.js';
import type { Slurm } from '../slurm/client.js';
import { SlurmCommandError } from '../slurm/exec.js';
import { parseJobState } from '../slurm/states.js';
import type { Monitor } from './context.js';
import { monitorComment } from './tags.js';
import { renderMonitorScript } from './template.js';

/** One name per experiment: readable in squeue, unique enough that singleton never joins two experiments. */
export function chainName(experimentDir: string, experimentId: string): string {
  const slug = basename(experimentDir).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40);
  return `run-inspect-${slug}-${experimentId.slice(0, 6)}`;
}

export interface LinkSpec {
  experimentDir: string;
  /** sbatch --output of the link (experiment/layout.ts). */
  output: string;
  experimentId: string;
  jobName: string;
  /** Extra sbatch options (`--partition=...`, `--time=...`), kept for every link. */
  sbatchOptions: string[];
  /** `--dependency=...`, if any. */
  dependency: string | null;
  node: string;
  bundle: string;
  /** The experiment dir and run options the link's `run --chain` gets. */
  runArgs: string[];
}

export async function submitLink(slurm: Slurm, spec: LinkSpec): Promise<string> {
  const options = [
    `--job-name=${spec.jobName}`,
    `--comment=${monitorComment(spec.experimentId)}`,
    `--chdir=${spec.experimentDir}`,
    `--output=${spec.output}`,
    ...(spec.dependency ? [`--dependency=${spec.dependency}`] : []),
    ...spec.sbatchOptions,
  ];
  const script = renderMonitorScript(spec.node, spec.bundle, spec.runArgs);
  const r = await slurm.submit({ scriptText: script, cwd: spec.experimentDir, options });
  if (r.ok) return r.jobId;
  // Refused (a bad partition, account, --mem...) is the user's to fix; anything else is SLURM's.
  if (r.kind === 'rejected') throw new UserError(`sbatch refused the monitor job: ${r.message}`);
  throw new SlurmCommandError('sbatch', r.message, r.kind === 'transient');
}

/** This link's end: SLURM_JOB_END_TIME where set (Slurm ≥ 23.02), else squeue's time left (22.05). */
export async function linkDeadline(m: Monitor): Promise<Date | null> {
  if (m.job.endTime) return m.job.endTime;
  const id = m.job.jobId;
  if (!id) return null;
  try {
    const left = await m.slurm.timeLeft(id);
    return left === null ? null : new Date(m.clock.now().getTime() + left * 1000);
  } catch (e) {
    m.progress.warn(`cannot read this job's time left (${(e as Error).message}); relying on the walltime signal`);
    return null;
  }
}

/** Queued or running links of this experiment's chain other than this process's own job. */
export async function otherLinks(slurm: Slurm, user: string, experimentId: string, selfJobId: string | null) {
  const tag = monitorComment(experimentId);
  return (await slurm.queue(user)).filter((q) => q.comment === tag && q.jobId !== selfJobId && parseJobState(q.state).kind === 'active');
}

