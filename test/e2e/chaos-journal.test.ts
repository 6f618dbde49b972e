// Crash safety with every state write after a link's first going to the journal (see chaos.ts).
import { describe, it } from 'vitest';
import { survivesKills } from './chaos.js';

describe('crash safety, state written through the journal', () => {
  it('survives 100 SIGKILLs across a 50-eval experiment, some between a journal append and its compaction: every eval submitted exactly once, files always parse', () => survivesKills(100, true), 600_000);
});
