#!/bin/sh
# contrib/deps.sh: install, from Debian/Ubuntu packages, what sluice needs to
# build (`deps.sh build`), to build and run its tests (`deps.sh test`), or to
# run the benchmarks (`deps.sh bench`: the shared libraries rsyslog and
# syslog-ng need, valgrind, Node.js for the S3 peer; the two collectors
# themselves are not installed here: they conflict with each other and their
# packages would start the system's syslog service, so tests/bench/peers.sh
# unpacks them privately under build/bench/peers).
# Idempotent: only missing packages are installed. Uses sudo when not root.
set -eu

what=${1:-build}
build_pkgs="gcc make pkg-config libc6-dev libevent-dev libyaml-dev zlib1g-dev libpcre2-dev libssl-dev libcurl4-openssl-dev libjansson-dev librdkafka-dev"
test_pkgs="$build_pkgs check clang cppcheck clang-tidy valgrind procps groff-base logrotate nodejs curl bsdutils jq systemd openssl python3 util-linux"
bench_pkgs="$build_pkgs valgrind procps time nodejs curl util-linux libestr0 libfastjson4 liblognorm5 libivykis0 libnet1 libwrap0 libjson-c5 libglib2.0-0 libpcre3 libcurl4 libcap2 libsystemd0 libuuid1 libzstd1"

case "$what" in
build) pkgs=$build_pkgs ;;
test) pkgs=$test_pkgs ;;
bench) pkgs=$bench_pkgs ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

installed() {
    dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=""
for p in $pkgs; do
    installed "$p" || missing="$missing $p"
done

# libFuzzer and the sanitizer runtimes for clang come in a package named
# after clang's major version.
if [ "$what" = test ]; then
    if command -v clang >/dev/null 2>&1; then
        v=$(clang -dumpversion | cut -d. -f1)
        installed "libclang-rt-$v-dev" || missing="$missing libclang-rt-$v-dev"
    else
        need_rt=1
    fi
fi

[ -n "$missing" ] || [ -n "${need_rt:-}" ] || exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: please install these packages:$missing" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps.sh: run as root or install sudo" >&2; exit 1; }
    sudo=sudo
fi
apt_install() {
    echo "deps.sh: installing:$*" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
        >/dev/null
}
# Update the package lists only when an install needs it.
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    apt_install $missing || { $sudo apt-get update -q >/dev/null && apt_install $missing; }
fi
if [ -n "${need_rt:-}" ]; then
    v=$(clang -dumpversion | cut -d. -f1)
    apt_install "libclang-rt-$v-dev" || { $sudo apt-get update -q >/dev/null && apt_install "libclang-rt-$v-dev"; }
fi
