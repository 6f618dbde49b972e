// Our own files replaced from pieces: the whole text lands, or the old file stands; never through a link.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeLeftTemps, replaceOwnFile } from '../../src/state/own-file.js';

const folder = () => mkdtempSync(join(tmpdir(), 'ri-own-'));

describe('replaceOwnFile', () => {
  it('writes the pieces in order, batched past 64 KB, and says how many bytes', async () => {
    const dir = folder();
    const file = join(dir, 'eval_jobs.json');
    writeFileSync(file, 'old');
    const pieces = Array.from({ length: 10_000 }, (_, i) => `line ${i} é\n`); // ~140 KB: three batches
    const bytes = await replaceOwnFile(file, pieces);
    expect(readFileSync(file, 'utf8')).toBe(pieces.join(''));
    expect(bytes).toBe(Buffer.byteLength(pieces.join('')));
    expect(readdirSync(dir)).toEqual(['eval_jobs.json']);
  });

  it('keeps the mode someone gave the file; a new file gets the umask\'s', async () => {
    const dir = folder();
    const file = join(dir, 'eval_jobs.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o640);
    await replaceOwnFile(file, ['new']);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    const fresh = join(dir, 'fresh.json');
    await replaceOwnFile(fresh, ['new']);
    expect(statSync(fresh).mode & 0o777).toBe(0o666 & ~process.umask());
  });

  it('leaves the old file whole and no temp file when the pieces fail half way', async () => {
    const dir = folder();
    const file = join(dir, 'eval_jobs.json');
    writeFileSync(file, 'old');
    function* failing() {
      yield 'x'.repeat(100_000); // a first batch is on disk already
      throw new Error('serializer broke');
    }
    await expect(replaceOwnFile(file, failing())).rejects.toThrow('serializer broke');
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['eval_jobs.json']);
  });

  it('never writes through a link, at the file or at its temp name', async () => {
    const dir = folder();
    const theirs = join(dir, 'theirs.txt');
    writeFileSync(theirs, 'someone else\'s\n');
    const file = join(dir, 'eval_jobs.json');
    symlinkSync(theirs, file);
    await expect(replaceOwnFile(file, ['ours'])).rejects.toThrow(/eval_jobs\.json: is a symbolic link/);
    const other = join(dir, 'other.json');
    symlinkSync(theirs, `${other}.run-inspect-${hostname()}-${process.pid}.tmp`); // planted where our temp file goes
    await expect(replaceOwnFile(other, ['ours'])).rejects.toThrow(/\.tmp: is a symbolic link/);
    expect(readFileSync(theirs, 'utf8')).toBe('someone else\'s\n');
    expect(readdirSync(dir).sort()).toEqual(['eval_jobs.json', 'theirs.txt']);
  });

  it('removeLeftTemps takes the temp files of killed writes beside the file, nothing else', async () => {
    const dir = folder();
    const file = join(dir, 'eval_jobs.json');
    for (const name of ['eval_jobs.json', 'eval_jobs.json.run-inspect-node7-123.tmp', 'eval_jobs.json.run-inspect-here-9.tmp', 'eval_jobs.journal.jsonl', 'experiment_summary.md.run-inspect-5.tmp', 'notes.tmp']) writeFileSync(join(dir, name), 'x');
    await removeLeftTemps(file);
    expect(readdirSync(dir).sort()).toEqual(['eval_jobs.journal.jsonl', 'eval_jobs.json', 'experiment_summary.md.run-inspect-5.tmp', 'notes.tmp']);
  });
});
