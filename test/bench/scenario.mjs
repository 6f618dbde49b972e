// One size, two monitors: run-inspect (the real bundle) and the literal baseline, each on its own
// synthesized experiment and its own fake-slurm, both driven through the same poll plan.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLK_TCK, lockHolds, max, mean, observe, quantile } from './measure.mjs';
import { evalComment, synthesize } from './synth.mjs';
import { parseCmdLog } from './wrappers.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const FLIP = join(HERE, 'flip.mjs');
export const BASELINE = join(HERE, 'baseline.mjs');
export const POLL_INTERVAL_S = 1;

/**
 * The node options the monitor job script starts the bundle with (`NODE_FLAGS=(...)` in
 * slurm/run-inspect.sbatch): the monitor is measured as it runs on a cluster.
 */
export function jobNodeFlags(repo) {
  const file = join(repo, 'slurm', 'run-inspect.sbatch');
  const m = /^NODE_FLAGS=\((.*)\)$/m.exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`${file}: no NODE_FLAGS=(...) line`);
  return m[1].trim().split(/\s+/).filter(Boolean);
}

const pad2 = (n) => String(n).padStart(2, '0');
/** run-inspect's timestamp form (local time). */
export const stamp = (d = new Date()) =>
  `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;

/** Environment of a monitor: wrappers first on PATH, a private fake-slurm whose jobs never run. */
function monitorEnv(ctx, fsDir, extra = {}) {
  const env = { ...process.env, PATH: `${ctx.wrapBin}:${process.env.PATH}`, FAKE_SLURM_DIR: fsDir, FAKE_SLURM_NO_RUN: '1', USER: ctx.user, ...extra };
  for (const k of Object.keys(env)) if (/^(SLURM_|SBATCH_|SQUEUE_|SACCT_)/.test(k) || /^FAKE_SLURM_(FAIL|DELAY|SBATCH_ACCEPTED|MAX_SUBMIT|ACCOUNTING|SQUEUE_HIDE)/.test(k)) delete env[k];
  return env;
}

function admin(ctx, fsDir, args, input) {
  return execFileSync(join(ctx.fakeBin, 'fake-slurm-admin'), args, { env: { ...process.env, FAKE_SLURM_DIR: fsDir }, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
}

export function resetFake(ctx, fsDir) {
  if (existsSync(fsDir)) admin(ctx, fsDir, ['reset']);
}

/** Jobs for these evals in fake-slurm, recorded but never run; returns their ids in order. */
function createJobs(ctx, fsDir, work, exp, evals) {
  const specs = evals.map((e) => ({ script: e.absScript, comment: evalComment(exp.experimentId, e.key), time: '0:30:00', output: 'slurm-%j.out', name: `eval-${e.task}-${e.run}` }));
  const file = join(work, `specs-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(specs));
  const ids = admin(ctx, fsDir, ['create-jobs', file]).trim().split('\n').filter(Boolean);
  if (ids.length !== evals.length) throw new Error(`create-jobs made ${ids.length} jobs for ${evals.length} evals`);
  return ids;
}

/**
 * The poll plan, the same shape at every size: quiet polls (no job changes) between polls where
 * jobs start (1% of the evals), end COMPLETED (0.25%) or FAILED (0.05%) — what a busy cluster
 * does in a minute — and, for run-inspect, a last probe poll where squeue loses every job.
 */
export function makePlan(n, { hide, laterPolls = 0 }) {
  const A = Math.max(2, Math.round(n * 0.01));
  const C = Math.max(2, Math.round(n * 0.0025));
  const F = Math.max(1, Math.round(n * 0.0005));
  // A fixed permutation so that starts spread over runs and tasks.
  const perm = Array.from({ length: n }, (_, i) => (i * 7919) % n);
  let next = 0;
  const running = [];
  const start = (k) => {
    const got = perm.slice(next, next + k);
    next += k;
    running.push(...got);
    return got;
  };
  const end = (k) => running.splice(0, k);
  const steps = [
    {},
    { running: start(A) },
    {},
    { running: start(A), completed: end(C), failed: end(F) },
    {},
    { running: start(A), completed: end(C) },
    {},
    { completed: end(C), failed: end(F) },
  ];
  // After a link's first polls, what the rest of its life looks like: quiet polls, a busy one every
  // fifth (`--later-polls`: reported apart, the targets stay on the first eight).
  for (let k = 1; k <= laterPolls; k++) steps.push(k % 5 === 0 ? { running: start(A), completed: end(C), later: true } : { later: true });
  if (hide) steps.push({ hide: true });
  return { steps, counts: { started: A, completed: C, failed: F } };
}

