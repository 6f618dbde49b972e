// Crash safety with eval_jobs.json rewritten whole at every state write (see chaos.ts).
import { describe, it } from 'vitest';
import { survivesKills } from './chaos.js';

describe('crash safety, state written whole', () => {
  it('survives 100 SIGKILLs across a 50-eval experiment: every eval submitted exactly once, files always parse', () => survivesKills(100, false), 600_000);
});
