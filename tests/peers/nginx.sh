#!/bin/sh
# tests/peers/nginx.sh DIR: make nginx runnable without installing it, and
# print the directory it was unpacked into (its binary is usr/sbin/nginx
# there).
#
# Debian's nginx package is not installed: that would enable and start a
# web server on port 80. Instead `apt-get download` fetches the .deb of
# `nginx` (in Debian 12 the package holding /usr/sbin/nginx; nginx-light and
# nginx-core are only metapackages over it and its modules) and
# `dpkg-deb -x` unpacks it into DIR/nginx. nginx-common (mime.types, the
# system config) is not needed: the tests write their whole config. The
# tests run it in the foreground on their own prefix, config, pid file,
# logs and temp paths:
#     nginx -p PREFIX -c CONF -e ERRLOG -g 'daemon off; pid PREFIX/nginx.pid;'
# Its shared libraries (libc, libcrypt, libpcre2-8, libssl3, zlib) are on
# every machine that builds sluice.
#
# Exit status: 0 with the directory on stdout; 1 with the reason on stderr
# when nginx cannot be obtained or cannot run here (callers skip).
# Idempotent: an unpacked copy that runs is reused.
set -u
dir=${1:?usage: nginx.sh DIR}

runnable() {   # runnable ROOTDIR: the unpacked nginx starts here
    [ -x "$1/usr/sbin/nginx" ] || return 1
    missing=$(ldd "$1/usr/sbin/nginx" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
    if [ -n "$missing" ]; then
        echo "nginx.sh: nginx needs libraries that are not installed: $missing" >&2
        return 1
    fi
    "$1/usr/sbin/nginx" -v >/dev/null 2>&1
}

if [ -f "$dir/nginx/.done" ] && runnable "$dir/nginx"; then
    echo "$dir/nginx"
    exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
    { echo "nginx.sh: apt-get and dpkg-deb are needed" >&2; exit 1; }
mkdir -p "$dir" || exit 1
dir=$(cd "$dir" && pwd)
rm -rf "$dir/nginx" "$dir/nginx.debs"
mkdir -p "$dir/nginx.debs"
echo "nginx.sh: downloading nginx (apt-get download)" >&2
(cd "$dir/nginx.debs" && { apt-get download -q nginx >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && apt-get download -q nginx >/dev/null 2>&1; }; }) ||
    { echo "nginx.sh: apt-get download nginx failed (no network or no such package)" >&2; exit 1; }
for deb in "$dir/nginx.debs"/*.deb; do
    dpkg-deb -x "$deb" "$dir/nginx" || { echo "nginx.sh: cannot unpack $deb" >&2; exit 1; }
done
dpkg-deb -f "$dir/nginx.debs"/nginx_*.deb Version >"$dir/nginx/.version-nginx" 2>/dev/null
runnable "$dir/nginx" || { echo "nginx.sh: the unpacked nginx does not run" >&2; exit 1; }
touch "$dir/nginx/.done"
echo "$dir/nginx"
