import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { zipSync, strToU8 } from 'fflate';
import { readInspectLog, InspectLogError, type InspectLogInfo } from '../../src/inspect/log.js';
import {
  FIX,
  itRealLogs,
  accuracyResults,
  buildZip,
  headerJson,
  rawMember,
  rawMembers,
  startJson,
  summaries,
  tempDir,
  writeFile,
} from './helpers.js';

const here = new URL('.', import.meta.url).pathname;

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

/** Expect readInspectLog to fail with a one-line InspectLogError naming the file. */
async function expectBad(path: string, problem: RegExp): Promise<InspectLogError> {
  const err = await readInspectLog(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InspectLogError);
  const e = err as InspectLogError;
  expect(e.path).toBe(path);
  expect(e.message.startsWith(`${path}: `)).toBe(true);
  expect(e.message).not.toContain('\n');
  expect(e.message).toMatch(problem);
  return e;
}

const metric = (info: InspectLogInfo, scorer: number, name: string) =>
  info.scores[scorer]?.metrics.find((m) => m.name === name);

describe('real inspect logs (fixtures README)', () => {
  itRealLogs('popularity mj7k…: deflate, success, match accuracy 0.8 stderr 0.1333', async () => {
    const info = await readInspectLog(FIX.popularity);
    expect(info).toMatchObject({
      format: 'eval',
      status: 'success',
      task: 'popularity',
      model: 'openai/gpt-4o-mini',
      modelPath: null,
      created: '2025-02-11T15:18:04-05:00',
      errorMessage: null,
      totalSamples: 10,
      completedSamples: 10,
      progress: null,
      startedAt: '2025-02-11T15:18:04-05:00',
      completedAt: '2025-02-11T15:18:08-05:00',
    });
    expect(info.scores).toEqual([
      {
        name: 'match',
        scorer: 'match',
        metrics: [
          { name: 'accuracy', value: 0.8 },
          { name: 'stderr', value: 0.13333333333333333 },
        ],
      },
    ]);
  });

  itRealLogs('popularity dPiJ…: success with empty scores', async () => {
    const info = await readInspectLog(FIX.popularityNoScores);
    expect(info).toMatchObject({ status: 'success', task: 'popularity', model: 'openai/gpt-4o-mini' });
    expect(info.scores).toEqual([]);
  });

  itRealLogs('log_streaming: success, azureai model, 2 samples × 2 epochs, accuracy 0.75 stderr 0.25', async () => {
    const info = await readInspectLog(FIX.streaming);
    expect(info).toMatchObject({
      status: 'success',
      task: 'popularity',
      model: 'azureai/Meta-Llama-3-1-405B-Instruct-jqf',
      totalSamples: 4,
      completedSamples: 4,
    });
    expect(metric(info, 0, 'accuracy')?.value).toBe(0.75);
    expect(metric(info, 0, 'stderr')?.value).toBe(0.25);
    expect(info.scores.map((s) => s.name)).toEqual(['match']);
  });

  itRealLogs('ais-decoder: zstd (93), success, cp_ctf, gpt-5.4, model_graded_qa accuracy 0 stderr 0', async () => {
    const info = await readInspectLog(FIX.zstd);
    expect(info).toMatchObject({ format: 'eval', status: 'success', task: 'cp_ctf', model: 'openai/gpt-5.4' });
    expect(info.scores).toEqual([
      {
        name: 'model_graded_qa',
        scorer: 'model_graded_qa',
        scoredSamples: 1,
        metrics: [
          { name: 'accuracy', value: 0 },
          { name: 'stderr', value: 0 },
        ],
      },
    ]);
  });

  itRealLogs('legacy .json: status error without an error object, accuracy 0', async () => {
    const info = await readInspectLog(FIX.legacyJson);
    expect(info).toMatchObject({
      format: 'json',
      status: 'error',
      task: 'popularity',
      model: 'mockllm/model',
      errorMessage: null,
      totalSamples: 1,
      completedSamples: 1,
    });
    expect(metric(info, 0, 'accuracy')?.value).toBe(0);
    expect(info.scores[0]?.name).toBe('match');
  });

  it('python zipfile log: duplicate header.json (last wins), ZIP64 local extras, NaN/Infinity tokens', async () => {
    const info = await readInspectLog(`${here}fixtures/python-dups-nan.eval`);
    expect(info.status).toBe('success');
    expect(info.errorMessage).toBeNull();
    expect(info.task).toBe('tasks/pop.py@popularity');
    expect(info.modelPath).toBe('/ckpt/run1/epoch_2/');
    expect(info.scores[0]?.metrics).toEqual([
      { name: 'accuracy', value: null, nonFinite: 'NaN' },
      { name: 'stderr', value: null, nonFinite: 'Infinity' },
    ]);
  });
});

