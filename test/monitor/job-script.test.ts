// The monitor job script's shell: SLURM's USR1 (walltime ending) is passed on to node, and the
// link's exit status is node's, however the signal and node's exit interleave.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderMonitorScript } from '../../src/monitor/template.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the rendered script with a stand-in for node that exits `code` the moment USR1 reaches it. */
async function linkExit(code: number): Promise<number | null> {
  const ready = join(dir, `ready-${Math.random()}`);
  const node = join(dir, 'node');
  writeFileSync(node, `#!/bin/bash\ntrap 'exit ${code}' USR1\ntouch '${ready}'\nsleep 60 & wait $!\n`);
  chmodSync(node, 0o755);
  const script = join(dir, 'link.sbatch');
  writeFileSync(script, renderMonitorScript(node, join(dir, 'run-inspect.mjs'), ['/exp']));
  const shell = spawn('bash', [script], { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => shell.on('exit', (c) => r(c)));
  while (!existsSync(ready)) await sleep(5);
  shell.kill('SIGUSR1'); // what --signal=B:USR1@120 does
  return exited;
}

describe('the monitor job script', () => {
  it("exits with node's status after USR1, even when node exits while the shell's wait is being interrupted", async () => {
    dir = mkdtempSync(join(tmpdir(), 'ri-job-script-'));
    // Node exits at once on USR1: the race between the interrupted wait and node's exit, every time.
    for (let i = 0; i < 20; i++) expect(await linkExit(4)).toBe(0); // handed off: a success in SLURM's eyes
    expect(await linkExit(1)).toBe(0); // every eval ended, some failed
    expect(await linkExit(3)).toBe(3); // anything else stays a failure
  }, 60_000);
});
