#!/usr/bin/env bash
# fake-inspect.mjs's command line (see there), run by the temp dir's inspectd: the eval scripts of
# make-experiment.mjs call this.
mode=flags module=fake-inspect.mjs
# (no subprocess to find its own directory: an eval's whole cost is this bash process)
self=${BASH_SOURCE[0]}
[[ -L $self ]] && self=$(readlink -f "$self")
[[ $self == */* ]] || self=./$self
. "${self%/*}/inspect-client.bash"
