// A seed-era experiment folder (cruijff_kit, Oct–Nov 2025), as the scaffold-inspect agent of
// 2025-11-21 (commit 007b2bc, .claude/agents/scaffold-inspect.md, "SLURM Script Template") wrote
// it: experiment_summary.md, one `{run}/eval/` per run holding `{task}_epoch{N}.slurm` /
// `{task}_base.slurm` and one shared `logs/`, checkpoints in `{output_dir_base}/ck-out-{run}/epoch_{N}`.
//
// The eval script, as that template renders it (modelPathStyle 'output-base'):
//   #!/bin/bash
//   #SBATCH --job-name=eval-{task}-{run} / --output=slurm-%j.out / --nodes=1 / --ntasks=1
//   #SBATCH --cpus-per-task=4 / --mem=32G / --time=0:30:00 / --gres=gpu:1 [/ --account / --constraint]
//   module load anaconda3/2025.6 ; conda activate {env}
//   OUTPUT_BASE="{output_dir_base}/ck-out-{run}" ; MODEL_PATH="$OUTPUT_BASE/epoch_{N}"
//   CONFIG_PATH="$OUTPUT_BASE/setup_finetune.yaml"      (control: MODEL_PATH="{base model}",
//                                                        CONFIG_PATH="{exp}/{run}/eval_config.yaml")
//   cd {exp}/{run}/eval
//   inspect eval {script}@{task} --model hf/local -M model_path="$MODEL_PATH" -T config_path="$CONFIG_PATH"
//     --log-dir ./logs --log-level info
//   echo "Evaluation complete"            ← the job's exit code is echo's
// Other scaffolds of the time: MODEL_PATH literal ('literal'), `${OUTPUT_BASE}` ('braces'), or no
// MODEL_PATH and only `-M model_path="..."` on the inspect line ('inline').
import { mkdirSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { behaviour, beside, dq, isMissing, jobEnv, logStatusOf, paramKey, paramValue, put, toYaml, writeBaseModel, writeTaskScript } from './common.mjs';
import { evalsOf, experimentName, modelOf, taskOf } from './design.mjs';
import { writePlan } from './plan.mjs';
import { renderSummaryMd } from './summary-md.mjs';

export const MODEL_PATH_STYLES = ['output-base', 'braces', 'literal', 'inline'];

const fileTask = (task) => task.replace(/\s/g, '_');

function evalScript(x) {
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=eval-${fileTask(x.task)}-${x.run.replace(/\s/g, '_')}`,
    '#SBATCH --output=slurm-%j.out',
    '#SBATCH --nodes=1',
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${x.slurm.cpus}`,
    `#SBATCH --mem=${x.slurm.mem}`,
    `#SBATCH --time=${x.slurm.time}`,
  ];
  if (x.slurm.gpus) lines.push(`#SBATCH --gres=gpu:${x.slurm.gpus}`);
  if (x.slurm.account) lines.push(`#SBATCH --account=${x.slurm.account}`);
  if (x.slurm.constraint) lines.push(`#SBATCH --constraint=${x.slurm.constraint}`);
  lines.push('', '# Load environment', 'module load anaconda3/2025.6', `conda activate ${x.condaEnv}`, '');
  let modelRef = '"$MODEL_PATH"';
  let configRef = '"$CONFIG_PATH"';
  if (x.style === 'inline') {
    modelRef = `"${dq(x.modelPath)}"`;
    configRef = `"${dq(x.configPath)}"`;
  } else {
    lines.push('# Set model and config paths');
    if (x.epoch === null || x.style === 'literal') lines.push(`MODEL_PATH="${dq(x.modelPath)}"`, `CONFIG_PATH="${dq(x.configPath)}"`);
    else {
      const ref = x.style === 'braces' ? '${OUTPUT_BASE}' : '$OUTPUT_BASE';
      lines.push(`OUTPUT_BASE="${dq(x.outputBase)}"`, `MODEL_PATH="${ref}/epoch_${x.epoch}"`, `CONFIG_PATH="${ref}/setup_finetune.yaml"`);
    }
    lines.push('');
  }
  lines.push(
    '# Run inspect-ai evaluation',
    `cd ${x.evalDir}`,
    '',
    `inspect eval ${x.taskSpec} \\`,
    '  --model hf/local \\',
    `  -M model_path=${modelRef} \\`,
    `  -T config_path=${configRef} \\`,
    '  --log-dir ./logs \\',
    '  --log-level info',
    '',
    'echo "Evaluation complete"',
    '',
  );
  return lines.join('\n');
}

