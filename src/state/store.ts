// eval_jobs.json on disk: read and validated with zod, written atomically under a short lock, so a
// monitor and a `retry` or `stop` never write over each other.
import { readFile, stat } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { withFileLock } from './lock.js';
import { STATE_VERSION, stateSchema, type EvalState, type State } from './schema.js';
import { withoutOldPresentation } from './upgrade.js';
import { fromWorkflowState } from './migrate.js';
import { StateSerializer } from './serialize.js';
import { writeOwnFile } from './own-file.js';

/** The state in `file` (eval_jobs.json), or null when it does not exist. A file that exists but is not valid is an error. */
export async function readState(file: string): Promise<State | null> {
  const bytes = await readBytes(file);
  return bytes === null ? null : parseState(bytes.toString('utf8'), file);
}

async function readBytes(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UserError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function parseState(text: string, file: string): State {
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
 * Read-modify-write of eval_jobs.json under the state lock. The file is re-read whenever someone
 * else wrote it since our last write (a `retry` or `stop` beside a running monitor), so their edit is
 * never lost; when nobody did, the copy in memory is reused (at 10,000 evals parsing is the cost).
 * Nothing is written when a change leaves the text as it was.
 */
export class StateStore {
  /** The state we last read or wrote, and the file's stamp then. */
  private cache: { stamp: string; state: State } | null = null;
  private readonly serializer = new StateSerializer();

  constructor(readonly file: string) {}

  /**
   * The current state (null before the first run). Every write is an atomic rename (a new inode),
   * so an unchanged stamp means our copy is the file's: no read, no parse, no lock.
   */
  async current(): Promise<State | null> {
    if (this.cache && this.cache.stamp === (await fileStamp(this.file))) return this.cache.state;
    return this.updateMaybe((s) => s);
  }

  async update(change: (current: State | null) => State): Promise<State> {
    return (await this.updateMaybe(change))!;
  }

  private async updateMaybe(change: (current: State | null) => State | null): Promise<State | null> {
    return withFileLock(this.file, async () => {
      const stamp = await fileStamp(this.file);
      const cached = this.cache && this.cache.stamp === stamp ? this.cache : null;
      this.cache = null; // dropped until the write below succeeds: `change` may mutate it in place
      const onDisk = cached ? null : await readBytes(this.file);
      const current = cached ? cached.state : onDisk === null ? null : parseState(onDisk.toString('utf8'), this.file);
      const next = change(current);
      if (next === null) return null;
      // The serializer's previous bytes are the file's when our cache was still good.
      const { bytes, changed } = this.serializer.serialize(next);
      if (cached ? changed : !onDisk?.equals(bytes)) await writeOwnFile(this.file, bytes);
      this.cache = { stamp: (await fileStamp(this.file)) ?? '', state: next };
      return next;
    });
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
