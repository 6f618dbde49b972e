# Sourced by every bin/ command (bash) after it sets $cmd: asks the state dir's slurmctld to run
# the command (no node process to start: ~5 ms instead of ~150), starting one if none runs; runs
# it in a node process of its own (run.mjs) when none answers. slurmctld reads this process's
# environment, working directory and stdin from /proc, so the command sees what it would have
# seen run directly.
# FAKE_SLURM_NO_SLURMCTLD=1: always a process of its own.
dir=${FAKE_SLURM_DIR:-${TMPDIR:-/tmp}/fake-slurm-$UID}
[[ $dir == /* ]] || dir=$PWD/$dir
lib=${BASH_SOURCE[0]%/*}
# Connected on fd 3 to the state dir's live slurmctld (its pid in $pid), or false.
slurmctld() {
  read -r port pid 2>/dev/null <"$dir/slurmctld.port" &&
    mapfile -d '' -t argv0 2>/dev/null <"/proc/$pid/cmdline" && [[ ${argv0[1]} == */slurmctld.mjs ]] &&
    { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null
}
# None yet: start one (a node process once, not one per command) and wait until it listens.
started() {
  (cd / && FAKE_SLURM_DIR=$dir exec setsid node "$lib/slurmctld.mjs" </dev/null >/dev/null 2>&1 &)
  for ((i = 0; i < 150; i++)); do
    sleep 0.02
    slurmctld && return
  done
  false
}
args=("$@")
# Sends the request to the slurmctld on fd 3 and reads the answer's first line: the command's
# stdin is the file $1, or this process's own (/proc/$$/fd/0) when $1 is empty. Once asked, never
# run it again here (an sbatch would submit twice): no answer is an error (below).
ask() {
  printf '%s\0' "$$" "$1" "$cmd" "${#args[@]}" "${args[@]}" >&3
  # read -u, not <&3: stdin stays the caller's while slurmctld may still read it.
  read -r -u 3 code errn outn
}
if [[ $FAKE_SLURM_NO_SLURMCTLD != 1 ]] && { slurmctld || started; }; then
  ask ''
  # run-here: the command reads a stdin slurmctld cannot open (a socket, as node's child_process
  # pipes are); nothing was done yet. It gets that stdin as a file instead.
  if [[ $code == run-here ]]; then
    exec 3<&- 4<>"$dir/stdin.$$"
    rm -f "$dir/stdin.$$"
    cat >&4
    slurmctld && ask "/proc/$$/fd/4"
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
