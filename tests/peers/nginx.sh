#!/bin/sh
# tests/peers/nginx.sh DIR: make nginx runnable without installing it, and
# print the directory it was unpacked into (its binary is usr/sbin/nginx
# there).
#
# Debian's nginx package is not installed: that would enable and start a
# web server on port 80. Instead `apt-get download` fetches the .deb of
# `nginx` (in Debian 12 the package holding /usr/sbin/nginx; nginx-light and
# nginx-core are only metapackages over it and its modules) and
# `dpkg-deb -x` unpacks it into DIR/nginx (debpkg.sh). nginx-common
# (mime.types, the system config) is not needed: the tests write their
# whole config. The
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
. "$(dirname "$0")/debpkg.sh"

if [ -f "$dir/nginx/.done" ] && debpkg_runs "$dir/nginx" usr/sbin/nginx; then
    echo "$dir/nginx"
    exit 0
fi

debpkg_provide "$dir" nginx usr/sbin/nginx
