// The counting wrappers: a directory put first on PATH whose squeue/sacct/sbatch/scancel/scontrol
// append one line per call to $BENCH_CMD_LOG, then run fake-slurm's command. Each line also holds
// what /proc says about the CALLER (the monitor) at that moment: its CPU ticks, peak RSS and write
// counters, so the bench can cut the monitor's life into polls at its poll squeue calls.
// Before the monitor's poll squeue, $BENCH_POLL_HOOK (the plan's flip step) runs; its time is
// recorded apart and never counted as the monitor's or SLURM's.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const COMMANDS = ['squeue', 'sacct', 'sbatch', 'scancel', 'scontrol'];

/** Fields of one log line, tab-separated, in this order. */
export const FIELDS = ['t0', 't1', 't2', 'cmd', 'rc', 'ppid', 'utime', 'stime', 'cpu_ns', 'hwm_kb', 'rss_kb', 'wchar', 'write_bytes', 'poll', 'nargs', 'max_arg', 'arg_bytes', 'nids', 'args'];

function script(cmd, realBin) {
  return `#!/bin/bash
# run-inspect bench wrapper for ${cmd}: count, time and attribute the call, then run fake-slurm's.
set -f
REAL=${JSON.stringify(join(realBin, cmd))}
[[ -z "$BENCH_CMD_LOG" ]] && exec "$REAL" "$@"
t0=$EPOCHREALTIME
pp=$PPID
ut=-1 st=-1 hwm=-1 rss=-1 wchar=-1 wb=-1
if read -r line < /proc/$pp/stat; then f=(\${line##*) }); ut=\${f[11]}; st=\${f[12]}; fi 2>/dev/null
# CPU of every thread of the caller in ns (libuv's pool does the file work): finer than ticks.
ns=0; set +f; for t in /proc/$pp/task/*/schedstat; do read -r a _ < "$t" && (( ns += a )); done 2>/dev/null; set -f
{ while read -r k v _; do case $k in VmHWM:) hwm=$v;; VmRSS:) rss=$v;; esac; done < /proc/$pp/status; } 2>/dev/null
# Writes of the caller's own threads: /proc/PID/io also counts its children once reaped (fake-slurm's
# squeue and sbatch write their own files), which are not the monitor's writes.
wchar=0; wb=0; set +f; for t in /proc/$pp/task/*/io; do while read -r k v; do case $k in wchar:) (( wchar += v ));; write_bytes:) (( wb += v ));; esac; done < "$t"; done 2>/dev/null; set -f
poll=0
if [[ ${cmd} == squeue && -n "$BENCH_POLL_HOOK" ]]; then
  if [[ -n "$BENCH_POLL_ALL_SQUEUE" ]]; then poll=1
  else for a in "$@"; do [[ $a == --states=all || $a == -tall || $a == --states=ALL ]] && poll=1; done; fi
fi
if (( poll )); then "\${BENCH_NODE:-node}" "$BENCH_POLL_HOOK" "$BENCH_PLAN" "$pp" >>"\${BENCH_HOOK_LOG:-/dev/null}" 2>&1; fi
t1=$EPOCHREALTIME
"$REAL" "$@"
rc=$?
t2=$EPOCHREALTIME
max=0 total=0 nids=0 sig='' prev=''
for a in "$@"; do
  l=\${#a}; (( l > max )) && max=$l; (( total += l + 1 ))
  ids=''
  if [[ $a == --jobs=* || $a == -j?* ]]; then ids=\${a#--jobs=}; ids=\${ids#-j}; elif [[ $prev == -j || $prev == --jobs ]]; then ids=$a; fi
  if [[ -n $ids ]]; then c=$(printf '%s' "$ids" | tr -cd , | wc -c); nids=$(( nids + c + 1 )); fi
  if (( l > 60 )); then sig+=" <\${l} chars>"; else sig+=" $a"; fi
  prev=$a
done
printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$t0" "$t1" "$t2" ${cmd} "$rc" "$pp" "$ut" "$st" "$ns" "$hwm" "$rss" "$wchar" "$wb" "$poll" "$#" "$max" "$total" "$nids" "\${sig# }" >>"$BENCH_CMD_LOG"
exit $rc
`;
}

/** Writes the wrappers into `dir` (created); returns dir. */
export function makeWrappers(dir, realBin) {
  mkdirSync(dir, { recursive: true });
  for (const cmd of COMMANDS) {
    const p = join(dir, cmd);
    writeFileSync(p, script(cmd, realBin));
    chmodSync(p, 0o755);
  }
  return dir;
}

/** Parsed log lines (times in ms since the epoch). */
export function parseCmdLog(text) {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const v = l.split('\t');
      const o = Object.fromEntries(FIELDS.map((f, i) => [f, v[i]]));
      for (const f of ['t0', 't1', 't2']) o[f] = Number(o[f]) * 1000;
      for (const f of ['rc', 'ppid', 'utime', 'stime', 'cpu_ns', 'hwm_kb', 'rss_kb', 'wchar', 'write_bytes', 'poll', 'nargs', 'max_arg', 'arg_bytes', 'nids']) o[f] = Number(o[f]);
      return o;
    });
}
