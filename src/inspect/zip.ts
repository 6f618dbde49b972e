// A small read-only zip reader for inspect-ai `.eval` logs.
//
// Why not a library: we need zstd (method 93), ZIP64, "last central-directory entry wins" for
// duplicate names, and above all we must read only the few members we need with positioned
// reads (an .eval can be gigabytes of samples; we want ~3 KB of it on every poll).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { decompressMember } from './decompress.js';
import { ZipError } from './errors.js';

export { ZipError };

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  /** Largest central directory we accept (bytes). */
  maxCentralDirectory: number;
  /** Largest number of entries we accept. */
  maxEntries: number;
}

const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxCentralDirectory: 64 * 1024 * 1024,
  maxEntries: 1_000_000,
};

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const MAX_COMMENT = 0xffff;

/** An open archive: the central directory is parsed, member bytes are read on demand. */
export class ZipReader {
  private constructor(
    private readonly fd: number,
    readonly fileSize: number,
    /** Every central-directory entry, in order (duplicates included). */
    readonly entries: readonly ZipEntry[],
    /** Name → entry; for a duplicated name, the last entry wins (as Python's zipfile does). */
    private readonly byName: ReadonlyMap<string, ZipEntry>,
    /** Where member data must end: the start of the central directory. */
    private readonly dataEnd: number,
  ) {}

