// The design of an experiment: its runs and the evals it plans, from experiment_summary.yaml
// (today's cruijff_kit) or experiment_summary.md (the seed era). Discovery checks the scripts on
// disk against it; reports take the runs' parameters from it. See docs/formats.md.
import { readFile, stat } from 'node:fs/promises';
import * as z from 'zod';
import { UserError } from '../errors.js';
import { quote, summaryError } from './markdown.js';
import { MAX_SUMMARY_BYTES, readSummary, type ExperimentSummary, type FinetuneJob } from './summary.js';

export type RunKind = 'fine-tuned' | 'control' | 'eval-only';

export interface DesignRun {
  name: string;
  kind: RunKind | null;
  /** What a report shows beside the run's results, by column name ("LoRA Rank": "8"). */
  params: Record<string, string>;
  /** An eval-only run's existing checkpoint (yaml `checkpoint_path`). */
  checkpointPath: string | null;
  /** The base model's folder (yaml `models.base[].path`), for controls. */
  baseModelPath: string | null;
}

/** One eval the design asks for. `epoch` null: a control or eval-only eval (no training epoch). */
export interface PlannedEval {
  run: string;
  task: string;
  epoch: number | null;
  /** The design names run and task but not which epochs (a bare ✓ in the seed-era matrix). */
  anyEpoch: boolean;
}

export interface Design {
  file: string;
  format: 'yaml' | 'md';
  title: string;
  question: string | null;
  runs: DesignRun[];
  /** null when the design does not say which evals it wants (a sentence instead of a matrix). */
  planned: PlannedEval[] | null;
  /** Seed era: Configuration → Output's checkpoint directory and naming pattern. */
  checkpointDir: string | null;
  namingPattern: string | null;
  finetuneJobs: FinetuneJob[];
}

export async function readDesign(file: string): Promise<Design> {
  if (file.endsWith('.yaml') || file.endsWith('.yml')) return parseYamlDesign(await readText(file), file);
  return designFromSummary((await readSummary(file)).summary, file);
}

// ---------------------------------------------------------------------------------------------
// experiment_summary.md

function designFromSummary(s: ExperimentSummary, file: string): Design {
  const runs: DesignRun[] = s.runs.map((r) => ({ name: r.name, kind: kindOf(r.type), params: r.params, checkpointPath: null, baseModelPath: null }));
  return {
    file,
    format: 'md',
    title: s.title,
    question: null,
    runs,
    planned: plannedFromSummary(s, runs),
    checkpointDir: s.checkpointDir,
    namingPattern: s.namingPattern,
    finetuneJobs: s.finetuneJobs,
  };
}

function kindOf(type: string | null | undefined): RunKind | null {
  const t = (type ?? '').toLowerCase();
  if (/eval[\s_-]*only/.test(t)) return 'eval-only';
  if (/control|base/.test(t)) return 'control';
  if (/fine|tuned|train/.test(t)) return 'fine-tuned';
  return null;
}

/** The Evaluation Matrix when there is one, else the Status → Evaluations rows, else nothing. */
function plannedFromSummary(s: ExperimentSummary, runs: DesignRun[]): PlannedEval[] | null {
  const kinds = new Map(runs.map((r) => [r.name, r.kind]));
  if (s.matrix) {
    return s.matrix.flatMap(({ run, cells }) =>
      Object.entries(cells).flatMap(([task, cell]) => plannedFromCell(run, task, cell, kinds.get(run) ?? null)),
    );
  }
  if (s.evaluations && s.evaluations.length > 0) {
    return s.evaluations.map((row) => {
      const epoch = /^\s*(?:epoch\s*)?(\d+)\s*$/i.exec(row.epoch);
      return { run: row.run, task: row.task, epoch: epoch ? Number(epoch[1]) : null, anyEpoch: false };
    });
  }
  return null;
}

/** A matrix cell: `✓ epoch 0,1`, `✓ epochs 0-2`, `✓` (every epoch, or the control's one eval), `-` (none). */
function plannedFromCell(run: string, task: string, cell: string, kind: RunKind | null): PlannedEval[] {
  const text = cell.trim();
  // Written as \u escapes (– — ✗): one non-ASCII character makes the whole bundle a two-byte
  // string, which node reads and V8 scans ~50 ms slower at every start (build.mjs refuses one).
  if (text === '' || /^(?:-|\u2013|\u2014|\u2717|no|n\/a)/i.test(text)) return [];
  const list = /epochs?\s*[:=]?\s*([\d\s,\u2013-]+)/i.exec(text);
  if (list) return epochList(list[1]!).map((epoch) => ({ run, task, epoch, anyEpoch: false }));
  if (kind === 'fine-tuned') return [{ run, task, epoch: null, anyEpoch: true }];
  return [{ run, task, epoch: null, anyEpoch: false }];
}

