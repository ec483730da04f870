# tests/peers/debpkg.sh: sourced by the scripts that make a Debian
# package's programs runnable without installing it (tests/peers/nginx.sh,
# tests/peers/rsyslog.sh, tests/bench/peers.sh). Installing would run the
# package's maintainer scripts, which enable and start system services;
# `apt-get download` and `dpkg-deb -x` only put its files under a
# directory. Messages start with the calling script's name ("nginx.sh: ").

# debpkg_unpack DEST PKG...: empty DEST and DEST.debs, download the .debs
# of PKG... (those packages only, not their dependencies) into DEST.debs,
# unpack them all into DEST and write each package's version into
# DEST/.version-PKG. 0, or 1 with the reason on stderr.
debpkg_unpack() {
    local dest=$1 who=${0##*/} deb pkg
    shift
    rm -rf "$dest" "$dest.debs"
    mkdir -p "$dest.debs"
    echo "$who: downloading $* (apt-get download)" >&2
    (cd "$dest.debs" && { apt-get download -q "$@" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 && apt-get download -q "$@" >/dev/null 2>&1; }; }) ||
        { echo "$who: apt-get download $* failed (no network or no such package)" >&2; return 1; }
    for deb in "$dest.debs"/*.deb; do
        dpkg-deb -x "$deb" "$dest" || { echo "$who: cannot unpack $deb" >&2; return 1; }
    done
    for pkg in "$@"; do
        dpkg-deb -f "$dest.debs/${pkg}_"*.deb Version >"$dest/.version-$pkg" 2>/dev/null
    done
    return 0
}

# debpkg_runs ROOT BIN: the program ROOT/BIN (usr/sbin/nginx) of an
# unpacked package is there, finds every shared library it needs (those it
# does not are named on stderr) and runs (`BIN -v`).
debpkg_runs() {
    local prog=$1/$2 missing
    [ -x "$prog" ] || return 1
    missing=$(ldd "$prog" 2>/dev/null | awk '/not found/ {print $1}' | tr '\n' ' ')
    if [ -n "$missing" ]; then
        echo "${0##*/}: ${prog##*/} needs libraries that are not installed: $missing" >&2
        return 1
    fi
    "$prog" -v >/dev/null 2>&1
}

# debpkg_provide DIR PKG BIN: unpack package PKG into DIR/PKG (DIR is
# created), check that its program BIN runs there, mark the copy finished
# (DIR/PKG/.done) and print the directory, absolute. 0, or 1 with the
# reason on stderr.
debpkg_provide() {
    local dir=$1 pkg=$2 bin=$3 who=${0##*/}
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
        { echo "$who: apt-get and dpkg-deb are needed" >&2; return 1; }
    mkdir -p "$dir" || return 1
    dir=$(cd "$dir" && pwd)
    debpkg_unpack "$dir/$pkg" "$pkg" || return 1
    debpkg_runs "$dir/$pkg" "$bin" ||
        { echo "$who: the unpacked ${bin##*/} does not run" >&2; return 1; }
    touch "$dir/$pkg/.done"
    echo "$dir/$pkg"
}
