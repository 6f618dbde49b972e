// cruijff_kit's own submitter files under {exp}/logs/ (cells layout), kept true when run-inspect does
// the submitting, so cruijff_kit's tools (run/status.py, explore-experiment's compute table) keep
// working. Facts from niznik-dev/cruijff_kit; line hints are approximate:
//
// run-inspect.log: blocks of lines, each block ending in a blank line (_submit_common.py append_log
// ~L193); `YYYY-MM-DD HH:MM:SS` is local time (_now ~L59).
//     [2025-11-11 12:00:05] SUBMIT_EVAL: {run}/{task}/epoch{N}     ({run}/{cell} for a cell without
//     Details: sbatch cell.slurm                                   an epoch: submit_inspect.py _eval_name ~L48)
//     Job ID: 12345
//     Result: success
//   (log_submit ~L199) is harvested by slurm/compute_gpu_metrics.py (~L20, ~L625) with
//   re.findall(r"SUBMIT_EVAL: ([\w./-]+)\n.*?\nJob ID: (\d+)", re.DOTALL). cruijff_kit writes a
//   refused sbatch (log_submit_failure ~L221) under the bare name, with no Job ID line; with DOTALL
//   that block takes the next block's Job ID and hides that block from the harvest. Ours says
//   `SUBMIT_EVAL: {name} (not submitted)` so the regex cannot start there (nothing else parses it).
//   MONITOR_DETACHED (~L271) and `MONITOR_CONFIG: applied` (~L288) are written here too;
//   STATE_CHANGE and ALL_COMPLETE come from run-inspect's run log, which is this same file in the
//   cells layout. status.py (~L81) adds its own ALL_COMPLETE only when the log has none.
// run-inspect.state.json (state_key ~L156, write_state_atomic ~L177, _drip_feed_submit ~L900),
// read and rewritten by status.py on every call:
//     {"{run}/eval/{cell}/cell.slurm": {"job_id": "12345" | null, "submitted_at": "YYYY-MM-DD HH:MM:SS",
//      "state": "PENDING" | squeue %T / sacct State word | "SUBMIT_FAILED", "error": "..." (failures)}}
//   json.dumps(indent=2, sort_keys=True) + "\n". status.py re-queries SLURM for every entry whose
//   state is not one of its TERMINAL_STATES (~L46) and prints key, job id, state and age.
// monitor.json (~L395-556): read live before every drip-feed round, between submissions and before
//   every poll. poll_sec (number > 0: seconds between polls and between queue-room checks),
//   stagger_sec (number >= 0: pause between two sbatch calls), max_submit (integer >= 1: cap on
//   *all* the user's jobs in squeue -u; room = max_submit - depth). It beats the CLI flags, which beat
//   <repo>/.config/config.json, which beats the defaults 60 / 5 / 25. A missing file puts every knob
//   back to its startup value; a listed valid knob is applied; an unlisted or invalid knob, unknown
//   keys, bad JSON or a non-object keep the knobs as they are (with a warning). Python's json takes
//   NaN/Infinity and tells 25.0 (refused for max_submit) from 25; JSON.parse does neither.
// .detach (~L63-148): any file at logs/.detach (Path.exists: a dangling link is none), made by
//   anyone with `touch`. Honoured at once: no further sbatch, state flushed, MONITOR_DETACHED logged,
//   the jobs keep running. Never removed by the program: it is sticky, and --resume-monitor
//   detaches again until the user removes it.
import { constants } from 'node:fs';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CruijffPaths } from '../experiment/layout.js';
import { parseJobState } from '../slurm/states.js';
import { formatTimestamp } from '../slurm/time.js';
import { withFileLock } from '../state/lock.js';
import { appendWhole } from './runlog.js';
import { writeOwnFile } from '../state/own-file.js';

/** `{run}/{task}/epoch{N}` or `{run}/{cell}`: cruijff_kit's name of an eval, split at the first `_epoch` as it does. */
export function cruijffEvalName(run: string, cellDirName: string): string {
  const at = cellDirName.indexOf('_epoch');
  return at === -1 ? `${run}/${cellDirName}` : `${run}/${cellDirName.slice(0, at)}/epoch${cellDirName.slice(at + '_epoch'.length)}`;
}

/** One sbatch of a cell: its job id, or sbatch's error when it refused the script. */
export type CruijffSubmission = {
  /** `{run}/eval/{cell}/cell.slurm`, relative to the experiment: cruijff_kit's key. */
  cellScript: string;
  submittedAt: Date;
} & ({ jobId: string } | { jobId: null; error: string });

/** A submitted cell as run-inspect sees it now. */
export interface CruijffJob {
  cellScript: string;
  jobId: string;
  /** `YYYY-MM-DD HH:MM:SS`, as eval_jobs.json has it; null when unknown. */
  submittedAt: string | null;
  /** run-inspect's status; only SLURM's words reach the file (see recordStates). */
  status: string;
}

export interface CruijffKnobs {
  pollSec?: number;
  staggerSec?: number;
  maxSubmit?: number;
}

