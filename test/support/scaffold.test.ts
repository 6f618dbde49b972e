// The experiment generators of scaffold.mjs: the files have the templates' shape, and a generated
// eval script run as a job (bash with the returned env, or sbatch on fake-slurm) leaves the inspect
// log and job output the real thing would.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { readInspectLog } from '../../src/inspect/log.js';
import { parseSummary } from '../../src/experiment/summary.js';
import {
  CAPITALIZATION,
  EVAL_TEMPLATE,
  WITHOUT_STATUS,
  WITH_STATUS_TABLES,
  type Scaffolded,
  type ScaffoldedEval,
  evalsOf,
  exampleSummary,
  renderSummaryMd,
  scaffoldSeedEra,
  scaffoldToday,
} from './scaffold.mjs';

const root = mkdtempSync(join(tmpdir(), 'scaffold-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => join(root, String(++n), name);

const byKey = (s: Scaffolded, key: string): ScaffoldedEval => {
  const e = s.evals.find((x) => x.key === key);
  if (!e) throw new Error(`no eval ${key}`);
  return e;
};

/** Runs an eval script as the job would (bash, the generator's env), from an unrelated folder. */
async function runJob(s: Scaffolded, e: ScaffoldedEval) {
  const r = await execa('bash', [e.script], { cwd: '/', env: { ...process.env, ...s.env }, reject: false, all: true });
  return { exitCode: r.exitCode, output: String(r.all) };
}

async function onlyLog(dir: string) {
  const logs = readdirSync(dir).filter((f) => f.endsWith('.eval'));
  expect(logs).toHaveLength(1);
  return { name: logs[0]!, info: await readInspectLog(join(dir, logs[0]!)) };
}

describe('renderSummaryMd', () => {
  test('the example designs in both shapes read back as the designs say', () => {
    const withStatus = parseSummary(exampleSummary('with-status-tables'), 'x');
    expect(withStatus.title).toBe('words_3L_rank_sweep_2025-10-20');
    expect(withStatus.evaluations).toHaveLength(evalsOf(WITH_STATUS_TABLES).length);
    expect(withStatus.finetuneJobs.map((j) => j.jobId)).toEqual(['4410021', '4410022']);
    const without = parseSummary(exampleSummary('without-status'), 'x');
    expect(without.title).toBe('ACS income, model size sweep');
    expect(without.evaluations).toBeNull();
    expect(without.runs.map((r) => r.name)).toEqual(WITHOUT_STATUS.runs.map((r) => r.name));
  });

  test('either shape from any design: title style and Status section are independent', () => {
    const md = renderSummaryMd(WITHOUT_STATUS, { statusTables: true, titleStyle: 'experiment' });
    expect(md.startsWith('# Experiment: acs_income_size_2025-11-06\n')).toBe(true);
    const s = parseSummary(md, 'x');
    expect(s.evaluations!.map((e) => `${e.run} ${e.task} ${e.epoch}`)).toEqual(evalsOf(WITHOUT_STATUS).map((e) => `${e.run} ${e.task} ${e.epoch ?? '-'}`));
    expect(renderSummaryMd(WITH_STATUS_TABLES).startsWith('# words_3L_rank_sweep_2025-10-20\n')).toBe(true);
    expect(renderSummaryMd(WITH_STATUS_TABLES)).not.toContain('## Status');
  });

  // The examples used to be files in ../shared/fixtures/experiments; where that folder is there,
  // the generator must still give them byte for byte.
  const shared = new URL('../../../shared/fixtures/experiments/', import.meta.url);
  test.skipIf(!existsSync(shared))('renders the examples exactly as ../shared/fixtures/experiments has them', () => {
    for (const name of ['with-status-tables', 'without-status'] as const) expect(exampleSummary(name)).toBe(readFileSync(new URL(`${name}.md`, shared), 'utf8'));
  });
});

describe('scaffoldSeedEra', () => {
  test('the 2025-11-21 template: $OUTPUT_BASE, MODEL_PATH="$OUTPUT_BASE/epoch_N", echo last; checkpoints and one logs/ per run', () => {
    const s = scaffoldSeedEra(fresh('words'), WITH_STATUS_TABLES, { statusTables: true, titleStyle: 'experiment', missingCheckpoints: ['r16_reverse_words_epoch2'] });
    expect(s.keys).toEqual(evalsOf(WITH_STATUS_TABLES).map((e) => e.key));
    const e = byKey(s, 'r4_reverse_words_epoch1');
    expect(e.script).toBe(join(s.dir, 'r4', 'eval', 'reverse_words_epoch1.slurm'));
    const text = readFileSync(e.script, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines).toContain('#SBATCH --job-name=eval-reverse_words-r4');
    expect(lines).toContain('#SBATCH --output=slurm-%j.out');
    expect(lines).toContain('#SBATCH --gres=gpu:1');
    expect(lines).toContain(`OUTPUT_BASE="${s.outputDirBase}/ck-out-r4"`);
    expect(lines).toContain('MODEL_PATH="$OUTPUT_BASE/epoch_1"');
    expect(lines).toContain(`cd ${s.dir}/r4/eval`);
    expect(text).toMatch(/^inspect eval \S+reverse_words\.py@reverse_words \\\n {2}--model hf\/local \\\n {2}-M model_path="\$MODEL_PATH" \\\n/m);
    expect(lines.at(-1)).toBe('echo "Evaluation complete"');
    expect(statSync(e.modelPath).isDirectory()).toBe(true);
    expect(e.modelPath).toBe(join(s.outputDirBase!, 'ck-out-r4', 'epoch_1'));
    expect(existsSync(byKey(s, 'r16_reverse_words_epoch2').modelPath)).toBe(false);
    expect(statSync(join(s.dir, 'r4', 'eval', 'logs')).isDirectory()).toBe(true);

    const base = readFileSync(byKey(s, 'Llama-3.2-3B_base_reverse_words_base').script, 'utf8');
    expect(base).toContain(`MODEL_PATH="${s.models['Llama-3.2-3B-Instruct']}"`);
    expect(base).not.toContain('OUTPUT_BASE');

    const summary = parseSummary(readFileSync(s.summary, 'utf8'), 'x');
    expect(summary.checkpointDir).toBe(`${s.outputDirBase}/`);
    expect(summary.evaluations).toHaveLength(7);
  });

  test('other scaffolds: literal MODEL_PATH, ${OUTPUT_BASE}, or only -M model_path on the inspect line', () => {
    const literal = scaffoldSeedEra(fresh('a'), WITHOUT_STATUS, { modelPathStyle: 'literal' });
    const e = byKey(literal, '1B_lr1e-4_acs_income_epoch1');
    expect(readFileSync(e.script, 'utf8')).toContain(`MODEL_PATH="${e.modelPath}"\n`);
    const braces = scaffoldSeedEra(fresh('b'), WITHOUT_STATUS, { modelPathStyle: 'braces' });
    expect(readFileSync(byKey(braces, '1B_lr1e-4_acs_income_epoch1').script, 'utf8')).toContain('MODEL_PATH="${OUTPUT_BASE}/epoch_1"\n');
    const inline = scaffoldSeedEra(fresh('c'), WITHOUT_STATUS, { modelPathStyle: 'inline' });
    const i = byKey(inline, '1B_lr1e-4_acs_income_epoch1');
    const text = readFileSync(i.script, 'utf8');
    expect(text).not.toMatch(/^MODEL_PATH=/m);
    expect(text).toContain(`  -M model_path="${i.modelPath}" \\\n`);
  });

  test('a script run as a job: the log in {run}/eval/logs names the task and the expanded model path; exit 0 even when inspect failed', async () => {
    const s = scaffoldSeedEra(fresh('acs'), WITHOUT_STATUS, {
      seconds: 0.2,
      outcomes: { '1B_lr1e-5_acs_income_calibration_epoch1': 'error', '1B_lr1e-4_acs_income_epoch1': 'crash' },
      accuracy: { '1B_lr1e-5_acs_income_epoch1': 0.625 },
    });
    const ok = byKey(s, '1B_lr1e-5_acs_income_epoch1');
    const job = await runJob(s, ok);
    expect(job.exitCode).toBe(0);
    expect(job.output).toMatch(ok.expected.jobOutput!);
    const { name, info } = await onlyLog(ok.logDir);
    expect(name).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d[-+]\d\d-\d\d_acs-income_[A-Za-z0-9]{22}\.eval$/);
    expect(info).toMatchObject({ status: 'success', task: 'acs_income', modelPath: ok.modelPath });
    expect(info.scores[0]!.metrics[0]).toEqual({ name: 'accuracy', value: 0.625 });

    // The same logs/ folder: the error log of the other task, same model.
    const bad = byKey(s, '1B_lr1e-5_acs_income_calibration_epoch1');
    expect((await runJob(s, bad)).exitCode).toBe(0);
    const logs = readdirSync(bad.logDir).filter((f) => f.includes('calibration'));
    expect(logs).toHaveLength(1);
    expect(await readInspectLog(join(bad.logDir, logs[0]!))).toMatchObject({ status: 'error', errorMessage: bad.expected.errorMessage, task: 'acs_income_calibration' });

    const crash = byKey(s, '1B_lr1e-4_acs_income_epoch1');
    const crashed = await runJob(s, crash);
    expect(crashed.exitCode).toBe(0); // echo "Evaluation complete"
    expect(crashed.output).toContain("Traceback (most recent call last):\n  File ");
    expect(crashed.output).toContain("ModuleNotFoundError: No module named 'peft'\nEvaluation complete");
    expect((await onlyLog(crash.logDir)).info.status).toBe('running'); // no header.json
  });
});

describe('scaffoldToday', () => {
  test('experiment_summary.yaml, stubs, cells with eval.yaml and cell.slurm rendered from eval_template.slurm', () => {
    const s = scaffoldToday(fresh('cap'), CAPITALIZATION);
    const yaml = readFileSync(s.summary, 'utf8');
    for (const k of ['experiment:', 'tools:', 'variables:', 'controls:', 'models:', 'data:', 'output:', 'runs:', 'evaluation:']) expect(yaml).toMatch(new RegExp(`^${k}$`, 'm'));
    expect(yaml).toContain('    type: "eval-only"\n');
    expect(yaml).toContain(`      checkpoint_path: "${s.checkpoints.find((c) => c.epoch === null)!.path}"`);
    expect(yaml).toContain('      epochs: null');
    for (const f of ['setup_finetune.yaml', 'finetune.yaml', 'finetune.slurm']) expect(existsSync(join(s.dir, 'Llama-3.2-1B-Instruct_rank4', f))).toBe(true);

    const ft = byKey(s, 'Llama-3.2-1B-Instruct_rank4_capitalization_epoch1');
    expect(ft.cellDir).toBe(join(s.dir, 'Llama-3.2-1B-Instruct_rank4', 'eval', 'capitalization_epoch1'));
    expect(ft.modelPath).toBe(join(s.dir, 'Llama-3.2-1B-Instruct_rank4', 'artifacts', 'epoch_1'));
    const script = readFileSync(ft.script, 'utf8');
    // Every line of the template is there, placeholders filled in, in the template's order.
    expect(script.split('\n').filter((l) => !l.startsWith('##SBATCH') && /<[A-Z_]+>/.test(l))).toEqual([]);
    expect(script.split('\n').filter((l) => EVAL_TEMPLATE.split('\n').includes(l)).length).toBeGreaterThan(30);
    expect(script).toContain('#SBATCH --job-name=eval-capitalization-ep1 # the eval job\n');
    expect(script).toContain(`#SBATCH --output=${ft.modelPath}/slurm-%j.out\n`);
    expect(script).toContain(`GPU_METRICS_DIR="${ft.modelPath}"\n`);
    expect(script).toContain('#SBATCH --gres=gpu:1 # one GPU\n');
    expect(script).toContain(`  -M model_path="${ft.modelPath}" \\\n  -M do_sample=false \\\n`);
    expect(script).toContain('  -T vis_label="rank4" \\\n');
    expect(script).toContain('  --metadata epoch="1" \\\n  --metadata is_finetuned="true" \\\n');
    expect(script).toContain('  --log-dir ./logs \\\n');
    expect(script.endsWith('wait $GPU_MONITOR_PID 2>/dev/null\n')).toBe(true);
    expect(ft.outputPattern).toBe(`${ft.modelPath}/slurm-%j.out`);
    const evalYaml = readFileSync(join(ft.cellDir!, 'eval.yaml'), 'utf8');
    for (const k of ['task_script', 'task_name', 'model_path', 'model_hf_name', 'output_dir', 'vis_label', 'epoch', 'is_finetuned', 'source_model', 'data_path']) expect(evalYaml).toMatch(new RegExp(`^${k}: `, 'm'));
    const adapter = JSON.parse(readFileSync(join(ft.modelPath, 'adapter_config.json'), 'utf8'));
    expect(adapter.base_model_name_or_path).toBe(s.models['Llama-3.2-1B-Instruct']);

    const control = byKey(s, 'Llama-3.2-1B-Instruct_base_capitalization_base');
    expect(control.cellDir).toBe(join(s.dir, 'Llama-3.2-1B-Instruct_base', 'eval', 'capitalization'));
    expect(control.modelPath).toBe(s.models['Llama-3.2-1B-Instruct']);
    expect(readFileSync(control.script, 'utf8')).toContain(`#SBATCH --output=${s.dir}/Llama-3.2-1B-Instruct_base/artifacts/slurm-%j.out\n`);
    expect(existsSync(join(s.dir, 'Llama-3.2-1B-Instruct_base', 'artifacts'))).toBe(false);
    expect(control.expected).toMatchObject({ outputDirExists: false, slurmState: 'FAILED', logStatus: null });
    expect(byKey(s, 'income_rank8_epoch1_capitalization_base').modelPath).toMatch(/-prior-experiment\/income_rank8\/artifacts\/epoch_1$/);
  });

  test('options: 4 GPUs for the control, a stale adapter base path, a missing checkpoint', () => {
    const s = scaffoldToday(fresh('cap'), CAPITALIZATION, {
      gpus: (e) => (e.type === 'control' ? 4 : undefined),
      staleAdapterBase: ['Llama-3.2-1B-Instruct_rank8'],
      missingCheckpoints: ['Llama-3.2-1B-Instruct_rank4/epoch_0'],
    });
    const control = readFileSync(byKey(s, 'Llama-3.2-1B-Instruct_base_capitalization_base').script, 'utf8');
    expect(control).toContain('#SBATCH --gres=gpu:4 # one GPU\n');
    expect(control).toContain('  -M do_sample=false \\\n  -M device="auto" \\\n');
    const stale = byKey(s, 'Llama-3.2-1B-Instruct_rank8_capitalization_epoch0');
    const base = JSON.parse(readFileSync(join(stale.modelPath, 'adapter_config.json'), 'utf8')).base_model_name_or_path;
    expect(existsSync(base)).toBe(false);
    expect(stale.expected).toMatchObject({ logStatus: null, inspectExit: 1 });
    const missing = byKey(s, 'Llama-3.2-1B-Instruct_rank4_capitalization_epoch0');
    expect(existsSync(missing.modelPath)).toBe(false);
    expect(missing.checkpointExists).toBe(false);
    expect(missing.expected.outputDirExists).toBe(false);
  });

  test('a cell run as a job: its own logs/ gets the log under the task function\'s name; the job exits with wait\'s 143', async () => {
    const s = scaffoldToday(fresh('cap'), CAPITALIZATION, { seconds: 0.2, accuracy: (e) => (e.epoch === 1 ? 0.9 : 0.5) });
    const e = byKey(s, 'Llama-3.2-1B-Instruct_rank4_capitalization_epoch1');
    const job = await runJob(s, e);
    expect(job.exitCode).toBe(143);
    expect(e.expected.jobExit).toBe(143);
    expect(job.output).toMatch(e.expected.jobOutput!);
    const { name, info } = await onlyLog(e.logDir);
    expect(name).toMatch(/_capitalization-rank4_[A-Za-z0-9]{22}\.eval$/);
    expect(info).toMatchObject({ status: 'success', task: 'capitalization_rank4', model: 'hf/Llama-3.2-1B-Instruct_rank4_epoch_1', modelPath: e.modelPath });
    expect(info.scores[0]!.metrics[0]).toEqual({ name: 'accuracy', value: 0.9 });
    const csv = readFileSync(e.gpuMetrics!, 'utf8').split('\n');
    expect(csv[0]).toBe('timestamp, utilization.gpu [%], memory.used [MiB], memory.total [MiB]');
    // No other cell's logs/ got anything.
    expect(readdirSync(byKey(s, 'Llama-3.2-1B-Instruct_rank4_capitalization_epoch0').logDir)).toEqual([]);

    // A stale adapter: OSError traceback before any log, as the HF provider fails to load it.
    const t = scaffoldToday(fresh('cap'), CAPITALIZATION, { staleAdapterBase: true, nvidiaSmi: 'exit0' });
    const stale = byKey(t, 'Llama-3.2-1B-Instruct_rank8_capitalization_epoch0');
    const r = await runJob(t, stale);
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/OSError: Incorrect path_or_model_id: '.*-pretrained-llms-old\/Llama-3.2-1B-Instruct'/);
    expect(readdirSync(stale.logDir)).toEqual([]);
  });

  test('on fake-slurm: sbatch with the env; a cell whose output folder is missing fails at once', async () => {
    const s = scaffoldToday(fresh('cap'), CAPITALIZATION, { seconds: 0.2 });
    const repo = new URL('../../', import.meta.url).pathname;
    const env = { ...process.env, ...s.env, PATH: `${join(repo, 'fake-slurm', 'bin')}:${s.env.PATH}`, FAKE_SLURM_DIR: join(root, `fake-slurm-${n}`) };
    const submit = async (e: ScaffoldedEval) => (await execa('sbatch', ['--parsable', e.script], { cwd: e.workDir, env })).stdout.trim();
    const ft = byKey(s, 'Llama-3.2-1B-Instruct_rank8_capitalization_epoch0');
    const control = byKey(s, 'Llama-3.2-1B-Instruct_base_capitalization_base');
    try {
      const ids = [await submit(ft), await submit(control)];
      await execa('fake-slurm-admin', ['wait-idle'], { env, timeout: 60_000 });
      const rows = (await execa('sacct', ['-X', '-n', '-P', '-o', 'JobIDRaw,State,ExitCode', '-j', ids.join(',')], { env })).stdout.trim().split('\n');
      expect(rows).toEqual([`${ids[0]}|FAILED|15:0`, expect.stringMatching(new RegExp(`^${ids[1]}\\|FAILED\\|`))]);
      expect(readFileSync(ft.outputPattern.replace('%j', ids[0]!), 'utf8')).toMatch(/^real \d/m);
      expect((await onlyLog(ft.logDir)).info.task).toBe('capitalization_rank8');
      expect(readdirSync(control.logDir)).toEqual([]);
    } finally {
      await execa('fake-slurm-admin', ['reset'], { env, reject: false });
    }
  });
});
