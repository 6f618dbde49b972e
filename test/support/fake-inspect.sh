#!/usr/bin/env bash
# fake-inspect.mjs's command line (see there), run by the temp dir's inspectd: the eval scripts of
# make-experiment.mjs call this.
mode=flags module=fake-inspect.mjs
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/inspect-client.bash"
