#!/usr/bin/env node
// npm run bench: the monitor's cost at 100, 1,000 and 10,000 evals (issue 7), against fake-slurm,
// with the real bundle, next to a baseline that does what the workflow text says literally.
// Prints a table, then ONE JSON line with every number, then PASS/FAIL per target; exits 1 on a
// FAIL. How each number is measured: test/bench/README.md.
//
//   node build.mjs && node test/bench/bench.mjs [--sizes 100,1000,10000] [--keep]
//        [--no-baseline] [--bundle PATH]   (PATH: another build to compare, e.g. a proposed fix)
//        [--later-polls N]   (N more polls after the first eight, a busy one every fifth: how a link
//                             that has run a while does; reported apart, the targets stay on the eight)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, userInfo } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { templateLog } from './inspect-logs.mjs';
import { machineBusy, max, mean, quantile } from './measure.mjs';
import { jobNodeFlags, resetFake, runBaseline, runOurs } from './scenario.mjs';
import { makeWrappers } from './wrappers.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FAKE_BIN = join(REPO, 'fake-slurm', 'bin');

const TARGETS = {
  commandsPerPoll: 2,
  commandsQuietPoll: 1,
  argMax: 131072, // Linux MAX_ARG_STRLEN: one argument longer than this is E2BIG
  cpuMsPerPoll10k: 250,
  /** The bare `node -e 0` the CPU target is set for; a run's polls are scaled by its own bare node. */
  bareNodeMs: 100,
  peakRssMb10k: 150,
  summaryMs10k: 300,
  quietPollWriteKb10k: 4,
  busyPollWriteKb10k: 1024,
  coldStartMs: 150,
  /** `--version` and `status --json` against a bare `node -e 0` of the same run. */
  coldStartRatio: 1.5,
  bundleBytes: 3 * 1024 * 1024,
};

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i === -1) return undefined;
  return argv[i].includes('=') ? argv[i].split('=').slice(1).join('=') : argv[i + 1];
};
const SIZES = (opt('sizes') ?? process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
const KEEP = argv.includes('--keep') || process.env.BENCH_KEEP === '1';
const BASELINE = !argv.includes('--no-baseline');
const LATER_POLLS = Number(opt('later-polls') ?? 0);
const BUNDLE = opt('bundle') ? resolvePath(opt('bundle')) : join(REPO, 'dist', 'run-inspect.mjs');

const started = Date.now();
const log = (m) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);

const root = mkdtempSync(join(tmpdir(), 'ri-bench-'));
const fakeDirs = [];
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const d of fakeDirs) {
    try {
      resetFake(ctx, d);
    } catch {
      /* best effort */
    }
  }
  if (!KEEP) rmSync(root, { recursive: true, force: true });
  else process.stderr.write(`kept ${root}\n`);
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

const ctx = {
  root,
  bundle: BUNDLE,
  fakeBin: FAKE_BIN,
  wrapBin: makeWrappers(join(root, 'bin'), FAKE_BIN),
  node: process.execPath,
  nodeFlags: jobNodeFlags(REPO),
  user: userInfo().username,
  templateFile: join(root, 'inspect-log-template.json'),
  submitAllMax: Number(process.env.BENCH_SUBMIT_ALL_MAX ?? 1000),
  submitSample: Number(process.env.BENCH_SUBMIT_SAMPLE ?? 100),
};

// ---------------------------------------------------------------------------------------------

/**
 * Cold start of `--version` and of `status --json` (a small experiment, squeue a shell stub that
 * answers at once, so the time is ours), each beside a bare `node -e 0` of the same run.
 */
function coldStart(runs = 20) {
  const dir = join(root, 'cold-start');
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'squeue'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  writeFileSync(join(dir, 'experiment_summary.md'), '# cold start\n');
  writeFileSync(join(dir, 'eval_jobs.json'), JSON.stringify({ version: 1, experiment: dir, experiment_id: 'cold', monitoring_started: '2026-12-04 10:00:00', evaluations: {} }));
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const time = (args) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return performance.now() - t;
  };
  const status = [BUNDLE, 'status', dir, '--json'];
  for (let i = 0; i < 3; i++) time([BUNDLE, '--version']), time(status); // page cache, not JIT: each run is a new process
  const version = [];
  const statusMs = [];
  const bare = [];
  for (let i = 0; i < runs; i++) {
    version.push(time([BUNDLE, '--version']));
    statusMs.push(time(status));
    bare.push(time(['-e', '0']));
  }
  return { runs, medianMs: quantile(version, 0.5), p95Ms: quantile(version, 0.95), statusJsonMedianMs: quantile(statusMs, 0.5), nodeAloneMedianMs: quantile(bare, 0.5) };
}

