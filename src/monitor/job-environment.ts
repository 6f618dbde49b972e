// The SLURM job this process runs in, read once (submitit's JobEnvironment is the model): its id,
// name and end, and the signals SLURM sends it. Nothing else reads SLURM_JOB_*; tests build one
// from a plain record.
import type { Clock, StopSignal } from './context.js';

export interface JobEnvironment {
  /** SLURM_JOB_ID; null outside a SLURM job. */
  jobId: string | null;
  /** SLURM_JOB_NAME: a link's name is its chain's. */
  jobName: string | null;
  /** SLURM_JOB_END_TIME (Slurm ≥ 23.02; 22.05 has none: ask squeue for the time left). */
  endTime: Date | null;
}

export function jobEnvironment(env: NodeJS.ProcessEnv): JobEnvironment {
  const end = Number(env.SLURM_JOB_END_TIME);
  return {
    jobId: env.SLURM_JOB_ID || null,
    jobName: env.SLURM_JOB_NAME || null,
    endTime: Number.isFinite(end) && end > 0 ? new Date(end * 1000) : null,
  };
}

/** What SLURM (or a person) sends to say "stop": before the walltime (USR1, by --signal), scancel (TERM), Ctrl-C. */
const STOP_SIGNALS = ['SIGTERM', 'SIGUSR1', 'SIGINT', 'SIGHUP'] as const;

/**
 * The real clock, whose sleep a stop signal cuts short, and the stop those signals request. With
 * `listen` false (commands that only read) the signals keep node's defaults.
 */
export function signalledClock(listen: boolean): { clock: Clock; stop: StopSignal } {
  const stop = { requested: null as string | null };
  let wake: (() => void) | null = null;
  if (listen) {
    for (const sig of STOP_SIGNALS) {
      process.on(sig, () => {
        stop.requested = sig;
        wake?.();
      });
    }
  }
  const clock: Clock = {
    now: () => new Date(),
    sleep: (ms) =>
      new Promise<void>((done) => {
        if (stop.requested) return done();
        const t = setTimeout(finish, ms);
        function finish() {
          clearTimeout(t);
          wake = null;
          done();
        }
        wake = finish;
      }),
  };
  return { clock, stop };
}
