// JSON as inspect writes it: Python's json allows bare NaN / Infinity / -Infinity tokens, which
// JSON.parse rejects; and a legacy `.json` log holds every sample after its header fields, so we
// read only the head of the file.

import { open } from 'node:fs/promises';
import { ZipError } from './errors.js';

/** Marker strings the non-finite tokens become (JSON has no way to carry them as numbers). */
const NON_FINITE = ['NaN', 'Infinity', '-Infinity'] as const;
export type NonFinite = (typeof NON_FINITE)[number];

export function isNonFinite(v: unknown): v is NonFinite {
  return v === 'NaN' || v === 'Infinity' || v === '-Infinity';
}

/**
 * JSON.parse, falling back (only when it fails) to a pass that turns bare NaN/Infinity tokens into
 * the strings "NaN"/"Infinity"/"-Infinity". Throws ZipError with a one-line reason, prefixed with
 * `where` (a member name) when given.
 */
export function parseJson(text: string, where?: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM
  if (text.trim() === '') throw new ZipError(`${where ? `${where} is ` : ''}empty (no JSON)`);
  try {
    return JSON.parse(text);
  } catch (first) {
    if (/NaN|Infinity/.test(text)) {
      try {
        return JSON.parse(quoteNonFinite(text));
      } catch {
        // report the original error below
      }
    }
    const msg = (first as Error).message.replace(/\s+/g, ' ').slice(0, 120);
    throw new ZipError(`${where ? `${where}: ` : ''}invalid JSON (${msg})`);
  }
}

/** Rewrite NaN, Infinity and -Infinity outside strings as quoted strings. */
function quoteNonFinite(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    let token: string | null = null;
    if (c === 0x4e && text.startsWith('NaN', i)) token = 'NaN';
    else if (c === 0x49 && text.startsWith('Infinity', i)) token = 'Infinity';
    else if (c === 0x2d && text.startsWith('-Infinity', i)) token = '-Infinity';
    if (token) {
      out += text.slice(last, i) + `"${token}"`;
      i += token.length - 1;
      last = i + 1;
    }
  }
  return out + text.slice(last);
}

/**
 * Read a JSON object from a file up to (not including) its top-level `stopKey` member, and return
 * that prefix as a complete JSON text. inspect writes EvalLog fields in declaration order, so the
 * header (status, eval, plan, results, stats, error) comes before `samples`, which can be huge.
 * Reads at most `maxBytes` before giving up; reads the whole file when `stopKey` never appears.
 */
export async function readJsonHead(path: string, stopKey: string, maxBytes: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const scanner = new TopLevelKeyScanner(stopKey);
    const chunks: Buffer[] = [];
    let total = 0;
    const chunkSize = 256 * 1024;
    for (;;) {
      const buf = Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await fh.read(buf, 0, chunkSize, total);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      const cut = scanner.feed(chunk, total);
      if (cut >= 0) {
        chunks.push(chunk.subarray(0, cut - total));
        return closeObject(Buffer.concat(chunks).toString('utf8'));
      }
      chunks.push(chunk);
      total += bytesRead;
      if (total > maxBytes) throw new ZipError(`log header is larger than the ${maxBytes}-byte cap`);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** `{... "a": 1, ` → `{... "a": 1}` (drop the trailing comma left where we cut). */
function closeObject(prefix: string): string {
  const trimmed = prefix.replace(/[\s,]+$/, '');
  return trimmed + '}';
}

/**
 * Byte-level scanner (safe for UTF-8: every structural byte is ASCII) that finds the offset where
 * a given key of the top-level object begins.
 */
class TopLevelKeyScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private expectKey = false;
  private keyStart = -1;
  private keyBytes: number[] = [];
  private readonly target: Buffer;

  constructor(key: string) {
    this.target = Buffer.from(key, 'utf8');
  }

  /** Returns the absolute offset of the key's opening quote, or -1 if not in this chunk. */
  feed(chunk: Buffer, base: number): number {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.keyStart >= 0 && this.keyBytes.length <= this.target.length) this.keyBytes.push(c);
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) {
          this.inString = false;
          if (this.keyStart >= 0) {
            const hit = this.isTarget();
            const at = this.keyStart;
            this.keyStart = -1;
            if (hit) return at;
          }
        }
        continue;
      }
      switch (c) {
        case 0x22: // "
          this.inString = true;
          if (this.depth === 1 && this.expectKey) {
            this.keyStart = base + i;
            this.keyBytes = [];
          }
          this.expectKey = false;
          break;
        case 0x7b: // {
        case 0x5b: // [
          this.depth++;
          this.expectKey = this.depth === 1 && c === 0x7b;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          this.depth--;
          break;
        case 0x2c: // ,
          if (this.depth === 1) this.expectKey = true;
          break;
      }
    }
    return -1;
  }

  private isTarget(): boolean {
    // keyBytes holds the key plus its closing quote.
    const k = this.keyBytes;
    if (k.length !== this.target.length + 1) return false;
    for (let i = 0; i < this.target.length; i++) if (k[i] !== this.target[i]) return false;
    return true;
  }
}
