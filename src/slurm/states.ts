// SLURM job states as squeue and sacct print them (docs/formats.md §4); which words there are,
// and the status each becomes, is src/status.ts.
import { SLURM_ACTIVE_STATES, SLURM_TERMINAL_STATES, type SlurmActiveState, type SlurmTerminalState } from '../status.js';

const TERMINAL: ReadonlySet<string> = new Set(SLURM_TERMINAL_STATES);
const ACTIVE: ReadonlySet<string> = new Set(Object.keys(SLURM_ACTIVE_STATES));

export type JobState = Readonly<
  | { kind: 'active'; state: SlurmActiveState }
  | { kind: 'terminal'; state: SlurmTerminalState }
  | { kind: 'unknown'; state: string }
>;

/**
 * The first word: `CANCELLED by 1234` → `CANCELLED`. SLURM prints ASCII; a character scan, since a
 * link's first poll calls it for all 10,000 squeue lines and a regex search cost twice as much there.
 */
export function firstWord(text: string): string {
  const t = text.trim();
  let end = 0;
  while (end < t.length && t.charCodeAt(end) > 32) end++;
  return end === t.length ? t : t.slice(0, end);
}

// A poll parses the state of every job (10,000 at a time) but SLURM prints only a few distinct ones.
const parsedStates = new Map<string, JobState>();

/** `CANCELLED by 1234` → CANCELLED; `OUT_OF_ME+` (cut by sacct without -P) is unknown, never done. */
export function parseJobState(raw: string): JobState {
  let parsed = parsedStates.get(raw);
  if (parsed === undefined) {
    const state = firstWord(raw).toUpperCase();
    parsed = TERMINAL.has(state)
      ? { kind: 'terminal', state: state as SlurmTerminalState }
      : ACTIVE.has(state)
        ? { kind: 'active', state: state as SlurmActiveState }
        : { kind: 'unknown', state: raw.trim() };
    if (parsedStates.size > 1000) parsedStates.clear();
    parsedStates.set(raw, parsed);
  }
  return parsed;
}
