#!/bin/sh
# tests/bench/peers.sh DIR: unpack rsyslog and syslog-ng (with its http
# module) from Debian's packages into DIR/rsyslog and DIR/syslog-ng, without
# installing them. The two packages conflict (both provide
# system-log-daemon) and installing either would enable and start the
# system's syslog service; unpacked, they run only where the benchmark
# starts them, in the foreground, on its own configs. Their shared-library
# dependencies come from `contrib/deps.sh bench`. Idempotent.
set -eu
dir=${1:?usage: peers.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

unpack() {   # unpack NAME PACKAGE...
    name=$1
    shift
    [ -f "$dir/$name/.done" ] && return 0
    rm -rf "$dir/$name" "$dir/$name.debs"
    mkdir -p "$dir/$name.debs"
    echo "peers.sh: downloading $* (apt-get download)" >&2
    (cd "$dir/$name.debs" && { apt-get download -q "$@" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get download -q "$@" >/dev/null; }; })
    for deb in "$dir/$name.debs"/*.deb; do
        dpkg-deb -x "$deb" "$dir/$name"
    done
    for p in "$@"; do
        dpkg-deb -f "$dir/$name.debs/${p}_"*.deb Version >"$dir/$name/.version-$p"
    done
    touch "$dir/$name/.done"
}
unpack rsyslog rsyslog
unpack syslog-ng syslog-ng-core syslog-ng-mod-http
