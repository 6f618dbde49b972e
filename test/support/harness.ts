// End-to-end harness: a temp experiment, a private fake-slurm, and the real bundle run as users run it.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { makeExperiment } from './make-experiment.mjs';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BUNDLE = join(REPO, 'dist', 'run-inspect.mjs');
export const FAKE_BIN = join(REPO, 'fake-slurm', 'bin');

/** fake-slurm's job record (times in epoch seconds). */
export interface FakeJob {
  id: number;
  name: string;
  script: string;
  workdir: string;
  state: string;
  reason: string;
  submit_time: number;
  start_time: number | null;
  end_time: number | null;
  comment: string | null;
  dependency: string | null;
  pid: number | null;
  [k: string]: unknown;
}

export interface Sandbox {
  root: string;
  env: NodeJS.ProcessEnv;
  /** Run the bundle; never rejects. */
  cli(args: string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Start the bundle in the background. */
  spawn(args: string[], opts?: { env?: NodeJS.ProcessEnv }): ResultPromise;
  jobs(): FakeJob[];
  admin(...args: string[]): Promise<string>;
  faults(faults: Record<string, unknown>): void;
  cleanup(): Promise<void>;
}

export function sandbox(extraEnv: NodeJS.ProcessEnv = {}): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'ri-test-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${FAKE_BIN}${delimiter}${process.env.PATH}`,
    FAKE_SLURM_DIR: join(root, 'fake-slurm'),
    FAKE_SLURM_MIN_JOB_AGE: '300',
    ...extraEnv,
  };
  delete env.SLURM_JOB_ID;
  delete env.SLURM_JOB_END_TIME;
  const s: Sandbox = {
    root,
    env,
    async cli(args, opts = {}) {
      const r = await execa(process.execPath, [BUNDLE, ...args], { env: { ...env, ...opts.env }, reject: false, timeout: opts.timeoutMs ?? 60_000, extendEnv: false });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    spawn(args, opts = {}) {
      return execa(process.execPath, [BUNDLE, ...args], { env: { ...env, ...opts.env }, reject: false, extendEnv: false });
    },
    jobs() {
      const dir = join(env.FAKE_SLURM_DIR!, 'jobs');
      let names: string[] = [];
      try {
        names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
      } catch {
        return [];
      }
      // A record claimed a moment ago may still be empty: it is not a job yet.
      return names.flatMap((n) => {
        try {
          return [JSON.parse(readFileSync(join(dir, n), 'utf8')) as FakeJob];
        } catch {
          return [];
        }
      });
    },
    async admin(...args) {
      const r = await execa(join(FAKE_BIN, 'fake-slurm-admin'), args, { env, reject: false, extendEnv: false, timeout: 120_000 });
      return String(r.stdout);
    },
    faults(faults) {
      mkdirSync(env.FAKE_SLURM_DIR!, { recursive: true });
      writeFileSync(join(env.FAKE_SLURM_DIR!, 'faults.json'), JSON.stringify(faults));
    },
    async cleanup() {
      await s.admin('reset').catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
  return s;
}

export function experiment(s: Sandbox, name: string, o: Parameters<typeof makeExperiment>[1] = {}) {
  return makeExperiment(join(s.root, name), o);
}

/** Every fake job whose script is one of this experiment's eval scripts, grouped by script. */
export function jobsPerScript(s: Sandbox, experimentDir: string): Map<string, FakeJob[]> {
  const by = new Map<string, FakeJob[]>();
  for (const j of s.jobs()) {
    if (!j.script.startsWith(experimentDir) || !/\/eval\/[^/]+\.slurm$/.test(j.script)) continue;
    by.set(j.script, [...(by.get(j.script) ?? []), j]);
  }
  return by;
}

export function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/**
 * How each eval of an experiment stands, a line each (`key STATUS: notes`): the message of an
 * assertion on how they ended. With `run`, the command's exit code and the end of its stderr first.
 */
export function evalsAsTheyEnded(experimentDir: string, run?: { exitCode?: number; stderr: string }): string {
  const head = run ? `exited ${run.exitCode}: ${run.stderr.slice(-1000)}\n` : '';
  const file = join(experimentDir, 'eval_jobs.json');
  if (!existsSync(file)) return `${head}${file}: not written`;
  return head + Object.entries<{ status: string; notes: string }>(readJson(file).evaluations).map(([key, e]) => `${key} ${e.status}: ${e.notes}`).join('\n');
}