const leaves = (step) => Boolean(step && ((step.completed?.length ?? 0) + (step.failed?.length ?? 0) > 0 || step.hide));
const changes = (step) => (step ? (step.running?.length ?? 0) + (step.completed?.length ?? 0) + (step.failed?.length ?? 0) : 0);

function writePlan(ctx, work, plan, evals, ids) {
  const file = join(work, 'plan.json');
  writeFileSync(
    file,
    JSON.stringify({
      steps: plan.steps,
      evals: evals.map((e, i) => ({ id: ids[i], key: e.key, task: e.task, logsDir: e.logsDir, modelPath: e.modelPath })),
      cursorFile: join(work, 'plan.cursor'),
      templateFile: ctx.templateFile,
      workDir: work,
      fakeBin: ctx.fakeBin,
      // Logs say they were created after every submission (the monitor ignores older ones).
      created: new Date(Date.now() + 1500).toISOString(),
    }),
  );
  return file;
}

/** Tracks experiment_summary.md across its rewrites: was each one needed, did only table rows change? */
function summaryTracker(file) {
  let prev = readFileSync(file, 'utf8');
  const writes = [];
  return {
    writes,
    onEvent(e) {
      if (e.name !== 'experiment_summary.md') return;
      let text;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return;
      }
      if (e.type === 'change' && text === prev) return; // the baseline writes in place: one event per write(2)
      // The monitor swaps the summary in with two renames (set the user's aside, link ours in): the
      // second event of one swap reads the text the first already saw.
      const last = writes[writes.length - 1];
      if (text === prev && last && e.t - last.t < 100) return;
      const a = prev.split('\n');
      const b = text.split('\n');
      let changedRows = 0;
      let onlyRows = a.length === b.length;
      if (onlyRows) {
        for (let i = 0; i < a.length; i++) {
          if (a[i] === b[i]) continue;
          changedRows++;
          if (!a[i].trimStart().startsWith('|') || !b[i].trimStart().startsWith('|')) onlyRows = false;
        }
      }
      writes.push({ t: e.t, identical: text === prev, onlyRows, changedRows, bytes: Buffer.byteLength(text) });
      prev = text;
    },
  };
}

/** Cut the command log into polls (poll squeue to poll squeue) and measure each. */
export function analyzePolls({ lines, pid, plan, events, summaryWrites, intervalMs, stateFile }) {
  const mine = lines.filter((l) => l.ppid === pid).sort((x, y) => x.t0 - y.t0);
  const polls = mine.filter((l) => l.poll === 1);
  const holds = lockHolds(events, `${stateFile}.lock`, stateFile);
  const out = [];
  for (let k = 0; k + 1 < polls.length; k++) {
    const a = polls[k];
    const b = polls[k + 1];
    const inPoll = (t) => t >= a.t0 && t < b.t0;
    const cmds = mine.filter((l) => inPoll(l.t0));
    const step = plan.steps[k];
    const ev = events.filter((e) => inPoll(e.t));
    const slurmMs = cmds.reduce((s, c) => s + (c.t2 - c.t1), 0);
    const cpuMs = b.cpu_ns >= a.cpu_ns && a.cpu_ns > 0 ? (b.cpu_ns - a.cpu_ns) / 1e6 : ((b.utime + b.stime - a.utime - a.stime) * 1000) / CLK_TCK;
    const wallMs = b.t0 - a.t1 - intervalMs;
    const myHolds = holds.filter((h) => inPoll(h.a));
    const lastLog = ev.filter((e) => e.name === 'run-inspect.log').pop();
    const after = lastLog ? myHolds.filter((h) => h.a > lastLog.t) : [];
    const sw = summaryWrites.filter((w) => inPoll(w.t));
    out.push({
      poll: k + 1,
      step: step ? { started: step.running?.length ?? 0, completed: step.completed?.length ?? 0, failed: step.failed?.length ?? 0, hide: Boolean(step.hide), later: Boolean(step.later) } : null,
      leaves: leaves(step),
      changes: changes(step),
      commands: cmds.length,
      byCommand: Object.fromEntries(['squeue', 'sacct', 'sbatch', 'scancel', 'scontrol'].map((c) => [c, cmds.filter((x) => x.cmd === c).length]).filter(([, n]) => n > 0)),
      sacctIds: cmds.filter((c) => c.cmd === 'sacct').reduce((s, c) => s + c.nids, 0),
      maxArg: max(cmds.map((c) => c.max_arg)) ?? 0,
      failedCommands: cmds.filter((c) => c.rc !== 0).length,
      cpuMs,
      wallMs,
      slurmMs,
      ownMs: wallMs - slurmMs,
      writeBytes: b.write_bytes - a.write_bytes,
      wchar: b.wchar - a.wchar,
      hwmKb: b.hwm_kb,
      stateWrites: ev.filter((e) => e.type === 'rename' && e.name === stateFile).length,
      stateOps: myHolds.length,
      stateWriteMs: myHolds.filter((h) => h.wrote).map((h) => h.b - h.a),
      stateOpMs: myHolds.reduce((s, h) => s + (h.b - h.a), 0),
      // From the poll's last run-inspect.log line: store.current(), then syncSummaryTable, then the
      // next_poll update: the gap between those two lock holds is the summary update (without a
      // later hold, the summary's rename ends it).
      summaryMs: summaryGap(after, sw, intervalMs, lastLog?.t),
      summaryWrites: sw.length,
      summaryIdentical: sw.filter((w) => w.identical).length,
      summaryNotOnlyRows: sw.filter((w) => !w.identical && !w.onlyRows).length,
      summaryChangedRows: sw.reduce((s, w) => s + w.changedRows, 0),
    });
  }
  return out;
}

