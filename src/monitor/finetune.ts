// Is this experiment's fine-tuning still running? Its jobs are named after the run, not
// "finetune" (docs/formats.md §4): find them by the job ids in the summary's Fine-tuning table, or by
// squeue's script path lying inside the experiment (and not in an eval folder).
import { sep } from 'node:path';
import type { Design } from '../experiment/design.js';
import type { ActiveJob, Slurm } from '../slurm/client.js';
import { SlurmCommandError } from '../errors.js';
import type { Monitor } from './context.js';

export async function activeFinetuneJobs(slurm: Slurm, user: string, experimentDir: string, knownIds: string[], ownJobIds: string[]): Promise<ActiveJob[]> {
  const inside = experimentDir.endsWith(sep) ? experimentDir : experimentDir + sep;
  return (await slurm.activeJobs(user)).filter(
    (j) => !ownJobIds.includes(j.jobId) && (knownIds.includes(j.jobId) || (j.command.startsWith(inside) && !j.command.includes(`${sep}eval${sep}`))),
  );
}

export type FinetuneWait = 'ready' | string;

/** Until this experiment's fine-tuning jobs left the queue: 'ready', or why to stop waiting (a signal, --once). */
export async function waitForFinetune(m: Monitor, design: Design, stopReason: () => string | null): Promise<FinetuneWait> {
  const known = design.finetuneJobs.flatMap((j) => (j.jobId ? [j.jobId] : []));
  const own = m.job.jobId ? [m.job.jobId] : [];
  const command = `squeue -u ${m.user} (fine-tuning jobs by id and script path)`;
  const say = (result: string) => m.runlog.write('VERIFY_FINETUNING', 'Checking if fine-tuning complete', [['Command', command], ['Result', result]]);
  let told = false;
  for (;;) {
    const jobs = await activeFinetuneJobs(m.slurm, m.user, m.experimentDir, known, own).catch((e: unknown) => {
      if (e instanceof SlurmCommandError) return e;
      throw e;
    });
    if (jobs instanceof SlurmCommandError) {
      m.progress.warn(`fine-tuning check failed: ${jobs.message}; retrying in ${m.options.pollIntervalS} s`);
      await say(`Check failed: ${jobs.message}; retrying at the next interval`);
    } else if (jobs.length === 0) {
      await say('No fine-tuning jobs running - training complete');
      return 'ready';
    } else {
      const list = jobs.map((j) => `${j.jobId} (${j.state})`).join(', ');
      if (m.options.finetune === 'proceed') {
        await say(`${jobs.length} fine-tuning jobs still running: ${list}; proceeding as asked (--finetune proceed)`);
        return 'ready';
      }
      if (!told) {
        told = true;
        m.progress.info(`waiting for ${jobs.length} fine-tuning jobs: ${list}`);
        await say(`${jobs.length} fine-tuning jobs still running: ${list}; waiting`);
      }
    }
    if (m.options.once) return '--once';
    const reason = stopReason();
    if (reason) return reason;
    await m.clock.sleep(m.options.pollIntervalS * 1000);
  }
}
