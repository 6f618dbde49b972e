// Nothing lost, nothing doubled: run-inspect killed with SIGKILL at random moments, restarted,
// and the fake's own job records say what really happened. Two files run it, one per way the
// state is written, so vitest runs the two halves side by side.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseSummary } from '../../src/experiment/summary.js';
import { readState } from '../../src/state/store.js';
import { evalsAsTheyEnded, experiment, jobsPerScript, readJson, sandbox, type Sandbox } from '../support/harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const grid = (runs: number, epochs: number) =>
  Array.from({ length: runs }, (_, r) => Array.from({ length: epochs }, (_, e) => ({ run: `run${r}`, task: 'chaos', epoch: e }))).flat();

/**
 * `killsWanted` SIGKILLs across a 50-eval experiment, then a run to the end: every eval submitted
 * exactly once, the files parse after every kill. `useJournal`: every write after a link's first goes
 * to the journal (as at 10,000 evals), so kills land between appends and compactions too; else
 * eval_jobs.json is rewritten whole each time (a small experiment's way).
 */
export async function survivesKills(killsWanted: number, useJournal: boolean): Promise<void> {
  // Intents a kill left without a job id are settled after 5 s, not a cluster's 30: the loop replays
  // that too, and the last run need not wait out the last kills' intents.
  const s = sandbox({ RUN_INSPECT_RECONCILE_AFTER_S: '5', ...(useJournal ? { RUN_INSPECT_JOURNAL_FROM_BYTES: '1' } : {}) });
  try {
    await killAndCount(s, killsWanted, useJournal);
  } finally {
    await s.cleanup();
  }
}

async function killAndCount(s: Sandbox, killsWanted: number, useJournal: boolean): Promise<void> {
  const { dir, keys } = experiment(s, 'chaos', { fixture: 'with-status-tables', evals: grid(10, 5), seconds: 1 });
  const summaryFile = join(dir, 'experiment_summary.md');
  const stateFile = join(dir, 'eval_jobs.json');
  const journal = join(dir, 'eval_jobs.journal.jsonl');
  let kills = 0;
  let attempts = 0;
  let killsWithJournal = 0; // killed after an append, before the compaction that would fold it in
  let killsWithSummaryAside = 0;
  while (kills < killsWanted) {
    attempts++;
    const child = s.spawn(['run', dir, '--poll-interval', '0.2', '--stagger', '0', '--max-in-flight', '12']);
    // Killed at a random moment after it appended to the journal, or once it acts (holds the
    // monitor lock), however slow a loaded machine makes its start; now and then before that.
    let exited = false;
    void child.then(() => (exited = true));
    const draw = Math.random();
    const after = draw < 0.4 && useJournal ? journal : draw < 0.8 ? join(dir, 'run-inspect.lock') : null;
    if (after) for (let t = 0; t < 3000 && !exited && !existsSync(after); t += 10) await sleep(10);
    await sleep(Math.random() * 300);
    const killed = child.kill('SIGKILL');
    const r = await child;
    if (killed && r.signal === 'SIGKILL') kills++;
    if (existsSync(journal)) killsWithJournal++;
    // The killed process is gone: its locks are stale (taken over after a bound; see the lock test).
    rmSync(join(dir, 'run-inspect.lock'), { recursive: true, force: true });
    rmSync(`${stateFile}.lock`, { recursive: true, force: true });
    // The summary parses; or the kill fell in the microseconds it is set aside while ours is linked
    // in (README), and it parses there until the next run puts it back.
    const aside = readdirSync(dir).find((f) => f.startsWith('experiment_summary.md.run-inspect-aside-'));
    const summaryNow = existsSync(summaryFile) ? summaryFile : join(dir, aside ?? 'experiment_summary.md');
    if (summaryNow !== summaryFile) killsWithSummaryAside++;
    expect(() => parseSummary(readFileSync(summaryNow, 'utf8'), summaryNow)).not.toThrow();
    if (existsSync(stateFile)) await expect(readState(stateFile)).resolves.not.toBeNull();
  }
  const last = await s.cli(['run', dir, '--poll-interval', '0.5', '--stagger', '0'], { timeoutMs: 180_000 });
  expect(last.exitCode, evalsAsTheyEnded(dir)).toBe(0);
  expect(existsSync(journal)).toBe(false); // folded in at the link's end
  expect(readdirSync(dir).filter((f) => f.includes('run-inspect-aside'))).toEqual([]); // put back
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // no temp file of a killed write left (state or summary)

  const state = readJson(stateFile).evaluations;
  const per = jobsPerScript(s, dir);
  const duplicates = [...per.values()].filter((jobs) => jobs.length > 1).length;
  const recorded = new Set(Object.values<any>(state).map((e) => e.job_id));
  const lost = [...per.values()].flat().filter((j) => !recorded.has(String(j.id))).length;
  const reconciled = readFileSync(join(dir, 'run-inspect.log'), 'utf8').match(/^\[[^\]]+\] RECONCILE:/gm)?.length ?? 0;
  console.log(`chaos: ${kills} SIGKILLs in ${attempts} starts (${killsWithJournal} with journal lines not yet folded in, ${killsWithSummaryAside} with the summary set aside, ${reconciled} intents reconciled), ${per.size} evals, ${duplicates} duplicates, ${lost} unrecorded jobs`);
  if (useJournal) expect(killsWithJournal).toBeGreaterThan(0);
  else expect(killsWithJournal).toBe(0);
  expect(reconciled).toBeGreaterThan(0); // kills between an intent and its job id, settled by a later start
  expect(per.size).toBe(50);
  expect(duplicates).toBe(0);
  expect(lost).toBe(0);
  for (const key of keys) expect(state[key].status).toBe('COMPLETED');
}
