// eval_jobs.json's bytes: an indented head, then one line per evaluation (readable and greppable
// by hand). A monitor writes the file every poll but at 10,000 evals only a few evaluations change
// between two writes: each evaluation's line is kept and only changed ones are stringified again.
// The bytes are encoded into a buffer of their own, not kept: from 1 MB on the file is written
// whole only at a compaction (store.ts), and a kept buffer would hold its 8 MB (10,000 evals)
// for the link's life.
import { evalKeys } from './keys.js';
import type { EvalState, State } from './schema.js';

export interface StateDelta {
  /** Keys of the evaluations that changed (or are new). */
  evals: string[];
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

  /** The file's bytes, and whether they differ from the previous call's. */
  serialize(state: State): { bytes: Buffer; changed: boolean } {
    const d = this.update(state);
    return { bytes: this.encode(), changed: d.head || d.keys || d.evals.length > 0 };
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
    const delta: StateDelta = { evals: [], head: false, keys: keys.length !== this.keys.length };
    let i = 0;
    for (const key of keys) {
      const ev = evaluations[key]!;
      if (this.keys[i] !== key) delta.keys = true;
      if (this.evals[i] !== ev || this.keys[i] !== key) {
        this.keys[i] = key;
        this.evals[i] = ev;
        this.lines[i] = `\n    ${JSON.stringify(key)}: ${JSON.stringify(ev)}`;
        this.sizes[i] = Buffer.byteLength(this.lines[i]!);
        freeze(ev);
        delta.evals.push(key);
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

  /** The bytes of the state last given to `update` or `serialize`. */
  encode(): Buffer {
    const out = Buffer.allocUnsafe(this.byteLength());
    let at = out.write(this.head, 0);
    this.lines.forEach((line, n) => {
      if (n > 0) at += out.write(',', at);
      at += out.write(line, at);
    });
    out.write(this.close(), at);
    return out;
  }
}

function freeze(ev: EvalState): void {
  Object.freeze(ev.attempts);
  Object.freeze(ev.scores);
  Object.freeze(ev);
}

/** The file's text for one state (no memory of earlier ones). */
export function serializeState(state: State): string {
  return new StateSerializer().serialize(state).bytes.toString('utf8');
}
