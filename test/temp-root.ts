// Every test's temporary folders (mkdtemp in os.tmpdir()) go under one folder per `npm test`,
// removed at the end: a run makes hundreds of them. RUN_INSPECT_KEEP_TMP=1 keeps it to look into.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'run-inspect-tests-'));
  process.env.TMPDIR = root; // the workers inherit it: os.tmpdir() is read from it
  return () => {
    if (process.env.RUN_INSPECT_KEEP_TMP === '1') console.log(`test files kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
}