export interface KnobsReading {
  /** null: there is no monitor.json, every knob goes back to its startup value. Otherwise apply the knobs given and keep the others as they are. */
  knobs: CruijffKnobs | null;
  warnings: string[];
}

export type DetachReason = 'sentinel' | 'SIGINT' | 'SIGTERM';

type Entry = Record<string, unknown>;
type CruijffState = Record<string, Entry>;

const KNOBS = { poll_sec: 'pollSec', stagger_sec: 'staggerSec', max_submit: 'maxSubmit' } as const;
type KnobName = keyof typeof KNOBS;

export class CruijffFiles {
  /** `warn` hears of a state file that was set aside. */
  constructor(
    private readonly runLog: string,
    private readonly paths: CruijffPaths,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * SUBMIT_EVAL blocks in one append, then the cells' entries: PENDING, or SUBMIT_FAILED with the
   * error. A resubmission replaces its cell's job id and time, and drops an earlier error.
   */
  async recordSubmissions(subs: CruijffSubmission[]): Promise<void> {
    if (subs.length === 0) return;
    await this.append(subs.map(submitBlock).join(''));
    await this.updateState((state) => {
      for (const sub of subs) {
        const { error: _, ...entry } = state[sub.cellScript] ?? {};
        const submitted = { ...entry, job_id: sub.jobId, submitted_at: formatTimestamp(sub.submittedAt) };
        state[sub.cellScript] = sub.jobId === null ? { ...submitted, state: 'SUBMIT_FAILED', error: oneLine(sub.error) } : { ...submitted, state: 'PENDING' };
      }
    });
  }

  /**
   * The cells' job ids and SLURM states (an entry missing, e.g. after a set-aside, is made again).
   * run-inspect's own words (SUBMITTING, MISSING, LOST, ...) are not SLURM's: the entry keeps the
   * last state SLURM gave, as cruijff_kit's watcher does when a job is nowhere to be found.
   * Other cells and fields nobody here knows are kept; nothing is written when nothing changed.
   */
  async recordStates(jobs: CruijffJob[]): Promise<void> {
    const known = jobs.flatMap((job) => {
      const s = parseJobState(job.status);
      return s.kind === 'unknown' ? [] : [{ ...job, state: s.state }];
    });
    if (known.length === 0) return;
    await this.updateState((state) => {
      for (const job of known) {
        const { error: _, ...entry } = state[job.cellScript] ?? {};
        if (job.submittedAt !== null) entry.submitted_at = job.submittedAt;
        state[job.cellScript] = { ...entry, job_id: job.jobId, state: job.state };
      }
    });
  }

  /** logs/monitor.json as it is now, validated as cruijff_kit does; never throws. */
  async readKnobs(): Promise<KnobsReading> {
    const file = this.paths.knobs;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { knobs: null, warnings: [] };
      return { knobs: {}, warnings: [`${file}: cannot be read (${code ?? (e as Error).message}); keeping the current values`] };
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return { knobs: {}, warnings: [`${file}: not valid JSON (${(e as Error).message}); keeping the current values`] };
    }
    if (!isObject(data)) return { knobs: {}, warnings: [`${file}: must be a JSON object; keeping the current values`] };
    const knobs: CruijffKnobs = {};
    const warnings: string[] = [];
    for (const [key, value] of Object.entries(data)) {
      if (!Object.hasOwn(KNOBS, key)) {
        warnings.push(`${file}: ignoring unknown key ${JSON.stringify(key)}`);
        continue;
      }
      const problem = knobProblem(key as KnobName, value);
      if (problem) warnings.push(`${file}: ${problem}; keeping the current value`);
      else knobs[KNOBS[key as KnobName]] = value as number;
    }
    return { knobs, warnings };
  }

  /** Whether logs/.detach exists. It is the user's to remove: cruijff_kit never does. */
  async detachRequested(): Promise<boolean> {
    try {
      await stat(this.paths.detach);
      return true;
    } catch {
      return false;
    }
  }

  /** MONITOR_DETACHED, with the breakdown of run-inspect.state.json's states. */
  async recordDetached(reason: DetachReason, at: Date): Promise<void> {
    const state = (await this.readState()).state;
    const counts = new Map<string, number>();
    for (const entry of Object.values(state)) {
      const s = typeof entry.state === 'string' ? entry.state : 'UNKNOWN';
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    const breakdown = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([s, n]) => `${s}=${n}`).join(', ') || '(no state)';
    await this.append(`[${formatTimestamp(at)}] MONITOR_DETACHED\nDetails: reason=${reason}; state breakdown: ${breakdown}\nResult: monitoring paused; jobs continue\n\n`);
  }

  /** `MONITOR_CONFIG: applied`: every knob's value now, `(was X)` for those `previous` names. */
  async recordKnobsApplied(current: Required<CruijffKnobs>, previous: CruijffKnobs, at: Date): Promise<void> {
    const parts = (Object.entries(KNOBS) as Array<[KnobName, keyof CruijffKnobs]>).map(([name, field]) => {
      const was = previous[field];
      return `${name}=${current[field]} ${was === undefined ? '(unchanged)' : `(was ${was})`}`;
    });
    await this.append(`[${formatTimestamp(at)}] MONITOR_CONFIG: applied\nDetails: ${parts.join('; ')}\nResult: settings updated from logs/${basename(this.paths.knobs)}\n\n`);
  }