/**
 * The summary update of a poll: from the end of the store.current() that follows the poll's last
 * log line (or, when that read was served from memory without the lock, from the log line itself)
 * to the summary's rename when it was rewritten; when it was not, to the next state update if
 * that came before the sleep could have ended.
 */
function summaryGap(holds, writes, intervalMs, lastLogT) {
  if (holds.length === 0 && lastLogT === undefined) return null;
  const from = holds.length ? holds[0].b : lastLogT;
  const w = writes.find((x) => x.t > from);
  if (w && (holds.length < 2 || w.t <= holds[1].a + 1)) return w.t - from;
  if (holds.length >= 2 && holds[1].a - from < intervalMs) return holds[1].a - from;
  return null;
}

function readLines(file, pid) {
  return existsSync(file) ? parseCmdLog(readFileSync(file, 'utf8')).filter((l) => pid === undefined || l.ppid === pid) : [];
}

function statusCounts(file) {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const counts = {};
  for (const e of Object.values(s.evaluations)) counts[e.status] = (counts[e.status] ?? 0) + 1;
  return counts;
}

function peakKb(run, lines) {
  return max([...run.samples.map((s) => s.hwmKb), ...lines.map((l) => l.hwm_kb)]) ?? null;
}

function stderrTail(file) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

/**
 * run-inspect at one size: submission, a cold `run --once`, then the polling loop under the plan.
 * `loop` may name another bundle and node options for the loop only (profile.mjs: --cpu-prof).
 */
