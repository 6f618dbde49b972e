// Example designs. Names, paths and values are made up; the structure is the real one.
//
// WITH_STATUS_TABLES and WITHOUT_STATUS are the two example experiments the tests were written
// against (they used to be read from ../shared/fixtures/experiments/*.md): rendered with
// exampleSummary() they give those files byte for byte. CAPITALIZATION is today's shape
// (cruijff_kit's capitalization blueprint: a LoRA rank sweep, a control, an eval-only run).
import { renderSummaryMd } from './summary-md.mjs';

/** Older template (before 2025-10-28): `# Experiment: name`, Evaluation Matrix, Status tables. */
export const WITH_STATUS_TABLES = Object.freeze({
  name: 'words_3L_rank_sweep_2025-10-20',
  dir: '/scratch/gpfs/LAB/ck-experiments/words_3L_rank_sweep_2025-10-20',
  type: 'parameter sweep',
  question: 'Does a higher LoRA rank help a 3B model reverse words?',
  created: '2025-10-20 09:12',
  models: [{ name: 'Llama-3.2-3B-Instruct', path: '/scratch/gpfs/LAB/pretrained-llms/Llama-3.2-3B-Instruct' }],
  dataset: { path: '/scratch/gpfs/LAB/data/words_5L_80P_1000.json' },
  tasks: [{ name: 'reverse_words', script: 'tasks/reverse_words.py', dataset: 'words_5L_80P_1000.json', description: 'Reverse each word' }],
  epochs: 3,
  evalEpochs: [0, 1, 2],
  variables: [{ factor: 'LoRA rank', levels: ['4', '16'] }],
  columns: ['LoRA Rank', 'Batch Size'],
  runs: [
    { name: 'r4', type: 'fine-tuned', params: { 'LoRA Rank': '4', 'Batch Size': '8' }, estTime: '~25min', note: 'All evals', finetune: { status: 'completed', jobId: '4410021', started: '2025-10-20 10:02:11', completed: '2025-10-20 10:31:40' } },
    { name: 'r16', type: 'fine-tuned', params: { 'LoRA Rank': '16', 'Batch Size': '8' }, estTime: '~30min', note: 'All evals', finetune: { status: 'completed', jobId: '4410022', started: '2025-10-20 10:02:16', completed: '2025-10-20 10:35:02' } },
    { name: 'Llama-3.2-3B_base', type: 'control', note: 'Base model' },
  ],
  checkpointDir: '/scratch/gpfs/LAB/ck-outputs/',
  md: {
    tools: 'long',
    resources: true,
    outputExample: true,
    quickReferenceModels: true,
    notes: 'Rank 4 was cut short once by a node failure | rerun on 10-20.',
  },
});

/** Newer template: `# Name`, no Status section, a sentence for the plan, two tasks, a control on one. */
export const WITHOUT_STATUS = Object.freeze({
  name: 'acs_income_size_2025-11-06',
  title: 'ACS income, model size sweep',
  dir: '/scratch/gpfs/LAB/ck-experiments/acs_income_size_2025-11-06',
  type: '2×2 factorial',
  question: 'How do model size and learning rate interact when predicting income bands?',
  created: '2025-11-06 16:40',
  models: [
    { name: 'Llama-3.2-1B-Instruct', path: '/scratch/gpfs/LAB/pretrained-llms/Llama-3.2-1B-Instruct' },
    { name: 'Llama-3.1-8B-Instruct', path: '/scratch/gpfs/LAB/pretrained-llms/Llama-3.1-8B-Instruct' },
  ],
  tasks: [
    { name: 'acs_income', script: 'tasks/acs_income.py' },
    { name: 'acs_income_calibration', script: 'tasks/acs_income.py' },
  ],
  epochs: 2,
  variables: [
    { factor: 'Model', levels: ['Llama-3.2-1B-Instruct', 'Llama-3.1-8B-Instruct'] },
    { factor: 'Learning rate', levels: ['1e-5', '1e-4'] },
  ],
  columns: ['Learning Rate'],
  runs: [
    { name: '1B_lr1e-5', type: 'fine-tuned', model: 'Llama-3.2-1B-Instruct', params: { 'Learning Rate': '1e-5' }, estTime: '~12min' },
    { name: '1B_lr1e-4', type: 'fine-tuned', model: 'Llama-3.2-1B-Instruct', params: { 'Learning Rate': '1e-4' }, estTime: '~12min' },
    { name: '8B_lr1e-5', type: 'fine-tuned', model: 'Llama-3.1-8B-Instruct', params: { 'Learning Rate': '1e-5' }, estTime: '~70min' },
    { name: '8B_lr1e-4', type: 'fine-tuned', model: 'Llama-3.1-8B-Instruct', params: { 'Learning Rate': '1e-4' }, estTime: '~70min' },
    { name: '1B_base', type: 'control', model: 'Llama-3.2-1B-Instruct', tasks: ['acs_income'] },
  ],
  checkpointDir: '/scratch/gpfs/LAB/ck-outputs/acs_income_size_2025-11-06/',
  md: {
    tools: 'short',
    evaluationPlan:
      'All runs will be evaluated on acs_income and acs_income_calibration at the last epoch (epoch 1).\nThe control run is evaluated on acs_income only.',
    training: { Epochs: '2' },
    compute: { 'Total GPU Hours': ['About 6 GPU hours in all.'] },
  },
});

