// Reader of inspect-ai eval logs: `.eval` (a zip, deflate or zstd) and legacy `.json`.
//
// Reads only what the monitor needs: `header.json` of a finished .eval; `_journal/start.json` plus
// the journal summaries of a running one; the head of a .json log (everything before `samples`).
// Every failure becomes an InspectLogError whose message is one line naming the file.

import { ZipReader, type ZipEntry } from './zip.js';
import { InspectLogError, ZipError } from './errors.js';
import { isNonFinite, parseJson, readJsonHead, type NonFinite } from './json.js';

export { InspectLogError };

/** `running` = an .eval without header.json yet (still being written, or crashed mid-run). */
export type InspectLogStatus = 'started' | 'success' | 'cancelled' | 'error' | 'running';

/** A metric; `value` is null when missing or not finite (NaN, ±Infinity: see `nonFinite`). */
export interface MetricValue {
  name: string;
  value: number | null;
  nonFinite?: NonFinite;
}

export interface ScoreSummary {
  name: string;
  scorer: string;
  metrics: MetricValue[];
  /** `scored_samples` when the log has it (inspect ≥ 0.3.1xx). */
  scoredSamples?: number;
}

export interface InspectLogInfo {
  path: string;
  format: 'eval' | 'json';
  status: InspectLogStatus;
  task: string;
  model: string | null;
  /** eval.model_args.model_path, else eval.task_args.config_dir, else null. */
  modelPath: string | null;
  /** eval.task_args.vis_label: cruijff_kit's label, which its task functions put in the task name. */
  visLabel: string | null;
  /** The log was marked invalid after the fact (top-level or eval `invalidated: true`): never a success. */
  invalidated: boolean;
  created: string | null;
  /** First line of error.message (≤ 300 chars). */
  errorMessage: string | null;
  /** Every scorer with every metric; legacy results.metrics/results.scorer mapped to one entry. */
  scores: ScoreSummary[];
  totalSamples: number | null;
  completedSamples: number | null;
  /** Running logs only: unique samples in the journal, and the planned total (samples × epochs). */
  progress: { done: number; total: number | null } | null;
  startedAt: string | null;
  completedAt: string | null;
}

/** Caps on decompressed sizes: a header is a few KB, anything near these is hostile or broken. */
const LIMITS = {
  header: 64 * 1024 * 1024,
  journalMember: 32 * 1024 * 1024,
  /** Total journal bytes we decompress for progress; past it we count sample members instead. */
  journalTotal: 128 * 1024 * 1024,
} as const;

const HEADER = 'header.json';
const START = '_journal/start.json';
const SUMMARIES = 'summaries.json';
const JOURNAL_SUMMARY = /^_journal\/summaries\/(\d+)\.json$/;
const SAMPLE_MEMBER = /^samples\/.+_epoch_\d+\.json$/;
const STATUSES = new Set<string>(['started', 'success', 'cancelled', 'error']);

export async function readInspectLog(path: string): Promise<InspectLogInfo> {
  try {
    if (path.endsWith('.eval')) return await readEvalLog(path);
    if (path.endsWith('.json')) return await readJsonLog(path);
    throw new ZipError('not an inspect log name (expected .eval or .json)');
  } catch (err) {
    throw toLogError(path, err);
  }
}

async function readEvalLog(path: string): Promise<InspectLogInfo> {
  const zip = await ZipReader.open(path);
  try {
    if (zip.has(HEADER)) {
      const info = toInfo(path, 'eval', await readJsonMember(zip, HEADER, LIMITS.header), null);
      if (info.status === 'started') {
        await addJournalProgress(zip, info, path);
      } else if (info.status !== 'success' && info.completedSamples === null) {
        // An errored/cancelled log may have no results: say how far it got.
        info.completedSamples = await countJournalSamples(zip, path);
      }
      return info;
    }
    if (!zip.has(START)) throw new ZipError(`a zip without ${HEADER} or ${START}: not an inspect log`);
    const info = toInfo(path, 'eval', await readJsonMember(zip, START, LIMITS.header), 'running');
    await addJournalProgress(zip, info, path);
    return info;
  } finally {
    await zip.close();
  }
}

async function readJsonLog(path: string): Promise<InspectLogInfo> {
  const text = await readJsonHead(path, 'samples', LIMITS.header);
  const info = toInfo(path, 'json', parseJson(text), null);
  // Counting samples of a running .json log would mean reading all of it: not on the poll path.
  return info;
}

async function readJsonMember(zip: ZipReader, name: string, cap: number): Promise<unknown> {
  return parseMember(await zip.read(name, cap), name);
}

function parseMember(bytes: Uint8Array, name: string): unknown {
  return parseJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'), `member ${name}`);
}

