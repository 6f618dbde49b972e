// Builds a real-shaped experiment directory around one of the two example summaries
// (scaffold.mjs: exampleSummary, rendered from a design by renderSummaryMd): the summary
// (checkpoint directory pointed at a temp folder), one folder per run with
// eval/{task}_epoch{N}.slurm scripts in scaffold-inspect's shape with a literal MODEL_PATH, and the
// checkpoints. The eval scripts run fake-inspect.sh or fake-inspect.mjs by absolute path (with its
// outcome and timing on the command line, which the real-cluster tests edit), so they need nothing
// on PATH. For scripts
// faithful to the shape of cruijff_kit's templates use scaffold.mjs (scaffoldSeedEra, scaffoldToday).
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_SHAPES, exampleSummary } from './scaffold.mjs';

export const FAKE_INSPECT = fileURLToPath(new URL('./fake-inspect.mjs', import.meta.url));
/**
 * The same command line run by the temp dir's inspectd (no node start per eval): what the eval
 * scripts call, unless FAKE_INSPECT_NO_SERVICE=1 (the real-cluster tests: inspect runs in the job).
 */
const FAKE_INSPECT_SH = fileURLToPath(new URL('./fake-inspect.sh', import.meta.url));

/**
 * Deprecated: a folder holding `experiments/{with-status-tables,without-status}.md`, the example
 * summaries as rendered now (they used to be read from ../shared/fixtures/). Written once into the
 * temp folder, named after its content. Use exampleSummary() instead.
 */
export const FIXTURES = materializeExamples();

function materializeExamples() {
  const texts = Object.fromEntries(Object.keys(EXAMPLE_SHAPES).map((n) => [n, exampleSummary(n)]));
  const hash = createHash('sha1').update(JSON.stringify(texts)).digest('hex').slice(0, 12);
  const root = join(tmpdir(), `run-inspect-example-summaries-${hash}`);
  const dir = join(root, 'experiments');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(texts)) {
    const file = join(dir, `${name}.md`);
    if (existsSync(file)) continue;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
  return `${root}/`;
}

/** The evals each example summary asks for (field notes §1). */
const LAYOUTS = {
  'with-status-tables': {
    evals: [
      ...['r4', 'r16'].flatMap((run) => [0, 1, 2].map((epoch) => ({ run, task: 'reverse_words', epoch }))),
      { run: 'Llama-3.2-3B_base', task: 'reverse_words', epoch: null },
    ],
  },
  'without-status': {
    evals: [
      ...['1B_lr1e-5', '1B_lr1e-4', '8B_lr1e-5', '8B_lr1e-4'].flatMap((run) =>
        ['acs_income', 'acs_income_calibration'].map((task) => ({ run, task, epoch: 1 })),
      ),
      { run: '1B_base', task: 'acs_income', epoch: null },
    ],
  },
};

export function keyOf(e) {
  return e.epoch === null ? `${e.run}_${e.task}_base` : `${e.run}_${e.task}_epoch${e.epoch}`;
}

/**
 * @param {string} dir the experiment directory to create
 * @param {{fixture?: 'with-status-tables'|'without-status', outcomes?: Record<string,string>,
 *          missingCheckpoints?: string[], seconds?: number, samples?: number, time?: string,
 *          node?: string, evals?: Array<{run:string,task:string,epoch:number|null}>,
 *          gate?: string}} o  gate: a file each eval script waits for before it starts inspect,
 *          so a test decides when evals end instead of guessing a duration that outlasts a load
 */
