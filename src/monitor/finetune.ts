// Is this experiment's fine-tuning still running? Its jobs are named after the run, not
// "finetune" (docs/formats.md §4): find them by the job ids in the summary's Fine-tuning table, or by
// squeue's script path lying inside the experiment (and not in an eval folder).
import { sep } from 'node:path';
import type { ActiveJob, Slurm } from '../slurm/client.js';

export async function activeFinetuneJobs(slurm: Slurm, user: string, experimentDir: string, knownIds: string[], ownJobIds: string[]): Promise<ActiveJob[]> {
  const inside = experimentDir.endsWith(sep) ? experimentDir : experimentDir + sep;
  return (await slurm.activeJobs(user)).filter(
    (j) => !ownJobIds.includes(j.jobId) && (knownIds.includes(j.jobId) || (j.command.startsWith(inside) && !j.command.includes(`${sep}eval${sep}`))),
  );
}