function epochList(text: string): number[] {
  const epochs: number[] = [];
  for (const part of text.split(',')) {
    const range = /^\s*(\d+)\s*[\u2013-]\s*(\d+)\s*$/.exec(part);
    if (range) for (let e = Number(range[1]); e <= Number(range[2]); e++) epochs.push(e);
    else if (/^\s*\d+\s*$/.test(part)) epochs.push(Number(part));
  }
  return epochs;
}

// ---------------------------------------------------------------------------------------------
// experiment_summary.yaml (cruijff_kit's design-experiment template)

const text = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const yamlDesign = z.object({
  experiment: z.object({ name: text, question: text.nullish() }).passthrough(),
  models: z.object({ base: z.array(z.object({ name: text, path: text.nullish() }).passthrough()).nullish() }).passthrough().nullish(),
  runs: z
    .array(
      z
        .object({
          name: text,
          type: text.nullish(),
          model: text.nullish(),
          parameters: z.record(z.string(), z.unknown()).nullish(),
          checkpoint_path: text.nullish(),
        })
        .passthrough(),
    )
    .min(1),
  // The evals the design asks for: every experiment cruijff_kit scaffolds has this matrix.
  evaluation: z
    .object({
      matrix: z
        .array(z.object({ run: text, tasks: z.array(text).nullish(), epochs: z.array(z.number().int().nonnegative()).nullish() }).passthrough())
        .min(1),
    })
    .passthrough(),
});

async function parseYamlDesign(source: string, file: string): Promise<Design> {
  const { parseDocument } = await import('./yaml.js');
  const doc = parseDocument(source, { prettyErrors: false });
  const bad = doc.errors[0];
  if (bad) {
    const line = source.slice(0, bad.pos[0]).split('\n').length;
    throw summaryError(file, `line ${line}: not valid YAML (${bad.message.split('\n')[0]})`);
  }
  const js: unknown = doc.toJS();
  const parsed = yamlDesign.safeParse(js);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(top)';
    const missing = issue.path.length > 0 && valueAt(js, issue.path) === undefined;
    throw summaryError(file, missing ? `${field}: missing (run-inspect needs it)` : `invalid at ${field}: ${issue.message}`);
  }
  const y = parsed.data;
  const bases = new Map((y.models?.base ?? []).map((b) => [b.name, b.path ?? null]));
  const seen = new Set<string>();
  const runs = y.runs.map((r): DesignRun => {
    if (!/^[^/\\\u0000-\u001f]+$/.test(r.name) || r.name === '.' || r.name === '..') throw summaryError(file, `run ${quote(r.name)} is not a usable folder name`);
    if (seen.has(r.name)) throw summaryError(file, `run ${quote(r.name)} is listed twice under runs`);
    seen.add(r.name);
    const parameters = r.parameters ?? {};
    const params: Record<string, string> = { Model: r.model ?? '', Type: r.type ?? '' };
    for (const [k, v] of Object.entries(parameters)) if (k !== 'checkpoint_path' && v !== null && typeof v !== 'object') params[k] = String(v);
    const checkpoint = parameters.checkpoint_path ?? r.checkpoint_path;
    return {
      name: r.name,
      kind: kindOf(r.type),
      params,
      checkpointPath: typeof checkpoint === 'string' && checkpoint ? checkpoint : null,
      baseModelPath: r.model ? (bases.get(r.model) ?? null) : null,
    };
  });
  const planned = y.evaluation.matrix.flatMap((row) =>
    (row.tasks ?? []).flatMap((task): PlannedEval[] => {
      const epochs: Array<number | null> = row.epochs && row.epochs.length > 0 ? row.epochs : [null];
      return epochs.map((epoch) => ({ run: row.run, task, epoch, anyEpoch: false }));
    }),
  );
  return {
    file,
    format: 'yaml',
    title: y.experiment.name,
    question: y.experiment.question ?? null,
    runs,
    planned,
    checkpointDir: null,
    namingPattern: null,
    finetuneJobs: [],
  };
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) at = at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  return at;
}

async function readText(file: string): Promise<string> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw summaryError(file, 'not a regular file');
    if (st.size > MAX_SUMMARY_BYTES) throw summaryError(file, `file is too large (${st.size} bytes)`);
    const bytes = await readFile(file);
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (e instanceof TypeError) throw summaryError(file, 'not valid UTF-8 text');
    throw summaryError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
