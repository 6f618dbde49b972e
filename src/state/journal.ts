// A large experiment's eval_jobs.json (megabytes at 10,000 evals) is not rewritten at every change:
// the changes are appended to eval_jobs.journal.jsonl beside it, one JSON line per write, and folded
// back into eval_jobs.json (compacted) at a link's start and end and when the journal grows past the
// state file's own size. The current state is eval_jobs.json with the journal's lines applied in
// order (docs/formats.md):
//   {"journal_id": "…", "head": {…every field but evaluations…}?, "evaluations": {"key": {…}, …}}
// A line counts only when its journal_id is eval_jobs.json's: a compaction gives the state file a new
// id before it removes the journal, so lines left by a crash between the two are void (they are in
// the state file already). A line cut short by a crash has no newline yet and is not read.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { openOwnFile, writeParts } from './own-file.js';
import type { EvalState, State } from './schema.js';

/** eval_jobs.journal.jsonl beside eval_jobs.json. */
export function journalPath(stateFile: string): string {
  return `${stateFile.replace(/\.json$/, '')}.journal.jsonl`;
}

export function newJournalId(): string {
  return randomBytes(6).toString('hex');
}

export interface JournalRecord {
  journal_id: string;
  head?: Omit<State, 'evaluations'>;
  evaluations: Record<string, EvalState>;
}

/** The journal's text, or '' when there is none. */
export async function readJournal(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new UserError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * Applies the journal's lines that belong to `data` (the parsed state file, not yet validated) in
 * place. Only the writer of the state file appends to its journal, from its copy in memory; any
 * other writer re-reads and compacts first (store.ts). So a line cut short by a killed writer is
 * the journal's last, until a compaction removes it.
 */
export function applyJournal(data: unknown, text: string, file: string): void {
  const state = data as { journal_id?: unknown; evaluations?: Record<string, unknown> } | null;
  const id = state && typeof state === 'object' ? state.journal_id : undefined;
  const evaluations = state?.evaluations;
  const end = text.lastIndexOf('\n');
  if (typeof id !== 'string' || !evaluations || typeof evaluations !== 'object' || end < 0) return;
  text.slice(0, end).split('\n').forEach((line, n) => {
    let rec: JournalRecord;
    try {
      rec = JSON.parse(line) as JournalRecord;
    } catch (e) {
      throw new UserError(`${file}: line ${n + 1} is not valid JSON (${(e as Error).message.split('\n')[0]}); fix or remove the line`);
    }
    if (rec.journal_id !== id) return; // left by a crash before the compaction removed them
    if (rec.head) Object.assign(state!, rec.head, { evaluations });
    Object.assign(evaluations, rec.evaluations);
  });
}

/**
 * Appends one record as a line (a JournalRecord), on disk (fsync) before it returns, as an atomic
 * replace of the state file would be. `members`: the changed evaluations as `"key": {...}` JSON
 * members, written as they are (a link's first poll may change all 10,000). Returns its bytes.
 */
export async function appendJournal(file: string, journalId: string, head: JournalRecord['head'] | null, members: readonly string[]): Promise<number> {
  const fh = await openOwnFile(file, true);
  try {
    const bytes = await writeParts(fh, journalLine(journalId, head, members));
    await fh.sync();
    return bytes;
  } finally {
    await fh.close();
  }
}

function* journalLine(journalId: string, head: JournalRecord['head'] | null, members: readonly string[]): Generator<string> {
  yield `{"journal_id":${JSON.stringify(journalId)}${head ? `,"head":${JSON.stringify(head)}` : ''},"evaluations":{`;
  for (let n = 0; n < members.length; n++) yield n > 0 ? `,${members[n]}` : members[n]!;
  yield '}}\n';
}