export function makeExperiment(dir, o = {}) {
  const fixture = o.fixture ?? 'without-status';
  const layout = LAYOUTS[fixture];
  const ckDir = join(dir, '..', `${dir.split('/').pop()}-checkpoints`);
  mkdirSync(dir, { recursive: true });
  const evals = o.evals ?? layout.evals;
  const design = o.evals ? designFor(EXAMPLE_SHAPES[fixture].design, evals) : {};
  writeFileSync(join(dir, 'experiment_summary.md'), exampleSummary(fixture, { checkpointDir: `${ckDir}/`, ...design }));
  // Evals of one run and epoch share a checkpoint: naming one of them leaves it missing for all.
  const missing = new Set(evals.filter((e) => (o.missingCheckpoints ?? []).includes(keyOf(e))).map((e) => modelPathOf(ckDir, e)));
  for (const e of evals) {
    const key = keyOf(e);
    const evalDir = join(dir, e.run, 'eval');
    mkdirSync(evalDir, { recursive: true });
    const modelPath = modelPathOf(ckDir, e);
    if (!missing.has(modelPath)) mkdirSync(modelPath, { recursive: true });
    const script = join(evalDir, e.epoch === null ? `${e.task}_base.slurm` : `${e.task}_epoch${e.epoch}.slurm`);
    writeFileSync(script, evalScript({ ...e, dir, modelPath, outcome: o.outcomes?.[key] ?? 'success', seconds: o.seconds ?? 1, samples: o.samples ?? 10, time: o.time ?? '0:30:00', node: o.node ?? process.execPath, gate: o.gate }));
    chmodSync(script, 0o755);
  }
  return { dir, ckDir, keys: evals.map(keyOf), evals };
}

/**
 * The example's design cut down (or grown) to exactly the evals asked for, so it plans the scripts
 * written and nothing else: no NO_SCRIPT rows, and a run or task the example lacks is added.
 */
function designFor(design, evals) {
  const runNames = [...new Set(evals.map((e) => e.run))];
  const runs = runNames.map((name) => {
    const mine = evals.filter((e) => e.run === name);
    const known = design.runs.find((r) => r.name === name);
    const type = known?.type ?? (mine[0].epoch === null ? 'control' : 'fine-tuned');
    const epochs = [...new Set(mine.map((e) => e.epoch))].filter((n) => n !== null).sort((a, b) => a - b);
    return { ...(known ?? { name }), type, tasks: [...new Set(mine.map((e) => e.task))], ...(type === 'fine-tuned' && { epochs }) };
  });
  const newTasks = [...new Set(evals.map((e) => e.task))].filter((t) => !design.tasks.some((x) => x.name === t));
  return { runs, tasks: [...design.tasks, ...newTasks.map((name) => ({ name, script: `tasks/${name}.py` }))] };
}

function modelPathOf(ckDir, e) {
  return e.epoch === null ? join(ckDir, 'pretrained', 'base-model') : join(ckDir, `ck-out-${e.run}`, `epoch_${e.epoch}`);
}

/** Escaped for bash double quotes, as a careful scaffold would write it. */
const dq = (s) => String(s).replace(/[$`"\\]/g, '\\$&');

const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** scaffold-inspect's template, with fake-inspect standing in for `inspect eval`. */
function evalScript(e) {
  const exit = e.outcome === 'exit1' ? 'exit 1' : 'echo "Evaluation complete"';
  const outcome = e.outcome === 'exit1' ? 'success' : e.outcome;
  return `#!/bin/bash
#SBATCH --job-name=eval-${e.task.replace(/\s/g, '_')}-${e.run.replace(/\s/g, '_')}
#SBATCH --output=slurm-%j.out
#SBATCH --cpus-per-task=1
#SBATCH --mem=1G
#SBATCH --time=${e.time}

MODEL_PATH="${dq(e.modelPath)}"

cd ${q(join(e.dir, e.run, 'eval'))}
${e.gate ? `until [ -e ${q(e.gate)} ]; do sleep 0.1; done\n` : ''}${process.env.FAKE_INSPECT_NO_SERVICE === '1' ? `${q(e.node)} ${q(FAKE_INSPECT)}` : `FAKE_INSPECT_NODE=${q(e.node)} ${q(FAKE_INSPECT_SH)}`} --task ${q(e.task)} --model-path "$MODEL_PATH" --log-dir ./logs --outcome ${outcome} --seconds ${e.seconds} --samples ${e.samples}
${exit}
`;
}