export async function runOurs(ctx, size, log, loop = {}) {
  const work = join(ctx.root, `ours-${size}`);
  mkdirSync(work, { recursive: true });
  const fsDir = join(work, 'fake-slurm');
  const exp = synthesize(join(work, 'experiment'), size);
  const env = monitorEnv(ctx, fsDir);
  const bundle = (args, extra, opts = {}) =>
    observe(ctx.node, [...ctx.nodeFlags, ctx.bundle, ...args], { env: { ...env, ...extra }, cwd: work, stdoutFile: join(work, `${opts.name}.out`), stderrFile: join(work, `${opts.name}.err`), ...opts });
  const res = { size };

  // 1. Submission with --stagger 0: every eval up to ctx.submitAllMax; above it the first
  //    ctx.submitSample (fake sbatch reads every job record, so 10,000 of them would take an hour);
  //    the rest are recorded with create-jobs, exactly as run-inspect records a submission.
  const submitN = size <= ctx.submitAllMax ? size : ctx.submitSample;
  log(`  submitting ${submitN} of ${size} evals with sbatch (--stagger 0)`);
  const subLog = join(work, 'submit.cmdlog');
  const sub = await bundle(['run', exp.dir, '--once', '--stagger', '0', ...(submitN < size ? ['--max-in-flight', String(submitN)] : [])], { BENCH_CMD_LOG: subLog }, { name: 'submit', sampleMs: 100, timeoutMs: 900_000 });
  if (sub.rc !== 4) throw new Error(`run --once (submission) exited ${sub.rc}: ${stderrTail(join(work, 'submit.err'))}`);
  const subLines = readLines(subLog, sub.pid);
  const sb = subLines.filter((l) => l.cmd === 'sbatch');
  if (sb.length !== submitN) throw new Error(`expected ${submitN} sbatch calls, saw ${sb.length}`);
  const span = (sb[sb.length - 1].t2 - sb[0].t0) / 1000;
  const gaps = sb.slice(1).map((l, i) => l.t0 - sb[i].t2);
  res.submit = {
    submitted: sb.length,
    of: size,
    all: submitN === size,
    seconds: span,
    perSecond: sb.length / span,
    sbatchMsP50: quantile(sb.map((l) => l.t2 - l.t1), 0.5),
    monitorMsPerSubmission: mean(gaps),
    monitorCpuMsPerSubmission: (sb[sb.length - 1].cpu_ns - sb[0].cpu_ns) / 1e6 / Math.max(1, sb.length - 1),
    failed: sb.filter((l) => l.rc !== 0).length,
    processSeconds: sub.wallMs / 1000,
    peakRssKb: peakKb(sub, subLines),
  };

  // 2. Above ctx.submitAllMax: the remaining jobs are created in fake-slurm and written into
  //    eval_jobs.json the way recordResults writes a successful sbatch.
  const stateFile = join(exp.dir, 'eval_jobs.json');
  if (submitN < size) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    const todo = exp.evals.filter((e) => state.evaluations[e.key]?.status === 'NOT_SUBMITTED');
    log(`  recording the other ${todo.length} jobs (fake-slurm-admin create-jobs)`);
    const ids = createJobs(ctx, fsDir, work, exp, todo);
    const at = stamp();
    todo.forEach((e, i) => Object.assign(state.evaluations[e.key], { status: 'PENDING', job_id: ids[i], submitted: at, submit_intent: null, slurm_output: `${e.run}/eval/slurm-${ids[i]}.out`, notes: '' }));
    writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }
  const byKey = JSON.parse(readFileSync(stateFile, 'utf8')).evaluations;
  const ids = exp.evals.map((e) => byKey[e.key].job_id);
  if (ids.some((id) => !id)) throw new Error('some evals have no job id after submission');

  // 3. One cold pass: a new monitor link starting on this experiment.
  log('  one cold pass (run --once)');
  const onceLog = join(work, 'once.cmdlog');
  const once = await bundle(['run', exp.dir, '--once', '--stagger', '0'], { BENCH_CMD_LOG: onceLog }, { name: 'once', sampleMs: 10, timeoutMs: 300_000 });
  if (once.rc !== 4) throw new Error(`run --once exited ${once.rc}: ${stderrTail(join(work, 'once.err'))}`);
  const onceLines = readLines(onceLog, once.pid);
  const counts = statusCounts(stateFile);
  if ((counts.PENDING ?? 0) !== size) throw new Error(`after the cold pass expected ${size} PENDING evals, got ${JSON.stringify(counts)}`);
  const lastSample = once.samples[once.samples.length - 1];
  res.once = {
    wallMs: once.wallMs,
    cpuMsAtLeast: lastSample?.cpuMs ?? null, // sampled every 10 ms: the last few ms before exit are missed
    cpuMsBeforePoll: onceLines.length ? onceLines[0].cpu_ns / 1e6 : null,
    commands: onceLines.length,
    peakRssKb: peakKb(once, onceLines),
  };

  // 4. The polling loop: --poll-interval 1, the plan applied right before each poll's squeue.
  const plan = makePlan(size, { hide: true, laterPolls: loop.laterPolls });
  const planFile = writePlan(ctx, work, plan, exp.evals, ids);
  log(`  polling loop: ${plan.steps.length} polls (${plan.counts.started} start, ${plan.counts.completed} complete, ${plan.counts.failed} fail per busy poll; last poll: squeue loses every job)`);
  const loopLog = join(work, 'loop.cmdlog');
  const tracker = summaryTracker(join(exp.dir, 'experiment_summary.md'));
  const loopRun = await observe(ctx.node, [...ctx.nodeFlags, ...(loop.nodeArgs ?? []), loop.bundle ?? ctx.bundle, 'run', exp.dir, '--poll-interval', String(POLL_INTERVAL_S), '--stagger', '0'], {
    env: { ...env, BENCH_CMD_LOG: loopLog, BENCH_POLL_HOOK: FLIP, BENCH_PLAN: planFile, BENCH_HOOK_LOG: join(work, 'hook.log'), BENCH_NODE: ctx.node },
    cwd: work,
    stdoutFile: join(work, 'loop.out'),
    stderrFile: join(work, 'loop.err'),
    sampleMs: 100,
    timeoutMs: 600_000,
    watchDir: exp.dir,
    onEvent: tracker.onEvent,
  });
  if (loopRun.rc !== 4) throw new Error(`run (polling loop) exited ${loopRun.rc}${loopRun.timedOut ? ' (timed out)' : ''}: ${stderrTail(join(work, 'loop.err'))}`);
  const loopLines = readLines(loopLog, loopRun.pid);
  res.polls = analyzePolls({ lines: loopLines, pid: loopRun.pid, plan, events: loopRun.events, summaryWrites: tracker.writes, intervalMs: POLL_INTERVAL_S * 1000, stateFile: 'eval_jobs.json' });
  if (res.polls.length !== plan.steps.length) throw new Error(`expected ${plan.steps.length} measured polls, got ${res.polls.length} (see ${join(work, 'hook.log')})`);
  res.loop = { peakRssKb: peakKb(loopRun, loopLines), wallMs: loopRun.wallMs, finalCounts: statusCounts(stateFile) };
  res.expected = expectedCounts(plan, size);
  res.stateBytes = Buffer.byteLength(readFileSync(stateFile));
  res.summaryBytes = Buffer.byteLength(readFileSync(join(exp.dir, 'experiment_summary.md')));
  resetFake(ctx, fsDir);
  return res;
}

