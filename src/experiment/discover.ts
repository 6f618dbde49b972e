// Which evals the experiment asks for: one `{run}/eval/{task}_epoch{N}.slurm` or
// `{run}/eval/{task}_base.slurm` per eval (made by scaffold-inspect).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { evalKey, type EvalSpec } from '../domain.js';

const SCRIPT_NAME = /^(.+)_(?:epoch(\d+)|base)\.slurm$/;
const MAX_SCRIPT_BYTES = 1024 * 1024;

export interface Discovery {
  evals: EvalSpec[];
  /** One line per file or folder that could not be used, naming it and why. */
  problems: string[];
}

export async function discoverEvals(experimentDir: string): Promise<Discovery> {
  const evals: EvalSpec[] = [];
  const problems: string[] = [];
  const runs = await readdir(experimentDir, { withFileTypes: true });
  for (const entry of runs.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const evalDir = join(experimentDir, entry.name, 'eval');
    const names = await listScripts(evalDir, problems);
    for (const name of names) {
      const m = SCRIPT_NAME.exec(name);
      const script = join(evalDir, name);
      if (!m) {
        problems.push(`${script}: not an eval script name ({task}_epoch{N}.slurm or {task}_base.slurm); ignored`);
        continue;
      }
      const task = m[1]!;
      const epoch = m[2] === undefined ? null : Number(m[2]);
      let text: string;
      try {
        text = await readScript(script);
      } catch (e) {
        problems.push(`${script}: ${(e as Error).message}`);
        continue;
      }
      evals.push({ key: evalKey(entry.name, task, epoch), run: entry.name, task, epoch, script, evalDir, modelPath: modelPathOf(text) });
    }
  }
  return { evals, problems };
}

async function listScripts(evalDir: string, problems: string[]): Promise<string[]> {
  try {
    const info = await stat(evalDir);
    if (!info.isDirectory()) return [];
    return (await readdir(evalDir)).filter((n) => n.endsWith('.slurm')).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    problems.push(`${evalDir}: cannot be read (${code ?? (e as Error).message})`);
    return [];
  }
}

async function readScript(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error('not a regular file');
  if (info.size > MAX_SCRIPT_BYTES) throw new Error(`larger than ${MAX_SCRIPT_BYTES} bytes, not an eval script`);
  return readFile(path, 'utf8');
}

/** `MODEL_PATH="..."` (or '...' or bare) near the top of the script: the checkpoint it needs. */
export function modelPathOf(script: string): string | null {
  const m = /^[ \t]*(?:export[ \t]+)?MODEL_PATH=(?:"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'|([^\s#;]*))/m.exec(script);
  if (!m) return null;
  // Inside double quotes bash keeps a backslash except before $ ` " \ (and newline).
  const value = (m[1] !== undefined ? m[1].replace(/\\([$`"\\])/g, '$1') : (m[2] ?? m[3] ?? '')).trim();
  // A copy, not a slice: V8 would keep the whole script alive for it (10,000 scripts at 10,000 evals).
  return value === '' ? null : Buffer.from(value).toString();
}
