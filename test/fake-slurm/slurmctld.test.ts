// The commands answered by one slurmctld process: what each caller sees is what its own process
// would have seen (arguments, environment, working directory, stdin of every kind), one slurmctld
// serves every state dir of a temp dir, and the first command (or the first after one is gone)
// starts one.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, FakeCluster, sleep } from './helpers.js';

// Each test has a temp dir of its own, and so a slurmctld of its own: killing it touches no other
// test's commands.
let c: FakeCluster;
beforeEach(() => {
  c = new FakeCluster();
  c.env.TMPDIR = c.dir;
});
afterEach(() => c.cleanup());

const portFile = () => join(c.dir, `fake-slurmctld-${process.getuid!()}.port`);

async function slurmctldPid(): Promise<number> {
  for (let t = 0; t < 100 && !existsSync(portFile()); t++) await sleep(50);
  const pid = Number(readFileSync(portFile(), 'utf8').split(' ')[1]);
  expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('slurmctld.mjs');
  return pid;
}

/** The live slurmctld processes started for this test's temp dir. */
function slurmctlds(): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.some((a) => a.endsWith('slurmctld.mjs')) && argv.includes(portFile());
    } catch {
      return false; // gone
    }
  });
}

/** sbatch with the script on a stdin that is a socket, as node's child_process (and execa) give it. */
function sbatchFromSocket(script: string, env = c.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(join(BIN, 'sbatch'), ['--parsable'], { cwd: c.work, env, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`sbatch exit ${code}`))));
    p.stdin.end(script);
  });
}