/** Statuses the plan leads to: started - ended are RUNNING, the completed ones COMPLETED, ... */
function expectedCounts(plan, size) {
  let started = 0;
  let completed = 0;
  let failed = 0;
  for (const s of plan.steps) {
    started += s.running?.length ?? 0;
    completed += s.completed?.length ?? 0;
    failed += s.failed?.length ?? 0;
  }
  return { PENDING: size - started, RUNNING: started - completed - failed, COMPLETED: completed, FAILED: failed };
}

/** The baseline at one size, on the same plan (without the probe poll: one sacct per job would take hours). */
export async function runBaseline(ctx, size, log) {
  const work = join(ctx.root, `baseline-${size}`);
  mkdirSync(work, { recursive: true });
  const fsDir = join(work, 'fake-slurm');
  const exp = synthesize(join(work, 'experiment'), size);
  const env = monitorEnv(ctx, fsDir);
  log(`  baseline: recording ${size} jobs, then the same polls`);
  const ids = createJobs(ctx, fsDir, work, exp, exp.evals);
  const at = stamp();
  const evaluations = Object.fromEntries(exp.evals.map((e, i) => [e.key, { key: e.key, run: e.run, task: e.task, epoch: e.epoch, job_id: ids[i], status: 'PENDING', submitted: at, completed: null, notes: '' }]));
  writeFileSync(join(exp.dir, 'baseline_jobs.json'), `${JSON.stringify({ evaluations }, null, 2)}\n`);
  const plan = makePlan(size, { hide: false });
  const planFile = writePlan(ctx, work, plan, exp.evals, ids);
  const cmdLog = join(work, 'loop.cmdlog');
  const run = await observe(ctx.node, [BASELINE, exp.dir, '--poll-interval', String(POLL_INTERVAL_S)], {
    env: { ...env, BENCH_CMD_LOG: cmdLog, BENCH_POLL_HOOK: FLIP, BENCH_PLAN: planFile, BENCH_HOOK_LOG: join(work, 'hook.log'), BENCH_NODE: ctx.node, BENCH_POLL_ALL_SQUEUE: '1' },
    cwd: work,
    stdoutFile: join(work, 'loop.out'),
    stderrFile: join(work, 'loop.err'),
    sampleMs: 100,
    timeoutMs: 600_000,
    watchDir: exp.dir,
  });
  if (run.rc !== 0) throw new Error(`baseline exited ${run.rc}${run.timedOut ? ' (timed out)' : ''}: ${stderrTail(join(work, 'loop.err'))}`);
  const lines = readLines(cmdLog, run.pid);
  const polls = analyzePolls({ lines, pid: run.pid, plan, events: run.events, summaryWrites: [], intervalMs: POLL_INTERVAL_S * 1000, stateFile: 'baseline_jobs.json' });
  // The baseline writes in place (no rename to watch): it reports its own write times.
  const timings = readFileSync(join(work, 'loop.out'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  polls.forEach((p, i) => {
    const t = timings[i];
    Object.assign(p, { summaryMs: t?.summary_ms ?? null, stateWriteMs: t ? [t.state_ms] : [], stateWrites: t ? 1 : 0, summaryWrites: t ? 1 : 0, summaryIdentical: t && !t.summary_changed ? 1 : 0 });
  });
  if (polls.length !== plan.steps.length) throw new Error(`baseline: expected ${plan.steps.length} measured polls, got ${polls.length}`);
  resetFake(ctx, fsDir);
  return { size, polls, loop: { peakRssKb: peakKb(run, lines), wallMs: run.wallMs } };
}
