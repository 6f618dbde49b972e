// What run-inspect asks SLURM, one method per question. Parsing of SLURM's output lives here too,
// so the rest of the code sees plain records. Only sbatch changes anything, and it is never retried
// blindly (an sbatch that timed out may have been accepted): the monitor reconciles first.
import { isAbsolute, resolve } from 'node:path';
import { SlurmCommandError } from '../errors.js';
import { commandError, DEFAULT_TIMEOUT_MS, type CommandRunner } from './exec.js';
import { firstWord } from './states.js';
import { formatSlurmTimestamp, parseSlurmDuration } from './time.js';

export interface QueueEntry {
  jobId: string;
  /** SLURM's word, first token (`CANCELLED by 0` → `CANCELLED`). */
  state: string;
  reason: string;
  elapsedSeconds: number | null;
  submitTime: string;
  startTime: string;
  comment: string;
}

/**
 * One line of squeue's answer as the scan reaches it: its job id, its text, its fields when asked.
 * A poll that saw the very same line last time for an eval that has not changed since need not
 * parse it again (at 10,000 queued jobs, most lines most polls).
 */
export interface QueueLine {
  readonly jobId: string;
  /** The line as SLURM printed it; a slice of the whole answer, which it keeps alive while kept. */
  readonly text: string;
  entry(): QueueEntry;
}

export interface AccountingEntry {
  jobId: string;
  state: string;
  exitCode: string;
  submitTime: string;
  startTime: string;
  endTime: string;
  elapsedSeconds: number | null;
  /** The walltime it was given (`Timelimit`); null when unlimited or unknown. */
  timelimitSeconds: number | null;
  /** GPUs it held (`gres/gpu` of `AllocTRES`); null when it was never allocated anything. */
  gpus: number | null;
  /**
   * The job's `--comment`. sacct stores it only where the site set AccountingStoreFlags=job_comment
   * (few do): `accountingSince` then reads it from the SubmitLine, which is always stored.
   */
  comment: string;
}

export interface ActiveJob {
  jobId: string;
  state: string;
  reason: string;
  /** The batch script path (`%o`), made absolute with the work dir (`%Z`). */
  command: string;
}

export type SubmitOutcome =
  | { ok: true; jobId: string }
  /** `qos`: a submit limit, retry later. `transient`: may or may not have been accepted. */
  | { ok: false; kind: 'qos' | 'transient' | 'rejected'; message: string };

export interface SubmitRequest {
  /** Absolute script path; omit to feed `scriptText` on stdin. */
  script?: string;
  scriptText?: string;
  scriptArgs?: string[];
  cwd: string;
  /** sbatch options, each one argument (`--comment=...`). */
  options: string[];
}

/** Everything the product asks SLURM; tests can implement it directly. */
export interface Slurm {
  submit(req: SubmitRequest): Promise<SubmitOutcome>;
  /** Every job of `user` that the controller still knows (`squeue -t all`), one call. */
  queue(user: string): Promise<QueueEntry[]>;
  /** The same, handed over one line at a time and none kept: a poll over 10,000 jobs holds and parses only what it needs. */
  scanQueue(user: string, each: (line: QueueLine) => void): Promise<void>;
  /** Accounting records of these jobs, as few sacct calls as the argument limit allows; null when accounting is disabled. */
  accounting(jobIds: string[]): Promise<AccountingEntry[] | null>;
  /** Accounting records of `user`'s jobs submitted since `since` (to find a submission whose id was lost). */
  /** The user's jobs submitted since `since`, each with its comment even where sacct does not store comments. */
  accountingSince(user: string, since: Date): Promise<AccountingEntry[] | null>;
  /** The user's queued or running jobs with their script paths (to find fine-tuning jobs). */
  activeJobs(user: string): Promise<ActiveJob[]>;
  /** Seconds left before this job's walltime, or null when SLURM cannot say. */
  timeLeft(jobId: string): Promise<number | null>;
  cancel(jobIds: string[]): Promise<void>;
}

