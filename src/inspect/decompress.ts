// Decompression of one zip member with a hard ceiling on the output (zip-bomb guard).
//
// The ceiling is the size the central directory declares (already checked against the caller's
// cap): a member that inflates past it is corrupt or hostile, and we stop right there instead of
// inflating gigabytes first.
// - deflate: node:zlib's inflateRawSync with maxOutputLength stops natively at the ceiling.
//   (fflate's inflateSync cannot stop early: with a fixed `out` buffer it silently truncates and
//   keeps decoding the whole stream.)
// - zstd: fzstd (Node 20 has no zstd). Its one-shot decoder also truncates silently into a given
//   buffer, so we use its streaming decoder, count the output and abort past the ceiling; and we
//   walk the frame headers first so a forged window size cannot make it allocate gigabytes.

import { inflateRawSync } from 'node:zlib';
import { Decompress } from 'fzstd';
import { ZipError } from './errors.js';

const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const METHOD_ZSTD = 93;

/** zstd's own decoders refuse windows over 2^27 by default; so do we. */
const MAX_ZSTD_WINDOW = 1 << 27;

export function decompressMember(data: Uint8Array, method: number, size: number, where: string): Uint8Array {
  switch (method) {
    case METHOD_STORED:
      if (data.length !== size) throw new ZipError(`${where}: stored size ${data.length} differs from declared ${size}`);
      return data;
    case METHOD_DEFLATE:
      return inflate(data, size, where);
    case METHOD_ZSTD:
      return unzstd(data, size, where);
    default:
      throw new ZipError(`${where}: unsupported compression method ${method}`);
  }
}

function inflate(data: Uint8Array, size: number, where: string): Uint8Array {
  try {
    // One byte of headroom so "more than declared" is seen as such, not as a clean fit; output
    // chunks sized to the member (zlib's 16 KiB default dominates the cost of tiny members).
    const chunkSize = Math.min(Math.max(size + 1, 64), 64 * 1024);
    return inflateRawSync(data, { maxOutputLength: size + 1, chunkSize });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new ZipError(`${where} inflates past its declared ${size} bytes (zip bomb or corrupted)`);
    }
    throw new ZipError(`${where}: deflate data corrupted (${oneLine(e.message)})`);
  }
}

class OutputCeiling extends Error {}

function unzstd(data: Uint8Array, size: number, where: string): Uint8Array {
  checkZstdFrames(data, where);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const decoder = new Decompress((chunk) => {
    total += chunk.length;
    if (total > size) throw new OutputCeiling();
    chunks.push(chunk); // fzstd hands out a fresh array per block
  });
  try {
    decoder.push(data, true);
  } catch (err) {
    if (err instanceof OutputCeiling) {
      throw new ZipError(`${where} decompresses past its declared ${size} bytes (zip bomb or corrupted)`);
    }
    throw new ZipError(`${where}: zstd data corrupted (${oneLine((err as Error).message)})`);
  }
  return concat(chunks, total);
}

/**
 * Walk zstd frame and block headers without decoding: rejects truncated frames, reserved block
 * types and oversized windows before fzstd allocates anything.
 */
function checkZstdFrames(data: Uint8Array, where: string): void {
  const bad = (why: string): never => {
    throw new ZipError(`${where}: zstd data corrupted (${why})`);
  };
  let p = 0;
  if (data.length === 0) bad('empty');
  while (p < data.length) {
    if (p + 8 > data.length) bad('truncated frame header');
    const magic = u32(data, p);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // Skippable frame: magic, 4-byte length, payload.
      p += 8 + u32(data, p + 4);
      if (p > data.length) bad('truncated skippable frame');
      continue;
    }
    if (magic !== 0xfd2fb528) bad(`bad frame magic at byte ${p}`);
    const fhd = data[p + 4]!;
    const singleSegment = (fhd >> 5) & 1;
    const checksum = (fhd >> 2) & 1;
    const dictBytes = [0, 1, 2, 4][fhd & 3]!;
    const fcsBytes = [singleSegment, 2, 4, 8][fhd >> 6]!;
    if (fhd & 0x08) bad('reserved bit set');
    let q = p + 5;
    let window = 0;
    if (!singleSegment) {
      const wd = data[q++]!;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    q += dictBytes;
    if (q + fcsBytes > data.length) bad('truncated frame header');
    if (singleSegment) window = readLE(data, q, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
    q += fcsBytes;
    if (window > MAX_ZSTD_WINDOW) bad(`window of ${window} bytes is too large`);
    // Blocks: 3-byte header (last flag, type, size) then the block content.
    for (;;) {
      if (q + 3 > data.length) bad('truncated block header');
      const h = data[q]! | (data[q + 1]! << 8) | (data[q + 2]! << 16);
      const last = h & 1;
      const type = (h >> 1) & 3;
      const blockSize = h >>> 3;
      if (type === 3) bad('reserved block type');
      q += 3 + (type === 1 ? 1 : blockSize);
      if (q > data.length) bad('truncated block');
      if (last) break;
    }
    q += checksum * 4;
    if (q > data.length) bad('truncated checksum');
    p = q;
  }
}

function u32(d: Uint8Array, p: number): number {
  return (d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) | (d[p + 3]! << 24)) >>> 0;
}

function readLE(d: Uint8Array, p: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + d[p + i]!;
  return v;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 160);
}
