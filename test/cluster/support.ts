// Helpers for the real-cluster end-to-end tests: the bundle run as a user runs it, the cluster's
// mode (cluster.sh start <options>), and what SLURM itself says about an experiment's jobs.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { clusterEnv } from './env.js';
import { sleep, slurm, waitFor } from './slurm.js';
import { evalComment, experimentIdOf, monitorComment } from '../../src/monitor/tags.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const BUNDLE = join(REPO, 'dist', 'run-inspect.mjs');
const CLUSTER_SH = join(REPO, 'test', 'cluster', 'cluster.sh');

/**
 * The environment a researcher's shell would give: PATH (never fake-slurm's), HOME, SLURM_CONF.
 * No USER/LOGNAME, as in CI: run-inspect must take the user from the OS.
 */
export function userEnv(): Record<string, string> {
  const path = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(delimiter)
    .filter((p) => p && !p.includes('fake-slurm'))
    .join(delimiter);
  return { PATH: path, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', ...clusterEnv() };
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/run-inspect.mjs ARGS` (argument array, no shell); never rejects. `env` is added to
 * the user's (a generated experiment's stubs on PATH: sbatch exports it to the jobs).
 */
export async function cli(args: string[], opts: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [BUNDLE, ...args], {
    env: { ...userEnv(), ...opts.env },
    extendEnv: false,
    reject: false,
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 120_000,
    stripFinalNewline: false,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function spawnCli(args: string[]): ResultPromise {
  return execa(process.execPath, [BUNDLE, ...args], { env: userEnv(), extendEnv: false, reject: false });
}

/**
 * Puts the cluster in a mode (`--qos-max-submit N`, `--no-accounting`, `--min-job-age S`; none =
 * the default). Same mode again: nothing happens; another mode: every job is cancelled and the
 * daemons restart (3-5 s).
 */
export async function clusterMode(options: string[] = []): Promise<void> {
  const r = await execa('bash', [CLUSTER_SH, 'start', ...options], { reject: false, timeout: 180_000, all: true });
  if (r.exitCode !== 0) throw new Error(`cluster.sh start ${options.join(' ')} failed (exit ${r.exitCode}):\n${r.all}`);
}

/** A fresh folder for this file's experiments; rm() removes it unless KEEP_CLUSTER_WORK is set. */
export function workRoot(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), `ri-cluster-${prefix}-`));
  return {
    root,
    rm() {
      if (process.env.KEEP_CLUSTER_WORK) console.log('kept:', root);
      else rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
    },
  };
}

/** Job ids still queued or running whose work dir lies under `root`. */
async function activeJobsUnder(root: string): Promise<string[]> {
  const q = await slurm('squeue', ['-h', '-o', '%i|%Z']);
  if (q.exitCode !== 0) throw new Error(`squeue failed: ${q.stderr}`);
  return q.stdout.split('\n').flatMap((l) => {
    const [id, ...wd] = l.split('|');
    const w = wd.join('|');
    return id && (w === root || w.startsWith(`${root}/`)) ? [id.trim()] : [];
  });
}

/** Cancels every job still queued or running whose work dir lies under `root`, and waits until they are gone. */
export async function cancelJobsUnder(root: string): Promise<void> {
  // a monitor link being cancelled may just have queued its successor: cancel until none is left
  await waitFor(
    `the jobs under ${root} to end`,
    async () => {
      const ids = await activeJobsUnder(root);
      if (ids.length === 0) return true;
      await slurm('scancel', ids);
      return undefined;
    },
    60_000,
    1000,
  );
}

// ------------------------------------------------------------------ what SLURM says

export interface AcctRow {
  id: string;
  name: string;
  state: string;
  exitCode: string;
  submit: string;
  start: string;
  end: string;
  elapsed: string;
  workDir: string;
  comment: string;
}

const SACCT_FIELDS = 'JobIDRaw,JobName,State,ExitCode,Submit,Start,End,Elapsed,WorkDir,Comment';

function parseAcct(text: string): AcctRow[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [id, name, state, exitCode, submit, start, end, elapsed, workDir, ...comment] = l.split('|');
      return { id: id!, name: name!, state: state!, exitCode: exitCode!, submit: submit!, start: start!, end: end!, elapsed: elapsed!, workDir: workDir!, comment: comment.join('|') };
    });
}

/**
 * sacct -X rows of every job submitted since `since` whose work dir lies under `root`. A time
 * window (`--starttime`) leaves out jobs that never ran (cancelled while pending: a monitor's
 * queued successor), so the window only bounds the ids, which are then asked for one by one
 * (`--jobs` has no window).
 */
export async function sacctUnder(root: string, since: Date): Promise<AcctRow[]> {
  const r = await slurm('sacct', ['-X', '-n', '-P', '-a', `--starttime=${slurmTime(since)}`, '--format=JobIDRaw']);
  if (r.exitCode !== 0) throw new Error(`sacct failed: ${r.stderr}`);
  const ids = r.stdout.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number);
  if (ids.length === 0) return [];
  const all = Array.from({ length: Math.max(...ids) + 50 - Math.min(...ids) + 1 }, (_, i) => String(Math.min(...ids) + i));
  return (await sacctJobs(all)).filter((a) => a.workDir === root || a.workDir.startsWith(`${root}/`));
}

export async function sacctJobs(ids: string[]): Promise<AcctRow[]> {
  if (ids.length === 0) return [];
  const r = await slurm('sacct', ['-X', '-n', '-P', `--format=${SACCT_FIELDS}`, `--jobs=${ids.join(',')}`]);
  if (r.exitCode !== 0) throw new Error(`sacct failed: ${r.stderr}`);
  return parseAcct(r.stdout);
}

const ACTIVE = /^(PENDING|RUNNING|COMPLETING|CONFIGURING|SUSPENDED|REQUEUED)/;
/** slurmdbd learns of jobs asynchronously (a row may be missing, or `allocation`/PENDING for a while). */
const settled = (a: AcctRow) => a.name !== 'allocation' && a.workDir !== '' && !ACTIVE.test(a.state) && a.end !== 'Unknown';

/**
 * The final sacct rows of the jobs under `root`, once nothing there is queued or running any more
 * (squeue) and slurmdbd has every row complete: each `expectIds` there, and the same rows on two
 * reads in a row (a record can reach slurmdbd a little later than the others).
 */
export async function settledJobsUnder(root: string, since: Date, timeoutMs = 60_000, expectIds: string[] = []): Promise<AcctRow[]> {
  await waitFor(`every job under ${root} to leave squeue`, async () => ((await activeJobsUnder(root)).length === 0 ? true : undefined), timeoutMs, 500);
  let last: AcctRow[] = [];
  let previous = '';
  return waitFor(
    `sacct to settle for the jobs under ${root}`,
    async () => {
      last = await sacctUnder(root, since);
      const text = JSON.stringify(last);
      const stable = text === previous;
      previous = text;
      const complete = last.length > 0 && last.every(settled) && expectIds.every((id) => last.some((a) => a.id === id));
      return complete && stable ? last : undefined;
    },
    30_000,
    1000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last rows:\n${last.map((a) => JSON.stringify(a)).join('\n')}`);
  });
}

