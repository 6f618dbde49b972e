// Discovery on experiments as cruijff_kit's scaffolding writes them, both generations: the layout,
// the design cross-check, the model each eval loads (expanded as the job will see it), its logs.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvalSpec } from '../../src/domain.js';
import { checkModel } from '../../src/experiment/checkpoints.js';
import { readDesign } from '../../src/experiment/design.js';
import { discoverEvals, logTaskNames } from '../../src/experiment/discover.js';
import { detectLayout } from '../../src/experiment/layout.js';
import { loadExperiment } from '../../src/monitor/prepare.js';
import { CAPITALIZATION, WITH_STATUS_TABLES, scaffoldSeedEra, scaffoldToday } from '../support/scaffold.mjs';

/** The capitalization sweep without its eval-only run: those came with today's layout. */
const SEED_CAPITALIZATION = { ...CAPITALIZATION, runs: CAPITALIZATION.runs.filter((r) => r.type !== 'eval-only') };

const root = () => mkdtempSync(join(tmpdir(), 'ri-disc-'));

async function discover(dir: string, env: NodeJS.ProcessEnv = {}) {
  const layout = detectLayout(dir);
  const design = await readDesign(layout.design);
  return { layout, design, ...(await discoverEvals(layout, design, env)) };
}

const spec = (evals: EvalSpec[], key: string): EvalSpec => {
  const found = evals.find((e) => e.key === key);
  if (!found) throw new Error(`no ${key} in ${evals.map((e) => e.key).join(', ')}`);
  return found;
};

describe("today's cells (experiment_summary.yaml, {run}/eval/{cell}/cell.slurm)", () => {
  it('finds every cell, with the model from -M model_path, its own logs folder and the names its logs carry', async () => {
    const exp = scaffoldToday(join(root(), CAPITALIZATION.name), CAPITALIZATION);
    const { layout, evals, unscripted, problems } = await discover(exp.dir);
    expect(layout.generation).toBe('cells');
    expect(problems).toEqual([]);
    expect(unscripted).toEqual([]);
    expect(evals.map((e) => e.key).sort()).toEqual([...exp.keys].sort());
    for (const want of exp.evals) {
      const got = spec(evals, want.key);
      expect(got).toMatchObject({ run: want.run, epoch: want.epoch, kind: want.type, modelPath: want.modelPath, logsDir: want.logDir, ownLogs: true, inDesign: true });
      expect(got.logTasks).toContain(want.expected.taskName);
    }
    const control = spec(evals, 'Llama-3.2-1B-Instruct_base_capitalization_base');
    expect(control.modelPath).toBe(exp.models['Llama-3.2-1B-Instruct']);
    // An eval-only run loads its checkpoint_path: a checkpoint to check, not a base model.
    const evalOnly = spec(evals, 'income_rank8_epoch1_capitalization_base');
    expect(evalOnly).toMatchObject({ kind: 'eval-only', epoch: null });
    expect(await checkModel(evalOnly)).toEqual({ ok: true, path: evalOnly.modelPath });
    expect(await checkModel({ ...evalOnly, modelPath: join(exp.dir, 'gone') })).toMatchObject({ ok: false, reason: `eval-only checkpoint missing: ${join(exp.dir, 'gone')}` });
  });

  it('a missing checkpoint and an adapter whose base model moved are reasons to skip, with the path', async () => {
    const exp = scaffoldToday(join(root(), CAPITALIZATION.name), CAPITALIZATION, {
      missingCheckpoints: ['Llama-3.2-1B-Instruct_rank4/epoch_1'],
      staleAdapterBase: ['Llama-3.2-1B-Instruct_rank8'],
    });
    const { evals } = await discover(exp.dir);
    const missing = spec(evals, 'Llama-3.2-1B-Instruct_rank4_capitalization_epoch1');
    expect(await checkModel(missing)).toEqual({ ok: false, path: missing.modelPath, reason: `checkpoint missing: ${missing.modelPath}` });
    expect(await checkModel(spec(evals, 'Llama-3.2-1B-Instruct_rank4_capitalization_epoch0'))).toMatchObject({ ok: true });
    const stale = await checkModel(spec(evals, 'Llama-3.2-1B-Instruct_rank8_capitalization_epoch0'));
    expect(stale).toMatchObject({ ok: false, reason: expect.stringMatching(/adapter .*rank8\/artifacts\/epoch_0 needs base model .* which does not exist/) });
  });

  it('a planned cell without a script is its own row with the path expected; a cell outside the design is run and noted', async () => {
    const exp = scaffoldToday(join(root(), CAPITALIZATION.name), CAPITALIZATION);
    const gone = exp.evals.find((e) => e.key === 'Llama-3.2-1B-Instruct_rank8_capitalization_epoch1')!;
    rmSync(gone.script);
    const extraDir = join(exp.dir, 'Llama-3.2-1B-Instruct_rank8', 'eval', 'capitalization_epoch7');
    mkdirSync(extraDir, { recursive: true });
    writeFileSync(join(extraDir, 'cell.slurm'), '#!/bin/bash\ninspect eval x.py@capitalization -M model_path="/m/epoch_7" --log-dir ./logs\n');
    const { evals, unscripted } = await discover(exp.dir);
    expect(unscripted).toEqual([{ key: gone.key, run: gone.run, task: 'capitalization', epoch: 1, expected: gone.script }]);
    expect(spec(evals, 'Llama-3.2-1B-Instruct_rank8_capitalization_epoch7').inDesign).toBe(false);
    expect(evals.filter((e) => !e.inDesign)).toHaveLength(1);
  });
});