describe('logs built in tests', () => {
  it('running: no header.json, progress from _journal/summaries/* and total from start.json', async () => {
    const path = writeFile(
      dir,
      'running.eval',
      buildZip([
        { name: '_journal/start.json', data: startJson({ sampleIds: [1, 2, 3, 4, 5], epochs: 2, modelPath: '/m/ck' }) },
        { name: 'samples/1_epoch_1.json', data: '{}' },
        { name: '_journal/summaries/1.json', data: summaries([1, 1], [2, 1]) },
        { name: '_journal/summaries/2.json', data: summaries([3, 1], [1, 1], ['4', 2]) }, // 1/1 re-run
      ]),
    );
    const info = await readInspectLog(path);
    expect(info).toMatchObject({
      status: 'running',
      task: 'popularity',
      modelPath: '/m/ck',
      progress: { done: 4, total: 10 },
      totalSamples: 10,
      completedSamples: 4,
      scores: [],
      completedAt: null,
    });
  });

  it('running: journal members far apart, some with long local extra fields (separate reads)', async () => {
    const big = () => randomBytes(100_000); // incompressible: > 64 KiB between journal members
    const path = writeFile(
      dir,
      'running-spread.eval',
      buildZip([
        { name: '_journal/start.json', data: startJson(), localPad: 300 },
        { name: 'samples/1_epoch_1.json', data: big(), method: 0 },
        { name: '_journal/summaries/1.json', data: summaries([1, 1]), localPad: 500 },
        { name: 'samples/2_epoch_1.json', data: big(), method: 0 },
        { name: '_journal/summaries/2.json', data: summaries([2, 1]) },
        { name: '_journal/summaries/3.json', data: summaries([3, 1]), localPad: 200 },
      ]),
    );
    expect((await readInspectLog(path)).progress).toEqual({ done: 3, total: 5 });
  });

  it('running: the next poll sees a rewritten journal (same member names and offsets)', async () => {
    const path = join(dir, 'rewritten.eval');
    const write = (...pairs: Array<[number, number]>) =>
      writeFileSync(path, buildZip([{ name: '_journal/start.json', data: startJson() }, { name: '_journal/summaries/1.json', data: summaries(...pairs) }]));
    write([1, 1]);
    expect((await readInspectLog(path)).progress?.done).toBe(1);
    write([1, 1], [2, 1]);
    expect((await readInspectLog(path)).progress?.done).toBe(2);
  });

  it('running: a journal declaring more than the poll budget is counted by sample members', async () => {
    const path = writeFile(
      dir,
      'running-huge-journal.eval',
      buildZip([
        { name: '_journal/start.json', data: startJson() },
        { name: 'samples/1_epoch_1.json', data: '{}' },
        { name: 'samples/2_epoch_1.json', data: '{}' },
        { name: '_journal/summaries/1.json', raw: { method: 8, compressed: deflateRawSync('[]'), size: 200 * 1024 * 1024, crc: 0 } },
      ]),
    );
    expect((await readInspectLog(path)).progress).toEqual({ done: 2, total: 5 });
  });

  it('running with no summaries yet: 0 done', async () => {
    const path = writeFile(dir, 'fresh.eval', buildZip([{ name: '_journal/start.json', data: startJson() }]));
    expect((await readInspectLog(path)).progress).toEqual({ done: 0, total: 5 });
  });

  itRealLogs('running, zstd members taken from the real ais-decoder log', async () => {
    const start = rawMember(FIX.zstd, '_journal/start.json');
    const summary = rawMember(FIX.zstd, '_journal/summaries/1.json');
    const path = writeFile(
      dir,
      'running-zstd.eval',
      buildZip([
        { name: start.name, raw: start },
        { name: summary.name, raw: summary },
      ]),
    );
    const info = await readInspectLog(path);
    expect(info).toMatchObject({ status: 'running', task: 'cp_ctf', progress: { done: 1, total: 1 } });
  });

  it('total when there are no sample_ids: dataset size cut by limit, × epochs', async () => {
    const start = JSON.parse(startJson()) as { eval: { dataset: Record<string, unknown>; config: unknown } };
    delete start.eval.dataset.sample_ids;
    start.eval.config = { limit: 7, epochs: 3 };
    const path = writeFile(dir, 'limit.eval', buildZip([{ name: '_journal/start.json', data: JSON.stringify(start) }]));
    expect((await readInspectLog(path)).progress).toEqual({ done: 0, total: 21 });
  });

  it('error with an error object: first line of the message; samples done from the journal', async () => {
    const longLine = 'RuntimeError: CUDA out of memory. ' + 'x'.repeat(400);
    const path = writeFile(
      dir,
      'error.eval',
      buildZip([
        { name: '_journal/start.json', data: startJson() },
        { name: '_journal/summaries/1.json', data: summaries([1, 1], [2, 1]) },
        {
          name: 'header.json',
          data: headerJson({ status: 'error', error: { message: `${longLine}\nsecond line`, traceback: 'Traceback…' } }),
        },
      ]),
    );
    const info = await readInspectLog(path);
    expect(info.status).toBe('error');
    expect(info.errorMessage?.startsWith('RuntimeError: CUDA out of memory.')).toBe(true);
    expect(info.errorMessage?.length).toBeLessThanOrEqual(300);
    expect(info.errorMessage).not.toContain('second line');
    expect(info.completedSamples).toBe(2);
    expect(info.totalSamples).toBe(5);
    expect(info.scores).toEqual([]);
  });

  it('error message falls back to the traceback’s last line', async () => {
    const path = writeFile(
      dir,
      'error-tb.eval',
      buildZip([
        { name: 'header.json', data: headerJson({ status: 'error', error: { message: '', traceback: 'Traceback\n  File x\nValueError: bad config\n' } }) },
      ]),
    );
    expect((await readInspectLog(path)).errorMessage).toBe('ValueError: bad config');
  });

  it('cancelled', async () => {
    const path = writeFile(dir, 'cancelled.eval', buildZip([{ name: 'header.json', data: headerJson({ status: 'cancelled' }) }]));
    const info = await readInspectLog(path);
    expect(info.status).toBe('cancelled');
    expect(info.completedSamples).toBe(0);
  });

  it('header status "started" counts as in progress, with journal progress', async () => {
    const path = writeFile(
      dir,
      'started.eval',
      buildZip([
        { name: 'header.json', data: headerJson({ status: 'started', results: null }) },
        { name: '_journal/summaries/1.json', data: summaries([1, 1]) },
      ]),
    );
    expect(await readInspectLog(path)).toMatchObject({ status: 'started', progress: { done: 1, total: 5 } });
  });

  it('a zip written by fflate (another writer) reads the same', async () => {
    const path = writeFile(
      dir,
      'fflate.eval',
      zipSync({ '_journal/start.json': strToU8(startJson()), 'header.json': strToU8(headerJson({ modelPath: '/ck/e1' })) }),
    );
    const info = await readInspectLog(path);
    expect(info).toMatchObject({ status: 'success', modelPath: '/ck/e1' });
    expect(metric(info, 0, 'accuracy')?.value).toBe(0.873);
  });

  it('duplicate member names: the last central-directory entry wins', async () => {
    const path = writeFile(
      dir,
      'dups.eval',
      buildZip([
        { name: 'header.json', data: headerJson({ status: 'error', error: { message: 'old' } }) },
        { name: 'header.json', data: headerJson({ status: 'success', model: 'second' }) },
      ]),
    );
    expect(await readInspectLog(path)).toMatchObject({ status: 'success', model: 'second', errorMessage: null });
  });

  it('ZIP64: end records and extra fields', async () => {
    const path = writeFile(
      dir,
      'zip64.eval',
      buildZip(
        [
          { name: '_journal/start.json', data: startJson() },
          { name: 'header.json', data: headerJson({ configDir: '/configs/run2/' }) },
        ],
        { zip64: true },
      ),
    );
    expect(await readInspectLog(path)).toMatchObject({ status: 'success', modelPath: '/configs/run2/' });
  });

  it('stored (method 0) members, with a long local extra field', async () => {
    const path = writeFile(dir, 'stored.eval', buildZip([{ name: 'header.json', data: headerJson(), method: 0, localPad: 1000 }]));
    expect((await readInspectLog(path)).status).toBe('success');
  });

  it('NaN / Infinity / -Infinity tokens; the same words inside strings are left alone', async () => {
    const results = accuracyResults(0.5, 0.1, 10) as { scores: Array<{ metrics: Record<string, unknown> }> };
    results.scores[0]!.metrics = {
      accuracy: { name: 'accuracy', value: '@NAN@' },
      stderr: { name: 'stderr', value: '@INF@' },
      low: { name: 'low', value: '@NINF@' },
      none: { name: 'none', value: null },
    };
    const text = headerJson({ results, error: { message: 'NaN Infinity "quoted"', traceback: '' } })
      .replace('"@NAN@"', 'NaN')
      .replace('"@INF@"', 'Infinity')
      .replace('"@NINF@"', '-Infinity');
    const path = writeFile(dir, 'nan.eval', buildZip([{ name: 'header.json', data: text }]));
    const info = await readInspectLog(path);
    expect(info.scores[0]?.metrics).toEqual([
      { name: 'accuracy', value: null, nonFinite: 'NaN' },
      { name: 'stderr', value: null, nonFinite: 'Infinity' },
      { name: 'low', value: null, nonFinite: '-Infinity' },
      { name: 'none', value: null },
    ]);
    expect(info.errorMessage).toBe('NaN Infinity "quoted"');
  });

  it('legacy results.metrics + results.scorer map to one score', async () => {
    const log = {
      version: 1,
      status: 'success',
      eval: { task: 'popularity', model: 'openai/gpt-4', created: '2024-05-01T00:00:00+00:00', model_args: {}, task_args: {} },
      plan: {},
      results: {
        scorer: { name: 'match', params: {} },
        metrics: { accuracy: { name: 'accuracy', value: 0.6, options: {} }, bootstrap_std: { name: 'bootstrap_std', value: 0.05 } },
      },
      stats: {},
      samples: [],
    };
    const path = writeFile(dir, 'legacy-v1.json', JSON.stringify(log));
    expect((await readInspectLog(path)).scores).toEqual([
      {
        name: 'match',
        scorer: 'match',
        metrics: [
          { name: 'accuracy', value: 0.6 },
          { name: 'bootstrap_std', value: 0.05 },
        ],
      },
    ]);
  });

  it('.json log: reads the header only, never the samples after it', async () => {
    // The samples part is not even JSON: reading it would fail.
    const head = JSON.parse(headerJson({ modelPath: '/ck' })) as Record<string, unknown>;
    const text = JSON.stringify(head).slice(0, -1) + ', "samples": [ {{{ not json ' + 'x'.repeat(2_000_000);
    const path = writeFile(dir, 'big.json', text);
    expect(await readInspectLog(path)).toMatchObject({ format: 'json', status: 'success', modelPath: '/ck' });
  });

  it('.json log: a "samples" key nested deeper is not where it stops', async () => {
    const head = JSON.parse(headerJson()) as { eval: Record<string, unknown> };
    head.eval.metadata = { samples: 3, note: 'has "samples": inside a string' };
    const path = writeFile(dir, 'nested.json', JSON.stringify(head));
    expect((await readInspectLog(path)).status).toBe('success');
  });
});

