// Which evals the experiment asks for: the scripts on disk, read the way bash and sbatch will read
// them, checked against the design. A planned eval without a script is its own row (NO_SCRIPT);
// a script the design does not plan is still run, and noted.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { evalKey, type EvalSpec, type UnscriptedEval } from '../domain.js';
import type { Design, DesignRun, PlannedEval } from './design.js';
import { defaultLogsDir, evalYamlOf, listScripts, type ExperimentLayout, type FoundScript } from './layout.js';
import { expectedModelPath } from './checkpoints.js';
import { readEvalScript } from './script.js';

const MAX_SCRIPT_BYTES = 1024 * 1024;

export interface Discovery {
  evals: EvalSpec[];
  unscripted: UnscriptedEval[];
  /** One line per file that could not be used or understood, naming it and why. */
  problems: string[];
  /** What was searched (for the message when nothing is found). */
  searched: string;
}

export async function discoverEvals(layout: ExperimentLayout, design: Design, env: NodeJS.ProcessEnv = process.env): Promise<Discovery> {
  const listing = listScripts(layout.dir, layout.generation);
  const problems = [...listing.problems];
  const runs = new Map(design.runs.map((r) => [r.name, r]));
  const isPlanned = design.planned ? plannedLookup(design.planned) : null;
  const evals: EvalSpec[] = [];
  for (const found of listing.found) {
    let text: string;
    try {
      text = readScript(found.script);
    } catch (e) {
      problems.push(`${found.script}: ${(e as Error).message}`);
      continue;
    }
    const cell = found.cellDir ? await readCellYaml(evalYamlOf(found.cellDir), problems) : {};
    const spec = specOf(layout, found, text, cell, runs.get(found.run) ?? null, design, env, problems);
    spec.inDesign = isPlanned === null || isPlanned(spec.run, spec.task, spec.epoch);
    evals.push(spec);
  }
  return { evals, unscripted: unscriptedOf(layout, design, evals), problems, searched: listing.searched };
}

/** Task names in the design may hold spaces; script and cell names replace them with `_`: both name it on disk. */
function onDiskNames(planned: string): string[] {
  const underscored = planned.replace(/\s+/g, '_');
  return underscored === planned ? [planned] : [planned, underscored];
}

const runTask = (run: string, task: string) => `${run}\u0000${task}`;

/**
 * Whether the design plans a script found on disk: one map lookup each (matching each of 10,000
 * scripts against 10,000 planned evals one by one took ~0.4 s at every link's start).
 */
function plannedLookup(planned: PlannedEval[]): (run: string, task: string, epoch: number | null) => boolean {
  const byRunTask = new Map<string, { anyEpoch: boolean; epochs: Set<number | null> }>();
  for (const p of planned) {
    for (const task of onDiskNames(p.task)) {
      let entry = byRunTask.get(runTask(p.run, task));
      if (!entry) byRunTask.set(runTask(p.run, task), (entry = { anyEpoch: false, epochs: new Set() }));
      if (p.anyEpoch) entry.anyEpoch = true;
      else entry.epochs.add(p.epoch);
    }
  }
  return (run, task, epoch) => {
    const entry = byRunTask.get(runTask(run, task));
    return entry !== undefined && (entry.anyEpoch || entry.epochs.has(epoch));
  };
}

type CellYaml = { model_path?: unknown; task_name?: unknown; vis_label?: unknown; task_script?: unknown };

function specOf(
  layout: ExperimentLayout,
  found: FoundScript,
  text: string,
  cell: CellYaml,
  run: DesignRun | null,
  design: Design,
  env: NodeJS.ProcessEnv,
  problems: string[],
): EvalSpec {
  const read = readEvalScript(text, env, found.submitDir);
  for (const w of read.warnings) problems.push(`${found.script}: ${w}`);
  const workDir = read.workDir ? resolve(found.submitDir, read.workDir) : found.submitDir;
  const inDir = (p: string) => (isAbsolute(p) ? p : resolve(workDir, p));

  const kind = run?.kind ?? (found.epoch !== null ? 'fine-tuned' : null);
  const spec: EvalSpec = {
    key: evalKey(found.run, found.task, found.epoch),
    run: found.run,
    task: found.task,
    epoch: found.epoch,
    kind,
    script: found.script,
    submitDir: found.submitDir,
    logsDir: read.logDir ? inDir(read.logDir) : defaultLogsDir(found),
    ownLogs: found.cellDir !== null,
    modelPath: null,
    logTasks: [],
    visLabel: read.taskArgs.vis_label ?? textOf(cell.vis_label),
    inDesign: true,
  };
  // The model as the job will see it: the script's own word, else the cell's eval.yaml, else the design.
  if (read.model?.path) spec.modelPath = inDir(read.model.path);
  else if (textOf(cell.model_path)) spec.modelPath = inDir(textOf(cell.model_path)!);
  else spec.modelPath = expectedModelPath(layout, design, spec, run);
  if (read.model && !read.model.path) {
    const fallback = spec.modelPath ? `; using ${spec.modelPath} from the ${found.cellDir && textOf(cell.model_path) ? 'eval.yaml' : 'design'} instead` : '';
    const at = lineOf(text, read.model.source === 'MODEL_PATH' ? `MODEL_PATH=${read.model.raw}` : `model_path=${read.model.raw}`);
    problems.push(`${found.script}${at ? `:${at}` : ''}: cannot expand the model path ${read.model.raw} (${read.model.unresolved.join(', ') || 'not a simple variable'})${fallback}`);
  }
  spec.logTasks = logTaskNames(found.task, read.taskSpec ?? textOf(cell.task_script), textOf(cell.task_name), spec.visLabel);
  return spec;
}

