// cruijff_kit's live knobs (logs/monitor.json: poll_sec, stagger_sec, max_submit), read before every
// pass as its own submitter does. A missing file puts them back to what this link started with; a
// change is logged as MONITOR_CONFIG, in cruijff_kit's shape, where its tools look.
import type { CruijffKnobs } from '../report/cruijff-files.js';
import type { Monitor } from './context.js';

const KNOB_NAMES = ['pollSec', 'staggerSec', 'maxSubmit'] as const;

export class LiveKnobs {
  private readonly startup: Required<CruijffKnobs>;
  private lastWarnings = '';

  constructor(private readonly m: Monitor) {
    this.startup = this.current();
  }

  async refresh(): Promise<void> {
    const files = this.m.cruijff;
    if (!files) return;
    const { knobs, warnings } = await files.readKnobs();
    // A bad monitor.json stays bad for many polls: say so once, not every minute.
    const said = warnings.join('\n');
    if (said !== this.lastWarnings) for (const w of warnings) this.m.progress.warn(w);
    this.lastWarnings = said;
    const current = this.current();
    const next: Required<CruijffKnobs> = knobs === null ? this.startup : { ...current, ...knobs };
    const previous: CruijffKnobs = {};
    for (const name of KNOB_NAMES) if (next[name] !== current[name]) previous[name] = current[name];
    if (Object.keys(previous).length === 0) return;
    this.m.options.pollIntervalS = next.pollSec;
    this.m.options.staggerS = next.staggerSec;
    this.m.options.maxUserJobs = next.maxSubmit;
    this.m.progress.info(`logs/monitor.json: poll every ${next.pollSec} s, stagger ${next.staggerSec} s, at most ${next.maxSubmit} of your jobs queued`);
    await files.recordKnobsApplied(next, previous, this.m.clock.now());
  }

  private current(): Required<CruijffKnobs> {
    const o = this.m.options;
    return { pollSec: o.pollIntervalS, staggerSec: o.staggerS, maxSubmit: o.maxUserJobs };
  }
}
