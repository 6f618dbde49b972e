import { describe, expect, it } from 'vitest';
import { expandOutputPattern, readEvalScript } from '../../src/experiment/script.js';

/** A bash script written as is: backslashes stay; `$\{` stands for `${`, which a template literal cannot hold. */
const bash = (s: TemplateStringsArray) => s.raw.join('').replace(/\$\\\{/g, '${').replace(/^\n/, '');

const ENV = { HOME: '/home/jdoe', USER: 'jdoe' };
const EXP = '/scratch/gpfs/jdoe/ck-projects/capitalization/cap_sweep_2026-03-16';
const RUN = `${EXP}/Llama-3.2-1B-Instruct_rank4`;

describe("today's cell.slurm (the shape cruijff_kit's scaffolding renders, docs/formats.md)", () => {
  // A fine-tuned cell: {run}/eval/capitalization_epoch0/cell.slurm.
  const cell = bash`
#!/bin/bash
#SBATCH --job-name=eval-capitalization-ep0 # the eval job
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=80G # as much RAM as the GPU has
#SBATCH --time=0:10:00 # walltime
#SBATCH --mail-type=begin
#SBATCH --mail-type=end
#SBATCH --mail-user=jdoe@example.edu
#SBATCH --gres=gpu:1 # one GPU
#SBATCH --output=/scratch/gpfs/jdoe/ck-projects/capitalization/cap_sweep_2026-03-16/Llama-3.2-1B-Instruct_rank4/artifacts/epoch_0/slurm-%j.out
#SBATCH --account=msalganik
##SBATCH --partition=<PART>
#SBATCH --constraint=gpu80

module purge
module load anaconda3/2025.6
conda activate cruijff

# GPU metrics, sampled every 30 s while the eval runs
GPU_METRICS_DIR="/scratch/gpfs/jdoe/ck-projects/capitalization/cap_sweep_2026-03-16/Llama-3.2-1B-Instruct_rank4/artifacts/epoch_0"
mkdir -p "$GPU_METRICS_DIR"
nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used,memory.total \
    --format=csv -l 30 > "$\{GPU_METRICS_DIR}/gpu_metrics.csv" 2>/dev/null &
GPU_MONITOR_PID=$!

# compute nodes are offline: no HuggingFace Hub look-ups
export HF_HUB_OFFLINE=1

cd /scratch/gpfs/jdoe/ck-projects/capitalization/cap_sweep_2026-03-16/Llama-3.2-1B-Instruct_rank4/eval/capitalization_epoch0

# /usr/bin/time -p: a wall time in the output that does not depend on inspect's footer
/usr/bin/time -p inspect eval /home/jdoe/cruijff_kit/blueprints/capitalization/inspect_task.py@capitalization \
  --model hf/Llama-3.2-1B-Instruct_rank4_epoch_0 \
  -M model_path="/scratch/gpfs/jdoe/ck-projects/capitalization/cap_sweep_2026-03-16/Llama-3.2-1B-Instruct_rank4/artifacts/epoch_0" \
  -M do_sample=false \
  -T data_path="/home/jdoe/cruijff_kit/tests/fixtures/data/words_5L_80P_10.json" \
  -T config_path="/scratch/gpfs/jdoe/ck-projects/capitalization/cap_sweep_2026-03-16/Llama-3.2-1B-Instruct_rank4/eval/capitalization_epoch0/eval.yaml" \
  -T vis_label="rank4 (cap_default)" \
  -T use_chat_template="true" \
  -T assistant_prefix='"Answer: "' \
  --metadata epoch="0" \
  --metadata is_finetuned="true" \
  --metadata source_model="Llama-3.2-1B-Instruct" \
  --max-connections 32 \
  --seed 14 \
  --log-dir ./logs \
  --log-level info
INSPECT_EXIT_CODE=$?

# the last command: the job ends with wait's exit code
kill $GPU_MONITOR_PID 2>/dev/null
wait $GPU_MONITOR_PID 2>/dev/null
`;

  it('reads every field the way sbatch and bash will', () => {
    expect(readEvalScript(cell, ENV)).toEqual({
      sbatch: {
        output: `${RUN}/artifacts/epoch_0/slurm-%j.out`,
        error: null,
        jobName: 'eval-capitalization-ep0', // the trailing `# ...` is sbatch's comment
        gpus: 1,
        time: '0:10:00',
        chdir: null,
      },
      model: { path: `${RUN}/artifacts/epoch_0`, raw: `"${RUN}/artifacts/epoch_0"`, source: 'model_path arg', unresolved: [] },
      taskSpec: '/home/jdoe/cruijff_kit/blueprints/capitalization/inspect_task.py@capitalization',
      taskArgs: {
        data_path: '/home/jdoe/cruijff_kit/tests/fixtures/data/words_5L_80P_10.json',
        config_path: `${RUN}/eval/capitalization_epoch0/eval.yaml`,
        vis_label: 'rank4 (cap_default)',
        use_chat_template: 'true',
        assistant_prefix: '"Answer: "', // shell quotes gone, YAML quotes passed on to inspect
      },
      workDir: `${RUN}/eval/capitalization_epoch0`,
      logDir: './logs',
      warnings: [],
    });
  });

  it('reads a 4-GPU cell (Llama-3.3-70B: --gres=gpu:4 and -M device="auto")', () => {
    const big = cell
      .replace('#SBATCH --gres=gpu:1 # one GPU', '#SBATCH --gres=gpu:4 # one GPU')
      .replace('  -M do_sample=false \\\n', '  -M do_sample=false \\\n  -M device="auto" \\\n');
    expect(big).toContain('-M device="auto"');
    const read = readEvalScript(big, ENV);
    expect(read.sbatch.gpus).toBe(4);
    expect(read.model?.path).toBe(`${RUN}/artifacts/epoch_0`);
    expect(read.warnings).toEqual([]);
  });
});

describe('the seed-era template (scaffold-inspect agent, 2025-11-21)', () => {
  const fineTuned = bash`
#!/bin/bash
#SBATCH --job-name=eval-capitalization-rank8_lr1e-5
#SBATCH --output=slurm-%j.out
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=4
#SBATCH --mem=32G
#SBATCH --time=0:30:00
#SBATCH --gres=gpu:1
#SBATCH --account=msalganik

# Load environment
module load anaconda3/2025.6
conda activate cruijff

# Set model and config paths
OUTPUT_BASE="/scratch/gpfs/MSALGANIK/niznik/ck-outputs/ck-out-rank8_lr1e-5"
MODEL_PATH="$OUTPUT_BASE/epoch_0"
CONFIG_PATH="$OUTPUT_BASE/setup_finetune.yaml"

# Run inspect-ai evaluation
cd /scratch/gpfs/MSALGANIK/niznik/cap_4L_lora_lr_sweep_2025-10-22/rank8_lr1e-5/eval

inspect eval /home/niznik/cruijff_kit/experiments/capitalization/inspect_task_capitalization.py@capitalization \
  --model hf/local \
  -M model_path="$MODEL_PATH" \
  -T config_path="$CONFIG_PATH" \
  --log-dir ./logs \
  --log-level info

echo "Evaluation complete"
`;

  it('expands OUTPUT_BASE into MODEL_PATH and the inspect line', () => {
    const read = readEvalScript(fineTuned, ENV);
    expect(read.model).toEqual({
      path: '/scratch/gpfs/MSALGANIK/niznik/ck-outputs/ck-out-rank8_lr1e-5/epoch_0',
      raw: '"$MODEL_PATH"',
      source: 'model_path arg',
      unresolved: [],
    });
    expect(read.taskSpec).toBe('/home/niznik/cruijff_kit/experiments/capitalization/inspect_task_capitalization.py@capitalization');
    expect(read.taskArgs).toEqual({ config_path: '/scratch/gpfs/MSALGANIK/niznik/ck-outputs/ck-out-rank8_lr1e-5/setup_finetune.yaml' });
    expect(read.workDir).toBe('/scratch/gpfs/MSALGANIK/niznik/cap_4L_lora_lr_sweep_2025-10-22/rank8_lr1e-5/eval');
    expect(read.logDir).toBe('./logs');
    expect(read.sbatch).toEqual({ output: 'slurm-%j.out', error: null, jobName: 'eval-capitalization-rank8_lr1e-5', gpus: 1, time: '0:30:00', chdir: null });
    expect(read.warnings).toEqual([]);
  });

  it('reads the braced form and the control run (base model, eval_config.yaml, -T dataset_path)', () => {
    const braced = fineTuned.replace('MODEL_PATH="$OUTPUT_BASE/epoch_0"', 'MODEL_PATH="${OUTPUT_BASE}/epoch_2"');
    expect(readEvalScript(braced, ENV).model?.path).toBe('/scratch/gpfs/MSALGANIK/niznik/ck-outputs/ck-out-rank8_lr1e-5/epoch_2');

    const control = bash`
#!/bin/bash
#SBATCH --job-name=eval-capitalization-Llama-3.2-1B-Instruct_base
#SBATCH --output=slurm-%j.out
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=4
#SBATCH --mem=32G
#SBATCH --time=0:30:00
#SBATCH --gres=gpu:1

# Load environment
module load anaconda3/2025.6
conda activate cruijff

# Set model and config paths
MODEL_PATH="/scratch/gpfs/MSALGANIK/pretrained-llms/Llama-3.2-1B-Instruct"
CONFIG_PATH="/scratch/gpfs/MSALGANIK/niznik/cap_sweep/Llama-3.2-1B-Instruct_base/eval_config.yaml"

# Run inspect-ai evaluation
cd /scratch/gpfs/MSALGANIK/niznik/cap_sweep/Llama-3.2-1B-Instruct_base/eval

inspect eval /home/niznik/cruijff_kit/experiments/capitalization/inspect_task_capitalization.py@capitalization \
  --model hf/local \
  -M model_path="$MODEL_PATH" \
  -T dataset_path="/scratch/gpfs/MSALGANIK/niznik/data/words_4L_80P_300.json" \
  -T system_prompt="You are a helpful assistant. Reply with \"only\" the word; it costs \$0." \
  --log-dir ./logs \
  --log-level info

echo "Evaluation complete"
`;
    const read = readEvalScript(control, ENV);
    expect(read.model?.path).toBe('/scratch/gpfs/MSALGANIK/pretrained-llms/Llama-3.2-1B-Instruct');
    expect(read.taskArgs).toEqual({
      dataset_path: '/scratch/gpfs/MSALGANIK/niznik/data/words_4L_80P_300.json',
      system_prompt: 'You are a helpful assistant. Reply with "only" the word; it costs $0.',
    });
    expect(read.warnings).toEqual([]);
  });

  it('reads the CONFIG_DIR variant of the same day (-T config_dir="$CONFIG_DIR", CONFIG_DIR="$MODEL_PATH")', () => {
    const script = fineTuned
      .replace('OUTPUT_BASE="/scratch/gpfs/MSALGANIK/niznik/ck-outputs/ck-out-rank8_lr1e-5"\n', '')
      .replace('MODEL_PATH="$OUTPUT_BASE/epoch_0"', 'MODEL_PATH="/scratch/gpfs/MSALGANIK/niznik/ck-outputs/ck-out-rank8_lr1e-5/epoch_1"')
      .replace('CONFIG_PATH="$OUTPUT_BASE/setup_finetune.yaml"', 'CONFIG_DIR="$MODEL_PATH"')
      .replace('-T config_path="$CONFIG_PATH"', '-T config_dir="$CONFIG_DIR"');
    const read = readEvalScript(script, ENV);
    expect(read.model?.path).toBe('/scratch/gpfs/MSALGANIK/niznik/ck-outputs/ck-out-rank8_lr1e-5/epoch_1');
    expect(read.taskArgs).toEqual({ config_dir: '/scratch/gpfs/MSALGANIK/niznik/ck-outputs/ck-out-rank8_lr1e-5/epoch_1' });
  });
});

describe('older hand-written eval scripts', () => {
  it("takes an exported, single-quoted MODEL_PATH passed unquoted to -M, and ${VAR:-default} from env", () => {
    const script = bash`
#!/bin/bash
#SBATCH -J cap-r8-ep1
#SBATCH -o logs/%x-%j.out
#SBATCH -e logs/%x-%j.err
#SBATCH -t 01:00:00
#SBATCH --gpus-per-node=a100:2

CK_ROOT=$\{CK_ROOT:-/scratch/gpfs/$USER/ck-outputs}
export MODEL_PATH='/scratch/gpfs/jdoe/ck-outputs/ck-out-r8/epoch_1'
EPOCH=1

cd "$CK_ROOT"/r8/eval
HF_HUB_OFFLINE=1 inspect eval cap_task.py@cap_task --model hf/local -M model_path=$MODEL_PATH \
    -T epoch=$\{EPOCH} --log-dir="$CK_ROOT/r8/eval/logs/"
`;
    const read = readEvalScript(script, ENV);
    expect(read.sbatch).toEqual({ output: 'logs/%x-%j.out', error: 'logs/%x-%j.err', jobName: 'cap-r8-ep1', gpus: 2, time: '01:00:00', chdir: null });
    expect(read.model).toMatchObject({ path: '/scratch/gpfs/jdoe/ck-outputs/ck-out-r8/epoch_1', raw: '$MODEL_PATH', source: 'model_path arg' });
    expect(read.workDir).toBe('/scratch/gpfs/jdoe/ck-outputs/r8/eval');
    expect(read.taskSpec).toBe('cap_task.py@cap_task');
    expect(read.taskArgs).toEqual({ epoch: '1' });
    expect(read.logDir).toBe('/scratch/gpfs/jdoe/ck-outputs/r8/eval/logs'); // inspect strips the slash
    expect(readEvalScript(script, { ...ENV, CK_ROOT: '/data/ck' }).workDir).toBe('/data/ck/r8/eval');
  });

  it('takes MODEL_PATH when the inspect line has no -M model_path, and a literal -M model_path without MODEL_PATH', () => {
    const variableOnly = bash`
#!/bin/bash
#SBATCH --output=slurm-%j.out
MODEL_PATH=/scratch/gpfs/jdoe/ck-outputs/ck-out-r16/epoch_0 # trailing comment
inspect eval cap.py --model hf/local --model-config model.yaml
`;
    expect(readEvalScript(variableOnly, ENV).model).toEqual({
      path: '/scratch/gpfs/jdoe/ck-outputs/ck-out-r16/epoch_0',
      raw: '/scratch/gpfs/jdoe/ck-outputs/ck-out-r16/epoch_0',
      source: 'MODEL_PATH',
      unresolved: [],
    });

    const argOnly = 'inspect eval cap.py --model hf/local -M model_path="/models/Llama 3 (base)"\n';
    expect(readEvalScript(argOnly, ENV).model).toEqual({ path: '/models/Llama 3 (base)', raw: '"/models/Llama 3 (base)"', source: 'model_path arg', unresolved: [] });
    expect(readEvalScript('echo "no model here"\n', ENV).model).toBeNull();
  });

  it('keeps a relative model path relative (the caller resolves it against workDir)', () => {
    const read = readEvalScript('cd eval\ninspect eval cap.py -M model_path=../ck-out-r4/epoch_0\n', ENV);
    expect(read.model?.path).toBe('../ck-out-r4/epoch_0');
    expect(read.workDir).toBe('eval');
  });

  it('uses the assignment in force when the inspect line runs: the last before it, one inside an if too', () => {
    const script = bash`
MODEL_PATH=/ck/first
MODEL_PATH=/ck/second
if [ -d /ck/override ]; then MODEL_PATH=/ck/override; fi
inspect eval cap.py -M model_path="$MODEL_PATH"
MODEL_PATH=/ck/after
`;
    expect(readEvalScript(script, ENV).model?.path).toBe('/ck/override');
  });

  it('says MODEL_PATH and -M model_path disagree, and takes what inspect loads', () => {
    const read = readEvalScript('MODEL_PATH=/ck/a\ninspect eval cap.py -M model_path=/ck/b\n', ENV);
    expect(read.model?.path).toBe('/ck/b');
    expect(read.warnings).toEqual(['MODEL_PATH is /ck/a but inspect loads /ck/b (-M model_path)']);
  });
});

describe('what cannot be expanded is reported, never guessed', () => {
  const withModelPath = (assignment: string) => `#!/bin/bash\n${assignment}\ninspect eval cap.py --model hf/local -M model_path="$MODEL_PATH"\n`;

  it.each([
    ['OUTPUT_BASE=$(dirname "$0")/..\nMODEL_PATH="$OUTPUT_BASE/epoch_0"', ['$(dirname "$0")']],
    ['MODEL_PATH=`pwd`/epoch_0', ['`pwd`']],
    ['MODEL_PATH=/ck/epoch_$((N + 1))', ['$((N + 1))']],
    ['RUN=ck-out-r4.tar\nMODEL_PATH=/ck/${RUN%.tar}/epoch_0', ['${RUN%.tar}']],
    ['MODEL_PATH=$SCRATCH/ck/epoch_0', ['$SCRATCH (not set)']],
    ['MODEL_PATH=/ck/job_$SLURM_JOB_ID', ['$SLURM_JOB_ID (set by Slurm when the job starts)']],
    ['MODEL_PATH=$1', ['$1']],
    ['MODEL_PATH=~other/ck', ['~other']],
  ])('%s', (assignment, unresolved) => {
    const read = readEvalScript(withModelPath(assignment), { HOME: '/home/jdoe', SLURM_JOB_ID: '999' });
    expect(read.model).toEqual({ path: null, raw: '"$MODEL_PATH"', source: 'model_path arg', unresolved });
  });

  it("does not take the caller's own SLURM_SUBMIT_DIR; takes the submit folder when given", () => {
    const script = 'cd "$SLURM_SUBMIT_DIR/eval"\ninspect eval cap.py -M model_path="$PWD/../ck/epoch_0"\n';
    const env = { ...ENV, SLURM_SUBMIT_DIR: '/home/jdoe/monitor' };
    const blind = readEvalScript(script, env);
    expect(blind.workDir).toBeNull();
    expect(blind.model).toMatchObject({ path: null, unresolved: ['$SLURM_SUBMIT_DIR (set by Slurm when the job starts)'] });
    expect(blind.warnings).toEqual(['cannot follow `cd` ($SLURM_SUBMIT_DIR (set by Slurm when the job starts)): relative paths are read from the submit folder']);

    const seeing = readEvalScript(script, env, '/scratch/exp/r4');
    expect(seeing.workDir).toBe('/scratch/exp/r4/eval');
    expect(seeing.model?.path).toBe('/scratch/exp/r4/eval/../ck/epoch_0'); // bash does not tidy a string
    expect(seeing.warnings).toEqual([]);
  });

  it('warns about an unexpandable task, -T value or log folder', () => {
    const read = readEvalScript('inspect eval "$TASK" -T data_path=$(ls /data | head -1) --log-dir "$LOGS"\n', ENV);
    expect(read.taskSpec).toBeNull();
    expect(read.taskArgs).toEqual({});
    expect(read.logDir).toBeNull();
    expect(read.warnings).toEqual([
      'cannot expand data_path=$(ls /data | head -1) ($(ls /data | head -1))',
      'cannot expand "$LOGS" ($LOGS (not set))',
      'cannot expand "$TASK" ($TASK (not set))',
    ]);
  });
});

describe('bash expansion', () => {
  const taskArgsOf = (lines: string) => readEvalScript(`${lines}\ninspect eval cap.py -T v="$V"\n`, ENV).taskArgs.v;

  it('applies ${VAR:-x} ${VAR-x} ${VAR:=x} ${VAR:+x} to empty and unset variables', () => {
    expect(taskArgsOf('E=\nV=${E:-dflt}')).toBe('dflt');
    expect(taskArgsOf('E=\nV=[${E-dflt}]')).toBe('[]');
    expect(taskArgsOf('V=${UNSET-dflt}')).toBe('dflt');
    expect(taskArgsOf(': ${D:=/made/here}\nV=$D')).toBe('/made/here');
    expect(taskArgsOf('S=1\nV=[${S:+set}][${UNSET:+set}]')).toBe('[set][]');
    expect(taskArgsOf('V=~/ck:$HOME')).toBe('/home/jdoe/ck:/home/jdoe');
    expect(taskArgsOf('A=x\nA+=y\nV=$A')).toBe('xy');
  });

  it('unquotes words as bash does: single, double and backslash quoting, concatenated', () => {
    expect(taskArgsOf(`V='it'"'"'s $HOME'`)).toBe("it's $HOME");
    expect(taskArgsOf('V="a \\"b\\" \\$c \\\\ \\d"')).toBe('a "b" $c \\ \\d');
    expect(taskArgsOf('V=a\\ b\\$c')).toBe('a b$c');
    expect(taskArgsOf('V=$USER@$HOSTNAME_UNSET_OK')).toBeUndefined(); // an unset variable: not guessed
    expect(taskArgsOf('V="cost: 5$"')).toBe('cost: 5$');
  });

  it('splits unquoted expansions into words and drops one that expands to nothing', () => {
    const script = bash`
EXTRA=""
T_ARGS="-T split=test -T vis_label=r4"
inspect eval cap.py $EXTRA $T_ARGS --log-dir logs
`;
    const read = readEvalScript(script, ENV);
    expect(read.taskArgs).toEqual({ split: 'test', vis_label: 'r4' });
    expect(read.taskSpec).toBe('cap.py');
    expect(read.warnings).toEqual([]);
  });

  it('follows cd: absolute, relative, .., and --chdir as the starting folder', () => {
    expect(readEvalScript('cd /a/b\ncd ../c/\ncd d\ninspect eval t.py\n', ENV).workDir).toBe('/a/c/d');
    expect(readEvalScript('#SBATCH -D /work/exp\ncd r4 || exit 1\ninspect eval t.py\n', ENV).workDir).toBe('/work/exp/r4');
    expect(readEvalScript('cd\ninspect eval t.py\n', ENV).workDir).toBe('/home/jdoe');
    expect(readEvalScript('inspect eval t.py\n', ENV).workDir).toBeNull();
  });
});

describe('the inspect command', () => {
  it.each([
    ['time -p inspect eval t.py -M model_path=/m'],
    ['srun --gres=gpu:1 -n 1 inspect eval t.py -M model_path=/m'],
    ['exec inspect eval t.py -M model_path=/m'],
    ['env HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 inspect eval t.py -M model_path=/m'],
    ['/home/jdoe/.conda/envs/ck/bin/inspect eval t.py -M model_path=/m 2>&1 | tee eval.log'],
    ['if inspect eval t.py -Mmodel_path=/m; then echo ok; fi'],
    ['inspect eval --model hf/local -M model_path=/m --no-log-samples --epochs 2 t.py'],
  ])('is found in: %s', (line) => {
    const read = readEvalScript(`#!/bin/bash\n${line}\n`, ENV);
    expect(read.taskSpec).toBe('t.py');
    expect(read.model?.path).toBe('/m');
    expect(read.warnings).toEqual([]);
  });

  it('is not found in an echo, a comment or a here-document', () => {
    const script = bash`
echo "running inspect eval t.py -M model_path=/wrong"
# inspect eval t.py -M model_path=/wrong \
cat > notes.txt <<'EOF'
inspect eval t.py -M model_path=/wrong
EOF
inspect eval real.py -M model_path=/right
`;
    const read = readEvalScript(script, ENV);
    expect(read.taskSpec).toBe('real.py');
    expect(read.model?.path).toBe('/right');
  });

  it('warns when there is none, or more than one, or several task arguments', () => {
    expect(readEvalScript('MODEL_PATH=/ck/e0\necho hi\n', ENV)).toMatchObject({ taskSpec: null, warnings: [], model: { path: '/ck/e0', source: 'MODEL_PATH' } });
    expect(readEvalScript('inspect eval a.py\ninspect eval b.py\n', ENV)).toMatchObject({ taskSpec: 'a.py', warnings: ['2 `inspect eval` commands: reading the first'] });
    expect(readEvalScript('inspect eval a.py b.py\n', ENV).warnings).toEqual(['inspect eval has 2 task arguments (a.py b.py): reading the first']);
  });

  it('takes the log folder from INSPECT_LOG_DIR when there is no --log-dir, if the command sees it', () => {
    expect(readEvalScript('export INSPECT_LOG_DIR=/logs/a\ninspect eval t.py\n', ENV).logDir).toBe('/logs/a');
    expect(readEvalScript('INSPECT_LOG_DIR=/logs/b inspect eval t.py\n', ENV).logDir).toBe('/logs/b');
    expect(readEvalScript('INSPECT_LOG_DIR=/logs/c\ninspect eval t.py\n', ENV).logDir).toBeNull(); // not exported
    expect(readEvalScript('inspect eval t.py\n', { INSPECT_LOG_DIR: '/logs/d' }).logDir).toBe('/logs/d');
  });
});

describe('#SBATCH directives', () => {
  it('reads short and long forms, quotes and comments as sbatch does; the last one wins', () => {
    const script = bash`
#!/bin/bash
# A comment line and a blank line do not end the directives.

#SBATCH -o first.out
#SBATCH --output "run 1/%x.out"  # quoted, then a comment
#SBATCH --error=err\ %j.log
#SBATCH --job-name='cap eval'
##SBATCH --job-name=commented-out
#SBATCH -G 2 -t 2:00:00
#SBATCH --gres=gpu:a100:3,tmpfs:10G
#SBATCH -D /scratch/exp
module load anaconda3/2025.6
#SBATCH --time=9:00:00
  #SBATCH --mem=1G
inspect eval t.py
`;
    const read = readEvalScript(script, ENV);
    expect(read.sbatch).toEqual({ output: 'run 1/%x.out', error: 'err %j.log', jobName: 'cap eval', gpus: 3, time: '2:00:00', chdir: '/scratch/exp' });
    expect(read.warnings).toEqual(['line 13: sbatch ignores #SBATCH after the first command', 'line 14: sbatch ignores an indented #SBATCH']);
  });

  it('reads the GPU count from each way of asking', () => {
    const gpus = (line: string) => readEvalScript(`#SBATCH ${line}\n`, ENV).sbatch.gpus;
    expect(gpus('--gres=gpu')).toBe(1);
    expect(gpus('--gres=gpu:a100')).toBe(1);
    expect(gpus('--gres=gpu:2')).toBe(2);
    expect(gpus('--gpus=h100:8')).toBe(8);
    expect(gpus('--gpus-per-node=4')).toBe(4);
    expect(gpus('--gres=tmpfs:10G')).toBeNull();
    expect(gpus('--output=none')).toBeNull();
    expect(readEvalScript('#SBATCH --output=NONE\n', ENV).sbatch.output).toBe('/dev/null');
  });

  it('warns about what sbatch refuses: DOS line breaks, an unmatched quote', () => {
    expect(readEvalScript('#!/bin/bash\r\n#SBATCH -J x\r\ninspect eval t.py\r\n', ENV)).toMatchObject({
      sbatch: { jobName: 'x' },
      taskSpec: 't.py',
      warnings: ['has DOS line breaks (\\r\\n): sbatch refuses to submit it'],
    });
    expect(readEvalScript('#SBATCH --job-name="x\ninspect eval t.py\n', ENV).warnings).toEqual(['line 1: unmatched " in #SBATCH: sbatch refuses the script']);
  });

  it('stops at an unterminated quote in the script, as bash does', () => {
    const read = readEvalScript('MODEL_PATH=/ck/e0\necho "unclosed\ninspect eval t.py\n', ENV);
    expect(read.taskSpec).toBeNull();
    expect(read.warnings).toEqual(['line 2: unterminated quote or expansion: bash stops with a syntax error']);
  });
});

describe('expandOutputPattern', () => {
  const job = { jobId: '4511223', jobName: 'eval-capitalization-ep0', user: 'jdoe', submitDir: '/scratch/exp/r4/eval' };

  it('expands the job fields and resolves a relative pattern against the submit folder', () => {
    expect(expandOutputPattern('slurm-%j.out', job)).toBe('/scratch/exp/r4/eval/slurm-4511223.out');
    expect(expandOutputPattern('/ck/artifacts/epoch_0/slurm-%j.out', job)).toBe('/ck/artifacts/epoch_0/slurm-4511223.out');
    expect(expandOutputPattern('logs/%x_%u_%J.out', job)).toBe('/scratch/exp/r4/eval/logs/eval-capitalization-ep0_jdoe_4511223.out');
    expect(expandOutputPattern('%10j-%3t-%n-%%j.out', job)).toBe('/scratch/exp/r4/eval/0004511223-000-0-%j.out');
  });

  it('expands array fields, and what sbatch writes outside an array', () => {
    expect(expandOutputPattern('%A_%a_%b.out', { ...job, arrayJobId: '4511000', arrayTaskId: '17' })).toBe('/scratch/exp/r4/eval/4511000_17_7.out');
    expect(expandOutputPattern('%A_%a.out', job)).toBe('/scratch/exp/r4/eval/4511223_4294967294.out');
  });

  it('leaves %N until the node is known and %s as written; a backslash turns expansion off', () => {
    expect(expandOutputPattern('%N-%s-%q.out', job)).toBe('/scratch/exp/r4/eval/%N-%s-%q.out');
    expect(expandOutputPattern('%N.out', { ...job, node: 'della-l05g3' })).toBe('/scratch/exp/r4/eval/della-l05g3.out');
    expect(expandOutputPattern('slurm-\\%j.out', job)).toBe('/scratch/exp/r4/eval/slurm-%j.out');
  });

  it("resolves against the script's --chdir", () => {
    expect(expandOutputPattern('slurm-%j.out', { ...job, chdir: '../logs' })).toBe('/scratch/exp/r4/logs/slurm-4511223.out');
    expect(expandOutputPattern('slurm-%j.out', { ...job, chdir: '/tmp/w' })).toBe('/tmp/w/slurm-4511223.out');
  });
});
