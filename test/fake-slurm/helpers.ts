// A private fake cluster per test: its own FAKE_SLURM_DIR and work dir, a fast clock, cleanup.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../fake-slurm/bin/', import.meta.url));

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface JobRecord {
  id: number;
  name: string;
  state: string;
  completing: boolean;
  reason: string;
  exit_code: string | null;
  script: string;
  workdir: string;
  submit_time: number;
  start_time: number | null;
  end_time: number | null;
  comment: string | null;
  time_limit: number | null;
  cancelled_by: number | null;
  [key: string]: unknown;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FakeCluster {
  readonly dir: string;
  readonly work: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(extraEnv: Record<string, string> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'fake-slurm-test-'));
    this.work = join(this.dir, 'work');
    mkdirSync(this.work, { recursive: true });
    this.env = {
      ...process.env,
      PATH: `${BIN}:${process.env.PATH}`,
      FAKE_SLURM_DIR: join(this.dir, 'state'),
      FAKE_SLURM_TIME_SCALE: '0.05',
      FAKE_SLURM_POLL_MS: '50',
      ...extraEnv,
    };
    // Keep tests independent of whatever fault switches the caller's shell has set.
    for (const k of Object.keys(this.env)) {
      if (/^FAKE_SLURM_(FAIL|DELAY|SBATCH_ACCEPTED|MAX_SUBMIT|ACCOUNTING)/.test(k) && !(k in extraEnv)) delete this.env[k];
    }
  }

  run(cmd: string, args: string[] = [], opts: { input?: string; cwd?: string; env?: Record<string, string> } = {}): Result {
    const r = spawnSync(join(BIN, cmd), args, {
      cwd: opts.cwd ?? this.work,
      env: { ...this.env, ...opts.env },
      input: opts.input ?? '',
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Write an executable script into the work dir; returns its path. */
  script(name: string, body: string): string {
    const p = join(this.work, name);
    writeFileSync(p, body);
    chmodSync(p, 0o755);
    return p;
  }

  /** sbatch --parsable ...; returns the job id (throws with stderr on failure). */
  submit(args: string[], opts: { input?: string; cwd?: string; env?: Record<string, string> } = {}): number {
    const r = this.run('sbatch', ['--parsable', ...args], opts);
    if (r.code !== 0) throw new Error(`sbatch failed (${r.code}): ${r.stderr}`);
    return Number(r.stdout.trim());
  }

  job(id: number): JobRecord {
    return JSON.parse(readFileSync(join(this.dir, 'state', 'jobs', `${id}.json`), 'utf8')) as JobRecord;
  }

  jobs(): JobRecord[] {
    return JSON.parse(this.run('fake-slurm-admin', ['list']).stdout) as JobRecord[];
  }

  /** Poll until the job record satisfies pred (default: finished). */
  async waitJob(id: number, pred: (j: JobRecord) => boolean = finished, timeoutMs = 20_000): Promise<JobRecord> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const j = this.job(id);
      if (pred(j)) return j;
      if (Date.now() > end) throw new Error(`job ${id} still ${j.state}/${j.reason}`);
      await sleep(50);
    }
  }

  faults(value: unknown): void {
    mkdirSync(join(this.dir, 'state'), { recursive: true });
    writeFileSync(join(this.dir, 'state', 'faults.json'), JSON.stringify(value));
  }

  /**
   * A shell command that returns once `open(name)` is called: a job that ends when the test says
   * so, not after a sleep guessed to outlast a loaded machine.
   */
  gate(name: string): string {
    return `until [ -e '${join(this.dir, 'gates', name)}' ]; do sleep 0.1; done`;
  }

  open(name: string): void {
    mkdirSync(join(this.dir, 'gates'), { recursive: true });
    writeFileSync(join(this.dir, 'gates', name), '');
  }

  read(rel: string): string {
    return readFileSync(join(this.work, rel), 'utf8');
  }

  cleanup(): void {
    this.run('fake-slurm-admin', ['reset']);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const finished = (j: JobRecord) =>
  !j.completing && !['PENDING', 'RUNNING', 'SUSPENDED'].includes(j.state);