describe('the seed era (experiment_summary.md, {run}/eval/{task}_epoch{N}.slurm)', () => {
  it.each(['output-base', 'braces', 'literal', 'inline'] as const)('expands the model path of the %s template as the job will see it', async (style) => {
    const exp = scaffoldSeedEra(join(root(), WITH_STATUS_TABLES.name), WITH_STATUS_TABLES, { modelPathStyle: style });
    const { layout, evals, problems } = await discover(exp.dir);
    expect(layout.generation).toBe('seed');
    expect(problems).toEqual([]);
    expect(evals).toHaveLength(exp.evals.length);
    for (const want of exp.evals) {
      expect(spec(evals, want.key)).toMatchObject({ modelPath: want.modelPath, logsDir: want.logDir, ownLogs: false, inDesign: true });
    }
  });

  it('the capitalization design: vis_label task names, shared logs, the control checked as a base model', async () => {
    const exp = scaffoldSeedEra(join(root(), CAPITALIZATION.name), SEED_CAPITALIZATION, { missingCheckpoints: ['Llama-3.2-1B-Instruct_rank8/epoch_0'] });
    const { evals } = await discover(exp.dir);
    for (const want of exp.evals) {
      const got = spec(evals, want.key);
      expect(got.logTasks).toContain(want.expected.taskName);
      expect((await checkModel(got)).ok).toBe(want.checkpointExists !== false);
    }
  });

  it('a script whose model path cannot be expanded is a warning naming it, and the design says where the checkpoint is', async () => {
    const exp = scaffoldSeedEra(join(root(), WITH_STATUS_TABLES.name), WITH_STATUS_TABLES);
    const e = exp.evals.find((x) => x.key === 'r4_reverse_words_epoch1')!;
    writeFileSync(e.script, '#!/bin/bash\nMODEL_PATH="$(cat /tmp/where)/epoch_1"\ncd /x\ninspect eval t.py@reverse_words -M model_path="$MODEL_PATH" --log-dir ./logs\n');
    const { evals, problems } = await discover(exp.dir);
    expect(problems).toHaveLength(1);
    // the script and the line of the inspect call whose -M model_path cannot be expanded
    expect(problems[0]).toContain(`${e.script}:4: cannot expand the model path "$MODEL_PATH"`);
    expect(spec(evals, e.key).modelPath).toBe(join(exp.outputDirBase!, 'ck-out-r4', 'epoch_1'));
  });

  it('finds epoch and control scripts, ignores other names with a note, and survives symlink loops', async () => {
    const dir = root();
    writeFileSync(join(dir, 'experiment_summary.md'), '# Experiment: x\n\n## All Runs\n| Run Name | Type |\n|---|---|\n| r4 | Fine-tuned |\n');
    mkdirSync(join(dir, 'r4', 'eval'), { recursive: true });
    writeFileSync(join(dir, 'r4', 'eval', 'cap_epoch0.slurm'), 'MODEL_PATH="/ck/ck-out-r4/epoch_0"\n');
    writeFileSync(join(dir, 'r4', 'eval', 'notes.slurm'), '');
    symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
    mkdirSync(join(dir, 'r5', 'eval', 'x_epoch1.slurm'), { recursive: true }); // a folder, not a script
    const { evals, problems } = await discover(dir);
    expect(evals.map((e) => [e.key, e.epoch, e.modelPath])).toEqual([['r4_cap_epoch0', 0, '/ck/ck-out-r4/epoch_0']]);
    expect(problems.some((p) => p.includes('notes.slurm') && p.includes('not an eval script name'))).toBe(true);
    expect(problems.some((p) => p.includes('loop') && p.includes('ELOOP'))).toBe(true);
    expect(problems.some((p) => p.includes('x_epoch1.slurm') && p.includes('not a regular file'))).toBe(true);
  });
});

