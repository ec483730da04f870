#!/bin/sh
# tests/lint/compdb.sh OUTDIR FILE... -- COMPILER FLAG...
# Writes OUTDIR/compile_commands.json: every FILE compiled with the same
# flags (make lint passes the Makefile's), for clang-tidy -p OUTDIR.
set -eu
out=$1; shift
files=""
while [ $# -gt 0 ] && [ "$1" != -- ]; do files="$files $1"; shift; done
[ $# -gt 0 ] && shift
args=""
for a in "$@"; do
    a=$(printf '%s' "$a" | sed 's/\\/\\\\/g; s/"/\\"/g')
    args="$args\"$a\", "
done
dir=$(pwd)
mkdir -p "$out"
{
    echo "["
    sep=""
    for f in $files; do
        printf '%s  {"directory": "%s", "file": "%s", "arguments": [%s"-c", "%s"]}' \
            "$sep" "$dir" "$f" "$args" "$f"
        sep=",
"
    done
    printf '\n]\n'
} > "$out/compile_commands.json.tmp"
mv "$out/compile_commands.json.tmp" "$out/compile_commands.json"
