// Both experiment generations end to end, as cruijff_kit's scaffolding writes them: the bundle
// against fake-slurm, the scripts shaped as the templates render them (stub inspect / nvidia-smi / conda
// / module on PATH). Also what keeps cruijff_kit's own tools working on today's layout.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { resultText } from '../../src/report/eval-text.js';
import { evalsAsTheyEnded, FAKE_BIN, readJson, sandbox, type FakeJob, type Sandbox } from '../support/harness.js';
import { CAPITALIZATION, WITH_STATUS_TABLES, scaffoldSeedEra, scaffoldToday, type Scaffolded } from '../support/scaffold.mjs';

let s: Sandbox;
afterEach(async () => s?.cleanup());

const FAST = ['--poll-interval', '1', '--stagger', '0'];
/** cruijff_kit's compute harvest (slurm/compute_gpu_metrics.py), with its DOTALL flag. */
const HARVEST = /SUBMIT_EVAL: ([\w./-]+)\n.*?\nJob ID: (\d+)/gs;

/** The environment a generated experiment's jobs need, with fake-slurm first. */
const envOf = (exp: Scaffolded) => ({ ...exp.env, PATH: `${FAKE_BIN}${delimiter}${exp.env.PATH}` });
const jobsOf = (s: Sandbox, exp: Scaffolded) => s.jobs().filter((j) => exp.evals.some((e) => e.script === j.script));
const stateOf = (exp: Scaffolded) => readJson(join(exp.dir, 'eval_jobs.json'));

