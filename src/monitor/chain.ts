// The monitor as a chain of short, low-priority SLURM jobs. Each link queues its successor as soon
// as it starts (`afterany:<self>,singleton`: it can only start once this link has ended, however
// it ended, and never beside another link of the same name), polls within its walltime, hands off
// with the state saved, and when every eval has ended cancels the queued successor so the chain
// stops. cruijff_kit's `logs/.detach` lets go of the chain the same way.
import { basename } from 'node:path';
import { SlurmCommandError, UserError } from '../errors.js';
import type { Slurm } from '../slurm/client.js';
import { parseJobState } from '../slurm/states.js';
import { countsLine } from '../report/final.js';
import { formatTimestamp, humanDuration } from '../slurm/time.js';
import { clearNextPoll } from '../state/heartbeat.js';
import type { State } from '../state/schema.js';
import { EXIT, type Monitor, type Relaunch } from './context.js';
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
    // The time left counts from when SLURM answered, at the latest: from when it was asked, so a
    // slow answer makes the deadline earlier, never later.
    const asked = m.clock.now().getTime();
    const left = await m.slurm.timeLeft(id);
    return left === null ? null : new Date(asked + left * 1000);
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

/** The link queued to follow this one (queued now if none is, up to --max-links); null outside a chain or when SLURM refused. */
export async function ensureSuccessor(m: Monitor, relaunch: Relaunch, state: State): Promise<string | null> {
  const self = m.job.jobId;
  if (!m.options.chain || !self) return null;
  try {
    const queued = await otherLinks(m.slurm, m.user, m.experimentId, self);
    if (queued.length > 0) return queued[0]!.jobId;
    if (state.monitor.links.length >= m.options.maxLinks) {
      await m.runlog.write('CHAIN_LIMIT', `Monitor chain reached ${m.options.maxLinks} links`, [['Result', 'No successor queued; run `run-inspect launch` to continue']]);
      return null;
    }
    const id = await submitLink(m.slurm, {
      experimentDir: m.experimentDir,
      output: m.layout.monitorOutput,
      experimentId: m.experimentId,
      jobName: m.job.jobName ?? chainName(m.experimentDir, m.experimentId),
      sbatchOptions: state.monitor.sbatch_options,
      dependency: `afterany:${self},singleton`,
      ...relaunch,
    });
    await m.store.update((s) => ({ ...s!, monitor: { ...s!.monitor, successor_job_id: id } }));
    m.progress.info(`queued successor monitor job ${id}`);
    return id;
  } catch (e) {
    m.progress.warn(`could not queue the successor monitor job (${(e as Error).message}); will try again`);
    return null;
  }
}

/** This link stops with evals in flight (walltime, a signal, --once): its end recorded and logged; exit 4. */
export async function handOff(m: Monitor, reason: string, successor: string | null, deadline: Date | null): Promise<number> {
  const self = m.job.jobId;
  const now = m.clock.now();
  const state = await m.store.update((s) => {
    const link = s!.monitor.links.find((l) => l.job_id === self && l.ended === null);
    if (link) Object.assign(link, { ended: formatTimestamp(now), end_reason: reason });
    return s!;
  });
  const left = deadline ? humanDuration((deadline.getTime() - now.getTime()) / 1000) : 'unknown';
  if (m.options.chain && self) {
    await m.runlog.write('HANDOFF', `Monitor job ${self} → ${successor ?? 'no successor'}`, [
      ['Details', `${reason}; time left ${left}`],
      ['Result', `${countsLine(state)}; state saved`],
    ]);
  } else {
    await m.runlog.write('MONITOR_PAUSED', `Stopped with evaluations in flight (${reason})`, [
      ['Result', `${countsLine(state)}; run \`run-inspect run\` again to resume`],
    ]);
  }
  m.progress.info(`stopping (${reason}) with evaluations in flight: ${countsLine(state)}`);
  return EXIT.inFlight;
}

/** The last link cancels the successor it queued; if that fails, the successor finds nothing to do. */
export async function endChain(m: Monitor, state: State): Promise<void> {
  let result: string;
  try {
    const pending = (await otherLinks(m.slurm, m.user, m.experimentId, m.job.jobId)).filter((q) => q.state === 'PENDING').map((q) => q.jobId);
    if (pending.length === 0 && state.monitor.finished) return; // an earlier link already ended the chain
    await m.slurm.cancel(pending);
    result = pending.length ? `Cancelled queued monitor jobs ${pending.join(', ')}` : 'No monitor job left queued';
  } catch (e) {
    if (!(e instanceof SlurmCommandError)) throw e;
    result = `Could not cancel the queued successor (${e.message}); it will start, find nothing to do and end`;
  }
  await m.runlog.write('CHAIN_END', 'Every evaluation has ended; the monitor chain stops', [
    ['Details', `${state.monitor.links.length} links`],
    ['Result', result],
  ]);
}

export async function detachRequested(m: Monitor): Promise<boolean> {
  return m.cruijff !== null && (await m.cruijff.detachRequested());
}

/**
 * `logs/.detach` (cruijff_kit's sentinel): let go cleanly. The evals keep running; no successor
 * link is left queued; `run-inspect launch` resumes (and removes the sentinel).
 */
export async function detach(m: Monitor): Promise<number> {
  const self = m.job.jobId;
  const now = m.clock.now();
  let cancelled: string[] = [];
  if (m.options.chain) {
    try {
      cancelled = (await otherLinks(m.slurm, m.user, m.experimentId, self)).filter((q) => q.state === 'PENDING').map((q) => q.jobId);
      await m.slurm.cancel(cancelled);
    } catch (e) {
      if (!(e instanceof SlurmCommandError)) throw e;
      m.progress.warn(`could not cancel the queued monitor job (${e.message}); it will start, see logs/.detach and let go too`);
    }
  }
  const state = await m.store.update((s) => {
    s!.monitor.stopped = formatTimestamp(now);
    s!.monitor.successor_job_id = null;
    s!.next_poll = null;
    const link = s!.monitor.links.find((l) => l.job_id === self && l.ended === null);
    if (link) Object.assign(link, { ended: formatTimestamp(now), end_reason: 'detached (logs/.detach)' });
    return s!;
  });
  await clearNextPoll(m.layout.heartbeat, state);
  await m.cruijff!.recordDetached('sentinel', now);
  m.progress.info(`logs/.detach: monitoring paused, evaluations keep running (${countsLine(state)})${cancelled.length ? `; cancelled queued monitor job ${cancelled.join(', ')}` : ''}; \`run-inspect launch\` resumes`);
  return EXIT.inFlight;
}
