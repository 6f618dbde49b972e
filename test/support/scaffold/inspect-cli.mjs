// `inspect` for tests (run by fake-bin/inspect): reads the command line the way inspect-ai's CLI
// does, then writes a real-shaped log through fake-inspect.mjs.
//
//   inspect eval TASKSPEC --model M [-M k=v]... [-T k=v]... [--metadata k=v]... --log-dir D
//                [--log-level L] [--max-connections N] [--seed N] ...
//
// TASKSPEC is `file.py@function`, `file.py`, or a registry name. -M / -T / --metadata values are
// read as YAML scalars, as inspect does (`epoch=0` is the number 0, `is_finetuned=true` a boolean,
// a quoted value a string). An unknown option fails like click ("No such option", exit 2).
//
// How the eval goes comes from the plan (scaffold/plan.mjs) entry for (working directory,
// model path, TASKSPEC); without one it succeeds with defaults. Before any log is written, like
// the HF provider loading the model: a model_path that does not exist, or an adapter whose
// adapter_config.json names a local base_model_name_or_path that does not exist, ends in an
// OSError traceback and exit 1 (the entry's `checkModel: false` turns that off).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { fakeInspect, processIo, pythonTraceback } from '../fake-inspect.mjs';
import { findEntry, findPlanFile } from './plan.mjs';

const VALUE_OPTIONS = new Set([
  '--model', '--model-base-url', '-M', '--model-arg', '--model-config', '--model-role',
  '-T', '--task-arg', '--task-config', '--metadata', '--tags', '--solver', '-S', '--solver-arg',
  '--log-dir', '--log-level', '--log-level-transcript', '--log-format', '--log-buffer',
  '--max-connections', '--max-samples', '--max-tasks', '--max-subprocesses', '--max-retries', '--timeout',
  '--seed', '--limit', '--sample-id', '--epochs', '--epochs-reducer', '--temperature', '--top-p', '--top-k',
  '--max-tokens', '--fail-on-error', '--message-limit', '--token-limit', '--time-limit', '--display', '--sandbox',
]);
const FLAGS = new Set(['--no-log-samples', '--no-fail-on-error', '--debug-errors', '--trace', '--no-sandbox-cleanup', '--log-images', '--no-score', '--no-ansi']);

/** A -T / -M / --metadata value as yaml.safe_load reads a scalar. */
export function yamlScalar(v) {
  if (/^(true|True|TRUE)$/.test(v)) return true;
  if (/^(false|False|FALSE)$/.test(v)) return false;
  if (/^(null|Null|NULL|~)?$/.test(v)) return null;
  if (/^[-+]?(0|[1-9]\d*)$/.test(v)) return Number(v);
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
  const q = /^"(.*)"$/s.exec(v) ?? /^'(.*)'$/s.exec(v);
  if (q) return q[1];
  return v;
}

function keyValue(opt, raw, into) {
  const i = raw.indexOf('=');
  if (i <= 0) throw usage(`Invalid value for '${opt}': expected key=value, got '${raw}'`);
  into[raw.slice(0, i)] = yamlScalar(raw.slice(i + 1));
}

function usage(message) {
  const e = new Error(message);
  e.usage = true;
  return e;
}

