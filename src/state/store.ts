// eval_jobs.json on disk: read and validated with zod, written atomically under a short lock, so a
// monitor and a `retry` or `stop` never write over each other.
import { readFile, rm, stat } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { withFileLock } from './lock.js';
import { STATE_VERSION, stateSchema, type EvalState, type State } from './schema.js';
import { withoutOldPresentation } from './upgrade.js';
import { fromWorkflowState } from './migrate.js';
import { StateSerializer } from './serialize.js';
import { removeLeftTemps, replaceOwnFile } from './own-file.js';
import { appendJournal, applyJournal, journalPath, newJournalId, readJournal } from './journal.js';

/**
 * The state in `file` (eval_jobs.json) with its journal applied, or null when it does not exist. A
 * file that exists but is not valid is an error.
 */
export async function readState(file: string): Promise<State | null> {
  return (await readStateFiles(file))?.state ?? null;
}

interface OnDisk {
  state: State;
  /** eval_jobs.json's text and length in bytes, and the journal's length. */
  text: string;
  fileBytes: number;
  journalBytes: number;
}

async function readStateFiles(file: string): Promise<OnDisk | null> {
  // The journal first: a compaction between the two reads then leaves lines the new file already
  // holds (void by their id), never an old file without the lines that were its newest state.
  const journalFile = journalPath(file);
  const journal = await readJournal(journalFile);
  const text = await readText(file);
  if (text === null) return null;
  const state = parseStateAndJournal(text, file, journal, journalFile);
  return { state, text, fileBytes: Buffer.byteLength(text), journalBytes: Buffer.byteLength(journal) };
}

/** Read as text at once: a buffer kept beside the text would hold the file twice (7 MB each at 10,000 evals). */
async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function parseState(text: string, file: string): State {
  return parseStateAndJournal(text, file, '', '');
}

function parseStateAndJournal(text: string, file: string, journal: string, journalFile: string): State {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]}); fix or move it away, it is never replaced silently`);
  }
  data = fromWorkflowState(data) ?? data;
  const version = (data as { version?: unknown } | null)?.version;
  if (data && typeof data === 'object' && version !== undefined && version !== STATE_VERSION) {
    throw new UserError(`${file}: schema version ${JSON.stringify(version)} is not supported (this run-inspect reads version ${STATE_VERSION})`);
  }
  applyJournal(data, journal, journalFile);
  const parsed = stateSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`${file}: invalid at ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  const state = parsed.data;
  for (const key in state.evaluations) state.evaluations[key] = withoutOldPresentation(state.evaluations[key]!);
  return state;
}

/** Replace one evaluation with a changed copy (evaluations are never edited in place: see StateSerializer). */
export function setEval(state: State, key: string, fields: Partial<EvalState>): EvalState {
  const next = { ...state.evaluations[key]!, ...fields };
  state.evaluations[key] = next;
  return next;
}

/**
 * What puts an eval back to be submitted (by `retry`, or after a node failure): its job is history
 * (in `attempts`), nothing of that job's outcome stays on the eval.
 */
export function resubmission(notes: string, attempts: EvalState['attempts']): Partial<EvalState> {
  return {
    status: 'NOT_SUBMITTED',
    job_id: null,
    submitted: null,
    completed: null,
    elapsed: null,
    submit_intent: null,
    missing_since: null,
    stuck_since: null,
    scores: [],
    samples: null,
    notes,
    attempts,
  };
}

/**
 * Read-modify-write of eval_jobs.json under the state lock. The files are re-read whenever someone
 * else wrote them since our last write (a `retry` or `stop` beside a running monitor), so their edit
 * is never lost; when nobody did, the copy in memory is reused (at 10,000 evals parsing is the cost).
 * Nothing is written when a change leaves the state as it was.
 *
 * A state file of `journalFromBytes` or more takes the changes of a write made from that copy as a
 * journal line (journal.ts); a write after a re-read, one that adds or removes evaluations, or one
 * that finds the journal as large as the file writes the whole file instead (a compaction).
 */
export class StateStore {
  /** The state we last read or wrote, and the files' stamp then. */
  private cache: { stamp: string; state: State } | null = null;
  private readonly serializer = new StateSerializer();
  /** The journal's size, and the state file's, as of our last read or write. */
  private journalBytes = 0;
  private fileBytes = 0;
  private tempsRemoved = false;
  private readonly journalFile: string;

