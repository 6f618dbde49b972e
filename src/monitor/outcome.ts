// The true outcome of an eval whose job ended. The inspect log is the truth in both directions:
// `inspect eval` exits 0 when a task errors (SLURM's COMPLETED proves nothing), and cruijff_kit's
// template ends with `wait` on its nvidia-smi monitor, so SLURM may say FAILED after inspect
// finished (docs/formats.md).
import { isAbsolute, join, relative } from 'node:path';
import { failureReason } from '../experiment/job-output.js';
import { findLogs, type FindLogsResult, type LogIdentity } from '../inspect/find.js';
import type { InspectLogInfo } from '../inspect/log.js';
import { parseTimestamp } from '../slurm/time.js';
import type { EvalState } from '../state/schema.js';
import type { EvalStatus, SlurmTerminalState } from '../status.js';

export interface Outcome {
  status: EvalStatus;
  notes: string;
  logPath: string | null;
  log: InspectLogInfo | null;
}

/** Where inspect writes the eval's logs (states from before logs_dir: `logs/` beside the script). */
function logsDirOf(experimentDir: string, ev: EvalState): string {
  return ev.logs_dir ? join(experimentDir, ev.logs_dir) : join(experimentDir, ev.script, '..', 'logs');
}

function logIdentityOf(ev: EvalState): LogIdentity {
  return { tasks: ev.log_tasks.length > 0 ? ev.log_tasks : [ev.task], visLabel: ev.vis_label, modelPath: ev.model_path, ownFolder: ev.own_logs };
}

/** This eval's logs, only those written since its job was submitted (when it was). */
export function findEvalLogs(experimentDir: string, ev: EvalState): Promise<FindLogsResult> {
  const since = ev.submitted ? parseTimestamp(ev.submitted) : null;
  return findLogs(logsDirOf(experimentDir, ev), logIdentityOf(ev), since ? { since } : undefined);
}

/** Why a finished log is not a success, or null when it is one: status success, every sample done, not invalidated. */
export function notASuccess(log: InspectLogInfo): string | null {
  if (log.status !== 'success') return `inspect ${log.status}: ${log.errorMessage ?? `log status ${log.status}`}`;
  if (log.invalidated) return 'inspect log was invalidated';
  if (log.completedSamples !== null && log.totalSamples !== null && log.completedSamples < log.totalSamples) {
    return `inspect finished only ${log.completedSamples}/${log.totalSamples} samples`;
  }
  return null;
}

/** The samples a finished log counts: done (of total), for its `(n=…)`. */
export function samplesOf(log: InspectLogInfo): EvalState['samples'] {
  const done = log.completedSamples ?? log.totalSamples;
  return done === null ? null : { done, total: log.totalSamples };
}

export async function resolveOutcome(experimentDir: string, ev: EvalState, slurmState: SlurmTerminalState, exitCode: string | null): Promise<Outcome> {
  const { finished, running } = await findEvalLogs(experimentDir, ev);
  const rel = (p: string) => relative(experimentDir, p);
  const job = `${slurmState}${exitCode && exitCode !== '0:0' ? ` (exit code ${exitCode})` : ''}`;
  const why = finished ? notASuccess(finished) : null;
  if (finished && why === null) {
    // The log says success: the eval succeeded, whatever came after inspect (a `wait` that failed).
    const notes = slurmState === 'COMPLETED' ? '' : `job ended ${job} after inspect finished`;
    return { status: 'COMPLETED', notes, logPath: rel(finished.path), log: finished };
  }
  const inspect = why ?? (slurmState === 'COMPLETED' ? noLogReason(experimentDir, ev, running?.path ?? null) : '');
  const exit = slurmState === 'FAILED' && exitCode ? `exit code ${exitCode}` : '';
  const notes = [inspect, exit, await outputNote(experimentDir, ev, inspect)].filter(Boolean).join('; ');
  const status: EvalStatus = slurmState === 'COMPLETED' ? 'FAILED' : slurmState;
  return { status, notes, logPath: finished ? rel(finished.path) : running ? rel(running.path) : null, log: finished };
}

function noLogReason(experimentDir: string, ev: EvalState, running: string | null): string {
  if (running) return `inspect log never finished (no header.json): ${relative(experimentDir, running)}`;
  return `no inspect log in ${relative(experimentDir, logsDirOf(experimentDir, ev))}`;
}

/**
 * The last error line of the job's output file and where the file is; only the path when `already`
 * says the same (inspect's error is often the output's last line too); '' when there is nothing to say.
 */
async function outputNote(experimentDir: string, ev: EvalState, already: string): Promise<string> {
  if (!ev.slurm_output) return '';
  const file = isAbsolute(ev.slurm_output) ? ev.slurm_output : join(experimentDir, ev.slurm_output);
  const reason = await failureReason(file);
  if (!reason) return '';
  return already.includes(reason) ? `see ${ev.slurm_output}` : `${reason} (see ${ev.slurm_output})`;
}
