// The monitor job script's shell: SLURM's USR1 (walltime ending) is passed on to node, and the
// link's exit status is node's, however the signal and node's exit interleave.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { renderMonitorScript } from '../../src/monitor/template.js';
import { BUNDLE } from '../support/harness.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the rendered script with a stand-in for node that exits `code` the moment USR1 reaches it
 * (`onUsr1`: what it does instead).
 */
async function linkExit(code: number, onUsr1 = `exit ${code}`): Promise<number | null> {
  const ready = join(dir, `ready-${Math.random()}`);
  const node = join(dir, 'node');
  writeFileSync(node, `#!/bin/bash\ntrap '${onUsr1}' USR1\ntouch '${ready}'\nsleep 60 & wait $!\n`);
  chmodSync(node, 0o755);
  const script = join(dir, 'link.sbatch');
  writeFileSync(script, renderMonitorScript(node, join(dir, 'run-inspect.mjs'), ['/exp']));
  const shell = spawn('bash', [script], { stdio: 'ignore', env: { ...process.env, TMPDIR: dir } });
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

  it('takes the status node wrote over what bash says (bash 5.2 loses it now and then when node ends as a signal comes)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ri-job-script-'));
    // Node handed off and said so; bash's wait then says otherwise (here: killed, 137).
    expect(await linkExit(4, 'echo 4 >"$RUN_INSPECT_EXIT_FILE"; kill -9 $$')).toBe(0);
    expect(await linkExit(0, 'echo 3 >"$RUN_INSPECT_EXIT_FILE"; exit 0')).toBe(3);
    // Nothing written (killed before it could): bash's word stands.
    expect(await linkExit(0, 'kill -9 $$')).toBe(137);
    expect(readdirSync(dir).filter((f) => f.startsWith('run-inspect-exit.'))).toEqual([]);
  }, 60_000);

  it('the bundle writes its exit status where RUN_INSPECT_EXIT_FILE says', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ri-job-script-'));
    const file = join(dir, 'status');
    const ran = (args: string[]) => execa(process.execPath, [BUNDLE, ...args], { reject: false, env: { RUN_INSPECT_EXIT_FILE: file } });
    expect((await ran(['--version'])).exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('0\n');
    expect((await ran(['status', join(dir, 'no-such-experiment')])).exitCode).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('2\n');
  });
});
