# Sourced by every bin/ command (bash) after it sets $cmd: asks the temp dir's slurmctld (one for
# every state dir) to run the command (no node process to start: ~5 ms instead of ~150), starting
# one if none runs; runs it in a node process of its own (run.mjs) when none answers. slurmctld
# reads this process's environment (its FAKE_SLURM_DIR too), working directory and stdin from
# /proc, so the command sees what it would have seen run directly.
# FAKE_SLURM_NO_SLURMCTLD=1: always a process of its own.
lib=${BASH_SOURCE[0]%/*}
[[ $lib == /* ]] || lib=$PWD/$lib # slurmctld starts in /
ports=${TMPDIR:-/tmp}/fake-slurmctld-$UID.port
ctld=$lib/slurmctld.mjs
. "$lib/service.bash"
args=("$@")
# Sends the request to the slurmctld on fd 3 and reads the answer's first line: the command's
# stdin is the file $1, or this process's own (/proc/$$/fd/0) when $1 is empty. Once asked, never
# run it again here (an sbatch would submit twice): no answer is an error (below).
ask() {
  printf '%s\0' "$$" "$1" "$cmd" "${#args[@]}" "${args[@]}" >&3
  # read -u, not <&3: stdin stays the caller's while slurmctld may still read it.
  read -r -u 3 code errn outn
}
if [[ $FAKE_SLURM_NO_SLURMCTLD != 1 ]] && { connected "$ports" "$ctld" || started node "$ports" "$ctld"; }; then
  ask ''
  # run-here: the command reads a stdin slurmctld cannot open (a socket, as node's child_process
  # pipes are); nothing was done yet. It gets that stdin as a file instead.
  if [[ $code == run-here ]]; then
    stdin=${ports%/*}/fake-slurm-stdin-$UID.$$ # the state dir may not exist yet
    exec 3<&- 4<>"$stdin"
    rm -f "$stdin"
    cat >&4
    connected "$ports" "$ctld" && ask "/proc/$$/fd/4"
    [[ $code == run-here ]] && exec node "$lib/run.mjs" "$cmd" "$@" </proc/$$/fd/4
  fi
  if [[ ! $code =~ ^[0-9]+$ ]]; then
    printf '%s: error: slurmctld (pid %s) gave no answer\n' "$cmd" "$pid" >&2
    exit 1
  fi
  if ((errn > 0)); then
    IFS= LC_ALL=C read -r -u 3 -N "$errn" text
    printf '%s' "$text" >&2
  fi
  if ((outn > 0)); then cat <&3; fi
  exit "$code"
fi
exec node "$lib/run.mjs" "$cmd" "$@"
