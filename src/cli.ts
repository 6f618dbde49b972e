// run-inspect <command> [EXPERIMENT_DIR] [options]. Turns arguments into one call of the core and
// its outcome into an exit code: 0 all evals succeeded, 1 all ended but some did not succeed,
// 2 bad usage or input (nothing changed), 3 SLURM unavailable, 4 stopped with evals in flight.
import { realpathSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import writeFileAtomic from 'write-file-atomic';
import { fileFault, SlurmCommandError, SlurmUnavailableError, UserError } from './errors.js';
import { detectLayout, type ExperimentLayout } from './experiment/layout.js';
import { DEFAULT_RUN_OPTIONS, EXIT, type RunOptions } from './monitor/context.js';
import { launchDefaults } from './monitor/template.js';
import type { ReportFormat } from './report/results.js';
import { parseSlurmDuration } from './slurm/time.js';

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';

const LAUNCH = launchDefaults();
const D = DEFAULT_RUN_OPTIONS;

const USAGE = `run-inspect ${VERSION}: submit and monitor an experiment's inspect-ai evals on SLURM

Usage: run-inspect <command> [EXPERIMENT_DIR] [options]
EXPERIMENT_DIR defaults to the current directory and must hold experiment_summary.yaml
(cruijff_kit's cells layout) or experiment_summary.md (the seed-era layout).

Commands:
  run      discover, verify fine-tuning and checkpoints, submit every eval, poll until all ended
  status   every eval's state from eval_jobs.json plus one live squeue, and the monitor chain
  launch   queue the monitor as a small low-priority SLURM job (a self-resubmitting chain)
  stop     cancel the queued/running monitor jobs (and with --cancel-evals, the evals)
  retry    put failed / timed-out / cancelled / held / skipped evals back to be submitted
  report   one row per eval: state, every metric, the run's parameters, job, elapsed, log

run options:
  --once                 one submit + poll pass, then exit (4 while evals are in flight)
  --poll-interval S      seconds between polls (default ${D.pollIntervalS})
  --stagger S            pause between sbatch calls (default ${D.staggerS})
  --max-in-flight N      never more than N of this experiment's evals queued or running
  --finetune wait|proceed  wait for this experiment's fine-tuning jobs to leave the queue (default ${D.finetune})
  --max-retries N        automatic resubmissions after the machine's faults: NODE_FAIL, BOOT_FAIL,
                         PREEMPTED, hub or network errors (default ${D.maxRetries})
  --breaker N            once N evals of a task failed the same way in the code or its config and
                         none succeeded, hold its unsubmitted evals (HELD; default ${D.breaker}, 0 = never)
  --lost-after S         declare a job absent from squeue and sacct LOST after S seconds (default ${D.lostAfterS})
  --notify CMD           run CMD once when every eval has ended, the final summary on stdin
  --dry-run              print the plan; submit and write nothing
  --chain                (set by the monitor job script) run as a link of the monitor chain
  --max-links N          most links in the monitor chain (default ${D.maxLinks})
  --safety-margin S      stop polling S seconds before this job's walltime (default ${D.safetyMarginS})

launch options (plus any run option, passed on to every link):
  --after JOBID[:JOBID...]|auto   start after these fine-tuning jobs end (afterany); auto finds them
  --time T (default ${LAUNCH.time})  --mem M (default ${LAUNCH.mem})  --nice N (default ${LAUNCH.nice})
  --partition P  --account A  --qos Q

status options:  --json
stop options:    --cancel-evals
retry options:   KEY... | --held | --failed [--class infrastructure|out of memory|timeout|code/config|cancelled|unknown]
                 --launch (queue a monitor if none is running)
report options:  --format md|csv|json (default md)  --output FILE
                 --write (add/update ## Results and a chart in experiment_summary.md)

Exit codes: 0 all evals succeeded; 1 all ended, some did not succeed; 2 bad usage or input;
3 SLURM unavailable; 4 stopped with evals still in flight.
`;

const RUN_OPTIONS = {
  once: { type: 'boolean' },
  'poll-interval': { type: 'string' },
  stagger: { type: 'string' },
  'max-in-flight': { type: 'string' },
  finetune: { type: 'string' },
  'max-retries': { type: 'string' },
  'lost-after': { type: 'string' },
  notify: { type: 'string' },
  'dry-run': { type: 'boolean' },
  chain: { type: 'boolean' },
  'max-links': { type: 'string' },
  'safety-margin': { type: 'string' },
  breaker: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const LAUNCH_OPTIONS = {
  after: { type: 'string' },
  time: { type: 'string' },
  mem: { type: 'string' },
  nice: { type: 'string' },
  partition: { type: 'string' },
  account: { type: 'string' },
  qos: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const COMMON = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' } } as const;

const COMMANDS: Record<string, ParseArgsConfig['options']> = {
  run: { ...COMMON, ...RUN_OPTIONS },
  status: { ...COMMON, json: { type: 'boolean' } },
  launch: { ...COMMON, ...RUN_OPTIONS, ...LAUNCH_OPTIONS },
  stop: { ...COMMON, 'cancel-evals': { type: 'boolean' } },
  retry: { ...COMMON, failed: { type: 'boolean' }, held: { type: 'boolean' }, class: { type: 'string' }, launch: { type: 'boolean' } },
  report: { ...COMMON, format: { type: 'string' }, output: { type: 'string' }, write: { type: 'boolean' } },
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UserError(`unknown command "${command}" (try run-inspect --help)`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: spec, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UserError(`${command}: ${(e as Error).message.split('\n')[0]}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const positionals = parsed.positionals;
  if (command !== 'retry' && positionals.length > 1) throw new UserError(`${command}: one EXPERIMENT_DIR at most, got ${positionals.join(' ')}`);
  const layout = layoutOf(positionals[0]);
  const experimentDir = layout.dir;
  const options = runOptionsOf(values);
  // Each command loads what it needs (esbuild keeps these imports lazy in the one bundle): a
  // `status` never evaluates the markdown, YAML or zip readers.
  const { liveMonitor } = await import('./monitor/wiring.js');
  const monitor = liveMonitor(layout, options, command === 'run' ? values['dry-run'] !== true : false);
  const out = (text: string) => process.stdout.write(text);
  const relaunch = (runArgs: string[]) => ({ node: process.execPath, bundle: bundlePath(), runArgs });

  switch (command) {
    case 'run': {
      const { runMonitor } = await import('./monitor/monitor.js');
      return runMonitor(monitor, relaunch(runArgsOf(experimentDir, values)), out);
    }
    case 'status': {
      const { statusView, statusLines } = await import('./report/status-view.js');
      const view = await statusView(monitor);
      out(values.json === true ? `${JSON.stringify(view, null, 2)}\n` : statusLines(view));
      return EXIT.allSucceeded;
    }
    case 'launch': {
      // A short walltime needs a short margin, or every link would hand off before its first poll.
      values['safety-margin'] ??= String(Math.min(DEFAULT_RUN_OPTIONS.safetyMarginS, Math.floor(walltimeOf(values) / 4)));
      const { launchChain } = await import('./monitor/launch.js');
      out(`${await launchChain(monitor, launchOptionsOf(values), relaunch(runArgsOf(experimentDir, values)))}\n`);
      return EXIT.allSucceeded;
    }
    case 'stop': {
      const { stopMonitor } = await import('./monitor/stop.js');
      const cancelEvals = values['cancel-evals'] === true;
      const { links, cancelled } = await stopMonitor(monitor, cancelEvals);
      out(`Cancelled monitor jobs: ${links.join(', ') || 'none'}${cancelEvals ? `\nCancelled eval jobs: ${cancelled.join(', ') || 'none'}` : ''}\n`);
      return EXIT.allSucceeded;
    }
    case 'report': {
      const { experimentReport, writeResultsSection } = await import('./report/results-file.js');
      // formatReport refuses a format it does not know, with the words the user typed.
      const report = await experimentReport(monitor, (typeof values.format === 'string' ? values.format : 'md') as ReportFormat);
      if (typeof values.output === 'string') await writeFileAtomic(resolve(values.output), report.text);
      else out(report.text);
      if (values.write === true) await writeResultsSection(monitor, report);
      return EXIT.allSucceeded;
    }
    case 'retry': {
      const { retryEvals } = await import('./monitor/retry.js');
      const options = { keys: positionals.slice(1), failed: values.failed === true, held: values.held === true, failureClass: typeof values.class === 'string' ? values.class : null, launch: values.launch === true };
      const r = await retryEvals(monitor, options, relaunch([experimentDir]));
      const lines = [`${r.ready.length} evaluations will be submitted again${r.ready.length ? `: ${r.ready.join(', ')}` : ''}`];
      if (r.notReady.length) lines.push(`Not ready: ${r.notReady.join('; ')}`);
      if (r.queued) lines.push(`Queued monitor job ${r.queued}`);
      else if (!r.monitorRunning && r.ready.length) lines.push(`No monitor is running: start one with \`run-inspect launch ${experimentDir}\` (or \`run-inspect run\`, or pass --launch)`);
      out(`${lines.join('\n')}\n`);
      return EXIT.allSucceeded;
    }
  }
  return 2;
}

function layoutOf(arg: string | undefined): ExperimentLayout {
  const dir = resolve(arg ?? '.');
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`${dir}: not a directory`);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${dir}: no such experiment directory`);
  }
  return detectLayout(realpathSync(dir));
}

function numberOption(values: Record<string, unknown>, name: string, fallback: number, min = 0): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new UserError(`--${name}: expected a number ≥ ${min}, got "${String(raw)}"`);
  return n;
}

function runOptionsOf(values: Record<string, string | boolean | undefined>): RunOptions {
  const finetune = values.finetune ?? DEFAULT_RUN_OPTIONS.finetune;
  if (finetune !== 'wait' && finetune !== 'proceed') throw new UserError(`--finetune: expected wait or proceed, got "${String(finetune)}"`);
  const chain = values.chain === true;
  return {
    once: values.once === true,
    pollIntervalS: numberOption(values, 'poll-interval', DEFAULT_RUN_OPTIONS.pollIntervalS, 0),
    staggerS: numberOption(values, 'stagger', DEFAULT_RUN_OPTIONS.staggerS, 0),
    maxInFlight: numberOption(values, 'max-in-flight', DEFAULT_RUN_OPTIONS.maxInFlight, 1),
    maxUserJobs: DEFAULT_RUN_OPTIONS.maxUserJobs, // only logs/monitor.json's max_submit sets it
    finetune,
    dryRun: values['dry-run'] === true,
    maxRetries: numberOption(values, 'max-retries', DEFAULT_RUN_OPTIONS.maxRetries, 0),
    lostAfterS: numberOption(values, 'lost-after', DEFAULT_RUN_OPTIONS.lostAfterS, 0),
    chain,
    maxLinks: numberOption(values, 'max-links', DEFAULT_RUN_OPTIONS.maxLinks, 1),
    safetyMarginS: numberOption(values, 'safety-margin', DEFAULT_RUN_OPTIONS.safetyMarginS, 0),
    // A link whose predecessor was killed waits for that stale lock to expire.
    waitLockS: chain ? 90 : 0,
    notify: typeof values.notify === 'string' ? splitCommand(values.notify) : null,
    breaker: numberOption(values, 'breaker', DEFAULT_RUN_OPTIONS.breaker, 0),
  };
}

function launchOptionsOf(values: Record<string, string | boolean | undefined>) {
  const pass = (name: string, fallback?: string) => {
    const v = values[name] ?? fallback;
    return typeof v === 'string' ? [`--${name}=${v}`] : [];
  };
  const time = typeof values.time === 'string' ? values.time : LAUNCH.time;
  const seconds = walltimeOf(values);
  return {
    after: typeof values.after === 'string' ? values.after : null,
    sbatchOptions: [
      `--time=${time}`,
      // The hand-off warning: the template's lead, but never more than a quarter of the walltime.
      `--signal=B:USR1@${Math.max(30, Math.min(LAUNCH.signalLeadS, Math.floor(seconds / 4)))}`,
      ...pass('mem', LAUNCH.mem),
      ...pass('nice', LAUNCH.nice),
      ...pass('partition'),
      ...pass('account'),
      ...pass('qos'),
    ],
  };
}

/** launch's --time in seconds (default one hour); at least a minute. */
function walltimeOf(values: Record<string, string | boolean | undefined>): number {
  const time = typeof values.time === 'string' ? values.time : LAUNCH.time;
  const seconds = parseSlurmDuration(time);
  if (seconds === null || seconds < 60) throw new UserError(`--time: expected a SLURM walltime of at least one minute (e.g. 01:00:00), got "${time}"`);
  return seconds;
}

/** The run options every monitor link repeats (not --chain/--once/--dry-run: those are per call). */
function runArgsOf(experimentDir: string, values: Record<string, string | boolean | undefined>): string[] {
  const args = [experimentDir];
  for (const [name, def] of Object.entries(RUN_OPTIONS)) {
    const v = values[name];
    if (v === undefined || name === 'chain' || name === 'once' || name === 'dry-run') continue;
    args.push(def.type === 'boolean' ? `--${name}` : `--${name}=${String(v)}`);
  }
  return args;
}

/** `mail -s "run done" me@x` → argv, honouring quotes; never run through a shell. */
function splitCommand(text: string): string[] {
  const parts = text.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const argv = parts.map((p) => (/^(["']).*\1$/.test(p) ? p.slice(1, -1) : p));
  if (argv.length === 0) throw new UserError('--notify: empty command');
  return argv;
}

function bundlePath(): string {
  return realpathSync(process.argv[1] ?? '.');
}

function exitCodeOf(e: unknown): { code: number; message: string } {
  if (e instanceof UserError || e instanceof SlurmUnavailableError) return { code: e.exitCode, message: e.message };
  if (e instanceof SlurmCommandError) return { code: 3, message: e.message };
  const fault = fileFault(e);
  if (fault) return { code: 2, message: fault };
  return { code: 70, message: `internal error: ${(e as Error)?.stack ?? String(e)}` };
}

// Node's own teardown (after the event loop empties) puts the default action back on the signals
// we handle, and the default action of USR1 is death: a link ending on its own just as SLURM's
// warning arrives died of it (exit 138, a FAILED job). Exiting from here skips that window.
process.once('beforeExit', () => process.exit());

// The monitor job's shell takes the link's exit status from this file when it names one: bash 5.2
// loses a child's status now and then when the child ends while a trap runs (slurm/run-inspect.sbatch).
const exitFile = process.env.RUN_INSPECT_EXIT_FILE;
if (exitFile) {
  process.once('exit', (code) => {
    try {
      writeFileSync(exitFile, `${code}\n`);
    } catch {
      // the shell then goes by what bash's wait says
    }
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const { code, message } = exitCodeOf(e);
    process.stderr.write(`run-inspect: ${message}\n`);
    process.exitCode = code;
  },
);
