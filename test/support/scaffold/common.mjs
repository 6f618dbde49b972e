// Helpers shared by the seed-era and today generators: files, the environment a generated
// experiment's jobs need, a small YAML writer, per-eval behaviour for the plan, checkpoints.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CRASH, DEFAULT_ERROR } from '../fake-inspect.mjs';
import { pick } from './design.mjs';

/** The stub executables (`inspect`, `nvidia-smi`, `module`, `conda`) a generated experiment's jobs need on PATH. */
export const FAKE_BIN = fileURLToPath(new URL('../fake-bin/', import.meta.url)).replace(/\/$/, '');

export const OUTCOMES = ['success', 'error', 'exit1', 'crash', 'hang'];

export function put(path, text, mode) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  if (mode) chmodSync(path, mode);
  return path;
}

/** Escaped for bash double quotes. */
export const dq = (s) => String(s).replace(/[$`"\\]/g, '\\$&');

/** Where the generator puts what lives outside the experiment: `{parent}/{experiment}-{what}`. */
export function beside(dir, what) {
  return join(dirname(resolve(dir)), `${basename(resolve(dir))}-${what}`);
}

/** The environment a generated experiment's jobs need (sbatch exports the submitter's environment). */
export function jobEnv(planFile, opts) {
  return {
    PATH: `${FAKE_BIN}${delimiter}${opts.path ?? process.env.PATH ?? '/usr/bin:/bin'}`,
    FAKE_INSPECT_PLAN: planFile,
    FAKE_INSPECT_NODE: opts.node ?? process.execPath,
    FAKE_NVIDIA_SMI: opts.nvidiaSmi ?? 'signal',
  };
}

/** How one eval behaves (written to the plan, and returned in `expected`). */
export function behaviour(e, opts, defaultTaskName) {
  const outcome = pick(opts.outcomes, e, 'success');
  if (!OUTCOMES.includes(outcome)) throw new Error(`${e.key}: outcome must be one of ${OUTCOMES.join(', ')}: ${outcome}`);
  const accuracy = pick(opts.accuracy, e, 0.8);
  const stderr = pick(opts.stderr, e, 0.011);
  return {
    outcome,
    taskName: pick(opts.taskName, e, defaultTaskName),
    seconds: pick(opts.seconds, e, 1),
    samples: pick(opts.samples, e, 10),
    accuracy,
    stderr,
    scores: pick(opts.scores, e, null) ?? [{ name: 'match', accuracy, stderr }],
    errorMessage: pick(opts.errorMessage, e, DEFAULT_ERROR),
    crashMessage: pick(opts.crashMessage, e, DEFAULT_CRASH),
  };
}

/** Is this eval's checkpoint named in `missing` (an eval key, `{run}/epoch_{N}`, or a run name)? */
export function isMissing(missing, e) {
  const ids = [e.key, e.run, e.epoch === null ? null : `${e.run}/epoch_${e.epoch}`];
  return (missing ?? []).some((m) => ids.includes(m));
}

/** What the inspect log will say, given whether the model loads: `success`, `error`, `started` (no header), or null (no log). */
export function logStatusOf(b, modelLoads) {
  if (!modelLoads) return null;
  if (b.outcome === 'error') return 'error';
  if (b.outcome === 'crash' || b.outcome === 'hang') return 'started';
  return 'success';
}

const needsQuotes = (s) => s === '' || /^[\s]|[\s]$|[:#{}[\],&*!|>'"%@`\n\\]|^[-?]/.test(s) || /^(true|false|null|yes|no|on|off|~)$/i.test(s);
const looksNumeric = (s) => /^-?(\d+|\d*\.\d+)([eE][-+]?\d+)?$/.test(s);

/** A YAML scalar: strings double-quoted (as cruijff_kit's files write them), numbers and booleans bare. */
export function yamlScalar(v, { quoteStrings = true } = {}) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  const s = String(v);
  if (!quoteStrings && !needsQuotes(s) && !looksNumeric(s)) return s;
  return JSON.stringify(s);
}

/** A small block-style YAML writer: mappings, lists (scalars in flow style), scalars. */
export function toYaml(value, indent = 0, opts = {}) {
  const pad = ' '.repeat(indent);
  const lines = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if (Object.keys(v).length === 0) lines.push(`${pad}${k}: {}`);
      else lines.push(`${pad}${k}:`, toYaml(v, indent + 2, opts));
    } else if (Array.isArray(v)) {
      if (v.every((x) => x === null || typeof x !== 'object')) lines.push(`${pad}${k}: [${v.map((x) => yamlScalar(x, opts)).join(', ')}]`);
      else {
        lines.push(`${pad}${k}:`);
        for (const item of v) {
          const body = toYaml(item, indent + 4, opts).split('\n');
          lines.push(`${pad}  - ${body[0].trimStart()}`, ...body.slice(1));
        }
      }
    } else lines.push(`${pad}${k}: ${yamlScalar(v, opts)}`);
  }
  return lines.join('\n');
}

/** A value from the design's params as it would be written in YAML: numbers bare, the rest as strings. */
export function paramValue(v) {
  const s = String(v);
  return looksNumeric(s) && !/e/i.test(s) ? Number(s) : s;
}

/** The YAML key of an All Runs column (`LoRA Rank` → lora_rank, `Learning Rate` → lr). */
export function paramKey(design, column) {
  const known = { 'lora rank': 'lora_rank', 'learning rate': 'lr', 'batch size': 'batch_size', epochs: 'epochs' };
  const v = design.variables?.find((x) => x.key && x.factor.toLowerCase() === column.toLowerCase());
  return v?.key ?? known[column.toLowerCase()] ?? column.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** An adapter folder as torchtune leaves it after cruijff_kit rewrote its base path (adapter_utils.py). */
export function writeAdapter(dir, baseModelPath, rank) {
  mkdirSync(dir, { recursive: true });
  put(
    join(dir, 'adapter_config.json'),
    `${JSON.stringify({ base_model_name_or_path: baseModelPath, peft_type: 'LORA', task_type: 'CAUSAL_LM', r: Number(rank ?? 8), lora_alpha: 2 * Number(rank ?? 8), target_modules: ['q_proj', 'v_proj'] }, null, 2)}`,
  );
  put(join(dir, 'adapter_model.safetensors'), '');
}

/** A base model folder (only what a directory listing shows). */
export function writeBaseModel(dir) {
  if (existsSync(dir)) return;
  put(join(dir, 'config.json'), `${JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama' }, null, 2)}\n`);
  put(join(dir, 'model.safetensors'), '');
}

/** A task script standing in for a cruijff_kit blueprint (fake-bin/inspect never runs it). */
export function writeTaskScript(path, fn) {
  if (existsSync(path)) return;
  put(path, `# Test stand-in for an inspect-ai task file: fake-bin/inspect never imports it.\nfrom inspect_ai import Task, task\n\n\n@task\ndef ${fn}(**kwargs) -> Task:\n    raise NotImplementedError\n`);
}