  // The file is read with synchronous calls (see inspect/find.ts: a busy poll reads a hundred logs,
  // and each call through the thread pool costs several times its own CPU); the API stays async.
  static async open(path: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipReader> {
    const fd = openSync(path, 'r');
    try {
      const { size } = fstatSync(fd);
      const dir = readDirectoryLocation(fd, size);
      if (dir.size > limits.maxCentralDirectory) {
        throw new ZipError(`central directory of ${dir.size} bytes is over the ${limits.maxCentralDirectory}-byte cap`);
      }
      if (dir.count > limits.maxEntries) throw new ZipError(`${dir.count} entries is over the ${limits.maxEntries} cap`);
      const cd = readExactly(fd, dir.offset, dir.size, 'central directory');
      const entries = parseCentralDirectory(cd, dir.count);
      const byName = new Map<string, ZipEntry>();
      for (const e of entries) byName.set(e.name, e);
      return new ZipReader(fd, size, entries, byName, dir.offset);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Unique member names (for duplicates, the one that wins). */
  names(): IterableIterator<string> {
    return this.byName.keys();
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * The member's decompressed bytes. Refuses members that declare more than `maxSize` bytes and
   * stops decompressing as soon as the output passes the declared size (zip-bomb guard).
   */
  async read(name: string, maxSize: number): Promise<Uint8Array> {
    const entry = this.byName.get(name);
    if (!entry) throw new ZipError(`member ${name} not found`);
    return this.readEntry(entry, maxSize);
  }

  async readEntry(entry: ZipEntry, maxSize: number): Promise<Uint8Array> {
    this.checkReadable(entry, maxSize);
    return this.finish(entry, this.readCompressed(entry));
  }

  /**
   * Several members (returned in the order given); members lying close together in the file are
   * fetched with one read (a running log's journal is hundreds of small members between samples).
   */
  async readMany(entries: readonly ZipEntry[], maxSize: number): Promise<Uint8Array[]> {
    for (const e of entries) this.checkReadable(e, maxSize);
    const out = new Map<ZipEntry, Uint8Array>();
    for (const span of this.spans(entries)) {
      const buf = readUpTo(this.fd, span.start, span.end - span.start);
      for (const e of span.entries) {
        const data = this.dataIn(buf, e.localHeaderOffset - span.start, e) ?? this.readCompressed(e);
        out.set(e, this.finish(e, data));
      }
    }
    return entries.map((e) => out.get(e)!);
  }

  async close(): Promise<void> {
    closeSync(this.fd);
  }

  /** Refuse before reading: encrypted, or declaring more than the cap (zip-bomb guard). */
  private checkReadable(entry: ZipEntry, maxSize: number): void {
    const where = `member ${entry.name}`;
    if (entry.flags & 0x1) throw new ZipError(`${where} is encrypted`);
    if (entry.size > maxSize) {
      throw new ZipError(`${where} declares ${entry.size} bytes, over the ${maxSize}-byte cap`);
    }
  }

  /** Decompress (stopping past the declared size) and verify size and CRC. */
  private finish(entry: ZipEntry, compressed: Uint8Array): Uint8Array {
    const where = `member ${entry.name}`;
    const data = decompressMember(compressed, entry.method, entry.size, where);
    if (data.length !== entry.size) {
      throw new ZipError(`${where} is ${data.length} bytes, but the directory says ${entry.size}`);
    }
    if (crc32(data) !== entry.crc32) throw new ZipError(`${where} fails its CRC-32 check (corrupted)`);
    return data;
  }

  /** Group entries into file ranges worth one read each: gaps ≤ 64 KiB, ranges ≤ 8 MiB. */
  private spans(entries: readonly ZipEntry[]): Array<{ start: number; end: number; entries: ZipEntry[] }> {
    const GAP = 64 * 1024;
    const MAX_SPAN = 8 * 1024 * 1024;
    const sorted = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    const spans: Array<{ start: number; end: number; entries: ZipEntry[] }> = [];
    for (const e of sorted) {
      const start = e.localHeaderOffset;
      const end = Math.min(this.dataEnd, start + this.guessLocalSize(e));
      const last = spans[spans.length - 1];
      if (last && start - last.end <= GAP && end - last.start <= MAX_SPAN) {
        last.end = Math.max(last.end, end);
        last.entries.push(e);
      } else {
        spans.push({ start, end: Math.max(start, end), entries: [e] });
      }
    }
    return spans;
  }

  /** Local header + name + a typical extra field + data. */
  private guessLocalSize(e: ZipEntry): number {
    return 30 + Buffer.byteLength(e.name) + 64 + e.compressedSize;
  }

  /**
   * The member's compressed bytes inside `buf` (which holds its local header at `at`), or null
   * when they are not all in `buf`. Throws when the local header is not there.
   */
  private dataIn(buf: Buffer, at: number, entry: ZipEntry): Uint8Array | null {
    const where = `member ${entry.name}`;
    if (at < 0 || at + 30 > buf.length || buf.readUInt32LE(at) !== SIG_LOCAL) {
      throw new ZipError(`${where}: no local header at offset ${entry.localHeaderOffset} (corrupted)`);
    }
    const rel = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
    if (entry.localHeaderOffset + (rel - at) + entry.compressedSize > this.dataEnd) {
      throw new ZipError(`${where}: data runs past the central directory (truncated?)`);
    }
    return rel + entry.compressedSize <= buf.length ? buf.subarray(rel, rel + entry.compressedSize) : null;
  }

  /** The raw (still compressed) bytes, found through the local header: one read, rarely two. */
  private readCompressed(entry: ZipEntry): Uint8Array {
    const start = entry.localHeaderOffset;
    if (start + 30 > this.dataEnd) {
      throw new ZipError(`member ${entry.name}: local header is outside the archive (truncated?)`);
    }
    const head = readUpTo(this.fd, start, Math.min(this.guessLocalSize(entry), this.dataEnd - start));
    const inHead = this.dataIn(head, 0, entry);
    if (inHead) return inHead;
    // The local extra field was longer than guessed (e.g. ZIP64): read the data on its own.
    const dataStart = start + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
    return readExactly(this.fd, dataStart, entry.compressedSize, `member ${entry.name}`);
  }
}

interface DirectoryLocation {
  offset: number;
  size: number;
  count: number;
}

/** Find the end-of-central-directory record (and its ZIP64 twin when present). */
function readDirectoryLocation(fd: number, fileSize: number): DirectoryLocation {
  const tailLen = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT + ZIP64_LOCATOR_SIZE);
  const tailStart = fileSize - tailLen;
  const tail = readExactly(fd, tailStart, tailLen, 'end of file');
  const at = findEocd(tail);
  if (at < 0) throw new ZipError(describeNonZip(fd, fileSize));

  const disk = tail.readUInt16LE(at + 4);
  const cdDisk = tail.readUInt16LE(at + 6);
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);
  let recordStart = tailStart + at;

  const loc = at - ZIP64_LOCATOR_SIZE;
  if (loc >= 0 && tail.readUInt32LE(loc) === SIG_ZIP64_LOCATOR) {
    const eocd64Offset = readU64(tail, loc + 8, 'ZIP64 locator');
    if (eocd64Offset + ZIP64_EOCD_SIZE > tailStart + loc) throw new ZipError('ZIP64 end record points outside the file (corrupted)');
    const rec = readExactly(fd, eocd64Offset, ZIP64_EOCD_SIZE, 'ZIP64 end record');
    if (rec.readUInt32LE(0) !== SIG_ZIP64_EOCD) throw new ZipError('ZIP64 end record missing (corrupted or truncated)');
    if (rec.readUInt32LE(16) !== 0 || rec.readUInt32LE(20) !== 0) throw new ZipError('multi-disk archives are not supported');
    count = readU64(rec, 32, 'ZIP64 entry count');
    size = readU64(rec, 40, 'ZIP64 directory size');
    offset = readU64(rec, 48, 'ZIP64 directory offset');
    recordStart = eocd64Offset;
  } else if (disk !== 0 || cdDisk !== 0) {
    throw new ZipError('multi-disk archives are not supported');
  }

  if (offset + size > recordStart) {
    throw new ZipError('central directory runs past the end record (truncated or corrupted)');
  }
  return { offset, size, count };
}

/** Last EOCD signature whose comment length fits exactly or within the file (what zipfile accepts). */
function findEocd(tail: Buffer): number {
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail[i] !== 0x50 || tail.readUInt32LE(i) !== SIG_EOCD) continue;
    const commentLen = tail.readUInt16LE(i + 20);
    if (i + EOCD_SIZE + commentLen <= tail.length) return i;
  }
  return -1;
}