describe('the design file and finding nothing', () => {
  it('when both summaries exist the yaml is the design', () => {
    const exp = scaffoldToday(join(root(), CAPITALIZATION.name), CAPITALIZATION);
    writeFileSync(join(exp.dir, 'experiment_summary.md'), '# Experiment: old\n');
    expect(detectLayout(exp.dir)).toMatchObject({ generation: 'cells', design: join(exp.dir, 'experiment_summary.yaml') });
  });

  it('no design file names both and points at cells it found', () => {
    const exp = scaffoldToday(join(root(), CAPITALIZATION.name), CAPITALIZATION);
    rmSync(join(exp.dir, 'experiment_summary.yaml'));
    expect(() => detectLayout(exp.dir)).toThrow(/no experiment_summary.yaml or experiment_summary.md .*found \d+ \*\/eval\/\*\/cell.slurm/);
  });

  it('no eval script at all says what was searched and what was found instead', async () => {
    const exp = scaffoldSeedEra(join(root(), CAPITALIZATION.name), SEED_CAPITALIZATION);
    writeFileSync(join(exp.dir, 'experiment_summary.yaml'), 'experiment:\n  name: x\nruns:\n  - name: r\n    type: fine-tuned\nevaluation:\n  matrix:\n    - run: r\n      tasks: [cap]\n      epochs: [0, 1]\n');
    const m = { layout: detectLayout(exp.dir), progress: { info() {}, warn() {}, error() {} }, env: {} };
    await expect(loadExperiment(m)).rejects.toThrow(
      /no eval scripts found \(searched \*\/eval\/\*\/cell.slurm; found instead \d+ flat \*\/eval\/\*.slurm scripts .*experiment_summary.yaml plans 2 evals\)/,
    );
  });
});

describe('logTaskNames', () => {
  it('the script name, the task function, and the function with its vis_label suffix', () => {
    expect(logTaskNames('capitalization', '/ck/blueprints/capitalization/inspect_task.py@capitalization', null, 'rank4 (cap_default)')).toEqual([
      'capitalization',
      'capitalization_rank4 (cap_default)',
    ]);
    expect(logTaskNames('acs_income', 'tasks/acs.py@income', null, null)).toEqual(['acs_income', 'acs income', 'income']);
  });
});
