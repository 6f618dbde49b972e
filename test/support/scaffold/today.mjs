// Today's experiment folder (cruijff_kit HEAD 72a4ace, 2026-08; per-cell layout since 2026-05-20,
// #498): experiment_summary.yaml (the key structure of
// .claude/skills/design-experiment/templates/experiment_summary.yaml), `{run}/setup_finetune.yaml`
// + `finetune.yaml` + `finetune.slurm` stubs for fine-tuned runs, and one cell per eval:
// `{run}/eval/{task}_epoch{N}/` (fine-tuned) or `{run}/eval/{task}/` (control, eval-only), each with
// eval.yaml, cell.slurm and logs/, as the scaffold-inspect agent
// (.claude/agents/scaffold-inspect.md, "Populating eval.yaml") and src/tools/inspect/setup_inspect.py
// make them. cell.slurm is eval_template.slurm beside this file (the template's shape, written for
// these tests: its placeholders, output path, inspect line and final `wait`) with the renderer's
// replacements.
//
// Facts the renderer keeps (setup_inspect.py render_template):
//   job name eval-{task_name}-ep{N} / eval-{task_name}; --mem and cpus from model_configs.py
//   (Llama 1B/3B/8B: 80G, 1 CPU, 1 GPU; 70B: 320G, 4, 4) unless --mem/--gpus; --gres=gpu:N and
//   -M device="auto" when N > 1; output_dir = model_path's parent when there is an epoch, else
//   eval.yaml's output_dir; GPU_METRICS_DIR = {output_dir}epoch_{N}, else output_dir without its
//   slash; #SBATCH --output={GPU_METRICS_DIR}/slurm-%j.out (a folder Slurm must find: nothing
//   creates {run}/artifacts/ for control and eval-only runs); -T args in TASK_ARG_KEYS order
//   (data_path, config_path, vis_label, use_chat_template, ...; temperature dropped unless
//   do_sample), --metadata epoch/is_finetuned/source_model, -M do_sample=false always,
//   --max-connections 32, --seed 14. The job's exit code is `wait $GPU_MONITOR_PID`'s.
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { behaviour, beside, isMissing, jobEnv, logStatusOf, paramKey, paramValue, put, toYaml, writeAdapter, writeBaseModel, writeTaskScript } from './common.mjs';
import { epochsOf, evalsOf, experimentName, modelOf, pick, taskOf, tasksOf } from './design.mjs';
import { writePlan } from './plan.mjs';

export const EVAL_TEMPLATE = readFileSync(new URL('./eval_template.slurm', import.meta.url), 'utf8');

const TASK_ARG_KEYS = ['data_path', 'config_path', 'vis_label', 'use_chat_template', 'split', 'logprobs', 'top_logprobs', 'temperature', 'max_tokens', 'assistant_prefix'];
const YAML_PROTECTED_TASK_ARG_KEYS = new Set(['assistant_prefix']);
const METADATA_ARG_KEYS = ['epoch', 'is_finetuned', 'source_model'];
const DEFAULT_MAX_CONNECTIONS = 32;
const DEFAULT_SEED = 14;

/** src/tools/torchtune/model_configs.py MODEL_CONFIGS[...].slurm for the models tests use. */
export const MODEL_SLURM = Object.freeze({
  'Llama-3.2-1B': { mem: '80G', cpus: 1, gpus: 1 },
  'Llama-3.2-1B-Instruct': { mem: '80G', cpus: 1, gpus: 1 },
  'Llama-3.2-3B-Instruct': { mem: '80G', cpus: 1, gpus: 1 },
  'Llama-3.1-8B-Instruct': { mem: '80G', cpus: 1, gpus: 1 },
  'Llama-3.3-70B-Instruct': { mem: '320G', cpus: 4, gpus: 4 },
});

const formatValue = (v) => (typeof v === 'boolean' ? String(v) : String(v));

