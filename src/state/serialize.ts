// eval_jobs.json's bytes: an indented head, then one line per evaluation (readable and greppable
// by hand). A monitor writes the file every poll but at 10,000 evals only a few evaluations change
// between two writes: each evaluation's line is kept and only changed ones are stringified again.
// The file is written from those lines in pieces (`parts`): at 10,000 evals a whole-file buffer
// is 7 MB, and it came at a link's start and end, when memory is at its highest.
import { evalKeys } from './keys.js';
import type { EvalState, State } from './schema.js';

export interface StateDelta {
  /** Keys of the evaluations that changed (or are new). */
  evals: string[];
  /** Their `"key": {...}` JSON members, in the same order (a journal line reuses them). */
  members: string[];
  head: boolean;
  /** Keys were added, removed or reordered. */
  keys: boolean;
}

/**
 * Remembers the evaluation lines of the last state it serialized, by object identity. Evaluations
 * are frozen once their line is kept, so a change must go through `setEval` (a new object, a new
 * line): an in-place edit throws instead of leaving a stale line.
 */
export class StateSerializer {
  private keys: string[] = [];
  private evals: EvalState[] = [];
  /** `\n    "key": {...}` per evaluation, and its length in bytes. */
  private lines: string[] = [];
  private sizes: number[] = [];
  private head = '';

  /** The file's text, and whether it differs from the previous call's. */
  serialize(state: State): { text: string; changed: boolean } {
    const d = this.update(state);
    return { text: this.text(), changed: d.head || d.keys || d.evals.length > 0 };
  }

  /**
   * Takes `state` as the one to encode next and says how it differs from the previous one: the
   * evaluations whose object changed, whether the head (every other field) or the list of keys did.
   */
  update(state: State): StateDelta {
    const { evaluations, ...rest } = state;
    const head = JSON.stringify(rest, null, 2).replace(/\n}$/, ',\n  "evaluations": {');
    const delta = this.updateLines(evalKeys(state), evaluations);
    delta.head = head !== this.head;
    this.head = head;
    return delta;
  }

  private updateLines(keys: readonly string[], evaluations: Record<string, EvalState>): StateDelta {
    const delta: StateDelta = { evals: [], members: [], head: false, keys: keys.length !== this.keys.length };
    let i = 0;
    for (const key of keys) {
      const ev = evaluations[key]!;
      if (this.keys[i] !== key) delta.keys = true;
      if (this.evals[i] !== ev || this.keys[i] !== key) {
        this.keys[i] = key;
        this.evals[i] = ev;
        const member = `${JSON.stringify(key)}: ${JSON.stringify(ev)}`;
        this.lines[i] = `\n    ${member}`;
        this.sizes[i] = Buffer.byteLength(this.lines[i]!);
        freeze(ev);
        delta.evals.push(key);
        delta.members.push(member);
      }
      i++;
    }
    this.keys.length = this.evals.length = this.lines.length = this.sizes.length = i;
    return delta;
  }

  /** How many bytes `encode` gives, without encoding. */
  byteLength(): number {
    let size = Buffer.byteLength(this.head) + Buffer.byteLength(this.close()) + Math.max(0, this.lines.length - 1);
    for (const n of this.sizes) size += n;
    return size;
  }

  private close(): string {
    return this.lines.length === 0 ? '}\n}\n' : '\n  }\n}\n';
  }

  /** The text of the state last given to `update` or `serialize`. */
  text(): string {
    return [...this.parts()].join('');
  }

  /** Whether `text` is that text, compared piece by piece (no 7 MB copy in the old generation). */
  matches(text: string): boolean {
    let at = 0;
    for (const part of this.parts()) {
      if (!text.startsWith(part, at)) return false;
      at += part.length;
    }
    return at === text.length;
  }

  /** The same as text in pieces, in order, for a writer that need not hold it all at once. */
  *parts(): Generator<string> {
    yield this.head;
    for (let n = 0; n < this.lines.length; n++) {
      if (n > 0) yield ',';
      yield this.lines[n]!;
    }
    yield this.close();
  }
}

function freeze(ev: EvalState): void {
  Object.freeze(ev.attempts);
  Object.freeze(ev.scores);
  Object.freeze(ev);
}

/** The file's text for one state (no memory of earlier ones). */
export function serializeState(state: State): string {
  return new StateSerializer().serialize(state).text;
}
