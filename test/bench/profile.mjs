#!/usr/bin/env node
// Where the monitor's CPU goes: the bench's polling loop at one size, run with `node --cpu-prof` on
// an UNMINIFIED build of the same source (dist/ is minified: its names say nothing), then the
// profile summed up per function (self and inclusive time) and per source module (esbuild's
// `// src/...` markers). Not part of `npm run bench`.
//
//   node test/bench/profile.mjs [--size 10000] [--top 30] [--out DIR] [--src REPO_COPY]
// (--src: build from another checkout's src/, e.g. a copy with a proposed fix)
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { templateLog } from './inspect-logs.mjs';
import { jobNodeFlags, runOurs } from './scenario.mjs';
import { makeWrappers } from './wrappers.mjs';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? def : argv[i + 1];
};
const HERE_REPO = fileURLToPath(new URL('../../', import.meta.url));
const REPO = opt('src') ?? HERE_REPO;
const size = Number(opt('size', '10000'));
const top = Number(opt('top', '30'));
const root = mkdtempSync(join(tmpdir(), 'ri-profile-'));
const out = opt('out', join(root, 'profiles'));
mkdirSync(out, { recursive: true });
const log = (m) => process.stderr.write(`[profile] ${m}\n`);

/** build.mjs's options for that checkout, without minification (names say where time goes). */
async function unminifiedBundle(file) {
  const { bundleOptions } = await import(pathToFileURL(join(HERE_REPO, 'build.mjs')).href);
  await build({ ...bundleOptions(REPO), minify: false, keepNames: true, outfile: file });
  return file;
}

/** Line → module ("src/state/store.ts", "node_modules/zod/...") from esbuild's comments. */
function moduleMap(bundleFile) {
  const marks = [];
  readFileSync(bundleFile, 'utf8')
    .split('\n')
    .forEach((l, i) => {
      const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(l);
      if (m) marks.push([i, m[1].replace(/^node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*$/, 'node_modules/$1')]);
    });
  return (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let best = '(banner)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid][0] <= line) {
        best = marks[mid][1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  };
}

function summarize(profileFile, bundleFile) {
  const prof = JSON.parse(readFileSync(profileFile, 'utf8'));
  const mod = moduleMap(bundleFile);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n) => {
    const cf = n.callFrame;
    const where = cf.url.endsWith(bundleFile) || cf.url.endsWith('run-inspect.mjs') ? mod(cf.lineNumber) : cf.url ? cf.url.replace(/^file:\/\//, '').replace(/^node:/, 'node:') : '(native)';
    return `${cf.functionName || '(anonymous)'}  [${where}${cf.url.endsWith('.mjs') ? `:${cf.lineNumber + 1}` : ''}]`;
  };
  const self = new Map();
  const incl = new Map();
  const modules = new Map();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const n = byId.get(id);
    const k = keyOf(n);
    self.set(k, (self.get(k) ?? 0) + dt);
    const m = /\[([^\]:]+)/.exec(k)?.[1] ?? '?';
    if (n.callFrame.functionName !== '(idle)') modules.set(m, (modules.get(m) ?? 0) + dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = keyOf(byId.get(cur));
      if (seen.has(kk)) continue;
      seen.add(kk);
      incl.set(kk, (incl.get(kk) ?? 0) + dt);
    }
  });
  const idle = self.get('(idle)  [(native)]') ?? 0;
  const fmt = (m) => [...m.entries()].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)') && !k.startsWith('(program)')).sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${v.toFixed(0).padStart(7)} ms  ${k}`).join('\n');
  return [
    `profile ${profileFile}: ${total.toFixed(0)} ms sampled, ${(total - idle).toFixed(0)} ms busy`,
    `\nby module (self time, busy only):\n${[...modules.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${v.toFixed(0).padStart(7)} ms  ${k}`).join('\n')}`,
    `\ntop functions by self time:\n${fmt(self)}`,
    `\ntop functions by inclusive time:\n${fmt(incl)}`,
  ].join('\n');
}

try {
  const bundle = await unminifiedBundle(join(root, 'run-inspect.profile.mjs'));
  const ctx = {
    root,
    bundle: join(HERE_REPO, 'dist', 'run-inspect.mjs'),
    fakeBin: join(HERE_REPO, 'fake-slurm', 'bin'),
    wrapBin: makeWrappers(join(root, 'bin'), join(HERE_REPO, 'fake-slurm', 'bin')),
    node: process.execPath,
    nodeFlags: jobNodeFlags(HERE_REPO),
    user: userInfo().username,
    templateFile: join(root, 'inspect-log-template.json'),
    submitAllMax: 0,
    submitSample: 20,
  };
  writeFileSync(ctx.templateFile, JSON.stringify(templateLog()));
  log(`${size} evals, polling loop under --cpu-prof (unminified build of src/)`);
  const res = await runOurs(ctx, size, log, { bundle, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${out}`] });
  const cpu = res.polls.map((p) => p.cpuMs.toFixed(0)).join(' ');
  process.stdout.write(`CPU ms per poll under the profiler: ${cpu}\n\n`);
  for (const f of readdirSync(out).filter((n) => n.endsWith('.cpuprofile'))) process.stdout.write(`${summarize(join(out, f), bundle)}\n`);
  if (opt('out')) process.stdout.write(`\nprofiles kept in ${out} (open in Chrome DevTools → Performance)\n`);
} finally {
  rmSync(root, { recursive: true, force: true }); // --out DIR (outside it) keeps the .cpuprofile files
}
