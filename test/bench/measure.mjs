// Running a monitor process under observation: /proc sampling (CPU, peak RSS, writes), directory
// events (every write of eval_jobs.json / experiment_summary.md, every state-lock hold), and the
// arithmetic that cuts the wrappers' command log into polls.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, watch } from 'node:fs';

export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
export const nowMs = () => performance.timeOrigin + performance.now();

/** Share of all CPUs busy over the next `ms` (from /proc/stat), 0–1. */
export function machineBusy(ms) {
  const read = () => {
    const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    return { idle: f[3] + f[4], all: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const b = read();
  return b.all === a.all ? 0 : 1 - (b.idle - a.idle) / (b.all - a.all);
}

export function procSample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const ioN = (k) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(io)?.[1] ?? NaN);
    return { t: nowMs(), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK, hwmKb: kb('VmHWM'), rssKb: kb('VmRSS'), wchar: ioN('wchar'), writeBytes: ioN('write_bytes') };
  } catch {
    return null;
  }
}

/**
 * Start `cmd args` with stdout/stderr to files, sample /proc every `sampleMs`, watch `watchDir`
 * (every event is timed on arrival and handed to `onEvent`).
 * Resolves { rc, signal, pid, wallMs, start, samples, events, last } once it exits.
 */
export function observe(cmd, args, { env, cwd, stdoutFile, stderrFile, watchDir = null, onEvent = null, sampleMs = 50, timeoutMs = 300_000 }) {
  return new Promise((resolve, reject) => {
    const events = [];
    let watcher = null;
    if (watchDir) {
      watcher = watch(watchDir, { persistent: false }, (type, name) => {
        const e = { t: nowMs(), type, name: String(name) };
        events.push(e);
        onEvent?.(e);
      });
    }
    const out = openSync(stdoutFile, 'w');
    const err = openSync(stderrFile, 'w');
    const start = nowMs();
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', out, err] });
    closeSync(out);
    closeSync(err);
    const samples = [];
    const tick = () => {
      const s = procSample(child.pid);
      if (s) samples.push(s);
    };
    tick();
    const timer = setInterval(tick, sampleMs);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearInterval(timer);
      clearTimeout(killer);
      watcher?.close();
      reject(e);
    });
    child.on('exit', (code, signal) => {
      const wallMs = nowMs() - start;
      clearInterval(timer);
      clearTimeout(killer);
      // Let the last directory events arrive.
      setTimeout(() => {
        watcher?.close();
        resolve({ rc: code, signal, pid: child.pid, wallMs, start, samples, events, timedOut: wallMs >= timeoutMs });
      }, 100);
    });
  });
}

export function quantile(values, q) {
  const a = values.filter((v) => Number.isFinite(v)).sort((x, y) => x - y);
  if (a.length === 0) return null;
  return a[Math.min(a.length - 1, Math.max(0, Math.ceil(q * a.length) - 1))];
}

export const mean = (values) => {
  const a = values.filter((v) => Number.isFinite(v));
  return a.length ? a.reduce((x, y) => x + y, 0) / a.length : null;
};

export const max = (values) => {
  const a = values.filter((v) => Number.isFinite(v));
  return a.length ? Math.max(...a) : null;
};

/** Lock holds of `lockName` from directory events: [{ a, b, wrote }] (mkdir/rmdir alternate). */
export function lockHolds(events, lockName, fileName) {
  const holds = [];
  let open = null;
  for (const e of events) {
    if (e.type !== 'rename') continue;
    if (e.name === lockName) {
      if (!open) open = { a: e.t, wrote: false };
      else {
        holds.push({ ...open, b: e.t });
        open = null;
      }
    } else if (e.name === fileName && open) open.wrote = true; // the atomic rename, inside the hold
  }
  return holds;
}