/** The line (1-based) of the last place `words` are written in `text`, or null (the last: bash uses the last assignment). */
function lineOf(text: string, words: string): number | null {
  const at = text.lastIndexOf(words);
  return at < 0 ? null : text.slice(0, at).split('\n').length;
}

/**
 * The names inspect may give this eval's task: the script's or cell's name, the task function
 * (`file.py@capitalization` → `capitalization`), and the function with cruijff_kit's vis_label
 * suffix (`capitalization_rank4 (cap_default)`).
 */
export function logTaskNames(task: string, taskSpec: string | null, taskName: string | null, visLabel: string | null): string[] {
  const names = new Set([task, task.replace(/_/g, ' ')]);
  const fn = taskSpec?.includes('@') ? taskSpec.slice(taskSpec.lastIndexOf('@') + 1) : null;
  for (const name of [fn, taskName]) {
    if (!name) continue;
    names.add(name);
    if (visLabel) names.add(`${name}_${visLabel}`);
  }
  return [...names];
}

function unscriptedOf(layout: ExperimentLayout, design: Design, evals: EvalSpec[]): UnscriptedEval[] {
  if (!design.planned) return [];
  // The epochs found on disk by run and task, so each planned eval is one lookup.
  const found = new Map<string, Set<number | null>>();
  for (const e of evals) {
    const key = runTask(e.run, e.task);
    if (!found.has(key)) found.set(key, new Set());
    found.get(key)!.add(e.epoch);
  }
  const seen = new Set<string>();
  const out: UnscriptedEval[] = [];
  for (const p of design.planned) {
    const has = onDiskNames(p.task).some((task) => {
      const epochs = found.get(runTask(p.run, task));
      return epochs !== undefined && (p.anyEpoch || epochs.has(p.epoch));
    });
    const task = p.task.replace(/\s+/g, '_');
    const key = evalKey(p.run, task, p.epoch);
    if (has || seen.has(key)) continue;
    seen.add(key);
    out.push({ key, run: p.run, task, epoch: p.epoch, expected: expectedScript(layout, p.run, task, p.epoch, p.anyEpoch) });
  }
  return out;
}

/** Where the scaffolding would have put a planned eval's script. */
function expectedScript(layout: ExperimentLayout, run: string, task: string, epoch: number | null, anyEpoch = false): string {
  const evalDir = join(layout.dir, run, 'eval');
  const name = anyEpoch ? `${task}_epoch{N}` : epoch === null ? (layout.generation === 'seed' ? `${task}_base` : task) : `${task}_epoch${epoch}`;
  return layout.generation === 'seed' ? join(evalDir, `${name}.slurm`) : join(evalDir, name, 'cell.slurm');
}

// Scripts and eval.yaml files are read synchronously: a link's start reads one of each per eval,
// one after another, and at 10,000 evals fs/promises' five thread-pool round trips per file cost
// ~1 s of CPU for nothing (nothing else runs meanwhile).
function readScript(path: string): string {
  const info = statSync(path);
  if (!info.isFile()) throw new Error('not a regular file');
  if (info.size > MAX_SCRIPT_BYTES) throw new Error(`larger than ${MAX_SCRIPT_BYTES} bytes, not an eval script`);
  return readFileSync(path, 'utf8');
}

async function readCellYaml(file: string, problems: string[]): Promise<CellYaml> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push(`${file}: cannot be read (${code ?? (e as Error).message})`);
    return {};
  }
  const { parseDocument } = await import('./yaml.js');
  const doc = parseDocument(text);
  const data: unknown = doc.errors.length === 0 ? doc.toJS() : null;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    problems.push(`${file}: not a YAML mapping${doc.errors[0] ? ` (${doc.errors[0].message.split('\n')[0]})` : ''}; the cell's script is used alone`);
    return {};
  }
  return data as CellYaml;
}

function textOf(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null;
}
