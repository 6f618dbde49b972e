// Builders for inspect logs in tests: a hand-rolled zip writer (so we can make ZIP64 archives,
// duplicate names, lying sizes and raw zstd members), and realistic header/start JSON.

import { deflateRawSync } from 'node:zlib';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { crc32 } from '../../src/inspect/zip.js';

/**
 * The real inspect-ai logs of ../shared/fixtures/inspect-logs: third-party test data (inspect_ai's
 * own, MIT) that lives beside the checkout in CI and on the team's machines, not in this
 * repository. Tests that need them run through describeRealLogs / itRealLogs: skipped, with a
 * note, where the folder is missing (a fresh clone); failing loudly when
 * RUN_INSPECT_REQUIRE_SHARED=1 (CI sets it, so they can never be skipped there unnoticed).
 */
export const FIXTURES = new URL('../../../shared/fixtures/inspect-logs', import.meta.url).pathname;
export const REAL_LOGS_PRESENT = existsSync(FIXTURES);
export const REAL_LOGS_REQUIRED = process.env.RUN_INSPECT_REQUIRE_SHARED === '1';
const MISSING = `the real inspect-ai logs are not there: ${FIXTURES} (the shared/ folder beside the checkout)`;
let noted = false;

function gate(): 'run' | 'skip' | 'fail' {
  if (REAL_LOGS_PRESENT) return 'run';
  if (REAL_LOGS_REQUIRED) return 'fail';
  if (!noted) {
    noted = true;
    console.warn(`[run-inspect tests] skipping the tests on real inspect-ai logs: ${MISSING}. CI has it; set RUN_INSPECT_REQUIRE_SHARED=1 to make this an error.`);
  }
  return 'skip';
}

function missing(): never {
  throw new Error(`RUN_INSPECT_REQUIRE_SHARED=1 and ${MISSING}`);
}

/** describe() for tests on the real logs: skipped without them, one failing test when they are required. */
export function describeRealLogs(name: string, body: () => void): void {
  const g = gate();
  if (g === 'fail') describe(name, () => it('needs ../shared/fixtures/inspect-logs', missing));
  else describe.skipIf(g === 'skip')(name, body);
}

/** it() for one test on the real logs (same rules as describeRealLogs). */
export function itRealLogs(name: string, fn: () => unknown): void {
  const g = gate();
  it.skipIf(g === 'skip')(name, g === 'fail' ? missing : fn);
}
export const FIX = {
  popularity: `${FIXTURES}/2025-02-11T15-18-04-05-00_popularity_mj7khqpMM4GBCfVQozKgzB.eval`,
  popularityNoScores: `${FIXTURES}/2025-02-11T15-17-00-05-00_popularity_dPiJifoWeEQBrfWsAopzWr.eval`,
  streaming: `${FIXTURES}/log_streaming.eval`,
  zstd: `${FIXTURES}/ais-decoder.eval`,
  legacyJson: `${FIXTURES}/2024-08-29T15-11-18+00-00_popularity_5EAmX6wjMFqea6WY7XHzZp.json`,
};

export interface RawMember {
  name: string;
  method: number;
  crc: number;
  size: number;
  compressed: Uint8Array;
  /** Offset of the compressed data in the source file. */
  dataOffset: number;
}

/** The members of a (simple, data-descriptor-free) zip, by walking its local headers. */
export function rawMembers(path: string): RawMember[] {
  const b = readFileSync(path);
  const out: RawMember[] = [];
  let p = 0;
  while (p + 30 <= b.length && b.readUInt32LE(p) === 0x04034b50) {
    const nameLen = b.readUInt16LE(p + 26);
    const extraLen = b.readUInt16LE(p + 28);
    const compSize = b.readUInt32LE(p + 18);
    const dataOffset = p + 30 + nameLen + extraLen;
    out.push({
      name: b.toString('utf8', p + 30, p + 30 + nameLen),
      method: b.readUInt16LE(p + 8),
      crc: b.readUInt32LE(p + 14),
      size: b.readUInt32LE(p + 22),
      compressed: b.subarray(dataOffset, dataOffset + compSize),
      dataOffset,
    });
    p = dataOffset + compSize;
  }
  return out;
}

export function rawMember(path: string, name: string): RawMember {
  const m = rawMembers(path).filter((r) => r.name === name).pop();
  if (!m) throw new Error(`${name} not in ${path}`);
  return m;
}

/** One member to write: content we compress, or bytes already compressed (e.g. zstd). */
export type MemberSpec = (
  | { name: string; data: string | Uint8Array; method?: 0 | 8; size?: number; crc?: number }
  | { name: string; raw: { method: number; compressed: Uint8Array; size: number; crc: number } }
) & {
  /** Bytes of padding in the local header's extra field (an unknown 0xcafe block). */
  localPad?: number;
};

export interface ZipOptions {
  /** Write ZIP64 extra fields and the ZIP64 end records (as Python does for large archives). */
  zip64?: boolean;
}

