# tests/integration/lib.sh: helpers for integration tests that run the real
# sluice binary. Each test script sources this, calls `check NAME CMD...`
# or `ok`/`not_ok` per case, and exits non-zero if any case failed.
set -u
SLUICE=${SLUICE_BIN:?set SLUICE_BIN}
TOOLS=${SLUICE_TOOLS:?set SLUICE_TOOLS}
case "$SLUICE" in /*) ;; *) SLUICE=$(pwd)/$SLUICE ;; esac
case "$TOOLS" in /*) ;; *) TOOLS=$(pwd)/$TOOLS ;; esac
# Sanitizer builds are several times slower: tests scale their sizes by this.
SCALE=${SLUICE_TEST_SCALE:-1}
T=$(mktemp -d "${TMPDIR:-/tmp}/sluice-it.XXXXXX")
FAILED=0
PIDS=""
cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    if [ "$FAILED" -eq 0 ]; then rm -rf "$T"; else echo "  (test files kept in $T)"; fi
}
trap cleanup EXIT

ok() { echo "ok - $1"; }
not_ok() {
    echo "not ok - $1"
    shift
    [ $# -gt 0 ] && printf '  %s\n' "$@"
    FAILED=$((FAILED + 1))
}
# check NAME CMD...: a case passes when CMD succeeds.
check() {
    name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}
# wait_until SECONDS CMD...: poll CMD until it succeeds or the deadline passes.
wait_until() {
    limit=$1
    shift
    end=$(($(date +%s) + limit))
    while ! "$@"; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.05
    done
}
# start_sluice CONFIG [ARGS...]: run the daemon in the background; its stderr
# goes to $T/sluice.log and its pid to $SLUICE_PID.
start_sluice() {
    cfg=$1
    shift
    "$SLUICE" -c "$cfg" "$@" >"$T/sluice.out" 2>"$T/sluice.log" &
    SLUICE_PID=$!
    PIDS="$PIDS $SLUICE_PID"
}
# stop_sluice [SIGNAL]: signal the daemon and wait for it; sets SLUICE_RC.
stop_sluice() {
    kill "-${1:-TERM}" "$SLUICE_PID" 2>/dev/null
    wait "$SLUICE_PID"
    SLUICE_RC=$?
}
log_has() { grep -q -- "$1" "$T/sluice.log"; }
lines_in() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
file_has_lines() { [ "$(lines_in "$1")" -ge "$2" ]; }
# seqs FILE: the sequence numbers (seq=NNNNNNNNN) found in FILE, sorted.
seqs() { grep -o 'seq=[0-9]*' "$1" | LC_ALL=C sort; }
finish() { exit $((FAILED > 0)); }
# pick_port: a port number no TCP or UDP socket uses now.
pick_port() {
    local p hex
    while :; do
        p=$((20000 + RANDOM % 40000))
        hex=$(printf ':%04X ' "$p")
        cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null | grep -q "$hex" || break
    done
    echo "$p"
}
# metric NAME LABELVALUE PORT: one sample from the admin endpoint's /metrics.
metric() {
    curl -s "http://127.0.0.1:$3/metrics" | awk -v n="$1" -v l="\"$2\"" \
        '$1 ~ "^" n "\\{" && index($1, l) { print $2; found=1 } END { if (!found) print -1 }'
}
# jq_ok ARGS...: jq -e without printing the result (for check).
jq_ok() { jq -e "$@" >/dev/null; }
# start_sink DIR [ARGS...]: tests/tools/http_sink appending the bodies it
# answers 2xx to DIR/out (other 4xx to DIR/rejected), its log in
# DIR/sink.log; sets SINK_PORT and SINK_PID. stop_sink ends it.
start_sink() {
    local dir=$1
    shift
    mkdir -p "$dir"
    rm -f "$dir/port"
    "$TOOLS/http_sink" --port-file "$dir/port" --out "$dir/out" --rejected "$dir/rejected" "$@" \
        >/dev/null 2>>"$dir/sink.log" &
    SINK_PID=$!
    PIDS="$PIDS $SINK_PID"
    wait_until 10 test -s "$dir/port" || return 1
    SINK_PORT=$(cat "$dir/port")
}
stop_sink() { kill -TERM "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null; }
# seq_numbers FILE: every seq=N in FILE, one a line, sorted (with repeats).
seq_numbers() { if [ -f "$1" ]; then grep -o 'seq=[0-9]*' "$1" | LC_ALL=C sort; fi; }
