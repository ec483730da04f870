#!/bin/sh
# tests/bench/peers.sh DIR: unpack rsyslog and syslog-ng (with its http
# module) from Debian's packages into DIR/rsyslog and DIR/syslog-ng, without
# installing them. The two packages conflict (both provide
# system-log-daemon) and installing either would enable and start the
# system's syslog service; unpacked (tests/peers/debpkg.sh), they run only
# where the benchmark starts them, in the foreground, on its own configs.
# Their shared-library dependencies come from `contrib/deps.sh bench`.
# Idempotent.
set -eu
dir=${1:?usage: peers.sh DIR}
. "$(dirname "$0")/../peers/debpkg.sh"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

unpack() {   # unpack NAME PACKAGE...
    name=$1
    shift
    [ -f "$dir/$name/.done" ] && return 0
    debpkg_unpack "$dir/$name" "$@"
    touch "$dir/$name/.done"
}
unpack rsyslog rsyslog
unpack syslog-ng syslog-ng-core syslog-ng-mod-http