describe("today's cells (experiment_summary.yaml)", () => {
  it('runs every cell once, trusts the logs over SLURM, creates the missing output folder, and keeps cruijff_kit’s files true', async () => {
    s = sandbox();
    const exp = scaffoldToday(join(s.root, CAPITALIZATION.name), CAPITALIZATION, {
      seconds: 1,
      accuracy: (e) => (e.epoch === null ? 0.41 : 0.5 + 0.1 * e.epoch + (e.run.endsWith('rank8') ? 0.05 : 0)),
      outcomes: { 'Llama-3.2-1B-Instruct_rank8_capitalization_epoch0': 'error', income_rank8_epoch1_capitalization_base: 'crash' },
      missingCheckpoints: ['Llama-3.2-1B-Instruct_rank8/epoch_1'],
      gpus: (e) => (e.type === 'control' ? 4 : undefined),
    });
    const control = exp.evals.find((e) => e.type === 'control')!;
    expect(existsSync(join(control.outputPattern, '..'))).toBe(false); // the scaffolding does not create it

    const r = await s.cli(['run', exp.dir, ...FAST], { env: envOf(exp) });
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(r.exitCode).toBe(1);

    // Exactly one job per cell that had a model; none for the skipped one.
    const jobs = jobsOf(s, exp);
    expect(jobs).toHaveLength(exp.evals.length - 1);
    expect(new Set(jobs.map((j) => j.script)).size).toBe(jobs.length);

    const ev = stateOf(exp).evaluations;
    const rank4e1 = ev['Llama-3.2-1B-Instruct_rank4_capitalization_epoch1'];
    // The template's last `wait` exits 143 (SLURM shows FAILED 15:0) after inspect succeeded: the log wins.
    expect(rank4e1).toMatchObject({ status: 'COMPLETED', slurm_state: 'FAILED' });
    expect(resultText(rank4e1)).toMatch(/^accuracy 0\.600 .*job ended FAILED \(exit code 15:0\) after inspect finished/);
    expect(rank4e1.log_path).toMatch(/^Llama-3.2-1B-Instruct_rank4\/eval\/capitalization_epoch1\/logs\/.*\.eval$/);
    expect(ev['Llama-3.2-1B-Instruct_rank8_capitalization_epoch0']).toMatchObject({ status: 'FAILED' });
    expect(ev['Llama-3.2-1B-Instruct_rank8_capitalization_epoch0'].notes).toMatch(/^inspect error: /);
    expect(ev['Llama-3.2-1B-Instruct_rank8_capitalization_epoch1']).toMatchObject({ status: 'SKIPPED', notes: `checkpoint missing: ${join(exp.dir, 'Llama-3.2-1B-Instruct_rank8', 'artifacts', 'epoch_1')}` });
    // The control's output folder was made before sbatch, so SLURM could run it.
    expect(ev['Llama-3.2-1B-Instruct_base_capitalization_base']).toMatchObject({ status: 'COMPLETED' });
    expect(existsSync(join(control.outputPattern, '..'))).toBe(true);
    // The eval-only run loaded its own checkpoint and crashed: the reason comes from the job's output.
    const crashed = ev.income_rank8_epoch1_capitalization_base;
    expect(crashed.status).toBe('FAILED');
    expect(crashed.notes).toContain("ModuleNotFoundError: No module named 'peft'");
    expect(crashed.notes).toMatch(/see income_rank8_epoch1\/artifacts\/slurm-\d+\.out/);

    // What it cost, as sacct tells it: each job's wall time × the GPUs it held (the control asked for 4).
    const acct = await execa(join(FAKE_BIN, 'sacct'), ['-X', '-n', '-P', '-o', 'JobIDRaw,ElapsedRaw,AllocTRES', '-j', jobs.map((j) => j.id).join(',')], { env: s.env });
    const sacctGpuHours = new Map(acct.stdout.trim().split('\n').map((l) => l.split('|')).map(([id, secs, tres]) => [id, (Number(secs) * Number(/gres\/gpu=(\d+)/.exec(tres!)![1])) / 3600]));
    const report = JSON.parse((await s.cli(['report', exp.dir, '--format', 'json'], { env: envOf(exp) })).stdout);
    const total = [...sacctGpuHours.values()].reduce((a, b) => a + b, 0);
    expect(report.cost.gpuHours).toBeCloseTo(total, 10);
    for (const row of report.rows.filter((r: any) => r.job_id)) expect(row.cost.gpuHours).toBeCloseTo(sacctGpuHours.get(row.job_id)!, 10);
    expect(sacctGpuHours.get(ev['Llama-3.2-1B-Instruct_base_capitalization_base'].job_id)! * 3600).toBe(4 * Number(acct.stdout.split('\n').find((l) => l.startsWith(`${ev['Llama-3.2-1B-Instruct_base_capitalization_base'].job_id}|`))!.split('|')[1]));
    // nvidia-smi's samples from the cell's gpu_metrics.csv, within the job
    const gpu = report.rows.find((r: any) => r.key === 'Llama-3.2-1B-Instruct_rank4_capitalization_epoch1').cost.gpu;
    expect(gpu.samples).toBeGreaterThanOrEqual(1);
    expect(gpu.util_mean).toBeGreaterThanOrEqual(60); // the stub's GPUs are 60-94% busy with 12000-15999 MiB in use
    expect(gpu.util_mean).toBeLessThan(95);
    expect(gpu.mem_peak_mib).toBeGreaterThanOrEqual(12000);
    expect(gpu.mem_peak_mib).toBeLessThan(16000);
    expect((await s.cli(['status', exp.dir], { env: envOf(exp) })).stdout).toMatch(/^Cost: \d+\.\d\d GPU-hours, .* in \d+ jobs; not successful: /m);

    // Progress where users look: a generated experiment_summary.md, marked, with the Results.
    const page = readFileSync(join(exp.dir, 'experiment_summary.md'), 'utf8');
    expect(page.split('\n')[0]).toMatch(/^<!-- Generated by run-inspect from experiment_summary.yaml/);
    expect(page).toContain(`# ${CAPITALIZATION.name}`);
    expect(page).toContain(CAPITALIZATION.question);
    expect(page).toMatch(/\| Llama-3.2-1B-Instruct_rank4 \| capitalization \| 1 \| COMPLETED \| \d+ \|/);
    expect(page).toMatch(/\| Llama-3.2-1B-Instruct_rank8 \| capitalization \| 1 \| SKIPPED \| - \|/);
    expect(page).toContain('## Results');
    // report --write keeps the generated page (it is no design to parse) and draws the chart beside it.
    const written = await s.cli(['report', exp.dir, '--write'], { env: envOf(exp) });
    expect(written.stderr).toBe('');
    expect(written.exitCode).toBe(0);
    const rewritten = readFileSync(join(exp.dir, 'experiment_summary.md'), 'utf8');
    expect(rewritten.split('\n')[0]).toBe(page.split('\n')[0]);
    expect(rewritten.match(/^## Results$/gm)).toHaveLength(1);
    expect(rewritten).toMatch(/!\[[^\]]*\]\(results-[\w.-]+\.svg\)/);
    expect(readdirSync(exp.dir).filter((f) => f.endsWith('.svg'))).toHaveLength(1);

    // cruijff_kit's harvest finds every job, named its way, and nothing else.
    const log = readFileSync(join(exp.dir, 'logs', 'run-inspect.log'), 'utf8');
    const harvested = [...log.matchAll(HARVEST)].map((m) => [m[1], m[2]]);
    const expected = exp.evals.filter((e) => ev[e.key].job_id).map((e) => [e.ckName, ev[e.key].job_id]);
    expect(harvested.sort()).toEqual(expected.sort());
    expect(log).toContain('CREATE_OUTPUT_DIR: Llama-3.2-1B-Instruct_base/capitalization/base');
    expect(existsSync(join(exp.dir, 'run-inspect.log'))).toBe(false);

    // Its state file, in its shape, with our verdict for every job (the log's, not SLURM's exit state).
    const ck = readJson(join(exp.dir, 'logs', 'run-inspect.state.json'));
    for (const e of exp.evals) {
      const mine = ev[e.key];
      const key = e.script.slice(exp.dir.length + 1);
      if (!mine.job_id) expect(ck[key]).toBeUndefined();
      else expect(ck[key]).toEqual({ job_id: mine.job_id, submitted_at: mine.submitted, state: mine.status });
    }
  });

  it('retry resubmits a failed cell: cruijff_kit’s harvest (the newest id per eval wins) and its state file point at the new job', async () => {
    s = sandbox();
    const failing = 'Llama-3.2-1B-Instruct_rank8_capitalization_epoch0';
    const exp = scaffoldToday(join(s.root, CAPITALIZATION.name), CAPITALIZATION, { seconds: 0, outcomes: { [failing]: 'error' } });
    // Each command takes seconds; one that hangs fails here, saying how the evals stood (it hung once
    // past the test's 60 s in a loaded full run, and a bare timeout said nothing).
    const cli = (args: string[]) => s.cli(args, { env: envOf(exp), timeoutMs: 25_000 });
    const failed = await cli(['run', exp.dir, ...FAST]);
    expect(failed.exitCode, evalsAsTheyEnded(exp.dir, failed)).toBe(1);
    const first = stateOf(exp).evaluations[failing];
    expect(first.status).toBe('FAILED');

    // The user fixes the cause (here: the plan says success now) and retries.
    const plan = readJson(exp.planFile);
    const cell = exp.evals.find((e) => e.key === failing)!;
    for (const entry of plan.entries) if (entry.workDir === cell.workDir) entry.outcome = 'success';
    writeFileSync(exp.planFile, JSON.stringify(plan));
    const retried = await cli(['retry', exp.dir, '--failed']);
    expect(retried.exitCode, evalsAsTheyEnded(exp.dir, retried)).toBe(0);
    const rerun = await cli(['run', exp.dir, ...FAST]);
    expect(rerun.exitCode, evalsAsTheyEnded(exp.dir, rerun)).toBe(0);
    const second = stateOf(exp).evaluations[failing];
    expect(second).toMatchObject({ status: 'COMPLETED' });
    expect(second.job_id).not.toBe(first.job_id);

    // Both submissions are in the log; a harvest that keeps the last id per eval gets the new one.
    const log = readFileSync(join(exp.dir, 'logs', 'run-inspect.log'), 'utf8');
    const harvested = [...log.matchAll(HARVEST)].filter((m) => m[1] === cell.ckName).map((m) => m[2]);
    expect(harvested).toEqual([first.job_id, second.job_id]);
    expect(Object.fromEntries([...log.matchAll(HARVEST)].map((m) => [m[1], m[2]]))[cell.ckName]).toBe(second.job_id);
    const ck = readJson(join(exp.dir, 'logs', 'run-inspect.state.json'));
    expect(ck[cell.script.slice(exp.dir.length + 1)]).toMatchObject({ job_id: second.job_id, submitted_at: second.submitted, state: 'COMPLETED' });
  });

  it('a planned cell without a script is NO_SCRIPT with the path expected; a dry run shows the plan and writes nothing', async () => {
    s = sandbox();
    const exp = scaffoldToday(join(s.root, CAPITALIZATION.name), CAPITALIZATION, { seconds: 0 });
    const gone = exp.evals.find((e) => e.key === 'Llama-3.2-1B-Instruct_rank4_capitalization_epoch0')!;
    rmSync(gone.script);
    const dry = await s.cli(['run', exp.dir, '--dry-run'], { env: envOf(exp) });
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain(`NO_SCRIPT: planned in the design, no script at ${gone.script}`);
    expect(existsSync(join(exp.dir, 'eval_jobs.json'))).toBe(false);

    const r = await s.cli(['run', exp.dir, ...FAST], { env: envOf(exp) });
    expect(r.exitCode).toBe(1);
    const ev = stateOf(exp).evaluations[gone.key];
    expect(ev).toMatchObject({ status: 'NO_SCRIPT', job_id: null, notes: `no eval script: expected ${gone.script.slice(exp.dir.length + 1)}` });
    expect(readFileSync(join(exp.dir, 'experiment_summary.md'), 'utf8')).toMatch(/\| Llama-3.2-1B-Instruct_rank4 \| capitalization \| 0 \| NO_SCRIPT \| - \|/);
    expect(jobsOf(s, exp)).toHaveLength(exp.evals.length - 1);
  });

  it('logs/monitor.json max_submit caps all of the user’s queued jobs; logs/.detach lets go and launch resumes', async () => {
    s = sandbox();
    const exp = scaffoldToday(join(s.root, CAPITALIZATION.name), CAPITALIZATION, { seconds: 3 });
    writeFileSync(join(exp.dir, 'logs', 'monitor.json'), JSON.stringify({ max_submit: 2, poll_sec: 1 }));
    const run = s.spawn(['run', exp.dir, '--stagger', '0', '--poll-interval', '5'], { env: envOf(exp) });
    const end = Date.now() + 60_000;
    while (jobsOf(s, exp).filter((j) => j.end_time !== null).length < 2 && Date.now() < end) await new Promise((d) => setTimeout(d, 200));
    writeFileSync(join(exp.dir, 'logs', '.detach'), '');
    const detached = await run;
    expect(detached.exitCode).toBe(4);
    const log = readFileSync(join(exp.dir, 'logs', 'run-inspect.log'), 'utf8');
    expect(log).toMatch(/MONITOR_CONFIG: applied\nDetails: poll_sec=1 \(was 5\); stagger_sec=0 \(unchanged\); max_submit=2 \(was Infinity\)/);
    expect(log).toMatch(/MONITOR_DETACHED\nDetails: reason=sentinel; state breakdown: .*\nResult: monitoring paused; jobs continue/);
    const before = stateOf(exp);
    expect(before.monitor.stopped).not.toBeNull();
    expect(Object.values<any>(before.evaluations).some((e) => e.status === 'NOT_SUBMITTED')).toBe(true);

    // Sticky, as cruijff_kit's: another run lets go at once.
    expect((await s.cli(['run', exp.dir, ...FAST], { env: envOf(exp) })).exitCode).toBe(4);
    // launch resumes: it removes the sentinel, and the monitor job finishes the sweep.
    const launched = await s.cli(['launch', exp.dir, '--time', '10', ...FAST], { env: envOf(exp) });
    expect(launched.exitCode).toBe(0);
    expect(existsSync(join(exp.dir, 'logs', '.detach'))).toBe(false);
    const until = Date.now() + 90_000;
    while (stateOf(exp).monitor.finished === null && Date.now() < until) await new Promise((d) => setTimeout(d, 250));
    const after = stateOf(exp);
    for (const e of exp.evals) expect(after.evaluations[e.key].status).toBe('COMPLETED');

    // Never more than 2 of the user’s eval jobs queued or running at once (monitor links are not counted: max_submit would wait on itself).
    const all = s.jobs().filter((j: FakeJob) => !(j.comment ?? '').startsWith('run-inspect-monitor:'));
    for (const j of all) {
      const busy = all.filter((k) => k.submit_time <= j.submit_time && (k.end_time === null || k.end_time > j.submit_time));
      expect(busy.length).toBeLessThanOrEqual(2);
    }
    expect(jobsOf(s, exp)).toHaveLength(exp.evals.length);
  });
});

describe('the seed era (experiment_summary.md)', () => {
  it("the 2025-11-21 template's $OUTPUT_BASE path matches the logs: every eval COMPLETED, the summary's other bytes unchanged", async () => {
    s = sandbox();
    const exp = scaffoldSeedEra(join(s.root, WITH_STATUS_TABLES.name), WITH_STATUS_TABLES, { modelPathStyle: 'output-base', statusTables: true, seconds: 0, slurm: { mem: '1G' } });
    const before = readFileSync(exp.summary, 'utf8');
    const r = await s.cli(['run', exp.dir, ...FAST], { env: envOf(exp) });
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(r.exitCode).toBe(0);
    const ev = stateOf(exp).evaluations;
    for (const e of exp.evals) {
      expect(ev[e.key]).toMatchObject({ status: 'COMPLETED', model_path: e.modelPath });
      expect(ev[e.key].log_path).toMatch(new RegExp(`^${e.run}/eval/logs/.*\\.eval$`));
    }
    expect(jobsOf(s, exp)).toHaveLength(exp.evals.length);
    const after = readFileSync(exp.summary, 'utf8');
    const changed = before.split('\n').filter((line, i) => line !== after.split('\n')[i]);
    expect(changed).toHaveLength(exp.evals.length);
    for (const line of changed) expect(line).toMatch(/\| pending \|/);
  });

  it('vis_label task names in a shared logs folder: each eval finds its own log, never a sibling’s', async () => {
    s = sandbox();
    const design = { ...CAPITALIZATION, runs: CAPITALIZATION.runs.filter((r) => r.type !== 'eval-only') };
    const exp = scaffoldSeedEra(join(s.root, design.name), design, {
      seconds: 0,
      slurm: { mem: '1G' },
      accuracy: (e) => (e.epoch === null ? 0.3 : 0.6 + 0.1 * e.epoch),
      outcomes: { 'Llama-3.2-1B-Instruct_rank4_capitalization_epoch1': 'error' },
    });
    const r = await s.cli(['run', exp.dir, ...FAST], { env: envOf(exp) });
    expect(r.exitCode).toBe(1);
    const ev = stateOf(exp).evaluations;
    for (const e of exp.evals) {
      if (e.expected.outcome === 'error') {
        expect(ev[e.key].status).toBe('FAILED');
        continue;
      }
      expect(ev[e.key].status).toBe('COMPLETED');
      expect(ev[e.key].scores[0].metrics[0].value).toBeCloseTo(e.expected.accuracy);
    }
  });
});
