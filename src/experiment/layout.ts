// Every path of an experiment and of its eval scripts, in one place (submitit's JobPaths is the
// model): nothing else joins experiment paths. Two generations live on disk side by side for years
// (docs/formats.md):
// - seed era: experiment_summary.md is the design and the progress page; flat eval scripts
//   `{run}/eval/{task}_epoch{N}.slurm` / `{task}_base.slurm` sharing `{run}/eval/logs/`;
// - cells (cruijff_kit since late 2025): experiment_summary.yaml is the design; one folder per eval,
//   `{run}/eval/{task}_epoch{N}/` or `{run}/eval/{task}/`, with cell.slurm, eval.yaml and its own
//   logs/; cruijff_kit's tools read `{exp}/logs/`. run-inspect writes experiment_summary.md there
//   as a generated page.
// When both summaries exist the .yaml is the design.
import { lstatSync, readdirSync, renameSync, rmSync, statSync, type Dirent } from 'node:fs';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { tempWriterOf } from '../state/own-file.js';

export type Generation = 'seed' | 'cells';

export interface ExperimentLayout {
  dir: string;
  generation: Generation;
  /** The file the evals are planned in: experiment_summary.yaml (cells) or .md (seed era). */
  design: string;
  /** experiment_summary.md: the user's own page (seed era) or one run-inspect generates (cells). */
  summary: string;
  summaryGenerated: boolean;
  /** eval_jobs.json: run-inspect's state. */
  state: string;
  /** eval_jobs.heartbeat.json: when the monitor last polled (rewritten every poll; see state/heartbeat.ts). */
  heartbeat: string;
  /** run-inspect.log in the workflow's format; in the cells layout where cruijff_kit's tools read it. */
  runLog: string;
  /** Held by the one monitor acting on the experiment. */
  monitorLock: string;
  /** sbatch --output of the monitor's own jobs (a `%j` pattern). */
  monitorOutput: string;
  /** Folder of the chart `report --write` draws beside the summary. */
  chartDir: string;
  /** cruijff_kit's own files that run-inspect keeps true (cells layout only). */
  cruijff: CruijffPaths | null;
}

export interface CruijffPaths {
  logsDir: string;
  /** logs/run-inspect.state.json: cruijff_kit's submitter state, read by its `status` tool. */
  state: string;
  /** logs/monitor.json: live knobs (poll_sec, stagger_sec, max_submit). */
  knobs: string;
  /** logs/.detach: the user asks the monitor to let go (evals keep running). */
  detach: string;
}

/** One eval script found on disk, before it is read. */
export interface FoundScript {
  run: string;
  task: string;
  /** null: no training epoch (a control, or an eval-only run; `{task}_base.slurm` or a `{task}/` cell). */
  epoch: number | null;
  script: string;
  /** Where sbatch runs (the script's folder, as the workflow and cruijff_kit both do). */
  submitDir: string;
  /** The cell's folder (cells layout), holding eval.yaml and logs/ of this eval only. */
  cellDir: string | null;
}

export interface ScriptListing {
  found: FoundScript[];
  /** One line per file or folder that could not be used, naming it and why. */
  problems: string[];
  /** What was searched, for a message when nothing is found. */
  searched: string;
}

const DESIGN_YAML = 'experiment_summary.yaml';
const SUMMARY_MD = 'experiment_summary.md';
const FLAT_SCRIPT = /^(.+)_(?:epoch(\d+)|base)\.slurm$/;
const CELL_DIR = /^(.+)_epoch(\d+)$/;
const CELL_SCRIPT = 'cell.slurm';

/** The layout of the experiment in `dir`, by its design file; a UserError when there is none. */
export function detectLayout(dir: string): ExperimentLayout {
  const yaml = join(dir, DESIGN_YAML);
  const md = join(dir, SUMMARY_MD);
  restoreSetAside(md);
  if (present(yaml)) return layoutOf(dir, 'cells', yaml);
  if (present(md)) return layoutOf(dir, 'seed', md);
  const cells = listScripts(dir, 'cells').found.length;
  const hint = cells > 0 ? `; found ${cells} */eval/*/cell.slurm (cruijff_kit's layout) — its experiment_summary.yaml is missing` : '';
  throw new UserError(`${dir}: no experiment_summary.yaml or experiment_summary.md (give the experiment directory)${hint}`);
}

/** Where a process sets the summary aside for the moment it swaps its own version in (report/summary-file.ts). */
export const setAsideOf = (summary: string, pid = process.pid) => `${summary}.run-inspect-aside-${pid}`;

/** A summary temp file this old is a killed write's whatever host wrote it (a live one exists for milliseconds). */
const FORSAKEN_TEMP_MS = 24 * 3600_000;