export interface SlurmClientOptions {
  run: CommandRunner;
  timeoutMs?: number;
  /** Retries of read-only commands after transient errors, with exponential backoff and jitter. */
  retries?: number;
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

// `|` separates fields; every field here is SLURM's own (ids, states, times) or our own comment,
// so none can hold a `|` — but for the paths of ACTIVE_FORMAT: the command (`%o`, as given to
// sbatch, so maybe relative) is last and the work dir before it is assumed free of `|`.
const QUEUE_FORMAT = '%i|%T|%r|%M|%V|%S|%k';
const ACTIVE_FORMAT = '%i|%T|%r|%Z|%o';
const SACCT_FIELDS = 'JobIDRaw,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,AllocTRES,Comment';
// The sbatch command line (Slurm 20.11+), last: it may hold anything, `|` included.
const SACCT_SINCE_FIELDS = `${SACCT_FIELDS},SubmitLine`;
// Linux caps one argument at 128 KiB (MAX_ARG_STRLEN): split the sacct id list well below it.
const MAX_ID_LIST_CHARS = 100_000;

export function createSlurmClient(o: SlurmClientOptions): Slurm {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retries = o.retries ?? 2;
  const backoffMs = o.backoffMs ?? 2_000;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function call(cmd: string, args: string[], extra: { cwd?: string; input?: string } = {}) {
    return o.run(cmd, args, { ...extra, timeoutMs });
  }

  /** Read-only commands: retry transient failures; anything else is thrown to the caller. */
  async function read(cmd: string, args: string[], accept?: (stderr: string) => boolean): Promise<string | null> {
    for (let attempt = 0; ; attempt++) {
      const r = await call(cmd, args);
      if (r.exitCode === 0 && !r.timedOut) return r.stdout;
      if (accept?.(r.stderr)) return null;
      const err = commandError(cmd, r, timeoutMs);
      if (!err.transient || attempt >= retries) throw err;
      await sleep(backoffMs * 2 ** attempt * (0.5 + Math.random()));
    }
  }

  const accountingDisabled = (stderr: string) => /accounting storage is disabled/i.test(stderr);

  const queueText = async (user: string) =>
    (await read('squeue', ['--noheader', '--states=all', `--user=${user}`, `--format=${QUEUE_FORMAT}`]))!;

  return {
    async submit(req) {
      const args = ['--parsable', ...req.options];
      if (req.script) args.push(req.script, ...(req.scriptArgs ?? []));
      const r = await call('sbatch', args, { cwd: req.cwd, input: req.script ? undefined : (req.scriptText ?? '') });
      const id = /^(\d+)(?:;\S+)?\s*$/.exec(r.stdout.trim());
      if (r.exitCode === 0 && !r.timedOut && id) return { ok: true, jobId: id[1]! };
      const err = r.exitCode === 0 && !r.timedOut
        ? new SlurmCommandError('sbatch', `unexpected output: ${r.stdout.trim().slice(0, 200)}`, false)
        : commandError('sbatch', r, timeoutMs);
      if (/QOSMaxSubmitJob|MaxSubmitJob|job submit limit/i.test(err.detail)) return { ok: false, kind: 'qos', message: err.detail };
      return { ok: false, kind: err.transient ? 'transient' : 'rejected', message: err.detail };
    },

    async queue(user) {
      return parseQueue(await queueText(user));
    },

    async scanQueue(user, each) {
      scanQueueText(await queueText(user), each);
    },

    async accounting(jobIds) {
      const entries: AccountingEntry[] = [];
      for (const chunk of chunkIds(jobIds)) {
        const out = await read('sacct', ['-X', '-n', '-P', `--format=${SACCT_FIELDS}`, `--jobs=${chunk}`], accountingDisabled);
        if (out === null) return null;
        entries.push(...parseAccounting(out));
      }
      return entries;
    },

    async accountingSince(user, since) {
      const out = await read('sacct', ['-X', '-n', '-P', `--format=${SACCT_SINCE_FIELDS}`, `--user=${user}`, `--starttime=${formatSlurmTimestamp(since)}`], accountingDisabled);
      return out === null ? null : parseAccounting(out, true);
    },

    async activeJobs(user) {
      const out = (await read('squeue', ['--noheader', `--user=${user}`, `--format=${ACTIVE_FORMAT}`]))!;
      return lines(out).flatMap((l) => {
        const [jobId, state, reason, workdir, ...rest] = l.split('|');
        const command = rest.join('|').trim();
        // `sbatch ./finetune.slurm` shows as `./finetune.slurm`: resolve it against the job's work dir.
        const absolute = command && !isAbsolute(command) && command !== '(null)' && workdir ? resolve(workdir.trim(), command) : command;
        return jobId && state ? [{ jobId: jobId.trim(), state: state.trim(), reason: (reason ?? '').trim(), command: absolute }] : [];
      });
    },

    async timeLeft(jobId) {
      const out = await read('squeue', ['--noheader', `--jobs=${jobId}`, '--format=%L']);
      return parseSlurmDuration((out ?? '').trim());
    },

    async cancel(jobIds) {
      if (jobIds.length === 0) return;
      const r = await call('scancel', jobIds);
      // Cancelling a job that already ended is not an error worth stopping for.
      if (r.exitCode !== 0 && !/Invalid job id|already completing or completed/i.test(r.stderr)) throw commandError('scancel', r, timeoutMs);
    },
  };
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

/**
 * `squeue --format=QUEUE_FORMAT` output, one entry per job line. It runs every poll over every job
 * of the user (10,000 lines at a time), so it scans with indexOf rather than splitting each line.
 */
export function parseQueue(text: string): QueueEntry[] {
  const entries: QueueEntry[] = [];
  scanQueueText(text, (line) => entries.push(line.entry()));
  return entries;
}

function scanQueueText(text: string, each: (line: QueueLine) => void): void {
  const line = new QueueCursor(text);
  for (let pos = 0; pos < text.length; ) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    const end = text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (line.moveTo(pos, end)) each(line);
    pos = nl + 1;
  }
}

/** The scan's position: one object for every line, so that a line nobody parses costs two slices. */
class QueueCursor implements QueueLine {
  jobId = '';
  private start = 0;
  private end = 0;
  private readonly fields: FieldScanner;

