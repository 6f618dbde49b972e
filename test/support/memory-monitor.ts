// A Monitor whose SLURM is an in-memory table and whose clock the test moves: drives the core
// (prepare, submit, poll) directly, without processes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUN_OPTIONS, type Monitor, type RunOptions } from '../../src/monitor/context.js';
import { detectLayout } from '../../src/experiment/layout.js';
import { loadExperiment, mergeDiscovered } from '../../src/monitor/prepare.js';
import { experimentIdOf } from '../../src/monitor/tags.js';
import { fileRunLog } from '../../src/report/runlog.js';
import type { AccountingEntry, QueueEntry, QueueLine, Slurm, SubmitOutcome, SubmitRequest } from '../../src/slurm/client.js';
import { SlurmCommandError } from '../../src/errors.js';
import { formatSlurmTimestamp } from '../../src/slurm/time.js';
import { StateStore } from '../../src/state/store.js';
import { makeExperiment } from './make-experiment.mjs';

export interface MemJob {
  id: string;
  comment: string;
  script: string;
  state: string;
  reason: string;
  exitCode: string;
  submit: Date;
  /** false: squeue no longer shows it (MinJobAge passed). */
  inQueue: boolean;
  /** false: sacct does not know it (slurmdbd behind or down). */
  inAccounting: boolean;
  /** What squeue's TIME (%M) shows; 60 s when not set. */
  elapsedSeconds?: number;
}

export class MemorySlurm implements Slurm {
  jobs: MemJob[] = [];
  calls: string[] = [];
  nextId = 5000;
  accountingEnabled = true;
  failNext: Partial<Record<'squeue' | 'sacct' | 'sbatch', string>> = {};
  submitAnswer: ((req: SubmitRequest) => SubmitOutcome | null) | null = null;

  constructor(private readonly now: () => Date) {}

  private fail(cmd: 'squeue' | 'sacct' | 'sbatch') {
    const msg = this.failNext[cmd];
    if (msg) {
      delete this.failNext[cmd];
      throw new SlurmCommandError(cmd, msg, true);
    }
  }

  async submit(req: SubmitRequest): Promise<SubmitOutcome> {
    this.calls.push('sbatch');
    const scripted = this.submitAnswer?.(req);
    if (scripted) return scripted;
    const comment = req.options.find((o) => o.startsWith('--comment='))?.slice('--comment='.length) ?? '';
    const id = String(this.nextId++);
    this.jobs.push({ id, comment, script: req.script ?? '(stdin)', state: 'PENDING', reason: 'Priority', exitCode: '0:0', submit: this.now(), inQueue: true, inAccounting: true });
    return { ok: true, jobId: id };
  }

  async scanQueue(_user: string, each: (line: QueueLine) => void): Promise<void> {
    for (const e of await this.queue()) {
      const text = [e.jobId, e.state, e.reason, e.elapsedSeconds, e.submitTime, e.startTime, e.comment].join('|');
      each({ jobId: e.jobId, text, entry: () => e });
    }
  }

  async queue(): Promise<QueueEntry[]> {
    this.calls.push('squeue');
    this.fail('squeue');
    return this.jobs.filter((j) => j.inQueue).map((j) => ({
      jobId: j.id, state: j.state, reason: j.reason, elapsedSeconds: j.elapsedSeconds ?? 60, submitTime: formatSlurmTimestamp(j.submit), startTime: 'N/A', comment: j.comment || '(null)',
    }));
  }

  async accounting(ids: string[]): Promise<AccountingEntry[] | null> {
    this.calls.push('sacct');
    this.fail('sacct');
    if (!this.accountingEnabled) return null;
    return this.jobs.filter((j) => j.inAccounting && ids.includes(j.id)).map((j) => this.acct(j));
  }

  async accountingSince(): Promise<AccountingEntry[] | null> {
    this.calls.push('sacct');
    if (!this.accountingEnabled) return null;
    // The client reads each job's comment from its SubmitLine here (see createSlurmClient).
    return this.jobs.filter((j) => j.inAccounting).map((j) => ({ ...this.acct(j), comment: j.comment }));
  }

  private acct(j: MemJob): AccountingEntry {
    const t = formatSlurmTimestamp(j.submit);
    return { jobId: j.id, state: j.state, exitCode: j.exitCode, submitTime: t, startTime: t, endTime: t, elapsedSeconds: 292, timelimitSeconds: 1800, gpus: 1, comment: '' };
  }

  async activeJobs() {
    this.calls.push('squeue');
    return [];
  }

  async timeLeft(_jobId: string): Promise<number | null> {
    return null;
  }

  async cancel(ids: string[]) {
    this.calls.push('scancel');
    for (const j of this.jobs) if (ids.includes(j.id)) j.state = 'CANCELLED';
  }

  set(id: string, fields: Partial<MemJob>) {
    Object.assign(this.jobs.find((j) => j.id === id)!, fields);
  }
}

export interface TestMonitor extends Monitor {
  slurm: MemorySlurm;
  advance(seconds: number): void;
  log(): string;
}

/** An experiment (the with-status fixture) with its state initialised, and a monitor on it. */
export async function memoryMonitor(options: Partial<RunOptions> = {}): Promise<TestMonitor> {
  const dir = join(mkdtempSync(join(tmpdir(), 'ri-core-')), 'exp');
  makeExperiment(dir, { fixture: 'with-status-tables' });
  // Real time (whole seconds): inspect logs the tests write carry the real clock.
  let now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const slurm = new MemorySlurm(() => now);
  const layout = detectLayout(dir);
  const m: TestMonitor = {
    layout,
    experimentDir: dir,
    experimentId: experimentIdOf(dir),
    user: 'alice',
    slurm,
    store: new StateStore(layout.state),
    clock: { now: () => now, sleep: async (ms) => void (now = new Date(now.getTime() + ms)) },
    runlog: fileRunLog(layout.runLog, () => now),
    cruijff: null,
    progress: { info() {}, warn() {}, error() {} },
    stop: { requested: null },
    options: { ...DEFAULT_RUN_OPTIONS, staggerS: 0, ...options },
    job: { jobId: null, jobName: null, endTime: null },
    env: {},
    advance(seconds) {
      now = new Date(now.getTime() + seconds * 1000);
    },
    log: () => readFileSync(layout.runLog, 'utf8'),
  };
  const { design, evals, unscripted } = await loadExperiment(m);
  await m.store.update((s) => mergeDiscovered(m, s, design, evals, unscripted));
  return m;
}