/**
 * A run killed while it swapped the summary (report/summary-file.ts swapIn) left it set aside. When
 * none is under its name, the newest goes back. The others, and any left beside a summary in place
 * (killed after ours was linked in, or after a save of yours), are older versions: removed, unless
 * their process still runs (it is in the middle of its own swap). A run killed while it wrote its
 * version left a temp file (tempFileOf): removed when it is this host's and its
 * process is gone, or a day old.
 */
function restoreSetAside(summary: string): void {
  const dir = dirname(summary);
  const prefix = `${basename(summary)}.run-inspect-`;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  if (names.length === 0) return;
  const asides = names.filter((n) => n.startsWith(`${prefix}aside-`) && !n.endsWith('.tmp')).map((n) => join(dir, n)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (asides.length > 0 && !present(summary)) renameSync(asides.shift()!, summary);
  for (const aside of asides) if (!processRuns(Number(aside.slice(aside.lastIndexOf('-') + 1)))) rmSync(aside, { force: true });
  for (const name of names.filter((n) => n.endsWith('.tmp'))) {
    const writer = tempWriterOf(summary, name);
    const path = join(dir, name);
    const killedHere = writer !== null && writer.host === hostname() && !processRuns(writer.pid);
    if (killedHere || Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > FORSAKEN_TEMP_MS) rmSync(path, { force: true });
  }
}

function processRuns(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function layoutOf(dir: string, generation: Generation, design: string): ExperimentLayout {
  const logs = join(dir, 'logs');
  return {
    dir,
    generation,
    design,
    summary: join(dir, SUMMARY_MD),
    summaryGenerated: generation === 'cells',
    state: join(dir, 'eval_jobs.json'),
    heartbeat: join(dir, 'eval_jobs.heartbeat.json'),
    runLog: generation === 'cells' ? join(logs, 'run-inspect.log') : join(dir, 'run-inspect.log'),
    monitorLock: join(dir, 'run-inspect.lock'),
    monitorOutput: join(dir, 'run-inspect-monitor-%j.out'),
    chartDir: dir,
    cruijff:
      generation === 'cells'
        ? { logsDir: logs, state: join(logs, 'run-inspect.state.json'), knobs: join(logs, 'monitor.json'), detach: join(logs, '.detach') }
        : null,
  };
}

/** The eval scripts of `generation` under `dir`, runs and scripts in name order. */
export function listScripts(dir: string, generation: Generation): ScriptListing {
  const problems: string[] = [];
  const found: FoundScript[] = [];
  for (const run of entries(dir, problems)) {
    if (!isFolder(run) || run.name.startsWith('.') || run.name === 'logs') continue;
    const evalDir = join(dir, run.name, 'eval');
    for (const entry of entries(evalDir, problems)) {
      if (generation === 'seed') {
        if (!entry.name.endsWith('.slurm')) continue;
        const m = FLAT_SCRIPT.exec(entry.name);
        if (!m) {
          problems.push(`${join(evalDir, entry.name)}: not an eval script name ({task}_epoch{N}.slurm or {task}_base.slurm); ignored`);
          continue;
        }
        found.push({ run: run.name, task: m[1]!, epoch: m[2] === undefined ? null : Number(m[2]), script: join(evalDir, entry.name), submitDir: evalDir, cellDir: null });
      } else if (isFolder(entry) && entry.name !== 'logs') {
        const cellDir = join(evalDir, entry.name);
        const script = join(cellDir, CELL_SCRIPT);
        if (!isFile(script)) continue;
        const m = CELL_DIR.exec(entry.name);
        found.push({ run: run.name, task: m ? m[1]! : entry.name, epoch: m ? Number(m[2]) : null, script, submitDir: cellDir, cellDir });
      }
    }
  }
  const searched = generation === 'seed' ? '*/eval/{task}_epoch{N}.slurm and */eval/{task}_base.slurm' : '*/eval/*/cell.slurm';
  return { found, problems, searched };
}

/** Where a cell's eval.yaml is. */
export function evalYamlOf(cellDir: string): string {
  return join(cellDir, 'eval.yaml');
}

/** inspect's log folder when the script does not say (`--log-dir` relative to its `cd`). */
export function defaultLogsDir(found: FoundScript): string {
  return join(found.cellDir ?? found.submitDir, 'logs');
}

/** Checkpoint of a fine-tuned run's epoch in the cells layout: `{exp}/{run}/artifacts/epoch_{N}`. */
export function artifactsCheckpoint(layout: ExperimentLayout, run: string, epoch: number): string {
  return join(layout.dir, run, 'artifacts', `epoch_${epoch}`);
}

/** Something is at `path` (a link is followed). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function entries(dir: string, problems: string[]): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') problems.push(`${dir}: cannot be read (${code ?? (e as Error).message})`);
    return [];
  }
}

/** A folder, or a link that may lead to one (readdir then tells). */
function isFolder(entry: Dirent): boolean {
  return entry.isDirectory() || entry.isSymbolicLink();
}

/** Any entry at `path`, even a broken link or a loop: reading it then says what is wrong with it. */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