  constructor(private readonly answer: string) {
    this.fields = new FieldScanner(answer);
  }

  /** To the line from `start` to `end`; false when it is not a job's (no id, or no state). */
  moveTo(start: number, end: number): boolean {
    this.start = start;
    this.end = end;
    this.fields.startLine(start, end);
    this.jobId = this.fields.next();
    return /^\d/.test(this.jobId) && this.fields.skip();
  }

  get text(): string {
    return this.answer.slice(this.start, this.end);
  }

  entry(): QueueEntry {
    const fields = this.fields;
    fields.startLine(this.start, this.end);
    // %i|%T|%r|%M|%V|%S, then the comment (%k): the rest of the line, whatever it holds.
    const jobId = fields.next();
    const state = fields.next();
    const reason = fields.next();
    const elapsed = fields.next();
    const submitTime = fields.next();
    const startTime = fields.next();
    return { jobId, state: firstWord(state), reason, elapsedSeconds: durationOf(elapsed), submitTime, startTime, comment: fields.rest() };
  }
}

/**
 * `|`-separated fields sliced straight from squeue's text: 10,000 lines come each poll, and no line
 * string or field array is made for them. The next `|` is searched once, however far it is (again
 * only when a line is read a second time).
 */
class FieldScanner {
  private at = 0;
  private end = 0;
  /** The first `|` at or after `from`; -1 when there is none. */
  private bar = -1;
  private from = Infinity;

  constructor(private readonly text: string) {}

  startLine(start: number, end: number): void {
    this.at = start;
    this.end = end;
  }