function setupFinetuneYaml(design, run, outputDirBase, dataset) {
  const params = Object.fromEntries(Object.entries(run.params ?? {}).map(([c, v]) => [paramKey(design, c), paramValue(v)]));
  return `${toYaml({
    my_wandb_project: experimentName(design),
    my_wandb_run_name: run.name,
    input_dir_base: `${dataset.dir}/`,
    dataset_label: dataset.label,
    dataset_ext: '.json',
    torchtune_model_name: modelOf(design, run).name,
    ...params,
    epochs: design.epochs ?? 1,
    output_dir_base: outputDirBase,
    experiment_name: experimentName(design),
  })}\n`;
}

/**
 * Builds a seed-era experiment in `dir`. See scaffold.d.mts (SeedEraOptions, Scaffolded) for every
 * option and the return value.
 */
export function scaffoldSeedEra(dir, design, opts = {}) {
  const style = opts.modelPathStyle ?? 'output-base';
  if (!MODEL_PATH_STYLES.includes(style)) throw new Error(`modelPathStyle must be one of ${MODEL_PATH_STYLES.join(', ')}: ${style}`);
  for (const r of design.runs) if (r.type === 'eval-only') throw new Error(`run ${r.name}: eval-only runs came with today's layout (scaffoldToday), not the seed era`);
  dir = resolve(dir);
  mkdirSync(dir, { recursive: true });
  const outputDirBase = resolve(opts.outputDirBase ?? beside(dir, 'ck-outputs'));
  const modelsDir = beside(dir, 'pretrained-llms');
  const ckRoot = beside(dir, 'cruijff_kit');
  const slurm = { cpus: 4, mem: '32G', time: '0:30:00', gpus: 1, ...opts.slurm };
  const condaEnv = opts.condaEnv ?? 'cruijff';
  const dataset = { dir: beside(dir, 'ck-data'), label: design.dataset?.label ?? 'words_5L_80P_1000' };
  put(join(dataset.dir, `${dataset.label}.json`), '{"train": [], "validation": [], "test": []}\n');

  // The base models, under a folder beside the experiment (the design's /scratch paths are made up).
  const models = (design.models ?? []).map((m) => ({ ...m, path: join(modelsDir, m.name) }));
  for (const m of models) writeBaseModel(m.path);
  const real = { ...design, dir, checkpointDir: `${outputDirBase}/`, models, dataset: design.dataset ? { ...design.dataset, path: join(dataset.dir, `${dataset.label}.json`) } : undefined };
  put(join(dir, 'experiment_summary.md'), renderSummaryMd(real, { statusTables: opts.statusTables ?? false, titleStyle: opts.titleStyle ?? 'name' }));

  for (const run of design.runs) {
    const runDir = join(dir, run.name);
    mkdirSync(join(runDir, 'eval', 'logs'), { recursive: true });
    if (run.type === 'fine-tuned') {
      put(join(runDir, 'setup_finetune.yaml'), setupFinetuneYaml(design, run, outputDirBase, dataset));
      put(join(runDir, 'finetune.yaml'), `# torchtune config for ${run.name} (test stub)\noutput_dir: ${outputDirBase}/ck-out-${run.name}\nepochs: ${design.epochs ?? 1}\n`);
      put(
        join(runDir, 'finetune.slurm'),
        `#!/bin/bash\n#SBATCH --job-name=${run.name}\n#SBATCH --output=slurm-%j.out\n#SBATCH --time=0:30:00\n#SBATCH --mem=1G\n\n# test stub: the generator wrote the checkpoints\necho "fine-tuning ${run.name}"\n`,
        0o755,
      );
    } else {
      put(
        join(runDir, 'eval_config.yaml'),
        `# Evaluation configuration for base model\n# Generated by scaffold-inspect\n#\n# Run: ${run.name}\n\n${toYaml({ input_dir_base: `${dataset.dir}/`, dataset_label: dataset.label, dataset_ext: '.json', dataset_type: 'chat_dataset', system_prompt: '' })}\n`,
      );
    }
  }

  const evals = [];
  const entries = [];
  const checkpoints = new Map();
  for (const e of evalsOf(design)) {
    const run = design.runs.find((r) => r.name === e.run);
    const task = taskOf(design, e.task);
    const fn = task.fn ?? task.name;
    const script = isAbsolute(task.script ?? '') ? task.script : join(ckRoot, task.script ?? `tasks/${fn}.py`);
    writeTaskScript(script, fn);
    const taskSpec = `${script}@${fn}`;
    const evalDir = join(dir, e.run, 'eval');
    const outputBase = join(outputDirBase, `ck-out-${e.run}`);
    const modelPath = e.epoch === null ? models.find((m) => m.name === modelOf(design, run).name).path : join(outputBase, `epoch_${e.epoch}`);
    const configPath = e.epoch === null ? join(dir, e.run, 'eval_config.yaml') : join(outputBase, 'setup_finetune.yaml');
    if (e.epoch !== null && !checkpoints.has(modelPath)) {
      const exists = !isMissing(opts.missingCheckpoints, e);
      checkpoints.set(modelPath, { run: e.run, epoch: e.epoch, path: modelPath, exists });
      if (exists) {
        mkdirSync(modelPath, { recursive: true });
        put(join(modelPath, 'adapter_config.json'), `${JSON.stringify({ base_model_name_or_path: `meta-llama/${modelOf(design, run).name}`, peft_type: 'LORA', r: 8 }, null, 2)}`);
        put(join(modelPath, 'adapter_model.safetensors'), '');
        put(join(outputBase, 'setup_finetune.yaml'), setupFinetuneYaml(design, run, outputDirBase, dataset));
      }
    }
    const scriptPath = join(evalDir, e.epoch === null ? `${fileTask(e.task)}_base.slurm` : `${fileTask(e.task)}_epoch${e.epoch}.slurm`);
    put(scriptPath, evalScript({ ...e, style, slurm, condaEnv, modelPath, configPath, outputBase, evalDir, taskSpec }), 0o755);

    const b = behaviour(e, opts, fn);
    const loads = e.epoch === null || checkpoints.get(modelPath).exists;
    entries.push({ key: e.key, workDir: realpathSync(evalDir), modelPath, taskSpec, ...b });
    const hang = b.outcome === 'hang' && loads;
    evals.push({
      key: e.key,
      ckName: e.epoch === null ? `${e.run}/${e.task}` : `${e.run}/${e.task}/epoch${e.epoch}`,
      run: e.run,
      task: e.task,
      epoch: e.epoch,
      type: e.type,
      script: scriptPath,
      cellDir: null,
      workDir: evalDir,
      modelPath,
      logDir: join(evalDir, 'logs'),
      outputPattern: join(evalDir, 'slurm-%j.out'),
      jobName: `eval-${fileTask(e.task)}-${e.run.replace(/\s/g, '_')}`,
      taskSpec,
      checkpointExists: loads,
      expected: {
        ...b,
        logStatus: logStatusOf(b, loads),
        inspectExit: !loads || b.outcome === 'crash' || b.outcome === 'exit1' ? 1 : hang ? null : 0,
        jobExit: hang ? null : 0,
        slurmState: hang ? 'TIMEOUT' : 'COMPLETED',
        jobOutput: hang ? null : /Evaluation complete\n?$/,
      },
    });
  }
  const planFile = writePlan(dir, entries);
  return {
    era: 'seed',
    dir,
    name: experimentName(design),
    summary: join(dir, 'experiment_summary.md'),
    env: jobEnv(planFile, opts),
    planFile,
    outputDirBase,
    models: Object.fromEntries(models.map((m) => [m.name, m.path])),
    evals,
    keys: evals.map((x) => x.key),
    checkpoints: [...checkpoints.values()],
  };
}
