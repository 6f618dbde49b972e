// Types and documentation of scaffold.mjs: faithful experiment folders of both cruijff_kit
// generations (github niznik-dev/cruijff_kit), for tests and the demo.

/** A run of the design. */
export interface DesignRun {
  name: string;
  type: 'fine-tuned' | 'control' | 'eval-only';
  /** A base model's name (default: the design's first). */
  model?: string;
  /** Parameter values by All Runs column header (`'LoRA Rank': '4'`); YAML keys via paramKey. */
  params?: Record<string, string | number>;
  /** Tasks it is evaluated on (default: all of the design's). */
  tasks?: string[];
  /** Epochs a fine-tuned run is evaluated at (default: design.evalEpochs, else the last epoch). */
  epochs?: number[];
  /** Today: the matrix's vis_label (default: the run name; `"{label} ({task})"` when several tasks). */
  visLabel?: string;
  /** Today, eval-only: parameters.checkpoint_path; absolute, or relative to `{exp}-prior-experiment/` beside the experiment. */
  checkpointPath?: string;
  /** Summary: Est. Time column (default `-`, or `N/A` for control). */
  estTime?: string;
  /** Summary: Evaluation Matrix Notes cell. */
  note?: string;
  /** Summary: the run's row in the Fine-tuning status table. */
  finetune?: { status?: string; jobId?: string; started?: string; completed?: string; notes?: string };
}

export interface DesignTask {
  name: string;
  /** The @task function (default: name). */
  fn?: string;
  /** Task file: absolute, or relative to a stand-in cruijff_kit checkout beside the experiment. */
  script?: string;
  dataset?: string;
  description?: string;
  /** 'vis_label': the function names itself `{fn}_{vis_label}` (cruijff_kit's capitalization blueprint). */
  taskNaming?: 'function' | 'vis_label';
}

export interface Design {
  /** Experiment folder name; `# Experiment: {name}`. */
  name: string;
  /** `# {title}` (newer summaries). */
  title?: string;
  /** Quick Reference → Experiment (generators use the real folder). */
  dir?: string;
  project?: string;
  type?: string;
  question?: string;
  created?: string;
  date?: string;
  models?: Array<{ name: string; path?: string; sizeGb?: number }>;
  dataset?: { path?: string | null; label?: string; splits?: Record<string, number>; sizeKb?: number };
  tasks: DesignTask[];
  /** Training epochs. */
  epochs?: number;
  evalEpochs?: number[];
  variables?: Array<{ factor: string; levels: string[]; key?: string }>;
  /** All Runs parameter columns, between Model and Type. */
  columns?: string[];
  runs: DesignRun[];
  /** Configuration → Output → Checkpoint directory (output_dir_base). */
  checkpointDir?: string;
  systemPrompt?: string;
  prompt?: string;
  /** What only the .md summary shows. */
  md?: {
    tools?: 'long' | 'short';
    resources?: boolean;
    /** A sentence (lines) instead of the Evaluation Matrix. */
    evaluationPlan?: string;
    training?: Record<string, string>;
    outputExample?: boolean;
    compute?: Record<string, string[]>;
    namingConventions?: string[];
    quickReferenceModels?: boolean;
    notes?: string;
  };
}

export interface EvalRef {
  key: string;
  run: string;
  task: string;
  epoch: number | null;
  type: DesignRun['type'];
}

export type Outcome = 'success' | 'error' | 'exit1' | 'crash' | 'hang';
/** A value for every eval, a record by eval key, or a function of the eval (e.g. a learning curve). */
export type PerEval<T> = T | Record<string, T> | ((e: EvalRef) => T | undefined);

export interface CommonOptions {
  /**
   * success: a success log. error: an `error` log (inspect still exits 0). exit1: a success log,
   * then inspect exits 1. crash: a Python traceback on stderr, exit 1, the log never gets its
   * header. hang: stops after half the samples until SLURM kills it.
   */
  outcomes?: PerEval<Outcome>;
  seconds?: PerEval<number>;
  samples?: PerEval<number>;
  accuracy?: PerEval<number>;
  stderr?: PerEval<number>;
  scores?: PerEval<Array<{ name: string; accuracy: number; stderr: number }>>;
  /** The task name inspect writes into the log (default: the function's choice, see DesignTask.taskNaming). */
  taskName?: PerEval<string>;
  errorMessage?: PerEval<string>;
  crashMessage?: PerEval<string>;
  /** Checkpoints not created: eval keys, `{run}/epoch_{N}`, or run names. */
  missingCheckpoints?: string[];
  condaEnv?: string;
  /** PATH after fake-bin in the returned env (default process.env.PATH). */
  path?: string;
  /** node for the `inspect` stub (default process.execPath). */
  node?: string;
  /** How the nvidia-smi stub ends when killed: by the signal (143, default), exit 0, or as if absent (127). */
  nvidiaSmi?: 'signal' | 'exit0' | 'absent';
}

export interface SeedEraOptions extends CommonOptions {
  statusTables?: boolean;
  titleStyle?: 'experiment' | 'name';
  /**
   * output-base (2025-11-21): OUTPUT_BASE="…/ck-out-{run}", MODEL_PATH="$OUTPUT_BASE/epoch_N";
   * braces: the same with ${OUTPUT_BASE}; literal: MODEL_PATH="{full path}"; inline: no
   * MODEL_PATH, only -M model_path="{full path}".
   */
  modelPathStyle?: 'output-base' | 'braces' | 'literal' | 'inline';
  /** Default `{exp}-ck-outputs` beside the experiment. */
  outputDirBase?: string;
  /** #SBATCH values (template: 4 CPUs, 32G, 0:30:00, 1 GPU; gpus 0 drops --gres). */
  slurm?: { cpus?: number; mem?: string; time?: string; gpus?: number; account?: string; constraint?: string };
}

