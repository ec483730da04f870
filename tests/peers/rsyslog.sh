#!/bin/sh
# tests/peers/rsyslog.sh DIR: make rsyslogd runnable without installing it,
# and print the directory it was unpacked into (its binary is
# usr/sbin/rsyslogd there, its modules usr/lib/<triplet>/rsyslog).
#
# Debian's rsyslog package is not installed: that would enable and start
# the system's syslog service. Instead `apt-get download` fetches the .deb
# and `dpkg-deb -x` unpacks it into DIR/rsyslog (as tests/bench/peers.sh
# does for the benchmarks, whose copy under build/bench/peers is reused when
# present). The tests run it in the foreground on their own config
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

runnable() {   # runnable ROOTDIR: the unpacked rsyslogd starts here
    [ -x "$1/usr/sbin/rsyslogd" ] || return 1
    missing=$(ldd "$1/usr/sbin/rsyslogd" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
    if [ -n "$missing" ]; then
        echo "rsyslog.sh: rsyslogd needs libraries that are not installed: $missing" >&2
        return 1
    fi
    "$1/usr/sbin/rsyslogd" -v >/dev/null 2>&1
}

for cand in "$dir/rsyslog" "$root/build/bench/peers/rsyslog"; do
    if [ -f "$cand/.done" ] && runnable "$cand"; then
        echo "$cand"
        exit 0
    fi
done

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
    { echo "rsyslog.sh: apt-get and dpkg-deb are needed" >&2; exit 1; }
mkdir -p "$dir" || exit 1
dir=$(cd "$dir" && pwd)
rm -rf "$dir/rsyslog" "$dir/rsyslog.debs"
mkdir -p "$dir/rsyslog.debs"
echo "rsyslog.sh: downloading rsyslog (apt-get download)" >&2
(cd "$dir/rsyslog.debs" && { apt-get download -q rsyslog >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && apt-get download -q rsyslog >/dev/null 2>&1; }; }) ||
    { echo "rsyslog.sh: apt-get download rsyslog failed (no network or no such package)" >&2; exit 1; }
for deb in "$dir/rsyslog.debs"/*.deb; do
    dpkg-deb -x "$deb" "$dir/rsyslog" || { echo "rsyslog.sh: cannot unpack $deb" >&2; exit 1; }
done
dpkg-deb -f "$dir/rsyslog.debs"/rsyslog_*.deb Version >"$dir/rsyslog/.version-rsyslog" 2>/dev/null
runnable "$dir/rsyslog" || { echo "rsyslog.sh: the unpacked rsyslogd does not run" >&2; exit 1; }
touch "$dir/rsyslog/.done"
echo "$dir/rsyslog"