/** squeue -t all rows (id → {state, reason, comment, workDir, name}). */
export async function squeueAll(): Promise<Map<string, { state: string; reason: string; comment: string; workDir: string; name: string; timeLeft: string }>> {
  const q = await slurm('squeue', ['-h', '-t', 'all', '-o', '%i|%T|%r|%k|%L|%j|%Z']);
  if (q.exitCode !== 0) throw new Error(`squeue failed: ${q.stderr}`);
  return new Map(
    q.stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const [id, state, reason, comment, timeLeft, name, ...wd] = l.split('|');
        return [id!.trim(), { state: state!, reason: reason!, comment: comment!, timeLeft: timeLeft!, name: name!, workDir: wd.join('|') }] as const;
      }),
  );
}

/** SLURM's timestamp form (local time, no zone). */
export function slurmTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** `2026-11-29T04:31:27` → epoch seconds (local time, as SLURM prints it). */
export function secondsOf(ts: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)$/.exec(ts);
  if (!m) throw new Error(`not a SLURM timestamp: ${ts}`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
}

// ------------------------------------------------------------------ the experiment's view

export function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function evalState(dir: string): Record<string, any> {
  return readJson(join(dir, 'eval_jobs.json')).evaluations;
}

/** The comment tags run-inspect gives this experiment's jobs. */
export function tagsOf(dir: string) {
  const id = experimentIdOf(dir);
  return { id, monitor: monitorComment(id), evalOf: (key: string) => evalComment(id, key) };
}

/** Every eval job of the experiment, grouped by eval key through run-inspect's `--comment` tag. */
export function evalJobsByKey(dir: string, rows: AcctRow[], keys: string[]): Map<string, AcctRow[]> {
  const tags = tagsOf(dir);
  const byKey = new Map<string, AcctRow[]>();
  for (const key of keys) byKey.set(key, rows.filter((a) => a.comment === tags.evalOf(key)));
  return byKey;
}

export function chainFinished(dir: string): boolean {
  try {
    return readJson(join(dir, 'eval_jobs.json')).monitor.finished !== null;
  } catch {
    return false;
  }
}

/**
 * Fine-tuning stand-in `{run}/finetune.slurm`, named after the run as the real ones are; on success
 * it writes the checkpoints its evals need (as real fine-tuning would), on failure it writes none.
 */
export function finetuneScript(dir: string, run: string, o: { seconds: number; exit?: number; checkpoints?: string[] }): string {
  mkdirSync(join(dir, run), { recursive: true });
  const path = join(dir, run, 'finetune.slurm');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = ['#!/bin/bash', `#SBATCH --job-name=${run}`, '#SBATCH --output=slurm-%j.out', '#SBATCH --time=10', '#SBATCH --mem=1G', `echo "fine-tuning ${run}"`, `sleep ${o.seconds}`];
  if ((o.exit ?? 0) === 0) for (const ck of o.checkpoints ?? []) lines.push(`mkdir -p ${q(ck)}`);
  lines.push(`exit ${o.exit ?? 0}`, '');
  writeFileSync(path, lines.join('\n'));
  chmodSync(path, 0o755);
  return path;
}

/** Rewrites one `#SBATCH --time` / fake-inspect option in an eval script (per-eval durations). */
export function editEvalScript(path: string, edits: { time?: string; seconds?: number }): void {
  let text = readFileSync(path, 'utf8');
  if (edits.time !== undefined) text = text.replace(/^#SBATCH --time=.*$/m, `#SBATCH --time=${edits.time}`);
  if (edits.seconds !== undefined) text = text.replace(/--seconds \S+/, `--seconds ${edits.seconds}`);
  writeFileSync(path, text);
}

export { sleep, slurm, waitFor };
