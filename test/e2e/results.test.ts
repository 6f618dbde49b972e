// Results, not just states: report formats, the Results section, retry, --notify, live progress.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { evalsAsTheyEnded, experiment, jobsPerScript, readJson, sandbox, type Sandbox } from '../support/harness.js';

let s: Sandbox;
afterEach(async () => s?.cleanup());
const FAST = ['--poll-interval', '0.3', '--stagger', '0'];

describe('results', () => {
  it('report: md, csv and json rows with metrics and All Runs parameters; --write adds ## Results and a chart, nothing else', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 0, outcomes: { r16_reverse_words_epoch2: 'error' } });
    const run = await s.cli(['run', dir, ...FAST]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('### Results');
    expect(run.stdout).toMatch(/\| r4 \| — \| 0\.800 ± 0\.011 \| 0\.800 ± 0\.011 \| 0\.800 ± 0\.011 \|/);

    const csv = await s.cli(['report', dir, '--format', 'csv']);
    expect(csv.exitCode).toBe(0);
    const [header, ...rows] = csv.stdout.trim().split('\r\n');
    expect(header).toBe('key,run,task,epoch,state,Model,LoRA Rank,Batch Size,Type,Est. Time,match/accuracy,match/stderr,job_id,elapsed,log_path,failure,reason,vs_base,vs_base_low,vs_base_high,gpu_hours,wall_seconds,walltime_used,gpu_util_mean,gpu_mem_peak_mib');
    expect(rows).toHaveLength(7);
    expect(rows.find((r) => r.startsWith('r16_reverse_words_epoch0,'))).toMatch(/^r16_reverse_words_epoch0,r16,reverse_words,0,COMPLETED,Llama-3.2-3B-Instruct,16,8,Fine-tuned,~30min,0\.8,0\.011,\d+,\dm \d+s,r16\/eval\/logs\/.*\.eval,,,0,-0\.0\d+,0\.0\d+,0,\d+,[\d.]+,,$/);
    expect(rows.find((r) => r.startsWith('r16_reverse_words_epoch2,'))).toMatch(/,FAILED,.*,,,\d+,.*,code\/config,inspect error: ValueError: tokenizer config not found in checkpoint,,,,0,\d+,,,$/);

    const json = JSON.parse((await s.cli(['report', dir, '--format', 'json'])).stdout);
    expect(json.rows).toHaveLength(7);
    expect(json.rows[0]).toHaveProperty('metrics');
    expect(json.answers.map((a: { task: string }) => a.task)).toEqual(['reverse_words']);
    const md = await s.cli(['report', dir, '--output', join(s.root, 'report.md')]);
    expect(md.stdout).toBe('');
    expect(readFileSync(join(s.root, 'report.md'), 'utf8')).toMatch(/^\| Run \| Task \| Epoch \| State \|/);
    expect(readFileSync(join(s.root, 'report.md'), 'utf8')).toContain('Best on `reverse_words` (`accuracy`, higher is better):');
    expect((await s.cli(['report', dir, '--format', 'xml'])).exitCode).toBe(2);

    const before = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
    const w = await s.cli(['report', dir, '--write']);
    expect(w.exitCode).toBe(0);
    const after = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
    expect(after.startsWith(before)).toBe(true);
    const section = after.slice(before.length);
    expect(section).toMatch(/^\n?## Results\n/);
    expect(section).toContain('![accuracy by epoch](results-accuracy.svg)');
    expect(section).toMatch(/\| r16 \| .* \| FAILED \|/);
    const svg = readFileSync(join(dir, 'results-accuracy.svg'), 'utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<polyline/g)?.length).toBeGreaterThanOrEqual(2);
    // Writing again replaces the section in place.
    await s.cli(['report', dir, '--write']);
    expect(readFileSync(join(dir, 'experiment_summary.md'), 'utf8').match(/^## Results$/gm)).toHaveLength(1);
  }, 60_000);

  it('retry puts a failed eval back, keeps its history, and says how to start a monitor', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 0, outcomes: { r4_reverse_words_epoch1: 'error' } });
    expect((await s.cli(['run', dir, ...FAST])).exitCode).toBe(1);
    const failedJob = readJson(join(dir, 'eval_jobs.json')).evaluations.r4_reverse_words_epoch1.job_id;
    // The user fixes the cause.
    const script = join(dir, 'r4', 'eval', 'reverse_words_epoch1.slurm');
    writeFileSync(script, readFileSync(script, 'utf8').replace('--outcome error', '--outcome success'));
    // By class: its failure is code/config (inspect's ValueError), so --class timeout selects nothing.
    expect((await s.cli(['status', dir])).stdout).toMatch(/FAILED .*\[code\/config\] inspect error: ValueError/);
    expect((await s.cli(['retry', dir, '--failed', '--class', 'timeout'])).stdout).toContain('0 evaluations will be submitted again');
    const badClass = await s.cli(['retry', dir, '--failed', '--class', 'gremlins']);
    expect([badClass.exitCode, badClass.stderr.trim().split('\n').length]).toEqual([2, 1]);
    const retry = await s.cli(['retry', dir, '--failed', '--class', 'code/config']);
    expect(retry.exitCode).toBe(0);
    expect(retry.stdout).toContain('1 evaluations will be submitted again: r4_reverse_words_epoch1');
    expect(retry.stdout).toMatch(/No monitor is running: start one with `run-inspect launch /);
    const ev = readJson(join(dir, 'eval_jobs.json')).evaluations.r4_reverse_words_epoch1;
    expect(ev).toMatchObject({ status: 'NOT_SUBMITTED', job_id: null });
    expect(ev.attempts).toEqual([expect.objectContaining({ job_id: failedJob, status: 'FAILED' })]);
    expect(readFileSync(join(dir, 'experiment_summary.md'), 'utf8')).toMatch(/\| r4 \| reverse_words \| 1 \| NOT_SUBMITTED \| - \|/);
    const rerun = await s.cli(['run', dir, ...FAST]);
    expect(rerun.exitCode, evalsAsTheyEnded(dir)).toBe(0);
    expect(jobsPerScript(s, dir).get(script)).toHaveLength(2);
    expect((await s.cli(['retry', dir, 'no_such_eval'])).exitCode).toBe(2);
  }, 60_000);

  it('--notify runs once when every eval has ended, with the final summary on stdin', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 0 });
    const got = join(s.root, 'notified.txt');
    const hook = join(s.root, 'hook.sh');
    writeFileSync(hook, `cat >> "$1"\necho --- >> "$1"\n`);
    const notify = `bash "${hook}" "${got}" --token=s3cret`;
    expect((await s.cli(['run', dir, ...FAST, '--notify', notify])).exitCode).toBe(0);
    expect((await s.cli(['run', dir, ...FAST, '--notify', notify])).exitCode).toBe(0);
    const text = readFileSync(got, 'utf8');
    expect(text.match(/## Run Inspect Complete/g)).toHaveLength(1);
    const log = readFileSync(join(dir, 'run-inspect.log'), 'utf8');
    expect(log).toMatch(/NOTIFY: bash\nDetails: 3 arguments, not logged\nResult: Sent/);
    expect(log).not.toContain('s3cret');
  }, 60_000);

  it('the circuit breaker: three evals of a task fail with the same ModuleNotFoundError, the rest are HELD (one notification), retry --held resumes them', async () => {
    s = sandbox();
    const evals = ['r4', 'r16'].flatMap((run) => [0, 1, 2].map((epoch) => ({ run, task: 'reverse_words', epoch })));
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 0, evals });
    // The environment lacks a module: python dies at import, before inspect writes anything.
    const scripts = evals.map((e) => join(dir, e.run, 'eval', `reverse_words_epoch${e.epoch}.slurm`));
    const good = new Map(scripts.map((f) => [f, readFileSync(f, 'utf8')]));
    for (const f of scripts) writeFileSync(f, good.get(f)!.replace(/^.*fake-inspect.*$/m, `echo "Traceback (most recent call last):" >&2\necho "ModuleNotFoundError: No module named 'peft'" >&2\nexit 1`));
    const got = join(s.root, 'notified.txt');
    const hook = join(s.root, 'hook.sh');
    writeFileSync(hook, `cat >> "$1"\necho --- >> "$1"\n`);
    const r = await s.cli(['run', dir, ...FAST, '--max-in-flight', '1', '--notify', `bash "${hook}" "${got}"`]);
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(r.exitCode).toBe(1);
    const state = () => Object.values<any>(readJson(join(dir, 'eval_jobs.json')).evaluations);
    expect(state().filter((e) => e.status === 'FAILED'), evalsAsTheyEnded(dir)).toHaveLength(3);
    const held = state().filter((e) => e.status === 'HELD');
    expect(held, evalsAsTheyEnded(dir)).toHaveLength(3);
    for (const e of held) expect(e).toMatchObject({ job_id: null, notes: expect.stringContaining("3 evals of reverse_words failed the same way (ModuleNotFoundError: No module named 'peft')") });
    expect(s.jobs()).toHaveLength(3); // nothing else of that task submitted
    const told = readFileSync(got, 'utf8');
    expect(told.match(/run-inspect held 3 evaluations of reverse_words/g)).toHaveLength(1);
    expect(readFileSync(join(dir, 'run-inspect.log'), 'utf8').match(/CIRCUIT_BREAKER: reverse_words/g)).toHaveLength(1);

    // The user installs the module; the held evals go on, the failed ones stay as they were.
    for (const [f, text] of good) writeFileSync(f, text);
    const retry = await s.cli(['retry', dir, '--held']);
    expect(retry.stdout).toContain('3 evaluations will be submitted again');
    expect((await s.cli(['run', dir, ...FAST])).exitCode).toBe(1); // the 3 early failures stay FAILED
    expect(state().filter((e) => e.status === 'COMPLETED'), evalsAsTheyEnded(dir)).toHaveLength(3);
    expect(s.jobs()).toHaveLength(6);
  }, 90_000);

  it('shows live progress of a running eval: RUNNING n/total samples', async () => {
    s = sandbox();
    const { dir } = experiment(s, 'words', { fixture: 'with-status-tables', seconds: 6, samples: 40, evals: [{ run: 'r4', task: 'reverse_words', epoch: 0 }] });
    const child = s.spawn(['run', dir, '--poll-interval', '0.3', '--stagger', '0']);
    let seen = '';
    while (existsSync(dir) && !seen) {
      const text = readFileSync(join(dir, 'experiment_summary.md'), 'utf8');
      seen = /RUNNING 20\/40 samples/.exec(text)?.[0] ?? '';
      if ((child as unknown as { exitCode: number | null }).exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await child).exitCode).toBe(0);
    expect(seen).toBe('RUNNING 20/40 samples');
  }, 60_000);
});