  /** One O_APPEND write, so cruijff_kit's status (or our run log) never lands inside a batch. */
  private async append(text: string): Promise<void> {
    await mkdir(this.paths.logsDir, { recursive: true });
    await appendWhole(this.runLog, text);
  }

  private async updateState(change: (state: CruijffState) => void): Promise<void> {
    const file = this.paths.state;
    await mkdir(this.paths.logsDir, { recursive: true });
    await withFileLock(file, async () => {
      const { state, text, problem } = await this.readState();
      // A file we cannot read as cruijff_kit's is kept beside it, not replaced: it may be a hand
      // edit or another tool's, and an unattended monitor should keep going rather than stop
      // keeping cruijff_kit's files for the rest of the night (cruijff_kit would drop it silently).
      if (problem) this.warn(`${file}: ${problem}; kept as ${basename(await setAside(file))}, started afresh`);
      change(state);
      const next = pythonJson(state);
      if (next !== text) await writeOwnFile(file, next);
    });
  }

  /** The state file's entries ({} when absent, blank or unreadable as cruijff_kit's), its text and what was wrong with it. */
  private async readState(): Promise<{ state: CruijffState; text: string | null; problem: string | null }> {
    let text: string;
    try {
      text = await readFile(this.paths.state, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: {}, text: null, problem: null };
      throw e;
    }
    if (text.trim() === '') return { state: {}, text, problem: null };
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return { state: {}, text, problem: `not valid JSON (${(e as Error).message})` };
    }
    if (!isObject(data) || !Object.values(data).every(isObject)) {
      return { state: {}, text, problem: 'not an object of cell entries (cruijff_kit’s run-inspect.state.json)' };
    }
    return { state: data as CruijffState, text, problem: null };
  }
}

function submitBlock(sub: CruijffSubmission): string {
  const name = cruijffEvalName(...runAndCell(sub.cellScript));
  const head = `[${formatTimestamp(sub.submittedAt)}] SUBMIT_EVAL: ${name}`;
  const details = `Details: sbatch ${basename(sub.cellScript)}`;
  return sub.jobId === null
    ? `${head} (not submitted)\n${details}\nResult: failure: ${oneLine(sub.error)}\n\n`
    : `${head}\n${details}\nJob ID: ${sub.jobId}\nResult: success\n\n`;
}

/** The run and cell folder of `{run}/eval/{cell}/cell.slurm`, the only shape cruijff_kit submits. */
function runAndCell(cellScript: string): [string, string] {
  const parts = cellScript.split('/');
  if (parts.length !== 4 || parts[1] !== 'eval') throw new Error(`${cellScript}: not a {run}/eval/{cell}/cell.slurm path`);
  return [parts[0]!, parts[2]!];
}

// sbatch's stderr may span lines; a line starting `Job ID: ` would be harvested as a job.
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function knobProblem(name: KnobName, value: unknown): string | null {
  if (name === 'max_submit') {
    if (typeof value !== 'number' || !Number.isInteger(value)) return `max_submit must be an integer, got ${jsonType(value)}`;
    return value < 1 ? `max_submit must be >= 1, got ${value}` : null;
  }
  if (typeof value !== 'number') return `${name} must be a number, got ${jsonType(value)}`;
  if (name === 'poll_sec' && value <= 0) return `poll_sec must be > 0, got ${value}`;
  if (name === 'stagger_sec' && value < 0) return `stagger_sec must be >= 0, got ${value}`;
  return null;
}

function jsonType(value: unknown): string {
  if (value === null || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy beside the file that never overwrites an earlier one. */
async function setAside(file: string): Promise<string> {
  const stamp = formatTimestamp(new Date(), 'T').replace(/[-:]/g, '');
  for (let n = 1; ; n++) {
    const aside = `${file}.bad-${stamp}${n === 1 ? '' : `-${n}`}`;
    try {
      await copyFile(file, aside, constants.COPYFILE_EXCL);
      return aside;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * The bytes Python's json.dumps(value, indent=2, sort_keys=True) + "\n" writes (ensure_ascii
 * included), so cruijff_kit's status rewriting the file changes nothing. Own code, because a JS
 * object puts integer-like keys first whatever order they are given in.
 */
function pythonJson(value: unknown): string {
  const dump = (v: unknown, indent: string): string => {
    const inner = `${indent}  `;
    if (Array.isArray(v)) return v.length === 0 ? '[]' : `[\n${v.map((x) => inner + dump(x, inner)).join(',\n')}\n${indent}]`;
    if (isObject(v)) {
      const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return keys.length === 0 ? '{}' : `{\n${keys.map((k) => `${inner}${dump(k, inner)}: ${dump(v[k], inner)}`).join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  };
  return `${dump(value, '')}\n`;
}
