#!/bin/sh
# contrib/run-demo.sh: what `make run` does after building: generate a
# backlog of nginx access-log lines, keep appending a few per second, and
# run sluice on conf/demo.yaml until Ctrl-C.
set -eu
build=${1:-build}
dir=$(pwd)/$build/demo
mkdir -p "$dir"
rm -rf "$dir/out" "$dir/access.log"
"$build/tools/gen_nginx" -n 20 --seed 7 -o "$dir/access.log"
"$build/tools/gen_nginx" -n 0 --rate 2 --seed 8 -o "$dir/access.log" &
gen=$!
trap 'kill $gen 2>/dev/null || true' EXIT INT TERM
cat >&2 <<MSG
== sluice demo: following $dir/access.log (a generator appends 2 lines/s).
== Events print below as NDJSON and are archived under $dir/out/.
== Press Ctrl-C to stop.
MSG
SLUICE_DEMO_DIR=$dir "$build/sluice" -c conf/demo.yaml || true
