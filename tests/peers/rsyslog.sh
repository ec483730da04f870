#!/bin/sh
# tests/peers/rsyslog.sh DIR: make rsyslogd runnable without installing it,
# and print the directory it was unpacked into (its binary is
# usr/sbin/rsyslogd there, its modules usr/lib/<triplet>/rsyslog).
#
# Debian's rsyslog package is not installed: that would enable and start
# the system's syslog service. Instead `apt-get download` fetches the .deb
# and `dpkg-deb -x` unpacks it into DIR/rsyslog (debpkg.sh; so does
# tests/bench/peers.sh for the benchmarks, whose copy under
# build/bench/peers is reused when present). The tests run it in the foreground on their own config
# (`rsyslogd -n -f CONF -i PIDFILE -M MODDIR`); the system's syslog is
# never touched. Its shared libraries must already be on the machine
# (`contrib/deps.sh bench` installs them).
#
# Exit status: 0 with the directory on stdout; 1 with the reason on stderr
# when rsyslog cannot be obtained or cannot run here (callers skip).
# Idempotent.
set -u
dir=${1:?usage: rsyslog.sh DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/debpkg.sh"

for cand in "$dir/rsyslog" "$root/build/bench/peers/rsyslog"; do
    if [ -f "$cand/.done" ] && debpkg_runs "$cand" usr/sbin/rsyslogd; then
        echo "$cand"
        exit 0
    fi
done

debpkg_provide "$dir" rsyslog usr/sbin/rsyslogd
