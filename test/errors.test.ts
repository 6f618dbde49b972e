// Errors a user meets: one line that names the file and says what to do, never a stack.
import { describe, expect, it } from 'vitest';
import { fileFault, UserError } from '../src/errors.js';

const fsError = (code: string, path?: string) => Object.assign(new Error(`${code}: something, open '${path}'`), { code, path });

describe('fileFault', () => {
  it('disk full, quota, permissions, read-only: the file, the fault in words, and that the state is whole', () => {
    expect(fileFault(fsError('ENOSPC', '/scratch/u/exp/eval_jobs.json.1234'))).toBe(
      '/scratch/u/exp/eval_jobs.json.1234: no space left on the device (ENOSPC); eval_jobs.json is kept whole: run again when it is fixed',
    );
    expect(fileFault(fsError('EDQUOT', '/scratch/u/exp/run-inspect.log'))).toMatch(/^\/scratch\/u\/exp\/run-inspect\.log: disk quota exceeded \(EDQUOT\)/);
    expect(fileFault(fsError('EACCES', '/x/logs'))).toMatch(/^\/x\/logs: permission denied \(EACCES\)/);
    expect(fileFault(fsError('EROFS', '/x/eval_jobs.json'))).toMatch(/read-only file system \(EROFS\)/);
    expect(fileFault(fsError('ENOSPC'))).toMatch(/^a file: no space left/);
  });

  it('anything else is not a file fault (a bug keeps its stack; a user error has its own line)', () => {
    expect(fileFault(fsError('ENOENT', '/x'))).toBeNull();
    expect(fileFault(new TypeError('x is undefined'))).toBeNull();
    expect(fileFault(new UserError('bad'))).toBeNull();
    expect(fileFault(undefined)).toBeNull();
  });
});
