// What a command runs against: the core's interfaces (monitor/context.ts) wired to the real world.
import { userInfo } from 'node:os';
import type { ExperimentLayout } from '../experiment/layout.js';
import { CruijffFiles } from '../report/cruijff-files.js';
import { createProgress } from '../report/progress.js';
import { fileRunLog } from '../report/runlog.js';
import { createSlurmClient } from '../slurm/client.js';
import { execaRunner } from '../slurm/exec.js';
import { StateStore } from '../state/store.js';
import type { Monitor, RunOptions } from './context.js';
import { jobEnvironment, signalledClock } from './job-environment.js';
import { experimentIdOf } from './tags.js';

/**
 * The Monitor on the real machine: SLURM through execa, the files of `layout`, the wall clock.
 * `acting`: this process submits or polls, so the stop signals are its to handle.
 */
export function liveMonitor(layout: ExperimentLayout, options: RunOptions, acting: boolean): Monitor {
  const experimentDir = layout.dir;
  const progress = createProgress();
  const { clock, stop } = signalledClock(acting);
  return {
    layout,
    experimentDir,
    experimentId: experimentIdOf(experimentDir),
    user: userName(),
    slurm: createSlurmClient({ run: execaRunner }),
    store: new StateStore(layout.state),
    clock,
    runlog: fileRunLog(layout.runLog),
    cruijff: layout.cruijff ? new CruijffFiles(layout.runLog, layout.cruijff, (message) => progress.warn(message)) : null,
    progress,
    stop,
    options,
    job: jobEnvironment(process.env),
    env: process.env,
  };
}

/** The user SLURM knows us as; a uid with no passwd entry (containers, LDAP hiccups) is its number, which squeue -u takes too. */
function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '');
  }
}