/** The share of all CPUs busy (over a second) below which the machine counts as quiet. */
const QUIET_BUSY = 0.15;
const r1 = (v) => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10) / 10);
const r0 = (v) => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v));

/** CPU of the polls after the first eight (--later-polls), quiet and busy apart. */
function laterStats(polls) {
  const cpu = (ps) => ({ polls: ps.length, cpuMsP50: r1(quantile(ps.map((p) => p.cpuMs), 0.5)), cpuMsMax: r1(max(ps.map((p) => p.cpuMs))) });
  return { quiet: cpu(polls.filter((p) => p.changes === 0)), busy: cpu(polls.filter((p) => p.changes > 0)) };
}

/** The numbers of one monitor at one size, over the given polls. */
function pollStats(polls, peakRssKb) {
  const quiet = polls.filter((p) => !p.leaves);
  const written = polls.filter((p) => p.summaryWrites > 0 && p.summaryMs !== null);
  const stateMs = polls.flatMap((p) => p.stateWriteMs);
  return {
    polls: polls.length,
    commandsMax: max(polls.map((p) => p.commands)),
    commandsMean: r1(mean(polls.map((p) => p.commands))),
    commandsMaxWhenNoneLeft: max(quiet.map((p) => p.commands)),
    commandsMaxWhenSomeLeft: max(polls.filter((p) => p.leaves).map((p) => p.commands)),
    sacctIdsMax: max(polls.map((p) => p.sacctIds)),
    failedCommands: polls.reduce((s, p) => s + p.failedCommands, 0),
    cpuMsP50: r1(quantile(polls.map((p) => p.cpuMs), 0.5)),
    cpuMsP95: r1(quantile(polls.map((p) => p.cpuMs), 0.95)),
    cpuMsMax: r1(max(polls.map((p) => p.cpuMs))),
    wallMsP50: r1(quantile(polls.map((p) => p.wallMs), 0.5)),
    wallMsMax: r1(max(polls.map((p) => p.wallMs))),
    ownWallMsP50: r1(quantile(polls.map((p) => p.ownMs), 0.5)),
    slurmWallMsP50: r1(quantile(polls.map((p) => p.slurmMs), 0.5)),
    peakRssMb: peakRssKb ? r1(peakRssKb / 1024) : null,
    writeKbPerPollMean: r1(mean(polls.map((p) => p.writeBytes)) / 1024),
    writeKbPerPollMax: r1(max(polls.map((p) => p.writeBytes)) / 1024),
    // A poll in which no eval changed: only the heartbeat should be written.
    writeKbQuietPollMax: r1(max(polls.filter((p) => p.changes === 0).map((p) => p.writeBytes)) / 1024),
    quietPolls: polls.filter((p) => p.changes === 0).length,
    // A poll in which evals changed: the changes (journal lines) and the summary's changed rows.
    writeKbBusyPollMean: r1(mean(polls.filter((p) => p.changes > 0).map((p) => p.writeBytes)) / 1024),
    writeKbBusyPollMax: r1(max(polls.filter((p) => p.changes > 0).map((p) => p.writeBytes)) / 1024),
    busyPolls: polls.filter((p) => p.changes > 0).length,
    wcharKbPerPollMean: r1(mean(polls.map((p) => p.wchar)) / 1024),
    stateWritesPerPollMean: r1(mean(polls.map((p) => p.stateWrites))),
    stateWriteMsP50: r1(quantile(stateMs, 0.5)),
    stateWriteMsMax: r1(max(stateMs)),
    stateLockedMsPerPollMean: r1(mean(polls.map((p) => p.stateOpMs))),
    summaryWrites: polls.reduce((s, p) => s + p.summaryWrites, 0),
    summaryWritesWhenNoRowChanged: polls.reduce((s, p) => s + p.summaryIdentical, 0),
    summaryWritesTouchingOtherLines: polls.reduce((s, p) => s + (p.summaryNotOnlyRows ?? 0), 0),
    summaryUpdateMsMax: r1(max(written.map((p) => p.summaryMs))),
    summaryUpdateMsP50: r1(quantile(written.map((p) => p.summaryMs), 0.5)),
    summarySyncMsP50AllPolls: r1(quantile(polls.map((p) => p.summaryMs), 0.5)),
  };
}

