// Timing of the inspect log reader (not a test; vitest ignores it). Run from the repo root (the
// bundle must sit next to this file: fixture paths are relative to it):
//   npx esbuild test/bench/inspect-reader.ts --bundle --platform=node --format=esm \
//     --outfile=test/bench/.inspect-reader.mjs && node test/bench/.inspect-reader.mjs; rm -f test/bench/.inspect-reader.mjs
// Prints per-log read times on the real fixtures, on large built logs, and findLogs over 200 logs.

import { copyFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearJournalCache, readInspectLog } from '../../src/inspect/log.js';
import { clearLogCache, findLogs, type LogIdentity } from '../../src/inspect/find.js';

const IDENTITY: LogIdentity = { tasks: ['task3'], visLabel: null, modelPath: '/scratch/ck/run0/epoch_7', ownFolder: false };
import { FIX, buildZip, headerJson, startJson, summaries, tempDir, writeFile, type MemberSpec } from '../inspect/helpers.js';

async function time(label: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm up (JIT, page cache)
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const med = samples[Math.floor(runs / 2)]!;
  const p95 = samples[Math.floor(runs * 0.95)]!;
  console.log(`${label.padEnd(58)} median ${med.toFixed(3)} ms   p95 ${p95.toFixed(3)} ms   max ${samples[runs - 1]!.toFixed(3)} ms`);
}

/** A sample member like inspect writes: a few KB of messages. */
function sampleJson(id: number, epoch: number): string {
  const text = `Sample ${id}: ` + 'the quick brown fox jumps over the lazy dog. '.repeat(60);
  return JSON.stringify({ id, epoch, input: text, messages: [{ role: 'user', content: text }, { role: 'assistant', content: text }] });
}

async function main(): Promise<void> {
  const { dir, cleanup } = tempDir('inspect-bench-');
  try {
    console.log(`node ${process.version}`);
    const first = performance.now();
    await readInspectLog(FIX.zstd);
    console.log(`first read in a fresh process (ais-decoder.eval, zstd)         ${(performance.now() - first).toFixed(3)} ms`);

    for (const f of Object.values(FIX)) await time(`fixture ${basename(f).slice(0, 40)}`, 500, () => readInspectLog(f));

    // A finished log with 5,000 samples (~20 MB): only the header is decompressed.
    const many: MemberSpec[] = [{ name: '_journal/start.json', data: startJson() }];
    for (let i = 1; i <= 5000; i++) many.push({ name: `samples/${i}_epoch_1.json`, data: sampleJson(i, 1) });
    for (let i = 1; i <= 500; i++) many.push({ name: `_journal/summaries/${i}.json`, data: summaries(...Array.from({ length: 10 }, (_, k): [number, number] => [i * 10 + k, 1])) });
    many.push({ name: 'summaries.json', data: '[]' }, { name: 'header.json', data: headerJson() });
    const big = writeFile(dir, 'big-finished.eval', buildZip(many));
    await time(`finished, 5000 samples, ${(statSync(big).size / 1e6).toFixed(0)} MB`, 100, () => readInspectLog(big));

    // Running logs: one journal summary member per sample (what inspect's streaming mode writes).
    for (const n of [100, 1000, 5000]) {
      const members: MemberSpec[] = [{ name: '_journal/start.json', data: startJson({ sampleIds: Array.from({ length: n }, (_, i) => i + 1) }) }];
      for (let i = 1; i <= n; i++) {
        members.push({ name: `samples/${i}_epoch_1.json`, data: sampleJson(i, 1) });
        members.push({ name: `_journal/summaries/${i}.json`, data: JSON.stringify([{ id: i, epoch: 1, input: 'q'.repeat(500), target: 'a', scores: { match: { value: 'C' } } }]) });
      }
      const path = writeFile(dir, `running-${n}.eval`, buildZip(members));
      const runs = n >= 5000 ? 20 : 100;
      await time(`running, ${n} journal members, cold`, runs, () => (clearJournalCache(), readInspectLog(path)));
      await time(`running, ${n} journal members, next poll (cached journal)`, runs, () => readInspectLog(path));
    }

    // findLogs over 200 logs: 4 real fixtures + 196 built ones (7 tasks × 28 checkpoints).
    const logs = join(dir, 'logs');
    (await import('node:fs')).mkdirSync(logs);
    for (const f of Object.values(FIX)) copyFileSync(f, join(logs, basename(f)));
    let n = 0;
    for (let t = 0; n < 196; t++) {
      for (let e = 1; e <= 28 && n < 196; e++, n++) {
        const o = { task: `task${t}`, modelPath: `/scratch/ck/run${t % 3}/epoch_${e}`, created: `2026-01-0${1 + (e % 9)}T10:00:00Z` };
        writeFile(logs, `2026-01-01T10-00-00_task${t}_${e}.eval`, buildZip([{ name: '_journal/start.json', data: startJson(o) }, { name: 'header.json', data: headerJson(o) }]));
      }
    }
    await time('findLogs, 200 logs, cold (cache cleared each run)', 30, async () => {
      clearLogCache();
      await findLogs(logs, IDENTITY);
    });
    await time('findLogs, 200 logs, warm (nothing changed since last poll)', 100, () => findLogs(logs, IDENTITY));
    const r = await findLogs(logs, IDENTITY);
    console.log(`  → found ${r.finished ? basename(r.finished.path) : 'nothing'}, ${r.problems.length} problems`);
  } finally {
    cleanup();
  }
}

await main();
