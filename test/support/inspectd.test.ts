// The fake inspect service: an eval asked for by its bash client prints, exits and writes its log
// as the same eval run in a node process of its own, and killing the client stops the eval.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const SH = join(import.meta.dirname, 'fake-inspect.sh');
const MJS = join(import.meta.dirname, 'fake-inspect.mjs');
const INSPECT = join(import.meta.dirname, 'fake-bin', 'inspect');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A temp dir of its own (so its own inspectd) and a working directory in it. */
function place() {
  const root = mkdtempSync(join(tmpdir(), 'ri-inspectd-'));
  const cwd = join(root, 'eval');
  mkdirSync(cwd);
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: root };
  delete env.FAKE_INSPECT_NO_SERVICE;
  return { root, cwd, env, portFile: join(root, `fake-inspectd-${process.getuid!()}.port`) };
}

/** What a run printed, its log's name (time and id differ per run) masked. */
const masked = (s: string) => s.replace(/[^\s/]+\.eval\b/g, '<LOG>.eval');

describe('inspectd', () => {
  it('gives the client what a process of its own gives: stdout, stderr, exit code, the log in the client\'s directory', async () => {
    const p = place();
    for (const outcome of ['success', 'error', 'crash', 'exit1']) {
      const args = ['--task', 'words', '--model-path', '/m', '--seconds', '0.1', '--outcome', outcome];
      const own = await execa(process.execPath, [MJS, ...args, '--log-dir', 'own'], { cwd: p.cwd, env: { ...p.env, FAKE_INSPECT_NO_SERVICE: '1' }, reject: false });
      const served = await execa(SH, [...args, '--log-dir', 'served'], { cwd: p.cwd, env: p.env, reject: false });
      expect({ outcome, code: served.exitCode, out: masked(served.stdout).replace('/served/', '/'), err: served.stderr }).toEqual({ outcome, code: own.exitCode, out: masked(own.stdout).replace('/own/', '/'), err: own.stderr });
      expect(readdirSync(join(p.cwd, 'served'))).toHaveLength(readdirSync(join(p.cwd, 'own')).length);
    }
    expect(existsSync(p.portFile)).toBe(true); // served, not run in a process of its own

    // `inspect eval`: the client's environment (its plan) decides how the eval goes.
    const usage = await execa(INSPECT, ['eval', 'task.py@words'], { cwd: p.cwd, env: p.env, reject: false });
    expect(usage).toMatchObject({ exitCode: 1, stderr: 'Error: No model specified (use --model or set INSPECT_EVAL_MODEL)' });
  });

  it('stops the eval when its client is killed, as killing inspect would: the log never gets its header', async () => {
    const p = place();
    const client = execa(SH, ['--task', 'words', '--model-path', '/m', '--seconds', '1.5', '--log-dir', 'logs'], { cwd: p.cwd, env: p.env, reject: false });
    const logs = join(p.cwd, 'logs');
    while (!existsSync(logs) || !readdirSync(logs).some((f) => f.endsWith('.eval'))) await sleep(20);
    client.kill('SIGTERM');
    expect((await client).signal).toBe('SIGTERM');
    await sleep(2_000); // past the eval's end, had it gone on
    const [log] = readdirSync(logs);
    expect(readFileSync(join(logs, log!)).includes('header.json')).toBe(false);
    expect(readFileSync(join(logs, log!)).includes('_journal/start.json')).toBe(true);

    // the service still serves the next eval
    const next = await execa(SH, ['--task', 'words', '--model-path', '/m', '--seconds', '0', '--log-dir', 'logs'], { cwd: p.cwd, env: p.env });
    expect(next.stdout).toMatch(/^inspect log: .*\.eval$/);
  });

  it('is no job\'s process: started from a job, it keeps none of the job\'s environment (fake-slurm\'s reset of that job\'s cluster would kill it)', async () => {
    const p = place();
    const env = { ...p.env, SLURM_JOB_ID: '1234', FAKE_SLURM_DIR: join(p.root, 'cluster') };
    await execa(SH, ['--task', 'words', '--model-path', '/m', '--seconds', '0'], { cwd: p.cwd, env });
    const pid = readFileSync(p.portFile, 'utf8').split(' ')[1]!.trim();
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('inspectd.mjs');
    expect(environ.filter((kv) => /^(SLURM_|FAKE_)/.test(kv))).toEqual([]);
  });

  it('FAKE_INSPECT_NO_SERVICE=1: a process of its own, no service started', async () => {
    const p = place();
    const r = await execa(SH, ['--task', 'words', '--model-path', '/m', '--seconds', '0'], { cwd: p.cwd, env: { ...p.env, FAKE_INSPECT_NO_SERVICE: '1' } });
    expect(r.exitCode).toBe(0);
    expect(existsSync(p.portFile)).toBe(false);
  });
});