function taskArgs(config) {
  const lines = [];
  for (const key of TASK_ARG_KEYS) {
    const v = config[key];
    if (v === undefined || v === null) continue;
    if (YAML_PROTECTED_TASK_ARG_KEYS.has(key)) lines.push(`  -T ${key}='"${String(v).replace(/"/g, '\\"')}"' \\`);
    else lines.push(`  -T ${key}="${formatValue(v)}" \\`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function metadataArgs(config) {
  const lines = METADATA_ARG_KEYS.filter((k) => config[k] !== undefined && config[k] !== null).map((k) => `  --metadata ${k}="${formatValue(config[k])}" \\`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/**
 * setup_inspect.py's render_template: `config` is eval.yaml plus the derived eval_dir and
 * config_path; `cli` is its command line (model_name, time, mem, gpus, account, partition,
 * constraint, conda_env, user).
 */
export function renderCellSlurm(cli, config) {
  const slurm = MODEL_SLURM[cli.model_name];
  if (!slurm) throw new Error(`Unknown model: '${cli.model_name}'. Supported models: ${Object.keys(MODEL_SLURM).join(', ')}`);
  const mem = cli.mem ?? slurm.mem;
  const gpus = cli.gpus ?? slurm.gpus;
  const epoch = config.epoch ?? null;
  let outputDir = epoch !== null ? `${config.model_path.replace(/\/+$/, '').split('/').slice(0, -1).join('/')}/` : config.output_dir;
  if (!outputDir.endsWith('/')) outputDir += '/';
  const jobname = epoch !== null ? `eval-${config.task_name}-ep${epoch}` : `eval-${config.task_name}`;
  const gpuMetricsDir = epoch !== null ? `${outputDir}epoch_${epoch}` : outputDir.replace(/\/+$/, '');
  let s = EVAL_TEMPLATE;
  const rep = (a, b) => (s = s.replaceAll(a, b));
  rep('<JOBNAME>', jobname);
  rep('<MEM>', mem);
  rep('<TIME>', cli.time ?? '0:10:00');
  rep('<NETID>', cli.user ?? process.env.USER ?? 'unknown');
  rep('<CONDA_ENV>', cli.conda_env ?? 'cruijff');
  rep('<OUTPUT_DIR>', outputDir);
  rep('<GPU_METRICS_DIR>', gpuMetricsDir);
  rep('<EVAL_DIR>', config.eval_dir);
  rep('<TASK_SCRIPT>', config.task_script);
  rep('<MODEL_HF_NAME>', config.model_hf_name);
  rep('<MODEL_PATH>', config.model_path);
  rep('<TASK_ARGS>', taskArgs(config));
  rep('<METADATA_ARGS>', metadataArgs(config));
  rep('<DOSAMPLE_ARGS>', `  -M do_sample=${formatValue(config.do_sample ?? false)} \\\n`);
  rep('<MAX_CONNECTIONS>', String(config.max_connections ?? DEFAULT_MAX_CONNECTIONS));
  rep('<SEED>', String(config.seed ?? DEFAULT_SEED));
  rep('#SBATCH --cpus-per-task=1', `#SBATCH --cpus-per-task=${slurm.cpus}`);
  if (gpus > 1) {
    rep('#SBATCH --gres=gpu:1', `#SBATCH --gres=gpu:${gpus}`);
    rep('<DEVICE_ARGS>', '  -M device="auto" \\\n');
  } else rep('<DEVICE_ARGS>', '');
  if (cli.account) rep('##SBATCH --account=<ACT>', `#SBATCH --account=${cli.account}`);
  if (cli.partition) rep('##SBATCH --partition=<PART>', `#SBATCH --partition=${cli.partition}`);
  if (cli.constraint) rep('##SBATCH --constraint=<CONST>', `#SBATCH --constraint=${cli.constraint}`);
  return { script: s, gpuMetricsDir, jobname, gpus };
}

function evalYaml(config) {
  const { eval_dir: _d, config_path: _c, ...rest } = config;
  return `${toYaml(rest)}\n`;
}

/**
 * Builds today's experiment in `dir`. See scaffold.d.mts (TodayOptions, Scaffolded) for every
 * option and the return value.
 */
export function scaffoldToday(dir, design, opts = {}) {
  dir = resolve(dir);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const name = experimentName(design);
  const modelsDir = beside(dir, 'pretrained-llms');
  const ckRoot = beside(dir, 'cruijff_kit');
  const dataDir = beside(dir, 'ck-data');
  const label = design.dataset?.label ?? 'words_5L_80P_1000';
  const dataPath = design.dataset?.path && isAbsolute(design.dataset.path) ? design.dataset.path : join(dataDir, `${label}.json`);
  if (!existsSync(dataPath)) put(dataPath, '{"train": [], "validation": [], "test": []}\n');
  const models = (design.models ?? []).map((m) => ({ ...m, path: join(modelsDir, m.name) }));
  for (const m of models) writeBaseModel(m.path);
  const modelPathOf = (run) => models.find((m) => m.name === modelOf(design, run).name).path;
  const staleBase = (run) => join(beside(dir, 'pretrained-llms-old'), modelOf(design, run).name);
  const compute = opts.mem === null ? null : { time: opts.time ?? '0:10:00', mem: opts.mem ?? '4G' };
  const tasks = design.tasks.map((t) => {
    const fn = t.fn ?? t.name;
    const script = isAbsolute(t.script ?? '') ? t.script : join(ckRoot, t.script ?? `blueprints/${design.project ?? t.name}/inspect_task.py`);
    writeTaskScript(script, fn);
    return { ...t, fn, script };
  });
  const scriptOf = (task) => tasks.find((t) => t.name === task).script;
  // eval-only: parameters.checkpoint_path, absolute, or relative to a folder standing for an earlier experiment
  const checkpointOf = (run) => resolve(beside(dir, 'prior-experiment'), run.checkpointPath ?? join(run.name, 'artifacts', 'epoch_0'));
  const visLabel = (run, task) => {
    const base = run.visLabel ?? run.name;
    return tasksOf(design, run).length > 1 ? `${base} (${task})` : base;
  };

  // experiment_summary.yaml
  const summary = {
    experiment: { name, project: design.project ?? 'capitalization', question: design.question ?? 'A test experiment.', date: design.date ?? new Date().toISOString().slice(0, 10), dir },
    tools: { preparation: 'torchtune', evaluation: 'inspect-ai' },
    variables: Object.fromEntries((design.variables ?? []).map((v) => [v.key ?? paramKey(design, v.factor), v.levels.map(paramValue)])),
    controls: {
      system_prompt: design.systemPrompt ?? '',
      prompt: design.prompt ?? 'Capitalize the given word: {input}\n',
      dataset_type: 'chat_completion',
      epochs: design.epochs ?? 1,
      batch_size: 4,
      gradient_accumulation_steps: 1,
      validation_during_training: true,
    },
    models: { base: models.map((m) => ({ name: m.name, path: m.path, size_gb: m.sizeGb ?? 2.5 })) },
    data: { training: { path: dataPath, dataset_label: label, format: 'json', size_kb: design.dataset?.sizeKb ?? 1, splits: design.dataset?.splits ?? { train: 8, validation: 1, test: 1 } } },
    output: { wandb_project: design.project ?? name },
    runs: design.runs.map((r) => ({
      name: r.name,
      type: r.type,
      model: modelOf(design, r).name,
      parameters:
        r.type === 'eval-only'
          ? { checkpoint_path: checkpointOf(r) }
          : Object.fromEntries(Object.entries(r.params ?? {}).map(([c, v]) => [paramKey(design, c), paramValue(v)])),
    })),
    evaluation: {
      scorers: [{ name: 'match' }],
      tasks: tasks.map((t) => ({ name: t.name, script: t.script, description: t.description ?? t.name })),
      ...(compute ? { compute } : {}),
      matrix: design.runs.map((r) => ({ run: r.name, vis_label: r.visLabel ?? r.name, tasks: tasksOf(design, r), epochs: epochsOf(design, r) })),
    },
  };
  // blank lines between the top-level sections, as the design step writes the file
  put(join(dir, 'experiment_summary.yaml'), `${toYaml(summary).replace(/\n(?=\S)/g, '\n\n')}\n`);

  // Fine-tuning folders (stubs: the generator writes the checkpoints itself) and checkpoints.
  const checkpoints = new Map();
  for (const run of design.runs) {
    const runDir = join(dir, run.name);
    const stale = pick(opts.staleAdapterBase, { key: run.name, run: run.name }, false) === true || (Array.isArray(opts.staleAdapterBase) && opts.staleAdapterBase.includes(run.name));
    const adapterBase = stale ? staleBase(run) : modelPathOf(run);
    if (run.type === 'fine-tuned') {
      const params = Object.fromEntries(Object.entries(run.params ?? {}).map(([c, v]) => [paramKey(design, c), paramValue(v)]));
      put(
        join(runDir, 'setup_finetune.yaml'),
        `${toYaml({ my_wandb_project: design.project ?? name, my_wandb_run_name: run.name, input_dir_base: `${dataDir}/`, dataset_label: label, dataset_ext: '.json', torchtune_model_name: modelOf(design, run).name, model_checkpoint: modelPathOf(run), ...params, epochs: design.epochs ?? 1, project_dir: dir.split('/').slice(0, -1).join('/'), experiment_name: name, conda_env: opts.condaEnv ?? 'cruijff' })}\n`,
      );
      put(join(runDir, 'finetune.yaml'), `# torchtune config for ${run.name} (test stub)\noutput_dir: ${join(runDir, 'artifacts')}/\nepochs: ${design.epochs ?? 1}\n`);
      put(
        join(runDir, 'finetune.slurm'),
        `#!/bin/bash\n#SBATCH --job-name=${run.name} # Job name\n#SBATCH --nodes=1 # Number of nodes\n#SBATCH --ntasks=1 # Number of tasks\n#SBATCH --cpus-per-task=1\n#SBATCH --mem=1G\n#SBATCH --time=00:15:00 # Time limit (HH:MM:SS)\n#SBATCH --output=${join(runDir, 'artifacts')}/slurm-%j.out\n\n# test stub: stands in for \`tune run\`; the generator wrote the checkpoints\necho "fine-tuning ${run.name}"\n`,
        0o755,
      );
      mkdirSync(join(runDir, 'artifacts'), { recursive: true });
      for (const epoch of epochsOf(design, run)) {
        const path = join(runDir, 'artifacts', `epoch_${epoch}`);
        const exists = !isMissing(opts.missingCheckpoints, { key: `${run.name}/epoch_${epoch}`, run: run.name, epoch });
        checkpoints.set(path, { run: run.name, epoch, path, exists, adapterBase, staleBase: stale });
        if (exists) writeAdapter(path, adapterBase, run.params?.['LoRA Rank']);
      }
    } else if (run.type === 'eval-only') {
      const path = checkpointOf(run);
      const exists = !isMissing(opts.missingCheckpoints, { key: run.name, run: run.name, epoch: null });
      checkpoints.set(path, { run: run.name, epoch: null, path, exists, adapterBase, staleBase: stale });
      if (exists) writeAdapter(path, adapterBase, 8);
    }
    if (run.type !== 'fine-tuned' && opts.controlArtifacts) mkdirSync(join(runDir, 'artifacts'), { recursive: true });
  }

  const nvidia = opts.nvidiaSmi ?? 'signal';
  const waitStatus = nvidia === 'signal' ? 143 : nvidia === 'exit0' ? 0 : 127;
  const evals = [];
  const entries = [];
  for (const e of evalsOf(design)) {
    const run = design.runs.find((r) => r.name === e.run);
    const task = taskOf(design, e.task);
    const fn = task.fn ?? task.name;
    const cellDir = join(dir, e.run, 'eval', e.epoch === null ? e.task : `${e.task}_epoch${e.epoch}`);
    mkdirSync(join(cellDir, 'logs'), { recursive: true });
    const evalDir = realpathSync(cellDir);
    const modelPath =
      run.type === 'fine-tuned' ? join(dir, e.run, 'artifacts', `epoch_${e.epoch}`) : run.type === 'eval-only' ? checkpointOf(run) : modelPathOf(run);
    const config = {
      task_script: `${scriptOf(e.task)}@${fn}`,
      task_name: e.task,
      model_path: modelPath,
      model_hf_name: run.type === 'fine-tuned' ? `hf/${e.run}_epoch_${e.epoch}` : run.type === 'control' ? `hf/${e.run}_control` : `hf/${e.run}`,
      output_dir: `${join(dir, e.run, 'artifacts')}/`,
      data_path: dataPath,
      vis_label: visLabel(run, e.task),
      use_chat_template: 'true',
      ...(e.epoch !== null ? { epoch: e.epoch } : {}),
      is_finetuned: run.type !== 'control',
      source_model: modelOf(design, run).name,
      scorers: [{ name: 'match' }],
      prompt: summary.controls.prompt,
      system_prompt: summary.controls.system_prompt,
      dataset_type: summary.controls.dataset_type,
      seed: DEFAULT_SEED,
      eval_dir: evalDir,
      config_path: join(evalDir, 'eval.yaml'),
    };
    put(join(cellDir, 'eval.yaml'), evalYaml(config));
    const cli = {
      model_name: modelOf(design, run).name,
      time: compute?.time ?? '0:10:00',
      mem: compute?.mem ?? undefined,
      gpus: pick(opts.gpus, { key: e.key, run: e.run, type: run.type, epoch: e.epoch }, undefined),
      account: opts.account,
      partition: opts.partition,
      constraint: opts.constraint,
      conda_env: opts.condaEnv ?? 'cruijff',
      user: opts.user,
    };
    const rendered = renderCellSlurm(cli, config);
    const script = put(join(cellDir, 'cell.slurm'), rendered.script);

    const ck = checkpoints.get(modelPath);
    const modelLoads = existsSync(modelPath) && !(ck?.exists && ck.staleBase);
    const defaultTaskName = task.taskNaming === 'vis_label' && config.vis_label ? `${fn}_${config.vis_label}` : fn;
    const b = behaviour(e, opts, defaultTaskName);
    entries.push({ key: e.key, workDir: evalDir, modelPath, taskSpec: config.task_script, ...b });
    const outputOk = existsSync(rendered.gpuMetricsDir);
    const hang = outputOk && modelLoads && b.outcome === 'hang';
    evals.push({
      key: e.key,
      ckName: e.epoch === null ? `${e.run}/${e.task}` : `${e.run}/${e.task}/epoch${e.epoch}`,
      run: e.run,
      task: e.task,
      epoch: e.epoch,
      type: run.type,
      script,
      cellDir: evalDir,
      workDir: evalDir,
      modelPath,
      logDir: join(evalDir, 'logs'),
      outputPattern: `${rendered.gpuMetricsDir}/slurm-%j.out`,
      gpuMetrics: `${rendered.gpuMetricsDir}/gpu_metrics.csv`,
      jobName: rendered.jobname,
      taskSpec: config.task_script,
      visLabel: config.vis_label,
      gpus: rendered.gpus,
      checkpointExists: run.type === 'control' ? null : Boolean(ck?.exists),
      expected: {
        ...b,
        outputDirExists: outputOk,
        logStatus: outputOk ? logStatusOf(b, modelLoads) : null,
        inspectExit: !outputOk || hang ? null : !modelLoads || b.outcome === 'crash' || b.outcome === 'exit1' ? 1 : 0,
        jobExit: !outputOk || hang ? null : waitStatus,
        slurmState: !outputOk ? 'FAILED' : hang ? 'TIMEOUT' : waitStatus === 0 ? 'COMPLETED' : 'FAILED',
        jobOutput: outputOk && !hang ? /^real \d+\.\d+$/m : null,
      },
    });
  }
  const planFile = writePlan(dir, entries);
  return {
    era: 'today',
    dir,
    name,
    summary: join(dir, 'experiment_summary.yaml'),
    env: jobEnv(planFile, opts),
    planFile,
    outputDirBase: null,
    models: Object.fromEntries(models.map((m) => [m.name, m.path])),
    evals,
    keys: evals.map((x) => x.key),
    checkpoints: [...checkpoints.values()],
  };
}
