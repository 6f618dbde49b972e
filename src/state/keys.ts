import type { EvalState, State } from './schema.js';

// A poll walks every evaluation several times; at 10,000 keys each `for...in` costs milliseconds
// (V8 gathers and orders a dictionary's keys anew). The keys are listed once per `evaluations`
// object, which is sealed then: a key added or removed later would throw, never go unseen.
const keyLists = new WeakMap<Record<string, EvalState>, readonly string[]>();

/** The evaluations' keys in file order, listed once per evaluations object. */
export function evalKeys(state: State): readonly string[] {
  let keys = keyLists.get(state.evaluations);
  if (keys === undefined) {
    keys = Object.keys(Object.seal(state.evaluations));
    keyLists.set(state.evaluations, keys);
  }
  return keys;
}
