#!/usr/bin/env node
// A stand-in for `inspect eval` in test and demo eval scripts: writes a real-shaped inspect-ai
// `.eval` log (a zip: _journal/start.json, _journal/summaries/N.json while running, header.json at
// the end) and, like inspect, exits 0 even when the task ends in error.
//
// Two ways in:
//   - this file as a command (the scripts of make-experiment.mjs):
//       fake-inspect.mjs --task T --model-path P --log-dir DIR [--outcome success|error|cancelled|crash|hang]
//                        [--samples N] [--seconds S] [--accuracy A]
//   - fakeInspect(options) (fake-bin/inspect, which parses the real `inspect eval` command line:
//     see scaffold/inspect-cli.mjs), with what inspect records: the task's own name, task file,
//     model, model/task args, metadata, scores.
// Only node: built-ins, so it runs on a compute node with plain node.
import { mkdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { zip } from './zip-writer.mjs';

/** inspect-ai's clean_filename_component (src/inspect_ai/_util/file.py): `_ / : +` become `-`. */
export function cleanFilenameComponent(s) {
  return String(s).replace(/[_/:+]/g, '-');
}

/** Local time with its UTC offset, to the second, as inspect's `created` (`2025-02-11T15:18:04-05:00`). */
function isoLocal(d = new Date()) {
  const pad = (n) => String(Math.abs(n)).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

/** A shortuuid-like id (22 characters of base57), as inspect's task_id / run_id. */
function shortId() {
  const alphabet = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  return Array.from({ length: 22 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}

export const DEFAULT_ERROR = 'ValueError: tokenizer config not found in checkpoint';
export const DEFAULT_CRASH = "ModuleNotFoundError: No module named 'peft'";

/** A Python traceback as inspect prints one for an uncaught exception (the last line is `message`). */
export function pythonTraceback(message, frames = []) {
  const at = frames.length
    ? frames
    : [
        ['/opt/conda/envs/cruijff/bin/inspect', 8, '<module>', 'sys.exit(main())'],
        ['/opt/conda/envs/cruijff/lib/python3.11/site-packages/inspect_ai/_cli/eval.py', 1006, 'eval_command', 'success = eval_exec('],
        ['/opt/conda/envs/cruijff/lib/python3.11/site-packages/inspect_ai/model/_providers/hf.py', 112, '__init__', 'self.model = AutoModelForCausalLM.from_pretrained('],
      ];
  return ['Traceback (most recent call last):', ...at.flatMap(([file, line, fn, code]) => [`  File "${file}", line ${line}, in ${fn}`, `    ${code}`]), message].join('\n');
}

/**
 * Runs one fake evaluation: writes the log as inspect does while it runs, then returns the exit
 * code inspect would have (0 also when the task ends in error; 1 for an uncaught exception).
 *
 * @param {object} o
 * @param {string} o.taskName      the name the task gives itself (eval.task; the log file name)
 * @param {string} [o.taskFile]    eval.task_file (the TASKSPEC's file part)
 * @param {string} [o.taskRegistryName] eval.task_registry_name (the @task function)
 * @param {string} [o.model]       eval.model (default hf/local)
 * @param {Record<string, unknown>} [o.modelArgs] eval.model_args (model_path expanded)
 * @param {Record<string, unknown>} [o.taskArgs]  eval.task_args
 * @param {Record<string, unknown>} [o.metadata]  eval.metadata (--metadata)
 * @param {Record<string, unknown>} [o.planConfig] plan.config (max_connections, seed, ...)
 * @param {string} o.logDir
 * @param {'success'|'error'|'cancelled'|'crash'|'hang'|'exit1'} [o.outcome]
 *   exit1: a finished success log, then exit 1 (an exception after the log was written)
 * @param {number} [o.samples] @param {number} [o.seconds]
 * @param {Array<{name: string, accuracy: number, stderr: number}>} [o.scores] default one `match` scorer
 * @param {string} [o.errorMessage] header.error.message for `error`
 * @param {string} [o.crashMessage] last traceback line for `crash`
 * @param {'inspect'|'legacy'} [o.fileNaming] inspect's `{created}_{task}_{id}.eval` with its
 *   cleaning, or this file's older `{ISO time}_{task}_{id}.eval`
 * @param {(line: string) => void} [o.out] @param {(line: string) => void} [o.err]
 * @param {AbortSignal} [o.signal] stops the evaluation where it is, as killing inspect would
 * @returns {Promise<{ exitCode: number, file: string }>}
 */
export async function fakeInspect(o) {
  const out = o.out ?? ((l) => process.stdout.write(`${l}\n`));
  const err = o.err ?? ((l) => process.stderr.write(`${l}\n`));
  const wait = (ms) => sleep(ms, undefined, { signal: o.signal });
  const outcome = o.outcome ?? 'success';
  const total = Number(o.samples ?? 10);
  const seconds = Number(o.seconds ?? 1);
  const legacy = o.fileNaming === 'legacy';
  const now = new Date();
  const created = legacy ? now.toISOString() : isoLocal(now);
  const id = legacy ? Math.random().toString(36).slice(2, 12) : shortId();
  mkdirSync(o.logDir, { recursive: true });
  const file = legacy
    ? join(o.logDir, `${created.replace(/[:.]/g, '-')}_${o.taskName}_${id}.eval`)
    : join(o.logDir, `${cleanFilenameComponent(created)}_${cleanFilenameComponent(o.taskName.split('/').pop())}_${cleanFilenameComponent(id)}.eval`);

  const evalSpec = legacy
    ? {
        // what this file wrote before fake-bin/inspect existed: kept for make-experiment.mjs
        run_id: id,
        created,
        task: o.taskName,
        task_id: id,
        task_version: 0,
        task_args: o.taskArgs ?? {},
        dataset: { name: o.taskName, samples: total },
        model: o.model ?? 'hf/local',
        model_args: o.modelArgs ?? {},
        config: { epochs: 1 },
      }
    : {
        run_id: shortId(),
        created,
        task: o.taskName,
        task_id: id,
        task_version: 0,
        ...(o.taskFile ? { task_file: o.taskFile } : {}),
        ...(o.taskRegistryName ? { task_registry_name: o.taskRegistryName } : {}),
        task_attribs: {},
        task_args: o.taskArgs ?? {},
        dataset: { name: o.datasetName ?? o.taskName, samples: total, sample_ids: Array.from({ length: total }, (_, i) => i + 1), shuffled: false },
        model: o.model ?? 'hf/local',
        model_args: o.modelArgs ?? {},
        config: { epochs: 1 },
        ...(o.metadata && Object.keys(o.metadata).length ? { metadata: o.metadata } : {}),
        packages: { inspect_ai: '0.3.140' },
      };
  const plan = legacy ? { name: 'plan', steps: [] } : { name: 'plan', steps: [{ solver: 'generate', params: {} }], config: o.planConfig ?? {} };
  const start = { version: 2, eval: evalSpec, plan };

  const write = (members) => {
    writeFileSync(`${file}.tmp`, zip(members));
    renameSync(`${file}.tmp`, file);
  };

  const members = [['_journal/start.json', JSON.stringify(start)]];
  write(members);
  if (!legacy) err(`[${new Date().toISOString().slice(11, 19)}] INFO     Running task ${o.taskName} (${total} samples): ${evalSpec.model}`);
  const chunks = 2;
  for (let c = 1; c <= chunks; c++) {
    await wait((seconds * 1000) / (chunks + 1));
    const from = Math.floor(((c - 1) * total) / chunks);
    const to = Math.floor((c * total) / chunks);
    const summaries = Array.from({ length: to - from }, (_, i) => ({ id: from + i + 1, epoch: 1, input: 'x', target: 'y', scores: {} }));
    members.push([`_journal/summaries/${c}.json`, JSON.stringify(summaries)]);
    write(members);
  }
  if (outcome === 'hang') await wait(3_600_000);
  if (outcome === 'crash') {
    err(legacy ? 'Traceback (most recent call last): RuntimeError: CUDA out of memory' : pythonTraceback(o.crashMessage ?? DEFAULT_CRASH));
    return { exitCode: 1, file };
  }
  await wait((seconds * 1000) / (chunks + 1));
  const status = outcome === 'exit1' ? 'success' : outcome;
  const scores = (o.scores ?? [{ name: 'match', accuracy: Number(o.accuracy ?? 0.8), stderr: Number(o.stderr ?? 0.011) }]).map((s) => ({
    name: s.name,
    scorer: s.name,
    params: {},
    metrics: { accuracy: { name: 'accuracy', value: s.accuracy, params: {} }, stderr: { name: 'stderr', value: s.stderr, params: {} } },
  }));
  const errorMessage = o.errorMessage ?? DEFAULT_ERROR;
  const header = {
    version: 2,
    status,
    eval: evalSpec,
    plan,
    results: status === 'success' ? { total_samples: total, completed_samples: total, scores } : undefined,
    stats: { started_at: created, completed_at: legacy ? new Date().toISOString() : isoLocal(), model_usage: {} },
    error: status === 'error' ? { message: errorMessage, traceback: pythonTraceback(errorMessage), traceback_ansi: '' } : undefined,
  };
  members.push(['header.json', JSON.stringify(header)]);
  write(members);
  if (legacy) {
    out(`inspect log: ${file}`);
  } else {
    const elapsed = Math.round((Date.now() - now.getTime()) / 1000);
    const hms = `${Math.floor(elapsed / 3600)}:${String(Math.floor(elapsed / 60) % 60).padStart(2, '0')}:${String(elapsed % 60).padStart(2, '0')}`;
    out(`${o.taskName} (${total} samples): ${evalSpec.model}`);
    out(`total time:  ${hms}`);
    if (status === 'success') out(scores.map((s) => `${s.name}/accuracy: ${s.metrics.accuracy.value}  ${s.name}/stderr: ${s.metrics.stderr.value}`).join('\n'));
    if (status === 'error') err(pythonTraceback(errorMessage));
    out(`Log: ${file}`);
  }
  if (outcome === 'exit1') {
    err(pythonTraceback('RuntimeError: Event loop is closed'));
    return { exitCode: 1, file };
  }
  return { exitCode: 0, file };
}

/**
 * This file's own command line (the scripts of make-experiment.mjs); `io` is where the caller's
 * process is (inspectd.mjs), or this process. Resolves to the exit code.
 */
export async function fakeInspectCli(argv, io = processIo()) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      task: { type: 'string' },
      'model-path': { type: 'string' },
      'log-dir': { type: 'string', default: './logs' },
      outcome: { type: 'string', default: 'success' },
      samples: { type: 'string', default: '10' },
      seconds: { type: 'string', default: '1' },
      accuracy: { type: 'string', default: '0.8' },
    },
  });
  const r = await fakeInspect({
    taskName: o.task,
    logDir: resolve(io.cwd, o['log-dir']),
    outcome: o.outcome,
    samples: Number(o.samples),
    seconds: Number(o.seconds),
    accuracy: Number(o.accuracy),
    model: 'hf/local',
    modelArgs: { model_path: o['model-path'] },
    taskArgs: { config_dir: o['model-path'] },
    fileNaming: 'legacy',
    out: (l) => io.out(`${l}\n`),
    err: (l) => io.err(`${l}\n`),
    signal: io.signal,
  });
  return r.exitCode;
}

/** Where a command run as a process of its own reads and writes. */
export function processIo() {
  return { env: process.env, cwd: process.cwd(), out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), signal: undefined };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) process.exitCode = await fakeInspectCli(process.argv.slice(2));
