// Find the inspect log of one eval in a logs directory that several evals share.
//
// A file name proves nothing (every eval of a run writes to the same `eval/logs/`), so each log
// is read and matched on its task AND its model path. Results are cached by (inode, size, mtime):
// a finished log never changes, so a poll re-reads only logs that are new or still growing.
//
// Listing and stat are synchronous on purpose: a poll looks at every running eval's directory
// (hundreds at 10,000 evals, each a readdir and a stat per log) and has nothing else to do
// meanwhile; through libuv's thread pool each of those calls costs ten times its own CPU in
// hand-offs between threads. Log contents are still read asynchronously.

import { readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { clearJournalCache, readInspectLog, toLogError, type InspectLogInfo } from './log.js';
import { InspectLogError } from './errors.js';

export interface FindLogsOptions {
  /** Ignore logs created before this (the job's submit time): `eval.created`, else file mtime. */
  since?: Date;
}

export interface FindLogsResult {
  /** Newest matching log with status success | error | cancelled. */
  finished: InspectLogInfo | null;
  /** Newest matching log still running (no header yet, or status `started`). */
  running: InspectLogInfo | null;
  /** One line per unreadable log (`path: problem`); those logs are skipped. */
  problems: string[];
}

/** JSON files inspect itself keeps next to logs; they are not logs. */
const NOT_LOGS = new Set(['logs.json', 'eval-set.json', 'listing.json']);
const FINISHED = new Set(['success', 'error', 'cancelled']);
const CONCURRENCY = 8;
/** A log modified this recently may be mid-write (older inspect rewrites it in place): retry once. */
const FRESH_MS = 5_000;
const RETRY_DELAY_MS = 250;

/** What a log of one eval looks like: see `logMatches`. */
export interface LogIdentity {
  /** Task names inspect may give the eval (script name, task function, function_vis-label). */
  tasks: readonly string[];
  visLabel: string | null;
  /** The model path the job passes (expanded); null when unknown. */
  modelPath: string | null;
  /** The folder holds this eval's logs only (a cruijff_kit cell): the task name need not match. */
  ownFolder: boolean;
}

/**
 * Among the logs in `logsDir` (*.eval and *.json, non-recursive; a missing dir → nothing found),
 * the newest that is this eval's (`logMatches`). Never throws for a bad log.
 */
export async function findLogs(logsDir: string, identity: LogIdentity, opts: FindLogsOptions = {}): Promise<FindLogsResult> {
  const result: FindLogsResult = { finished: null, running: null, problems: [] };
  const names = listLogNames(logsDir, result.problems);
  const since = opts.since?.getTime();
  const found: Array<{ info: InspectLogInfo; mtimeMs: number }> = [];

  await forEachLimited(names, CONCURRENCY, async (name) => {
    const path = join(logsDir, name);
    const got = await readCached(path, since);
    if (got === null) return;
    if (got.error) {
      result.problems.push(got.error.message);
      return;
    }
    const { info, mtimeMs } = got;
    if (!logMatches(identity, info)) return;
    if (since !== undefined && createdMs(info, mtimeMs) < since) return;
    found.push({ info, mtimeMs });
  });

  found.sort((a, b) => newer(b, a));
  result.finished = found.find((f) => FINISHED.has(f.info.status))?.info ?? null;
  result.running = found.find((f) => !FINISHED.has(f.info.status))?.info ?? null;
  result.problems.sort();
  return result;
}

/**
 * Whether a log is this eval's. The model path must match when the eval's is known (in a shared
 * folder an unknown one matches only logs without one). In a shared folder (the seed era's
 * `{run}/eval/logs/`, one per run) the task must match too: by one of its names, exactly or by
 * short form (`taskMatches`), or as `{function}_{vis_label}` when the log carries that vis_label.
 * A vis_label that both sides carry must be equal.
 */
export function logMatches(id: LogIdentity, log: Pick<InspectLogInfo, 'task' | 'visLabel' | 'modelPath'>): boolean {
  if (id.visLabel !== null && log.visLabel !== null && id.visLabel !== log.visLabel) return false;
  if (id.ownFolder) return id.modelPath === null || log.modelPath === null || modelPathMatches(id.modelPath, log.modelPath);
  if (!modelPathMatches(id.modelPath, log.modelPath)) return false;
  return id.tasks.some((t) => taskMatches(t, log.task));
}

/**
 * Task names match when equal, or when their short forms are: the part after the last `@`
 * (`tasks/x.py@popularity` → `popularity`), then after the last `/` (a registry name such as
 * `inspect_evals/gpqa` → `gpqa`), without a `.py` suffix.
 */
export function taskMatches(wanted: string, logTask: string): boolean {
  return wanted === logTask || shortTaskName(wanted) === shortTaskName(logTask);
}

export function shortTaskName(task: string): string {
  let s = task.trim();
  s = s.slice(s.lastIndexOf('@') + 1);
  s = s.slice(s.lastIndexOf('/') + 1);
  return s.endsWith('.py') ? s.slice(0, -3) : s;
}

/** Equal after normalisation (`//`, `/./`, `..` and trailing slashes); null matches only null. */
export function modelPathMatches(wanted: string | null, logPath: string | null): boolean {
  if (wanted === null || logPath === null || wanted === logPath) return wanted === logPath;
  return normalizeModelPath(wanted) === normalizeModelPath(logPath);
}

function normalizeModelPath(p: string): string {
  const s = posix.normalize(p.trim());
  return s.length > 1 ? s.replace(/\/+$/, '') : s;
}

function listLogNames(dir: string, problems: string[]): string[] {
  try {
    const entries = readdirSync(dir, { withFileTypes: true });
    return entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.(eval|json)$/.test(e.name) && !NOT_LOGS.has(e.name))
      .map((e) => e.name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    problems.push(toLogError(dir, err).message);
    return [];
  }
}

type Cached = { info: InspectLogInfo; mtimeMs: number; error?: undefined } | { error: InspectLogError };

const CACHE_MAX = 4096;
const cache = new Map<string, { key: string; value: Cached }>();

/** Forget every cached read (tests; or a caller that wants a cold look). */
export function clearLogCache(): void {
  cache.clear();
  clearJournalCache();
}

/** Read a log unless unchanged since last time; null when older than `since` by mtime. */
async function readCached(path: string, since: number | undefined, retried = false): Promise<Cached | null> {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    return { error: toLogError(path, err) };
  }
  if (!st.isFile()) return null;
  // mtime ≥ eval.created, so a file last written before `since` cannot hold a newer eval.
  if (since !== undefined && st.mtimeMs < since) return null;
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const hit = cache.get(path);
  if (hit && hit.key === key) return hit.value;

  const value = await readOnce(path, st.mtimeMs);
  if (value.error && !retried && Date.now() - st.mtimeMs < FRESH_MS) {
    await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    return readCached(path, since, true); // re-stat: the writer may have finished
  }
  cache.delete(path);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(path, { key, value });
  return value;
}

async function readOnce(path: string, mtimeMs: number): Promise<Cached> {
  try {
    return { info: await readInspectLog(path), mtimeMs };
  } catch (err) {
    return { error: toLogError(path, err) };
  }
}

function createdMs(info: InspectLogInfo, mtimeMs: number): number {
  const t = info.created ? Date.parse(info.created) : NaN;
  return Number.isNaN(t) ? mtimeMs : t;
}

/** Positive when a is newer: by eval.created, then mtime, then path. */
function newer(a: { info: InspectLogInfo; mtimeMs: number }, b: { info: InspectLogInfo; mtimeMs: number }): number {
  return (
    createdMs(a.info, a.mtimeMs) - createdMs(b.info, b.mtimeMs) ||
    a.mtimeMs - b.mtimeMs ||
    (a.info.path < b.info.path ? -1 : a.info.path > b.info.path ? 1 : 0)
  );
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
