# Sourced by fake-bin/inspect (mode=cli, module=scaffold/inspect-cli.mjs) and fake-inspect.sh
# (mode=flags, module=fake-inspect.mjs): asks the temp dir's inspectd (inspectd.mjs) to run the
# eval and stands in for its process (what it prints, its exit code; killing this stops the eval),
# starting one if none runs. If none comes up, or FAKE_INSPECT_NO_SERVICE=1 (the real-cluster
# tests: inspect runs in the job): `node MODULE`, a process of its own. ${FAKE_INSPECT_NODE:-node}
# is the node that runs it.
node=${FAKE_INSPECT_NODE:-node}
here=${BASH_SOURCE[0]%/*} # the sourcing script resolved any link: see fake-inspect.sh
[[ $here == /* ]] || here=$PWD/$here # the service starts in /
ports=${TMPDIR:-/tmp}/fake-inspectd-$UID.port
. "$here/../../fake-slurm/lib/service.bash"
if [[ $FAKE_INSPECT_NO_SERVICE == 1 ]] || ! { connected "$ports" "$here/inspectd.mjs" || started "$node" "$ports" "$here/inspectd.mjs"; }; then exec "$node" "$here/$module" "$@"; fi
printf '%s\0' "$$" "$mode" "$#" "$@" >&3
# Frames: `o N` or `e N` and N bytes of stdout or stderr, then `x CODE`.
while read -r -u 3 kind n; do
  case $kind in
    o) IFS= LC_ALL=C read -r -u 3 -N "$n" text && printf '%s' "$text" ;;
    e) IFS= LC_ALL=C read -r -u 3 -N "$n" text && printf '%s' "$text" >&2 ;;
    x) exit "$n" ;;
  esac
done
printf 'inspect: the fake inspect service (pid %s) stopped before the eval ended\n' "$pid" >&2
exit 1
