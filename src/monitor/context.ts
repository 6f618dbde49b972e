// What a monitor pass needs from the world, behind small interfaces so tests drive the core directly.
import type { ExperimentLayout } from '../experiment/layout.js';
import type { CruijffFiles } from '../report/cruijff-files.js';
import type { RunLog } from '../report/runlog.js';
import type { Progress } from '../report/progress.js';
import type { Slurm } from '../slurm/client.js';
import type { StateStore } from '../state/store.js';
import type { JobEnvironment } from './job-environment.js';

export interface RunOptions {
  once: boolean;
  pollIntervalS: number;
  staggerS: number;
  maxInFlight: number;
  /** At most this many of the user's jobs queued or running, all experiments (cruijff_kit's max_submit). */
  maxUserJobs: number;
  finetune: 'wait' | 'proceed';
  dryRun: boolean;
  /** Automatic resubmissions after an infrastructure failure (NODE_FAIL, BOOT_FAIL, PREEMPTED). */
  maxRetries: number;
  /** A job absent from squeue and sacct this long is declared LOST. */
  lostAfterS: number;
  /** Running as a link of the self-resubmitting monitor chain. */
  chain: boolean;
  maxLinks: number;
  /** Stop polling this long before the link's walltime ends. */
  safetyMarginS: number;
  /** Seconds to wait for the monitor lock (a chain link after a killed predecessor). */
  waitLockS: number;
  notify: string[] | null;
  /** Hold a task's unsubmitted evals once this many of it failed the same way in the code (0 = never). */
  breaker: number;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = {
  once: false,
  pollIntervalS: 60,
  staggerS: 1,
  maxInFlight: Number.POSITIVE_INFINITY,
  maxUserJobs: Number.POSITIVE_INFINITY,
  finetune: 'wait',
  dryRun: false,
  maxRetries: 1,
  lostAfterS: 900,
  chain: false,
  maxLinks: 100,
  safetyMarginS: 180,
  waitLockS: 0,
  notify: null,
  breaker: 3,
};

export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or earlier once a stop was requested. */
  sleep(ms: number): Promise<void>;
}

export interface StopSignal {
  /** Set by SIGTERM / SIGUSR1 / SIGINT: save and leave at the next safe point. */
  readonly requested: string | null;
}

export interface Monitor {
  /** Every path of the experiment (experiment/layout.ts); `experimentDir` is `layout.dir`. */
  layout: ExperimentLayout;
  experimentDir: string;
  experimentId: string;
  user: string;
  slurm: Slurm;
  store: StateStore;
  clock: Clock;
  runlog: RunLog;
  /** cruijff_kit's own files (cells layout): kept true so its tools work; null in the seed era. */
  cruijff: CruijffFiles | null;
  progress: Progress;
  stop: StopSignal;
  options: RunOptions;
  /** The SLURM job this process runs in, if any. */
  job: JobEnvironment;
  /** The environment eval scripts are read with ($HOME, ...: what sbatch passes on to the job). */
  env: NodeJS.ProcessEnv;
}

/** How `run` and the commands end, for the shell and for SLURM (see cli.ts). */
export const EXIT = { allSucceeded: 0, someFailed: 1, badInput: 2, slurmUnavailable: 3, inFlight: 4 } as const;

/** How a successor link is started: the same node, bundle and run arguments as this process. */
export interface Relaunch {
  node: string;
  bundle: string;
  runArgs: string[];
}