function ratio(a, b) {
  return a === null || b === null || b === 0 ? null : Math.round((a / b) * 1000) / 1000;
}

// ---------------------------------------------------------------------------------------------

const results = { bundle: BUNDLE, nodeFlags: ctx.nodeFlags, machine: {}, sizes: {}, coldStart: null, bundleBytes: null };
let exitCode = 0;
try {
  // Right after a test run the machine is still busy (its services winding down) and every figure
  // comes out high: wait up to a minute for it to be quiet, and say so when it never was.
  let busy = machineBusy(1000);
  for (let waited = 1; busy > QUIET_BUSY && waited < 60; waited++) busy = machineBusy(1000);
  if (busy > QUIET_BUSY) log(`the machine is still ${Math.round(busy * 100)}% busy after a minute: the figures may come out high`);
  results.machine = { node: process.version, cpus: cpus().length, memGiB: r1(totalmem() / 2 ** 30), loadavgStart: loadavg().map(r1), busyPctAtStart: Math.round(busy * 100) };
  log(`root ${root}; sizes ${SIZES.join(', ')}; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}; CPUs ${Math.round(busy * 100)}% busy`);
  writeFileSync(ctx.templateFile, JSON.stringify(templateLog()));
  results.bundleBytes = statSync(BUNDLE).size;
  log('cold start: node dist/run-inspect.mjs --version and status --json ×20');
  results.coldStart = coldStart();

  for (const size of SIZES) {
    log(`${size} evals: run-inspect`);
    fakeDirs.push(join(root, `ours-${size}`, 'fake-slurm'), join(root, `baseline-${size}`, 'fake-slurm'));
    const ours = await runOurs(ctx, size, log, { laterPolls: LATER_POLLS });
    let base = null;
    if (BASELINE) {
      log(`${size} evals: baseline`);
      base = await runBaseline(ctx, size, log);
    }
    const regular = ours.polls.filter((p) => !p.step?.hide && !p.step?.later);
    const later = ours.polls.filter((p) => p.step?.later);
    const probe = ours.polls.find((p) => p.step?.hide) ?? null;
    const peak = max([ours.loop.peakRssKb, ours.once.peakRssKb, ours.submit.peakRssKb]);
    const o = pollStats(regular, peak);
    const b = base ? pollStats(base.polls, base.loop.peakRssKb) : null;
    results.sizes[size] = {
      ours: o,
      baseline: b,
      ratio: Object.fromEntries(
        ['commandsMean', 'commandsMax', 'cpuMsP50', 'cpuMsP95', 'wallMsP50', 'peakRssMb', 'writeKbPerPollMean', 'summaryWrites', 'stateWritesPerPollMean'].map((k) => [k, b ? ratio(o[k], b[k]) : null]),
      ),
      probe: probe && {
        commands: probe.commands,
        byCommand: probe.byCommand,
        sacctIds: probe.sacctIds,
        maxArgBytes: probe.maxArg,
        failedCommands: probe.failedCommands,
        cpuMs: r1(probe.cpuMs),
        wallMs: r1(probe.wallMs),
        changes: probe.changes,
      },
      submit: { ...ours.submit, perSecond: r1(ours.submit.perSecond), seconds: r1(ours.submit.seconds), sbatchMsP50: r1(ours.submit.sbatchMsP50), monitorMsPerSubmission: r1(ours.submit.monitorMsPerSubmission), monitorCpuMsPerSubmission: r1(ours.submit.monitorCpuMsPerSubmission), processSeconds: r1(ours.submit.processSeconds), peakRssMb: r1(ours.submit.peakRssKb / 1024) },
      coldPass: { wallMs: r0(ours.once.wallMs), cpuMsAtLeast: r0(ours.once.cpuMsAtLeast), cpuMsBeforeFirstPoll: r0(ours.once.cpuMsBeforePoll), commands: ours.once.commands, peakRssMb: r1(ours.once.peakRssKb / 1024) },
      loopPeakRssMb: r1(ours.loop.peakRssKb / 1024),
      later: later.length ? laterStats(later) : null,
      finalCounts: ours.loop.finalCounts,
      expectedCounts: ours.expected,
      stateFileKb: r1(ours.stateBytes / 1024),
      summaryFileKb: r1(ours.summaryBytes / 1024),
      perPoll: { ours: ours.polls.map(compactPoll), baseline: base ? base.polls.map(compactPoll) : null },
    };
    log(`${size} evals: done (run-inspect CPU/poll p50 ${o.cpuMsP50} ms${b ? `, baseline ${b.cpuMsP50} ms` : ''})`);
  }
  results.machine.loadavgEnd = loadavg().map(r1);
  results.seconds = r0((Date.now() - started) / 1000);
} catch (e) {
  process.stderr.write(`bench failed: ${e && e.stack ? e.stack : e}\n`);
  exitCode = 2;
} finally {
  cleanup();
}