export function parseInspectArgs(argv) {
  if (argv[0] !== 'eval') throw usage(argv[0] ? `No such command '${argv[0]}'.` : 'Missing command.');
  const tasks = [];
  const o = { modelArgs: {}, taskArgs: {}, metadata: {}, planConfig: {}, options: {} };
  for (let i = 1; i < argv.length; i++) {
    let a = argv[i];
    let value;
    if (a.startsWith('--') && a.includes('=')) [a, value] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
    if (!a.startsWith('-') || a === '-') {
      tasks.push(a);
      continue;
    }
    if (FLAGS.has(a)) {
      o.options[a] = true;
      continue;
    }
    if (!VALUE_OPTIONS.has(a)) throw usage(`No such option: ${a}`);
    if (value === undefined) {
      if (i + 1 >= argv.length) throw usage(`Option '${a}' requires an argument.`);
      value = argv[++i];
    }
    if (a === '-M' || a === '--model-arg') keyValue(a, value, o.modelArgs);
    else if (a === '-T' || a === '--task-arg') keyValue(a, value, o.taskArgs);
    else if (a === '--metadata') keyValue(a, value, o.metadata);
    else if (a === '--max-connections') o.planConfig.max_connections = Number(value);
    else if (a === '--seed') o.planConfig.seed = Number(value);
    else o.options[a] = value;
  }
  if (tasks.length !== 1) throw usage(tasks.length ? 'this stand-in runs one task per command' : 'Missing argument TASKS.');
  const spec = tasks[0];
  const at = spec.lastIndexOf('@');
  const file = at > 0 ? spec.slice(0, at) : /\.py$/.test(spec) ? spec : null;
  const fn = at > 0 ? spec.slice(at + 1) : file ? basename(file, '.py') : spec.split('/').pop();
  return { taskSpec: spec, taskFile: file, taskFunction: fn, model: o.options['--model'] ?? null, logDir: o.options['--log-dir'] ?? './logs', ...o };
}

/** Why the HF provider could not load this model, or null. */
function modelProblem(modelPath) {
  if (typeof modelPath !== 'string' || !isAbsolute(modelPath)) return null;
  const incorrect = (p) =>
    `OSError: Incorrect path_or_model_id: '${p}'. Please provide either the path to a local folder or the repo_id of a model on the Hub.`;
  if (!existsSync(modelPath)) return incorrect(modelPath);
  const cfg = join(modelPath, 'adapter_config.json');
  if (existsSync(cfg)) {
    const base = JSON.parse(readFileSync(cfg, 'utf8')).base_model_name_or_path;
    if (typeof base === 'string' && isAbsolute(base) && !existsSync(base)) return incorrect(base);
  }
  return null;
}

/** `inspect ARGV` as the process `io` describes (fake-inspect.mjs's processIo, or inspectd's client). */
export async function main(argv, io = processIo()) {
  let a;
  try {
    a = parseInspectArgs(argv);
  } catch (e) {
    if (!e.usage) throw e;
    io.err(`Usage: inspect eval [OPTIONS] [TASKS]...\nTry 'inspect eval --help' for help.\n\nError: ${e.message}\n`);
    return 2;
  }
  if (!a.model) {
    io.err('Error: No model specified (use --model or set INSPECT_EVAL_MODEL)\n');
    return 1;
  }
  const { cwd } = io;
  const modelPath = a.modelArgs.model_path ?? null;
  const entry = findEntry(findPlanFile(cwd, io.env), { cwd, modelPath, taskSpec: a.taskSpec }) ?? {};
  const problem = entry.checkModel === false ? null : modelProblem(modelPath);
  if (problem) {
    await sleep(300, undefined, { signal: io.signal }); // python starting and the provider trying (seconds, really)
    io.err(`${pythonTraceback(problem)}\n`);
    return 1;
  }
  const r = await fakeInspect({
    taskName: entry.taskName ?? a.taskFunction,
    taskFile: a.taskFile ?? undefined,
    taskRegistryName: a.taskFunction,
    model: a.model,
    modelArgs: a.modelArgs,
    taskArgs: a.taskArgs,
    metadata: a.metadata,
    planConfig: a.planConfig,
    logDir: resolve(cwd, a.logDir),
    outcome: entry.outcome ?? 'success',
    samples: entry.samples ?? 10,
    seconds: entry.seconds ?? 1,
    scores: entry.scores,
    accuracy: entry.accuracy ?? 0.8,
    stderr: entry.stderr ?? 0.011,
    errorMessage: entry.errorMessage,
    crashMessage: entry.crashMessage,
    datasetName: entry.datasetName,
    out: (l) => io.out(`${l}\n`),
    err: (l) => io.err(`${l}\n`),
    signal: io.signal,
  });
  return r.exitCode;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) process.exitCode = await main(process.argv.slice(2));
