# The bash side of port-file.mjs, sourced by the clients of a localhost service named in a port
# file ("PORT PID"): fake-slurm's shim (slurmctld.mjs) and the tests' inspect client (inspectd.mjs).
# connected PORTS SCRIPT: connected on fd 3 to the live service node runs from a script named like
# SCRIPT (its pid in $pid), or false.
connected() {
  read -r port pid 2>/dev/null <"$1" &&
    mapfile -d '' -t argv0 2>/dev/null <"/proc/$pid/cmdline" && [[ ${argv0[1]} == */"${2##*/}" ]] &&
    { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null
}
# started NODE PORTS SCRIPT: none yet, so start one (a node process once, not one per caller) and
# connect once it listens, or false after 3 s. It serves every caller of the temp dir, so it gets
# none of this caller's environment: a job's SLURM_JOB_ID or a FAKE_SLURM_DIR would make it look
# like a process of that job or cluster (fake-slurm-admin reset and job cleanup end those).
started() {
  (cd / && exec env -i PATH="$PATH" HOME="$HOME" setsid "$1" "$3" "$2" </dev/null >/dev/null 2>&1 &)
  for ((i = 0; i < 150; i++)); do
    sleep 0.02
    connected "$2" "$3" && return
  done
  false
}