function compactPoll(p) {
  return {
    poll: p.poll,
    step: p.step,
    cmds: p.commands,
    by: p.byCommand,
    ids: p.sacctIds,
    cpu: r1(p.cpuMs),
    wall: r1(p.wallMs),
    own: r1(p.ownMs),
    wKb: r1(p.writeBytes / 1024),
    st: p.stateWrites,
    sum: p.summaryWrites,
    sumMs: r1(p.summaryMs),
    rss: r1(p.hwmKb / 1024),
  };
}

// ---------------------------------------------------------------------------------------------
// Output: table, JSON line, verdicts.

if (exitCode === 0) {
  const verdicts = judge(results);
  printTable(results);
  process.stdout.write(`${JSON.stringify({ ...results, verdicts })}\n`);
  for (const v of verdicts) process.stdout.write(`${v.pass === null ? 'SKIP' : v.pass ? 'PASS' : 'FAIL'}  ${v.target}: ${v.measured}\n`);
  const failed = verdicts.filter((v) => v.pass === false).length;
  process.stdout.write(failed ? `\n${failed} target(s) FAILED\n` : '\nall targets PASS\n');
  if (failed) exitCode = 1;
}
process.exit(exitCode);

function judge(res) {
  const sizes = Object.entries(res.sizes);
  const big = res.sizes[10000];
  const v = [];
  const add = (target, pass, measured) => v.push({ target, pass, measured });
  const cmdMax = max(sizes.flatMap(([, s]) => [s.ours.commandsMax, s.probe?.commands ?? 0]));
  add(`≤ ${TARGETS.commandsPerPoll} SLURM commands per poll at every size`, sizes.length ? cmdMax <= TARGETS.commandsPerPoll : null, sizes.map(([n, s]) => `${n}: max ${max([s.ours.commandsMax, s.probe?.commands ?? 0])} (mean ${s.ours.commandsMean})`).join('; '));
  const quietMax = max(sizes.map(([, s]) => s.ours.commandsMaxWhenNoneLeft));
  add(`≤ ${TARGETS.commandsQuietPoll} when no job left the queue`, sizes.length ? quietMax <= TARGETS.commandsQuietPoll : null, sizes.map(([n, s]) => `${n}: ${s.ours.commandsMaxWhenNoneLeft}`).join('; '));
  const probeOk = sizes.every(([, s]) => s.probe && s.probe.failedCommands === 0 && s.probe.maxArgBytes < TARGETS.argMax && s.ours.failedCommands === 0);
  add(
    'sacct id list split safely (no E2BIG; every id of a poll asked, all commands exit 0)',
    big ? probeOk && big.probe.sacctIds >= big.expectedCounts.PENDING + big.expectedCounts.RUNNING : sizes.length ? probeOk : null,
    sizes.map(([n, s]) => `${n}: probe poll asked sacct about ${s.probe?.sacctIds} ids in ${s.probe?.byCommand?.sacct ?? 0} call(s), longest argument ${s.probe?.maxArgBytes} B`).join('; '),
  );
  // Beside each time, its ratio to a bare `node -e 0` of the same run: a slow VM neither hides nor fakes a change.
  const bare = res.coldStart.nodeAloneMedianMs;
  const x = (ms) => (bare ? ` (${r1(ms / bare)}× bare node)` : '');
  // The target is set for a machine where bare node takes 100 ms (issue 15): a poll's CPU is judged
  // at that speed, scaled by this run's bare node, as the host's share of the VM moves both by a quarter.
  const atBare100 = big && bare ? (big.ours.cpuMsMax * TARGETS.bareNodeMs) / bare : null;
  add(
    `10,000 evals: ≤ ${TARGETS.cpuMsPerPoll10k} ms CPU per poll at a ${TARGETS.bareNodeMs} ms bare node (every regular poll)`,
    atBare100 === null ? null : atBare100 <= TARGETS.cpuMsPerPoll10k,
    big ? `p50 ${big.ours.cpuMsP50} ms${x(big.ours.cpuMsP50)}, p95 ${big.ours.cpuMsP95} ms${x(big.ours.cpuMsP95)}, max ${big.ours.cpuMsMax} ms${x(big.ours.cpuMsMax)}, ${r1(atBare100)} ms at a ${TARGETS.bareNodeMs} ms bare node (probe poll ${big.probe?.cpuMs} ms); bare node -e 0 ${r1(bare)} ms` : 'not measured',
  );
  add(
    `10,000 evals: ≤ ${TARGETS.quietPollWriteKb10k} KB written per quiet poll`,
    big && big.ours.quietPolls > 0 ? big.ours.writeKbQuietPollMax <= TARGETS.quietPollWriteKb10k : null,
    big ? `max ${big.ours.writeKbQuietPollMax} KB over ${big.ours.quietPolls} polls where no eval changed (state file ${big.stateFileKb} KB)` : 'not measured',
  );
  add(
    `10,000 evals: ≤ ${TARGETS.busyPollWriteKb10k} KB written per busy poll`,
    big && big.ours.busyPolls > 0 ? big.ours.writeKbBusyPollMax <= TARGETS.busyPollWriteKb10k : null,
    big ? `mean ${big.ours.writeKbBusyPollMean} KB, max ${big.ours.writeKbBusyPollMax} KB over ${big.ours.busyPolls} polls where evals changed (summary ${big.summaryFileKb} KB)` : 'not measured',
  );
  add(`10,000 evals: ≤ ${TARGETS.peakRssMb10k} MB peak RSS`, big ? big.ours.peakRssMb <= TARGETS.peakRssMb10k : null, big ? `${big.ours.peakRssMb} MB (cold pass ${big.coldPass.peakRssMb}, loop ${big.loopPeakRssMb}, submission ${big.submit.peakRssMb})` : 'not measured');
  add(
    `10,000 evals: summary rewritten only when a row changed, in ≤ ${TARGETS.summaryMs10k} ms`,
    big ? big.ours.summaryWritesWhenNoRowChanged === 0 && big.ours.summaryWritesTouchingOtherLines === 0 && big.ours.summaryUpdateMsMax !== null && big.ours.summaryUpdateMsMax <= TARGETS.summaryMs10k : null,
    big ? `${big.ours.summaryWrites} writes in ${big.ours.polls} polls, ${big.ours.summaryWritesWhenNoRowChanged} without a changed row, ${big.ours.summaryWritesTouchingOtherLines} touching other lines; update p50 ${big.ours.summaryUpdateMsP50} ms, max ${big.ours.summaryUpdateMsMax} ms` : 'not measured',
  );
  add(`cold start ≤ ${TARGETS.coldStartMs} ms`, res.coldStart.medianMs <= TARGETS.coldStartMs, `median ${r1(res.coldStart.medianMs)} ms of ${res.coldStart.runs}${x(res.coldStart.medianMs)} (node -e 0 alone: ${r1(bare)} ms)`);
  const cold = res.coldStart;
  add(
    `cold start ≤ ${TARGETS.coldStartRatio}× bare node: --version and status --json`,
    Math.max(cold.medianMs, cold.statusJsonMedianMs) <= TARGETS.coldStartRatio * bare,
    `--version ${r1(cold.medianMs)} ms${x(cold.medianMs)}, status --json ${r1(cold.statusJsonMedianMs)} ms${x(cold.statusJsonMedianMs)}`,
  );
  add(`bundle ≤ ${TARGETS.bundleBytes / 1024 / 1024} MB`, res.bundleBytes <= TARGETS.bundleBytes, `${res.bundleBytes} bytes`);
  const outcomesOk = sizes.every(([, s]) => ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'].every((k) => (s.finalCounts[k] ?? 0) === s.expectedCounts[k]));
  add('(check) every eval ends where the plan put it', sizes.length ? outcomesOk : null, sizes.map(([n, s]) => `${n}: ${JSON.stringify(s.finalCounts)}`).join('; '));
  return v;
}

function printTable(res) {
  const lines = [];
  const row = (cells, widths) => cells.map((c, i) => String(c ?? '-').padStart(widths[i])).join('  ');
  if (res.bundle !== join(REPO, 'dist', 'run-inspect.mjs')) lines.push(`BUNDLE UNDER TEST: ${res.bundle} (not dist/run-inspect.mjs)`);
  lines.push(`run-inspect bench: node ${res.machine.node}, ${res.machine.cpus} CPUs, ${res.machine.memGiB} GiB, load ${res.machine.loadavgStart.join(' ')} → ${res.machine.loadavgEnd?.join(' ')} (CPUs ${res.machine.busyPctAtStart}% busy at the start), ${res.seconds} s`);
  lines.push(`polls: run --poll-interval 1 on fake-slurm (jobs recorded, never run); per poll = from one poll squeue to the next; CPU = the monitor process only`);
  lines.push(`monitor: node ${res.nodeFlags.join(' ')} <bundle> run ... (the node options of slurm/run-inspect.sbatch, as the monitor job runs it)`);
  lines.push('');
  const head = ['evals', 'who', 'polls', 'cmd max', 'cmd mean', 'cmd quiet', 'CPU p50', 'CPU p95', 'CPU max', 'wall p50', 'own p50', 'RSS MB', 'KB/poll', 'sum wr', 'sum ms', 'state ms'];
  const w = [6, 9, 5, 7, 8, 9, 7, 7, 7, 8, 7, 6, 7, 6, 6, 8];
  lines.push(row(head, w));
  for (const [n, s] of Object.entries(res.sizes)) {
    for (const [who, x] of [['ours', s.ours], ['baseline', s.baseline]].filter(([, x]) => x)) {
      lines.push(row([n, who, x.polls, x.commandsMax, x.commandsMean, x.commandsMaxWhenNoneLeft, x.cpuMsP50, x.cpuMsP95, x.cpuMsMax, x.wallMsP50, x.ownWallMsP50, x.peakRssMb, x.writeKbPerPollMean, `${x.summaryWrites}/${x.polls}`, x.summaryUpdateMsMax, x.stateWriteMsMax], w));
    }
    const r = s.ratio;
    lines.push(row([n, 'ratio', '', r.commandsMax, r.commandsMean, '', r.cpuMsP50, r.cpuMsP95, '', r.wallMsP50, '', r.peakRssMb, r.writeKbPerPollMean, r.summaryWrites, '', ''], w));
  }
  lines.push('(cmd quiet = most commands in a poll where no job left the queue; own = wall minus time in SLURM commands; sum wr = summary writes/polls; sum ms / state ms = slowest experiment_summary.md / eval_jobs.json update)');
  lines.push('');
  lines.push(row(['evals', 'probe: squeue loses every job', 'cmds', 'sacct ids', 'longest arg B', 'CPU ms', 'wall ms'], [6, 30, 5, 9, 13, 7, 8]));
  for (const [n, s] of Object.entries(res.sizes)) {
    const p = s.probe ?? {};
    lines.push(row([n, JSON.stringify(p.byCommand ?? {}), p.commands, p.sacctIds, p.maxArgBytes, p.cpuMs, p.wallMs], [6, 30, 5, 9, 13, 7, 8]));
  }
  lines.push('');
  lines.push(row(['evals', 'submitted', 'subs/s', 'sbatch ms p50', 'monitor ms/sub', 'CPU ms/sub', 'cold pass ms', 'cold CPU ms', 'cold RSS MB', 'state KB', 'summary KB'], [6, 12, 7, 13, 14, 10, 12, 11, 11, 9, 10]));
  for (const [n, s] of Object.entries(res.sizes)) {
    const u = s.submit;
    lines.push(row([n, `${u.submitted}/${u.of}`, u.perSecond, u.sbatchMsP50, u.monitorMsPerSubmission, u.monitorCpuMsPerSubmission, s.coldPass.wallMs, s.coldPass.cpuMsAtLeast, s.coldPass.peakRssMb, s.stateFileKb, s.summaryFileKb], [6, 12, 7, 13, 14, 10, 12, 11, 11, 9, 10]));
  }
  lines.push('(submissions: run --once --stagger 0 against fake sbatch, every eval up to 1,000; at 10,000 the first 100 only (fake sbatch reads every job record: 10,000 would take most of an hour), the rest recorded with fake-slurm-admin create-jobs)');
  lines.push('');
  for (const [n, s] of Object.entries(res.sizes)) {
    if (s.later) lines.push(`${n} evals, the ${s.later.quiet.polls + s.later.busy.polls} later polls: CPU quiet p50 ${s.later.quiet.cpuMsP50} ms, max ${s.later.quiet.cpuMsMax} ms; busy p50 ${s.later.busy.cpuMsP50} ms, max ${s.later.busy.cpuMsMax} ms`);
  }
  lines.push(`cold start: node dist/run-inspect.mjs --version median ${r1(res.coldStart.medianMs)} ms, p95 ${r1(res.coldStart.p95Ms)} ms (node -e 0: ${r1(res.coldStart.nodeAloneMedianMs)} ms); bundle ${res.bundleBytes} bytes`);
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}
