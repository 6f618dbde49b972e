// The bundle's loader (build.mjs) keeps V8's compiled code of each chunk in a cache file that the
// first process to exit writes. A short command compiles little; a link that has polled has
// compiled what every later link runs, and says so here: the loader then writes a chunk's cache
// again at exit when it has grown by it. Outside the bundle (tests run the source) nothing listens.
const COMPILED_WHAT_LINKS_RUN = Symbol.for('run-inspect.compiled-what-links-run');

export function compiledWhatLinksRun(): void {
  const hook = (globalThis as Record<symbol, unknown>)[COMPILED_WHAT_LINKS_RUN];
  if (typeof hook === 'function') hook();
}