  constructor(
    readonly file: string,
    private readonly journalFromBytes = Number(process.env.RUN_INSPECT_JOURNAL_FROM_BYTES) || 1 << 20,
  ) {
    this.journalFile = journalPath(file);
  }

  /**
   * The current state (null before the first run). Every write is an atomic rename (a new inode) or
   * an append, so an unchanged stamp means our copy is the files': no read, no parse, no lock.
   */
  async current(): Promise<State | null> {
    if (this.cache && this.cache.stamp === (await this.stamp())) return this.cache.state;
    return this.updateMaybe((s) => s, false);
  }

  /** `compact`: fold the journal into eval_jobs.json now (a link's start and end). */
  async update(change: (current: State | null) => State, o: { compact?: boolean } = {}): Promise<State> {
    return (await this.updateMaybe(change, o.compact ?? false))!;
  }

  private async updateMaybe(change: (current: State | null) => State | null, compact: boolean): Promise<State | null> {
    return withFileLock(this.file, async () => {
      const stamp = await this.stamp();
      const cached = this.cache && this.cache.stamp === stamp ? this.cache : null;
      this.cache = null; // dropped until the write below succeeds: `change` may mutate it in place
      const onDisk = cached ? null : await readStateFiles(this.file);
      if (onDisk) {
        this.journalBytes = onDisk.journalBytes;
        this.fileBytes = onDisk.fileBytes;
      }
      const next = change(cached ? cached.state : (onDisk?.state ?? null));
      if (next === null) return null;
      // The serializer's memory is the files' when our copy was still good: it tells what changed.
      const delta = this.serializer.update(next);
      const changed = delta.head || delta.keys || delta.evals.length > 0;
      const journalLine = cached && changed && !compact && !delta.keys && next.journal_id !== null && this.journalBytes < this.fileBytes;
      if (journalLine) {
        const { evaluations, ...head } = next;
        this.journalBytes += await appendJournal(this.journalFile, next.journal_id!, delta.head ? head : null, delta.members);
      } else if (this.wholeWriteNeeded(cached !== null, changed, compact, onDisk)) {
        await this.writeWhole(next);
      }
      this.cache = { stamp: await this.stamp(), state: next };
      return next;
    });
  }

  /**
   * Whether eval_jobs.json is to be written whole: a journal to fold in (asked for, or found by a
   * writer that had to re-read: only the writer that wrote the file last appends to its journal),
   * a change made from our copy, or a re-read state whose bytes differ from the file's.
   */
  private wholeWriteNeeded(fromCopy: boolean, changed: boolean, compact: boolean, onDisk: OnDisk | null): boolean {
    if (this.journalBytes > 0 && (compact || !fromCopy)) return true;
    if (fromCopy) return changed;
    return !onDisk || !this.serializer.matches(onDisk.text);
  }

  /** eval_jobs.json in full, with a new journal id when it is large enough to keep one; the old journal goes. */
  private async writeWhole(next: State): Promise<void> {
    const journaling = this.serializer.byteLength() >= this.journalFromBytes;
    const id = journaling ? (next.journal_id !== null && this.journalBytes === 0 ? next.journal_id : newJournalId()) : null;
    if (next.journal_id !== id) {
      next.journal_id = id;
      this.serializer.update(next);
    }
    if (!this.tempsRemoved) {
      await removeLeftTemps(this.file); // a killed writer's, once per process: not a readdir per poll
      this.tempsRemoved = true;
    }
    this.fileBytes = await replaceOwnFile(this.file, this.serializer.parts());
    if (this.journalBytes > 0) await rm(this.journalFile, { force: true });
    this.journalBytes = 0;
  }

  private async stamp(): Promise<string> {
    return `${await fileStamp(this.file)}|${await fileStamp(this.journalFile)}`;
  }
}

async function fileStamp(file: string): Promise<string | null> {
  try {
    const s = await stat(file);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return null;
  }
}

/** The state a command needs, or a UserError saying there is none yet. */
export function requireState(state: State | null, file: string): State {
  if (!state) throw new UserError(`${file}: not there yet (nothing was submitted; start with \`run-inspect run\` or \`run-inspect launch\`)`);
  return state;
}