async function addJournalProgress(zip: ZipReader, info: InspectLogInfo, path: string): Promise<void> {
  const done = await countJournalSamples(zip, path);
  info.completedSamples = done;
  info.progress = { done, total: info.totalSamples };
}

/**
 * Unique (id, epoch) pairs in summaries.json, else in `_journal/summaries/N.json` (in order; a
 * re-run sample appears twice, as inspect's own reader dedupes). A journal too big to decompress
 * on the poll path is counted by its `samples/*` members instead (written together with it).
 */
async function countJournalSamples(zip: ZipReader, path: string): Promise<number> {
  const seen = new Set<string>();
  if (zip.has(SUMMARIES)) {
    for (const key of summaryKeys(await readJsonMember(zip, SUMMARIES, LIMITS.header), SUMMARIES)) seen.add(key);
    return seen.size;
  }
  const journal = journalMembers(zip);
  const total = journal.reduce((n, e) => n + e.size, 0);
  if (total > LIMITS.journalTotal) return countSampleMembers(zip);
  for (const keys of await journalKeys(zip, path, journal)) for (const key of keys) seen.add(key);
  return seen.size;
}

/**
 * The sample keys of each journal member. The zip is only ever appended to, so a member at the
 * same offset with the same CRC and size is the one we parsed on the last poll: only new members
 * are read, which keeps a poll of a long-running eval cheap.
 */
async function journalKeys(zip: ZipReader, path: string, journal: ZipEntry[]): Promise<string[][]> {
  const id = (e: ZipEntry) => `${path}\0${e.name}\0${e.localHeaderOffset}\0${e.crc32}\0${e.compressedSize}`;
  const missing = journal.filter((e) => !journalCache.has(id(e)));
  const datas = await zip.readMany(missing, LIMITS.journalMember);
  if (journalCache.size + missing.length > JOURNAL_CACHE_MAX) journalCache.clear();
  missing.forEach((e, i) => journalCache.set(id(e), summaryKeys(parseMember(datas[i]!, e.name), e.name)));
  return journal.map((e) => journalCache.get(id(e)) ?? []);
}

const JOURNAL_CACHE_MAX = 200_000;
const journalCache = new Map<string, string[]>();

/** Forget parsed journal members (tests and benchmarks; findLogs' clearLogCache calls it). */
export function clearJournalCache(): void {
  journalCache.clear();
}