export function buildZip(members: MemberSpec[], opts: ZipOptions = {}): Buffer {
  const zip64 = opts.zip64 ?? false;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    let method: number, compressed: Uint8Array, size: number, crc: number;
    if ('raw' in m) {
      ({ method, compressed, size, crc } = m.raw);
    } else {
      const data = typeof m.data === 'string' ? Buffer.from(m.data, 'utf8') : m.data;
      method = m.method ?? 8;
      compressed = method === 8 ? deflateRawSync(data) : data;
      size = m.size ?? data.length;
      crc = m.crc ?? crc32(data);
    }
    const u32 = (v: number) => (zip64 ? 0xffffffff : v);
    const localExtra = Buffer.concat([zip64 ? extra64([size, compressed.length]) : Buffer.alloc(0), pad(m.localPad ?? 0)]);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(zip64 ? 45 : 20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(u32(compressed.length), 18);
    local.writeUInt32LE(u32(size), 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(localExtra.length, 28);
    locals.push(local, name, localExtra, Buffer.from(compressed));

    const cdExtra = zip64 ? extra64([size, compressed.length, offset]) : Buffer.alloc(0);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(zip64 ? 45 : 20, 4);
    cd.writeUInt16LE(zip64 ? 45 : 20, 6);
    cd.writeUInt16LE(0x800, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(u32(compressed.length), 20);
    cd.writeUInt32LE(u32(size), 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(cdExtra.length, 30);
    cd.writeUInt32LE(u32(offset), 42);
    centrals.push(cd, name, cdExtra);
    offset += 30 + name.length + localExtra.length + compressed.length;
  }
  const cdBuf = Buffer.concat(centrals);
  const tail: Buffer[] = [];
  const cdOffset = offset;
  if (zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(members.length), 24);
    rec.writeBigUInt64LE(BigInt(members.length), 32);
    rec.writeBigUInt64LE(BigInt(cdBuf.length), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(cdOffset + cdBuf.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64 ? 0xffff : members.length, 8);
  eocd.writeUInt16LE(zip64 ? 0xffff : members.length, 10);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : cdBuf.length, 12);
  eocd.writeUInt32LE(zip64 ? 0xffffffff : cdOffset, 16);
  tail.push(eocd);
  return Buffer.concat([...locals, cdBuf, ...tail]);
}

function pad(n: number): Buffer {
  if (n === 0) return Buffer.alloc(0);
  const b = Buffer.alloc(4 + n, 0x20);
  b.writeUInt16LE(0xcafe, 0);
  b.writeUInt16LE(n, 2);
  return b;
}

function extra64(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

export interface HeaderOptions {
  status?: string;
  task?: string;
  model?: string;
  modelPath?: string | null;
  configDir?: string;
  created?: string;
  results?: unknown;
  error?: unknown;
  sampleIds?: number[];
  epochs?: number;
}

/** An EvalSpec like inspect writes (only the fields the reader looks at, plus some noise). */
export function evalSpec(o: HeaderOptions = {}): Record<string, unknown> {
  return {
    run_id: 'RUN',
    created: o.created ?? '2026-01-02T03:04:05+00:00',
    task: o.task ?? 'popularity',
    task_id: 'TASKID',
    task_args: o.configDir ? { config_dir: o.configDir } : {},
    dataset: { name: 'popularity', samples: 100, sample_ids: o.sampleIds ?? [1, 2, 3, 4, 5], shuffled: false },
    model: o.model ?? 'vllm/local',
    model_args: o.modelPath ? { model_path: o.modelPath } : {},
    config: o.epochs ? { epochs: o.epochs } : {},
  };
}

export function startJson(o: HeaderOptions = {}): string {
  return JSON.stringify({ version: 2, eval: evalSpec(o), plan: { name: 'plan', steps: [] } }, null, 2);
}

export function headerJson(o: HeaderOptions = {}): string {
  const h: Record<string, unknown> = {
    version: 2,
    status: o.status ?? 'success',
    eval: evalSpec(o),
    plan: { name: 'plan', steps: [] },
    stats: { started_at: '2026-01-02T03:04:05+00:00', completed_at: '2026-01-02T03:09:00+00:00' },
  };
  if (o.results !== undefined) h.results = o.results;
  else if ((o.status ?? 'success') === 'success') h.results = accuracyResults(0.873, 0.011, 500);
  if (o.error !== undefined) h.error = o.error;
  return JSON.stringify(h, null, 2);
}

export function accuracyResults(accuracy: number, stderr: number, n: number): unknown {
  return {
    total_samples: n,
    completed_samples: n,
    scores: [
      {
        name: 'match',
        scorer: 'match',
        params: {},
        metrics: {
          accuracy: { name: 'accuracy', value: accuracy, params: {} },
          stderr: { name: 'stderr', value: stderr, params: {} },
        },
      },
    ],
  };
}

export function summaries(...pairs: Array<[number | string, number]>): string {
  return JSON.stringify(pairs.map(([id, epoch]) => ({ id, epoch, input: 'q', target: 'a', scores: {} })));
}

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(prefix = 'inspect-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFile(dir: string, name: string, data: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}
