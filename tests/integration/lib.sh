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
