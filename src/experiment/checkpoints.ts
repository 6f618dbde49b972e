// Does the model an eval loads exist? The path is the one the job will see (discover.ts expands the
// script's variables); the design says where it should be when the script does not. A LoRA adapter
// also needs the base model its adapter_config.json names (cruijff_kit refuses to submit otherwise).
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { EvalSpec } from '../domain.js';
import type { Design, DesignRun } from './design.js';
import { artifactsCheckpoint, pathExists, type ExperimentLayout } from './layout.js';

export type ModelCheck = { ok: true; path: string | null } | { ok: false; path: string | null; reason: string };

/** Where the design puts the model of an eval, when its script does not say. */
export function expectedModelPath(layout: ExperimentLayout, design: Design, spec: Pick<EvalSpec, 'run' | 'epoch' | 'kind'>, run: DesignRun | null): string | null {
  if (spec.kind === 'eval-only') return run?.checkpointPath ?? null;
  if (spec.epoch === null) return run?.baseModelPath ?? null;
  if (layout.generation === 'cells') return artifactsCheckpoint(layout, spec.run, spec.epoch);
  if (!design.checkpointDir) return null;
  const pattern = design.namingPattern ?? 'ck-out-{run_name}/epoch_{N}';
  const relative = pattern.replace(/\{run_name\}|\{run\}/g, spec.run).replace(/\{N\}|\{epoch\}/g, String(spec.epoch));
  return join(design.checkpointDir, relative);
}

export async function checkModel(spec: Pick<EvalSpec, 'epoch' | 'kind' | 'modelPath'>): Promise<ModelCheck> {
  const path = spec.modelPath;
  const what = spec.kind === 'eval-only' ? 'eval-only checkpoint' : spec.epoch === null ? 'base model' : 'checkpoint';
  if (path === null) {
    // A control's script may name a hub model or none at all: nothing on disk to check.
    if (spec.epoch === null && spec.kind !== 'eval-only') return { ok: true, path: null };
    return { ok: false, path: null, reason: `no model path in the eval script and none in the design for this ${what}` };
  }
  try {
    const info = await stat(path);
    if (!info.isDirectory()) return { ok: false, path, reason: `${what} is not a directory: ${path}` };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, path, reason: code === 'ENOENT' ? `${what} missing: ${path}` : `${what} unreadable (${code}): ${path}` };
  }
  const base = await adapterBase(path);
  if (base && isAbsolute(base) && !(await pathExists(base))) {
    return { ok: false, path, reason: `adapter ${path} needs base model ${base} (adapter_config.json base_model_name_or_path), which does not exist` };
  }
  return { ok: true, path };
}

/** adapter_config.json's base_model_name_or_path, or null (no adapter, or unreadable: the job will say). */
async function adapterBase(dir: string): Promise<string | null> {
  try {
    const config: unknown = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    const base = (config as { base_model_name_or_path?: unknown } | null)?.base_model_name_or_path;
    return typeof base === 'string' && base !== '' ? base : null;
  } catch {
    return null;
  }
}
