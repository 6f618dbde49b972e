// The `--comment` tags that let SLURM tell us which job is which eval (or monitor link), even
// when run-inspect lost the job id (killed between sbatch and writing it down).
import crypto, { createHash } from 'node:crypto';

// crypto.hash (Node 20.12+) is the one-shot form: a new link hashes every eval's key once (10,000).
const sha1 = (text: string): string =>
  typeof (crypto as { hash?: unknown }).hash === 'function' ? crypto.hash('sha1', text, 'hex') : createHash('sha1').update(text).digest('hex');
const hash = (text: string, length: number) => sha1(text).slice(0, length);

/** Stable per experiment directory (its absolute real path). */
export function experimentIdOf(realExperimentDir: string): string {
  return hash(realExperimentDir, 10);
}

// Cached (experiment id → eval key → comment): every poll asks for every tracked job's.
const comments = new Map<string, Map<string, string>>();

/** Hashed, so a run or task name with shell metacharacters never reaches SLURM's comment field. */
export function evalComment(experimentId: string, key: string): string {
  let ofExperiment = comments.get(experimentId);
  if (ofExperiment === undefined) comments.set(experimentId, (ofExperiment = new Map()));
  let comment = ofExperiment.get(key);
  if (comment === undefined) ofExperiment.set(key, (comment = `run-inspect:${experimentId}:${hash(key, 12)}`));
  return comment;
}

const MONITOR_TAG = 'run-inspect-monitor:';

export function monitorComment(experimentId: string): string {
  return `${MONITOR_TAG}${experimentId}`;
}

/** A monitor link of any experiment: never counted against cruijff_kit's max_submit (it would wait on itself). */
export function isMonitorComment(comment: string): boolean {
  return comment.startsWith(MONITOR_TAG);
}