describe('slurmctld', () => {
  it('answers with the caller’s working directory, environment and stdin (pipe, file or socket)', async () => {
    expect(c.run('squeue', ['-h']).code).toBe(0); // the first command starts it
    const pid = await slurmctldPid();

    // A relative script path and SBATCH_* variables: the caller's cwd and environment.
    mkdirSync(join(c.work, 'sub'));
    c.script('sub/job.sh', '#!/bin/sh\necho "in $(pwd) as $SLURM_JOB_NAME"\n');
    const byPath = c.submit(['job.sh'], { cwd: join(c.work, 'sub'), env: { SBATCH_JOB_NAME: 'from-env' } });
    // Piped stdin (spawnSync's input) and a socket (spawn's stdio pipe, as execa).
    const piped = c.submit([], { input: '#!/bin/sh\necho piped\n' });
    // The socket is handed over as a file, not run in a node process of its own: a `node` that
    // fails first on PATH does not matter.
    const noNode = join(c.dir, 'no-node');
    mkdirSync(noNode);
    writeFileSync(join(noNode, 'node'), '#!/bin/sh\necho "node started" >&2; exit 99\n', { mode: 0o755 });
    const socket = Number(await sbatchFromSocket('#!/bin/sh\necho socket\n', { ...c.env, PATH: `${noNode}:${c.env.PATH}` }));
    writeFileSync(join(c.dir, 'in.sh'), '#!/bin/sh\necho file\n');
    const fd = openSync(join(c.dir, 'in.sh'), 'r');
    const fromFile = Number(spawnSync(join(BIN, 'sbatch'), ['--parsable'], { cwd: c.work, env: c.env, stdio: [fd, 'pipe', 'inherit'], encoding: 'utf8' }).stdout.trim());
    closeSync(fd);

    for (const id of [byPath, piped, socket, fromFile]) await c.waitJob(id);
    expect(c.job(byPath)).toMatchObject({ name: 'from-env', workdir: join(c.work, 'sub'), state: 'COMPLETED' });
    expect(readFileSync(join(c.work, 'sub', `slurm-${byPath}.out`), 'utf8')).toBe(`in ${join(c.work, 'sub')} as from-env\n`);
    expect(c.read(`slurm-${piped}.out`)).toBe('piped\n');
    expect(c.read(`slurm-${socket}.out`)).toBe('socket\n');
    expect(c.read(`slurm-${fromFile}.out`)).toBe('file\n');
    // Output formats from the environment, exit codes and stderr as from a process of its own.
    expect(c.run('squeue', ['-h', '-t', 'all'], { env: { SQUEUE_FORMAT: '%i %T' } }).stdout).toBe(`${byPath} COMPLETED\n${piped} COMPLETED\n${socket} COMPLETED\n${fromFile} COMPLETED\n`);
    expect(c.run('squeue', ['--nosuch'])).toEqual({ code: 1, stdout: '', stderr: 'squeue: unrecognized option \'--nosuch\'\nTry "squeue --help" for more information\n' });
    expect(await slurmctldPid()).toBe(pid); // one slurmctld answered all of it
  });

  it('one slurmctld answers every state dir of its temp dir, each command from its own cluster; a reset of one leaves it serving', async () => {
    const other = new FakeCluster({ TMPDIR: c.dir, FAKE_SLURM_FIRST_JOB_ID: '5000' });
    try {
      const a = c.submit(['--wrap', 'echo a']);
      const pid = await slurmctldPid();
      const b = other.submit(['--wrap', 'echo b']);
      await c.waitJob(a);
      await other.waitJob(b);
      expect(c.run('squeue', ['-h', '-t', 'all', '-o', '%i %T']).stdout).toBe(`${a} COMPLETED\n`);
      expect(other.run('squeue', ['-h', '-t', 'all', '-o', '%i %T']).stdout).toBe(`${b} COMPLETED\n`);
      expect(c.read(`slurm-${a}.out`)).toBe('a\n');
      expect(other.read(`slurm-${b}.out`)).toBe('b\n');
      expect(slurmctlds()).toEqual([pid]);
      // fake-slurm-admin reset ends the processes of its own state dir only: not the shared slurmctld.
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain('FAKE_SLURM_DIR=');
      other.cleanup();
      expect(c.run('squeue', ['-h', '-t', 'all', '-o', '%i']).stdout).toBe(`${a}\n`);
      expect(slurmctlds()).toEqual([pid]);
    } finally {
      other.cleanup();
    }
  });

  it('a slurmctld that is gone: the next command starts a new one, which answers it', async () => {
    c.run('squeue', ['-h']);
    const first = await slurmctldPid();
    process.kill(first, 'SIGKILL');
    await sleep(100);
    const id = c.submit(['--wrap', 'echo after']);
    expect((await c.waitJob(id)).state).toBe('COMPLETED');
    expect(c.read(`slurm-${id}.out`)).toBe('after\n');
    const next = await slurmctldPid();
    expect(next).not.toBe(first);
    expect(c.run('sacct', ['-X', '-n', '-P', '-o', 'JobIDRaw,State', '-j', String(id)]).stdout).toBe(`${id}|COMPLETED\n`);
  });

  it('commands that find none at the same moment each start one; one is left serving, and every command is answered once', async () => {
    const runs = Array.from({ length: 6 }, (_, i) => execa(join(BIN, 'sbatch'), ['--parsable', '--wrap', `echo ${i}`], { cwd: c.work, env: c.env, extendEnv: false, reject: false }));
    const ids = (await Promise.all(runs)).map((r) => (expect(r.exitCode).toBe(0), Number(r.stdout)));
    expect(new Set(ids).size).toBe(6);
    for (const id of ids) expect((await c.waitJob(id)).state).toBe('COMPLETED');
    expect(c.run('squeue', ['-h', '-t', 'all', '-o', '%i']).stdout.trim().split('\n')).toHaveLength(6);
    const serving = await slurmctldPid();
    await sleep(1500); // one not listed stops at its next check (every second)
    expect(slurmctlds()).toEqual([serving]);
  });

  it('FAKE_SLURM_NO_SLURMCTLD=1: every command in a process of its own, none started', async () => {
    const id = c.submit(['--wrap', 'true'], { env: { FAKE_SLURM_NO_SLURMCTLD: '1' } });
    expect(c.run('squeue', ['-h', '-o', '%i'], { env: { FAKE_SLURM_NO_SLURMCTLD: '1' } }).code).toBe(0);
    await c.waitJob(id);
    expect(existsSync(portFile())).toBe(false);
  });
});