/** `_journal/summaries/N.json` entries (last of each name), in N order. */
function journalMembers(zip: ZipReader): ZipEntry[] {
  const found: Array<[number, ZipEntry]> = [];
  for (const name of zip.names()) {
    const m = JOURNAL_SUMMARY.exec(name);
    if (m) found.push([Number(m[1]), zip.get(name)!]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}

function countSampleMembers(zip: ZipReader): number {
  let n = 0;
  for (const name of zip.names()) if (SAMPLE_MEMBER.test(name)) n++;
  return n;
}

/** `id#epoch` of each sample summary in a list. */
function summaryKeys(data: unknown, where: string): string[] {
  if (!Array.isArray(data)) throw new ZipError(`member ${where}: expected a list of sample summaries`);
  return data.map((s) => {
    if (!isObject(s) || (typeof s.id !== 'number' && typeof s.id !== 'string')) {
      throw new ZipError(`member ${where}: a sample summary without an id`);
    }
    return `${typeof s.id}:${s.id}#${typeof s.epoch === 'number' ? s.epoch : 1}`;
  });
}

// ---- mapping the JSON shapes onto InspectLogInfo ----

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** A task argument as the command line gave it: strings, and numbers or booleans as text. */
function scalarText(v: unknown): string | null {
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : str(v);
}

function count(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}

/** EvalLog (header.json, a .json log) or LogStart (start.json, with `status` forced to running). */
function toInfo(path: string, format: 'eval' | 'json', data: unknown, forced: 'running' | null): InspectLogInfo {
  if (!isObject(data)) throw new ZipError('not an inspect log (top level is not an object)');
  checkVersion(data.version);
  const spec = data.eval;
  if (!isObject(spec) || !str(spec.task)) throw new ZipError('not an inspect log (no eval.task)');
  const status = forced ?? statusOf(data.status);
  const results = isObject(data.results) ? data.results : null;
  const stats = isObject(data.stats) ? data.stats : {};
  const planned = plannedSamples(spec);
  return {
    path,
    format,
    status,
    task: spec.task as string,
    model: str(spec.model),
    modelPath: modelPathOf(spec),
    visLabel: isObject(spec.task_args) ? scalarText(spec.task_args.vis_label) : null,
    invalidated: data.invalidated === true || spec.invalidated === true,
    created: str(spec.created),
    errorMessage: errorMessageOf(data.error),
    scores: results ? scoresOf(results) : [],
    totalSamples: count(results?.total_samples) ?? planned,
    completedSamples: count(results?.completed_samples),
    progress: null,
    startedAt: str(stats.started_at),
    completedAt: str(stats.completed_at),
  };
}

function checkVersion(v: unknown): void {
  if (v === undefined) return; // very old logs; the shape checks below still apply
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ZipError(`not an inspect log (version ${JSON.stringify(v)})`);
  }
}

function statusOf(v: unknown): InspectLogStatus {
  if (typeof v === 'string' && STATUSES.has(v)) return v as InspectLogStatus;
  throw new ZipError(`unknown log status ${JSON.stringify(v)}`);
}

function modelPathOf(spec: Obj): string | null {
  const modelArgs = isObject(spec.model_args) ? spec.model_args : {};
  const taskArgs = isObject(spec.task_args) ? spec.task_args : {};
  return str(modelArgs.model_path) ?? str(taskArgs.config_dir);
}

/** dataset.sample_ids (what limit/sample_id left) × epochs; else dataset.samples cut by limit. */
function plannedSamples(spec: Obj): number | null {
  const dataset = isObject(spec.dataset) ? spec.dataset : {};
  const config = isObject(spec.config) ? spec.config : {};
  let n: number | null = Array.isArray(dataset.sample_ids) ? dataset.sample_ids.length : count(dataset.samples);
  if (!Array.isArray(dataset.sample_ids) && n !== null) {
    const limit = config.limit;
    if (typeof limit === 'number') n = Math.min(n, limit);
    else if (Array.isArray(limit) && typeof limit[0] === 'number' && typeof limit[1] === 'number') {
      n = Math.max(0, Math.min(n, limit[1]) - limit[0]);
    }
  }
  const epochs = count(config.epochs) || 1;
  return n === null ? null : n * epochs;
}

const MAX_ERROR = 300;

function errorMessageOf(error: unknown): string | null {
  if (!isObject(error)) return null;
  const firstLine = (s: unknown) => (typeof s === 'string' ? s.split('\n').find((l) => l.trim() !== '') : undefined);
  const lastLine = (s: unknown) => (typeof s === 'string' ? s.split('\n').filter((l) => l.trim() !== '').pop() : undefined);
  const line = (firstLine(error.message) ?? lastLine(error.traceback))?.trim();
  if (!line) return null;
  return line.length > MAX_ERROR ? `${line.slice(0, MAX_ERROR - 1)}…` : line;
}

function scoresOf(results: Obj): ScoreSummary[] {
  if (Array.isArray(results.scores)) {
    return results.scores.filter(isObject).map((s) => {
      const name = str(s.name) ?? str(s.scorer) ?? 'score';
      const score: ScoreSummary = { name, scorer: str(s.scorer) ?? name, metrics: metricsOf(s.metrics) };
      const scored = count(s.scored_samples);
      if (scored !== null) score.scoredSamples = scored;
      return score;
    });
  }
  // Legacy (log version 1): results.scorer {name, params} + results.metrics {name: {name, value}}.
  if (isObject(results.metrics)) {
    const name = (isObject(results.scorer) && str(results.scorer.name)) || 'score';
    return [{ name, scorer: name, metrics: metricsOf(results.metrics) }];
  }
  return [];
}

function metricsOf(metrics: unknown): MetricValue[] {
  const entries: Array<[string, unknown]> = isObject(metrics)
    ? Object.entries(metrics)
    : Array.isArray(metrics)
      ? metrics.map((m, i) => [isObject(m) ? (str(m.name) ?? `metric${i + 1}`) : `metric${i + 1}`, m])
      : [];
  return entries.map(([key, m]) => {
    const raw = isObject(m) ? m.value : m;
    const metric: MetricValue = { name: (isObject(m) && str(m.name)) || key, value: null };
    if (typeof raw === 'number' && Number.isFinite(raw)) metric.value = raw;
    else if (isNonFinite(raw)) metric.nonFinite = raw;
    return metric;
  });
}

// ---- errors ----

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ELOOP: 'symlink loop',
  EIO: 'I/O error',
  ENAMETOOLONG: 'file name too long',
  ENOTDIR: 'a path component is not a directory',
  ESTALE: 'stale NFS file handle',
};

export function toLogError(path: string, err: unknown): InspectLogError {
  if (err instanceof InspectLogError) return err;
  if (err instanceof ZipError) return new InspectLogError(path, err.message);
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && ERRNO_TEXT[e.code]) return new InspectLogError(path, ERRNO_TEXT[e.code]!);
  const msg = e instanceof Error ? e.message : String(err);
  return new InspectLogError(path, `unreadable (${msg.slice(0, 160)})`);
}