describe('bad logs: one clear line naming the file, never a crash', () => {
  it('missing file', async () => {
    await expectBad(`${dir}/nope.eval`, /no such file/);
  });

  itRealLogs('truncated .eval (cut in half)', async () => {
    const bytes = readFileSync(FIX.popularity);
    const path = writeFile(dir, 'truncated.eval', bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectBad(path, /truncated zip/);
  });

  itRealLogs('truncated just before the end record', async () => {
    const bytes = readFileSync(FIX.zstd);
    const path = writeFile(dir, 'truncated-tail.eval', bytes.subarray(0, bytes.length - 10));
    await expectBad(path, /truncated/);
  });

  itRealLogs('central directory pointing past the end (bytes removed from the middle)', async () => {
    const bytes = readFileSync(FIX.popularity);
    const path = writeFile(dir, 'holed.eval', Buffer.concat([bytes.subarray(0, 1000), bytes.subarray(3000)]));
    await expectBad(path, /truncated|corrupted/);
  });

  it('not a zip', async () => {
    const path = writeFile(dir, 'text.eval', 'this is a text file, not a zip\n'.repeat(10));
    await expectBad(path, /not a zip file/);
  });

  it('empty file', async () => {
    await expectBad(writeFile(dir, 'empty.eval', ''), /empty file/);
    await expectBad(writeFile(dir, 'empty.json', ''), /: empty \(no JSON\)$/);
  });

  it('zip bomb: tiny deflate member that inflates far past its declared size', async () => {
    const huge = Buffer.alloc(64 * 1024 * 1024); // 64 MiB of zeros → ~64 KB compressed
    const compressed = deflateRawSync(huge);
    const path = writeFile(
      dir,
      'bomb.eval',
      buildZip([{ name: 'header.json', raw: { method: 8, compressed, size: 1000, crc: 0 } }]),
    );
    const t = Date.now();
    await expectBad(path, /header\.json inflates past its declared 1000 bytes/);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('zip bomb: declared size over the cap is refused before reading', async () => {
    const path = writeFile(
      dir,
      'bomb-declared.eval',
      buildZip([{ name: 'header.json', raw: { method: 8, compressed: deflateRawSync(Buffer.alloc(10)), size: 0xfffffff0, crc: 0 } }]),
    );
    await expectBad(path, /header\.json declares 4294967280 bytes, over the \d+-byte cap/);
  });

  it('zip bomb: zstd RLE blocks (4 bytes → 128 KiB each) without a declared content size', async () => {
    const path = writeFile(
      dir,
      'bomb-zstd.eval',
      buildZip([{ name: 'header.json', raw: { method: 93, compressed: zstdRleBomb(2000), size: 5000, crc: 0 } }]),
    );
    const t = Date.now();
    await expectBad(path, /header\.json decompresses past its declared 5000 bytes/);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('zstd frame declaring a huge window is refused before allocating', async () => {
    const frame = zstdRleBomb(1);
    frame[5] = 0xf8; // window descriptor: 2^(10+31)
    const path = writeFile(dir, 'zstd-window.eval', buildZip([{ name: 'header.json', raw: { method: 93, compressed: frame, size: 10, crc: 0 } }]));
    await expectBad(path, /zstd data corrupted \(window of \d+ bytes is too large\)/);
  });

  itRealLogs('corrupted zstd frame in a copy of the real ais-decoder log', async () => {
    const bytes = Buffer.from(readFileSync(FIX.zstd));
    const header = rawMembers(FIX.zstd).find((m) => m.name === 'header.json')!;
    // Keep the frame header, scramble the compressed block content.
    for (let i = header.dataOffset + 12; i < header.dataOffset + header.compressed.length - 8; i += 7) bytes[i] ^= 0x5a;
    const path = writeFile(dir, 'zstd-corrupt.eval', bytes);
    await expectBad(path, /member header\.json: (zstd data corrupted|.*CRC-32|.*past its declared|is \d+ bytes)/);
  });

  itRealLogs('zstd frame cut short', async () => {
    const h = rawMember(FIX.zstd, 'header.json');
    const cut = h.compressed.subarray(0, h.compressed.length - 100);
    const path = writeFile(dir, 'zstd-cut.eval', buildZip([{ name: 'header.json', raw: { ...h, compressed: cut } }]));
    await expectBad(path, /header\.json: zstd data corrupted \(truncated/);
  });

  it('not zstd at all under method 93', async () => {
    const path = writeFile(dir, 'zstd-garbage.eval', buildZip([{ name: 'header.json', raw: { method: 93, compressed: Buffer.from('hello world!'), size: 12, crc: 0 } }]));
    await expectBad(path, /zstd data corrupted \(bad frame magic/);
  });

  itRealLogs('corrupted deflate data', async () => {
    const bytes = Buffer.from(readFileSync(FIX.popularity));
    const header = rawMembers(FIX.popularity).find((m) => m.name === 'header.json')!;
    for (let i = header.dataOffset; i < header.dataOffset + header.compressed.length; i += 3) bytes[i] ^= 0xff;
    const path = writeFile(dir, 'deflate-corrupt.eval', bytes);
    await expectBad(path, /member header\.json/);
  });

  it('CRC mismatch on a stored member', async () => {
    const path = writeFile(dir, 'crc.eval', buildZip([{ name: 'header.json', data: headerJson(), method: 0, crc: 12345 }]));
    await expectBad(path, /header\.json fails its CRC-32 check/);
  });

  it('garbage JSON in header.json', async () => {
    const path = writeFile(dir, 'garbage.eval', buildZip([{ name: 'header.json', data: '{"version": 2, "status": "succ' }]));
    await expectBad(path, /member header\.json: invalid JSON/);
  });

  it('valid JSON that is not a log', async () => {
    await expectBad(writeFile(dir, 'other.eval', buildZip([{ name: 'header.json', data: '{"foo": 1}' }])), /not an inspect log \(no eval\.task\)/);
    await expectBad(writeFile(dir, 'list.json', '[1, 2, 3]'), /not an inspect log/);
    await expectBad(writeFile(dir, 'status.eval', buildZip([{ name: 'header.json', data: headerJson({ status: 'weird' }) }])), /unknown log status "weird"/);
  });

  it('a zip without header.json or start.json', async () => {
    await expectBad(writeFile(dir, 'plain.eval', buildZip([{ name: 'readme.txt', data: 'hi' }])), /not an inspect log/);
  });

  it('garbage in a journal summary of a running log', async () => {
    const path = writeFile(
      dir,
      'bad-journal.eval',
      buildZip([
        { name: '_journal/start.json', data: startJson() },
        { name: '_journal/summaries/1.json', data: '{"not": "a list"}' },
      ]),
    );
    await expectBad(path, /member _journal\/summaries\/1\.json: expected a list/);
  });

  it('unsupported compression method', async () => {
    const path = writeFile(dir, 'bzip2.eval', buildZip([{ name: 'header.json', raw: { method: 12, compressed: Buffer.from('BZh9'), size: 4, crc: 0 } }]));
    await expectBad(path, /unsupported compression method 12/);
  });

  it('a wrong file name', async () => {
    await expectBad(writeFile(dir, 'log.txt', 'x'), /expected \.eval or \.json/);
  });

  it('a directory named like a log', async () => {
    mkdirSync(`${dir}/dir.eval`);
    await expectBad(`${dir}/dir.eval`, /is a directory/);
  });
});

/** A zstd frame of `blocks` RLE blocks, each 128 KiB of 'A' from 4 bytes; no content size. */
function zstdRleBomb(blocks: number): Buffer {
  const bytes = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]; // magic; descriptor; window 2^17
  for (let i = 0; i < blocks; i++) {
    const h = (131072 << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
    bytes.push(h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff, 0x41);
  }
  return Buffer.from(bytes);
}