  /** The next field of the line, trimmed; '' past its last one. */
  next(): string {
    if (this.at > this.end) return '';
    const stop = this.stop();
    const field = this.text.slice(this.at, stop).trim();
    this.at = stop + 1;
    return field;
  }

  /** Past the next field without slicing it: whether it holds more than blanks. */
  skip(): boolean {
    if (this.at > this.end) return false;
    const stop = this.stop();
    let filled = false;
    for (let i = this.at; i < stop && !filled; i++) filled = this.text.charCodeAt(i) > 32;
    this.at = stop + 1;
    return filled;
  }

  private stop(): number {
    if (this.at < this.from || (this.bar !== -1 && this.bar < this.at)) {
      this.from = this.at;
      this.bar = this.text.indexOf('|', this.at);
    }
    return this.bar === -1 || this.bar > this.end ? this.end : this.bar;
  }

  /** The rest of the line, `|` included, trimmed. */
  rest(): string {
    return this.at <= this.end ? this.text.slice(this.at, this.end).trim() : '';
  }
}

// Most jobs show the same few durations (every pending job `0:00`): each is parsed once.
const durations = new Map<string, number | null>();

function durationOf(text: string): number | null {
  let seconds = durations.get(text);
  if (seconds === undefined) {
    seconds = parseSlurmDuration(text);
    if (durations.size > 5000) durations.clear();
    durations.set(text, seconds);
  }
  return seconds;
}

/** `withSubmitLine`: the lines end with Comment then SubmitLine (accountingSince). */
function parseAccounting(text: string, withSubmitLine = false): AccountingEntry[] {
  return lines(text).flatMap((line) => {
    const [jobId, state, exitCode, submit, start, end, elapsed, timelimit, tres, ...rest] = line.split('|');
    if (!jobId || !state || !/^\d+$/.test(jobId.trim())) return [];
    const comment = withSubmitLine ? (rest[0] ?? '').trim() || commentInSubmitLine(rest.slice(1).join('|')) : rest.join('|').trim();
    return [{
      jobId: jobId.trim(),
      state: state.trim(),
      exitCode: (exitCode ?? '').trim(),
      submitTime: (submit ?? '').trim(),
      startTime: (start ?? '').trim(),
      endTime: (end ?? '').trim(),
      elapsedSeconds: parseSlurmDuration(elapsed ?? ''),
      timelimitSeconds: parseSlurmDuration(timelimit ?? ''),
      gpus: gpusOf(tres ?? ''),
      comment,
    }];
  });
}

/**
 * GPUs in an `AllocTRES` list (`billing=4,cpu=4,gres/gpu=2,mem=16G,node=1`): the `gres/gpu` count,
 * or the sum of typed ones (`gres/gpu:a100=2`) where only those are stored; 0 when it held none, null
 * when the job was never allocated anything (the list is empty while it pends, or if it never ran).
 */
export function gpusOf(allocTres: string): number | null {
  const list = allocTres.trim();
  if (!list) return null;
  let plain: number | null = null;
  let typed = 0;
  for (const item of list.split(',')) {
    const m = /^gres\/gpu(:[^=]+)?=(\d+)$/.exec(item.trim());
    if (!m) continue;
    if (m[1]) typed += Number(m[2]);
    else plain = Number(m[2]);
  }
  return plain ?? typed;
}

/** The `--comment` of an sbatch command line as sacct's SubmitLine shows it (argv joined by spaces); '' when none. */
function commentInSubmitLine(submitLine: string): string {
  return /(?:^|\s)--comment(?:=|\s+)(\S+)/.exec(submitLine)?.[1] ?? '';
}

/** Comma-joined id lists, each short enough for one argument. */
export function chunkIds(ids: string[]): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const id of ids) {
    if (current && current.length + 1 + id.length > MAX_ID_LIST_CHARS) {
      chunks.push(current);
      current = '';
    }
    current = current ? `${current},${id}` : id;
  }
  if (current) chunks.push(current);
  return chunks;
}
