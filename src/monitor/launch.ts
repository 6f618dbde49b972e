// `launch`: the monitor as a small low-priority SLURM job, chained after fine-tuning.
import { readFile, rm } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { writeOwnFile } from '../state/own-file.js';
import { chainName, otherLinks, submitLink } from './chain.js';
import type { Monitor, Relaunch } from './context.js';
import { activeFinetuneJobs } from './finetune.js';
import { loadExperiment, mergeDiscovered } from './prepare.js';

export interface LaunchOptions {
  after: string | null;
  sbatchOptions: string[];
}

/**
 * Queues the first link of the monitor chain, after the fine-tuning jobs when asked (`auto` finds
 * them). The experiment is checked first, on the login node, not at 3 am inside the job; a link
 * SLURM refuses changes nothing. Returns its job id.
 */
export async function launchChain(m: Monitor, o: LaunchOptions, relaunch: Relaunch): Promise<string> {
  const { design, evals, unscripted } = await loadExperiment(m);
  const existing = await otherLinks(m.slurm, m.user, m.experimentId, null);
  if (existing.length > 0) {
    throw new UserError(`${m.experimentDir}: a monitor job is already queued or running (${existing.map((q) => `${q.jobId} ${q.state}`).join(', ')}); \`run-inspect stop\` it first`);
  }
  let after: string[] = [];
  if (o.after === 'auto') {
    const known = design.finetuneJobs.flatMap((j) => (j.jobId ? [j.jobId] : []));
    after = (await activeFinetuneJobs(m.slurm, m.user, m.experimentDir, known, [])).map((j) => j.jobId);
  } else if (o.after) {
    after = o.after.split(/[:,]/).filter(Boolean);
    const bad = after.find((id) => !/^\d+(_\d+)?$/.test(id));
    if (bad) throw new UserError(`--after: "${bad}" is not a SLURM job id`);
  }
  // The links read their sbatch options from the state, so it is written first — and put back
  // as it was when SLURM refuses the job: a failed launch changes nothing.
  const stateFile = m.store.file;
  const before = await readFile(stateFile, 'utf8').catch(() => null);
  await m.store.update((cur) => {
    const s = mergeDiscovered(m, cur, design, evals, unscripted);
    s.monitor.sbatch_options = o.sbatchOptions;
    s.monitor.chain_name = chainName(m.experimentDir, m.experimentId);
    s.monitor.finished = null;
    return s;
  });
  // cruijff_kit's detach sentinel is sticky; launching again is the user's word to resume.
  const detach = m.layout.cruijff && (await m.cruijff?.detachRequested()) ? m.layout.cruijff.detach : null;
  if (detach) await rm(detach, { force: true });
  let jobId: string;
  try {
    jobId = await submitLink(m.slurm, {
      experimentDir: m.experimentDir,
      output: m.layout.monitorOutput,
      experimentId: m.experimentId,
      jobName: chainName(m.experimentDir, m.experimentId),
      sbatchOptions: o.sbatchOptions,
      dependency: after.length ? `afterany:${after.join(':')}` : null,
      ...relaunch,
    });
  } catch (e) {
    await (before === null ? rm(stateFile, { force: true }) : writeOwnFile(stateFile, before));
    if (detach) await writeOwnFile(detach, '');
    throw e;
  }
  if (detach) await m.runlog.write('RESUME', 'Removed logs/.detach: launching again resumes monitoring', [['Details', detach]]);
  await m.runlog.write('LAUNCH', 'Queued the run-inspect monitor job', [
    ['Details', `after ${after.length ? after.join(', ') : 'nothing (starts when scheduled)'}; ${o.sbatchOptions.join(' ')}`],
    ['Result', `Monitor Job ID ${jobId}`],
  ]);
  return jobId;
}
