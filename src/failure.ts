// Why an eval failed, in the classes a researcher acts on: the node's fault (retried by itself),
// memory, walltime, the code or its configuration (fix it first: see the circuit breaker), or a
// person (cancelled). Read from SLURM's state and the reason found in inspect's log and the job's
// output (its last error line).
import { EVAL_STATUSES, type EvalStatus } from './status.js';

export const FAILURE_CLASSES = ['infrastructure', 'out of memory', 'timeout', 'code/config', 'cancelled', 'unknown'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

const OOM = /CUDA out of memory|OutOfMemoryError|out of memory|oom[-_ ]kill/i;
const TIME_LIMIT = /DUE TO TIME LIMIT/;
// Hub downloads, DNS, the network, NCCL: the machine's trouble, not the eval's.
const NETWORK = /ConnectionError|ConnectTimeout|ReadTimeout|Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection (refused|reset)|HTTPError: 5\d\d|\b50[234] (Server Error|Service Unavailable|Bad Gateway)|NCCL (error|timeout)/i;
// A traceback's last line, a missing file or command: something to fix before running again.
const CODE = /\b\w*(Error|Exception)\b|Traceback|No such file or directory|command not found|not found|invalid|no inspect log/i;

/** The class of a failed eval, or null for one that did not fail (succeeded, waiting, in flight, skipped). */
export function classifyFailure(status: EvalStatus, reason: string): FailureClass | null {
  const row = EVAL_STATUSES[status];
  if (row.outcome !== 'not successful') return null;
  if (row.infrastructure) return 'infrastructure';
  if (status === 'OUT_OF_MEMORY' || OOM.test(reason)) return 'out of memory';
  if (status === 'TIMEOUT' || TIME_LIMIT.test(reason)) return 'timeout';
  if (status === 'CANCELLED') return 'cancelled';
  if (NETWORK.test(reason)) return 'infrastructure';
  if (CODE.test(reason)) return 'code/config';
  return 'unknown';
}

/**
 * What makes two failures "the same": the first exception with its message (`ModuleNotFoundError:
 * No module named 'peft'`), else the reason without job ids, numbers and file pointers.
 */
export function failureSignature(reason: string): string {
  const exception = /\b([A-Z]\w*(?:Error|Exception))(?::\s*([^;(]*))?/.exec(reason);
  if (exception) return `${exception[1]}${exception[2]?.trim() ? `: ${exception[2].trim()}` : ''}`;
  return reason
    .replace(/\(see [^)]*\)/g, '')
    .replace(/\d+/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}