/** A precise reason for a missing end record: empty, not a zip at all, or cut short. */
function describeNonZip(fd: number, fileSize: number): string {
  if (fileSize === 0) return 'empty file (not a zip)';
  const head = readUpTo(fd, 0, 4);
  if (head.length === 4 && head.readUInt32LE(0) === SIG_LOCAL) {
    return 'truncated zip (no end-of-central-directory record; still being written or cut short)';
  }
  return 'not a zip file (no end-of-central-directory record)';
}

function parseCentralDirectory(cd: Buffer, declaredCount: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let p = 0;
  while (p < cd.length) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) {
      throw new ZipError(`central directory entry ${entries.length + 1} is corrupted`);
    }
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) throw new ZipError(`central directory entry ${entries.length + 1} is cut short`);
    const entry: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    };
    applyZip64Extra(entry, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen));
    entries.push(entry);
    p = end;
  }
  // 0xffff means "see ZIP64"; an archive written with >65535 entries but no ZIP64 wraps around.
  if (declaredCount !== entries.length && declaredCount !== 0xffff && declaredCount !== (entries.length & 0xffff)) {
    throw new ZipError(`central directory holds ${entries.length} entries, the end record says ${declaredCount}`);
  }
  return entries;
}

/** ZIP64 extra field (0x0001): 64-bit values for whichever 32-bit fields are 0xffffffff, in order. */
function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
  const needSize = entry.size === 0xffffffff;
  const needComp = entry.compressedSize === 0xffffffff;
  const needOffset = entry.localHeaderOffset === 0xffffffff;
  if (!needSize && !needComp && !needOffset) return;
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === 0x0001) {
      let q = p + 4;
      const take = (what: string): number => {
        if (q + 8 > p + 4 + len) throw new ZipError(`member ${entry.name}: ZIP64 extra field too short for ${what}`);
        const v = readU64(extra, q, what);
        q += 8;
        return v;
      };
      if (needSize) entry.size = take('size');
      if (needComp) entry.compressedSize = take('compressed size');
      if (needOffset) entry.localHeaderOffset = take('offset');
      return;
    }
    p += 4 + len;
  }
  throw new ZipError(`member ${entry.name}: sizes need a ZIP64 extra field, but it is missing`);
}

function readU64(buf: Buffer, at: number, what: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} is implausibly large (corrupted)`);
  return Number(v);
}

function readUpTo(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(Math.max(0, length));
  let got = 0;
  while (got < length) {
    const bytesRead = readSync(fd, buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

function readExactly(fd: number, position: number, length: number, what: string): Buffer {
  const buf = readUpTo(fd, position, length);
  if (buf.length < length) throw new ZipError(`${what} is cut short (file truncated?)`);
  return buf;
}

// CRC-32 (IEEE), table-driven: small members only, so this is cheap. zlib.crc32 needs Node 20.15+.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