/** The render options that give each example its shape. */
export const EXAMPLE_SHAPES = Object.freeze({
  'with-status-tables': { design: WITH_STATUS_TABLES, statusTables: true, titleStyle: 'experiment' },
  'without-status': { design: WITHOUT_STATUS, statusTables: false, titleStyle: 'name' },
});

/** The text of one example summary (what ../shared/fixtures/experiments/{name}.md used to hold). */
export function exampleSummary(name, overrides = {}) {
  const shape = EXAMPLE_SHAPES[name];
  if (!shape) throw new Error(`no example summary ${name} (known: ${Object.keys(EXAMPLE_SHAPES).join(', ')})`);
  return renderSummaryMd({ ...shape.design, ...overrides }, { statusTables: shape.statusTables, titleStyle: shape.titleStyle });
}

/**
 * Today's shape (cruijff_kit since 2026-05): the capitalization blueprint, LoRA rank 4 and 8 at
 * epochs 0 and 1, the base model as control, and a checkpoint from an earlier experiment
 * evaluated as is. The capitalization task names itself `capitalization_{vis_label}`.
 */
export const CAPITALIZATION = Object.freeze({
  name: 'cap_rank_sweep_2026-08-03',
  project: 'capitalization',
  question: 'Does LoRA rank change how well a 1B model learns to capitalize words?',
  date: '2026-08-03',
  type: 'parameter sweep',
  models: [{ name: 'Llama-3.2-1B-Instruct', sizeGb: 2.5 }],
  dataset: { path: null, label: 'words_5L_80P_1000', splits: { train: 800, validation: 100, test: 100 }, sizeKb: 61 },
  tasks: [{ name: 'capitalization', fn: 'capitalization', script: 'blueprints/capitalization/inspect_task.py', description: 'Tests word capitalization accuracy', taskNaming: 'vis_label' }],
  epochs: 2,
  variables: [{ factor: 'LoRA rank', key: 'lora_rank', levels: ['4', '8'] }],
  columns: ['LoRA Rank'],
  runs: [
    { name: 'Llama-3.2-1B-Instruct_rank4', type: 'fine-tuned', params: { 'LoRA Rank': '4' }, epochs: [0, 1], visLabel: 'rank4' },
    { name: 'Llama-3.2-1B-Instruct_rank8', type: 'fine-tuned', params: { 'LoRA Rank': '8' }, epochs: [0, 1], visLabel: 'rank8' },
    { name: 'Llama-3.2-1B-Instruct_base', type: 'control', visLabel: '1B_control' },
    { name: 'income_rank8_epoch1', type: 'eval-only', visLabel: 'prior_rank8', checkpointPath: 'income_rank8/artifacts/epoch_1' },
  ],
});