export interface TodayOptions extends CommonOptions {
  /** evaluation.compute.mem → setup_inspect --mem (default '4G'; null: no compute block, model_configs' 80G). */
  mem?: string | null;
  /** evaluation.compute.time → --time (default 0:10:00). */
  time?: string;
  /** setup_inspect --gpus, e.g. `{ 'Llama-3.2-1B-Instruct_base': 4 }` or `(e) => e.type === 'control' ? 4 : undefined`. */
  gpus?: PerEval<number | undefined>;
  account?: string;
  partition?: string;
  constraint?: string;
  /** <NETID> (setup_inspect: $USER, else 'unknown'). */
  user?: string;
  /** Adapters whose adapter_config.json names a base path that no longer exists: true (all) or run names. */
  staleAdapterBase?: boolean | string[] | Record<string, boolean>;
  /** Create {run}/artifacts/ for control and eval-only runs too (the scaffolding does not). */
  controlArtifacts?: boolean;
}

export interface ScaffoldedEval extends EvalRef {
  /** cruijff_kit's own name for it: `{run}/{task}/epoch{N}` or `{run}/{task}`. */
  ckName: string;
  /** The eval script: `{run}/eval/{task}_epoch{N}.slurm` (seed) or `{cell}/cell.slurm` (today). */
  script: string;
  /** Today: the cell folder (realpath); seed era: null. */
  cellDir: string | null;
  /** Where the script cd's, and the plan's key. */
  workDir: string;
  /** The model path as inspect receives it (expanded). */
  modelPath: string;
  logDir: string;
  /** SLURM's output file, %j for the job id (seed era: relative to the submit folder, given for a submission from workDir). */
  outputPattern: string;
  gpuMetrics?: string;
  jobName: string;
  /** inspect's TASKSPEC (`file.py@function`). */
  taskSpec: string;
  visLabel?: string;
  gpus?: number;
  /** Whether its checkpoint exists (control runs: true in the seed era, null today). */
  checkpointExists: boolean | null;
  expected: {
    outcome: Outcome;
    taskName: string;
    seconds: number;
    samples: number;
    accuracy: number;
    stderr: number;
    scores: Array<{ name: string; accuracy: number; stderr: number }>;
    errorMessage: string;
    crashMessage: string;
    /** Today: whether SLURM can open the output file (its folder exists). */
    outputDirExists?: boolean;
    /** The log's status after the job: 'started' = no header.json; null = no log at all. */
    logStatus: 'success' | 'error' | 'started' | null;
    /** inspect's exit code (null: never ran or killed). */
    inspectExit: number | null;
    /** The batch script's exit code (seed era: echo's 0; today: `wait`'s, 143 with the default nvidia-smi stub). */
    jobExit: number | null;
    slurmState: 'COMPLETED' | 'FAILED' | 'TIMEOUT';
    jobOutput: RegExp | null;
  };
}

export interface Scaffolded {
  era: 'seed' | 'today';
  dir: string;
  name: string;
  /** experiment_summary.md (seed) or experiment_summary.yaml (today). */
  summary: string;
  /** What the jobs need (sbatch exports it): PATH with fake-bin first, FAKE_INSPECT_PLAN, FAKE_INSPECT_NODE, FAKE_NVIDIA_SMI. */
  env: { PATH: string; FAKE_INSPECT_PLAN: string; FAKE_INSPECT_NODE: string; FAKE_NVIDIA_SMI: string };
  planFile: string;
  /** Seed era: the checkpoints' {output_dir_base}; today: null. */
  outputDirBase: string | null;
  /** Base model name → its folder (beside the experiment). */
  models: Record<string, string>;
  evals: ScaffoldedEval[];
  keys: string[];
  checkpoints: Array<{ run: string; epoch: number | null; path: string; exists: boolean; adapterBase?: string; staleBase?: boolean }>;
}

export declare function evalKey(run: string, task: string, epoch: number | null): string;
export declare function evalsOf(design: Design): EvalRef[];
export declare function renderSummaryMd(design: Design, opts?: { statusTables?: boolean; titleStyle?: 'experiment' | 'name' }): string;
export declare const WITH_STATUS_TABLES: Design;
export declare const WITHOUT_STATUS: Design;
export declare const CAPITALIZATION: Design;
export declare const EXAMPLE_SHAPES: Record<'with-status-tables' | 'without-status', { design: Design; statusTables: boolean; titleStyle: 'experiment' | 'name' }>;
/** The text of an example summary; `overrides` replace design fields (e.g. checkpointDir). */
export declare function exampleSummary(name: 'with-status-tables' | 'without-status', overrides?: Partial<Design>): string;
export declare const FAKE_BIN: string;
export declare function planPathFor(experimentDir: string): string;
export declare function findPlanFile(cwd: string, env?: NodeJS.ProcessEnv): string | null;
export declare const MODEL_PATH_STYLES: ReadonlyArray<'output-base' | 'braces' | 'literal' | 'inline'>;
export declare function scaffoldSeedEra(dir: string, design: Design, opts?: SeedEraOptions): Scaffolded;
export declare const EVAL_TEMPLATE: string;
export declare const MODEL_SLURM: Readonly<Record<string, { mem: string; cpus: number; gpus: number }>>;
export declare function renderCellSlurm(
  cli: { model_name: string; time?: string; mem?: string; gpus?: number; account?: string; partition?: string; constraint?: string; conda_env?: string; user?: string },
  config: Record<string, unknown>,
): { script: string; gpuMetricsDir: string; jobname: string; gpus: number };
export declare function scaffoldToday(dir: string, design: Design, opts?: TodayOptions): Scaffolded;
