#!/usr/bin/env bash
# tags: threaded
# A running daemon follows a growing file; SIGTERM drains what is in flight
# and exits 0 with every line delivered exactly once.
. "$(dirname "$0")/lib.sh"

cat >"$T/c.yaml" <<YAML
service: { workers: 2, shutdown_timeout: 20s, state_dir: "$T/state1" }
sources:
  in: { type: file, paths: ["$T/in.log"], poll_interval: 50ms }
destinations:
  out: { type: file, path: "$T/out.log", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
"$TOOLS/gen_nginx" -n 1000 --seq --seed 3 -o "$T/in.log"
start_sluice "$T/c.yaml"
check "first 1000 lines arrive" wait_until 30 file_has_lines "$T/out.log" 1000
"$TOOLS/gen_nginx" -n 500 --seq --seq-start 1000 --seed 4 -o "$T/in.log"
check "appended lines arrive while running" wait_until 30 file_has_lines "$T/out.log" 1500
stop_sluice TERM
check "SIGTERM exits 0" [ "$SLUICE_RC" -eq 0 ]
check "SIGTERM is logged" log_has "SIGTERM: stopping sources"
check "exactly 1500 lines" [ "$(lines_in "$T/out.log")" -eq 1500 ]
check "each exactly once" [ -z "$(seqs "$T/out.log" | uniq -d)" ]

# SIGINT under load: the drain delivers everything read so far, nothing twice.
rm -f "$T/out.log"
"$TOOLS/gen_nginx" -n $((200000 / SCALE)) --seq --seed 5 -o "$T/big.log"
sed -i "s|$T/in.log|$T/big.log|" "$T/c.yaml"
start_sluice "$T/c.yaml"
wait_until 30 file_has_lines "$T/out.log" 1 || true
stop_sluice INT
check "SIGINT exits 0" [ "$SLUICE_RC" -eq 0 ]
check "no duplicates after a drain under load" [ -z "$(seqs "$T/out.log" | uniq -d)" ]
check "delivered lines are whole lines of the input" \
    [ "$(LC_ALL=C comm -23 <(LC_ALL=C sort "$T/out.log") <(LC_ALL=C sort "$T/big.log") | wc -l)" -eq 0 ]

# A destination that never drains cannot hold the stop beyond
# shutdown_timeout: sluice gives up, says so, and exits 0 (the events stay
# unacknowledged, for file sources to read again after a restart).
mkfifo "$T/stuck.fifo"
exec 3<>"$T/stuck.fifo"           # open, never read: writes block once it fills
cat >"$T/stuck.yaml" <<YAML
service: { workers: 2, shutdown_timeout: 1s, state_dir: "$T/state2" }
sources:
  in: { type: file, paths: ["$T/big.log"] }
destinations:
  out: { type: file, path: "$T/stuck.fifo", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
"$SLUICE" -c "$T/stuck.yaml" -v >/dev/null 2>"$T/stuck.log" 3>&- &
pid=$!
PIDS="$PIDS $pid"
check "the source stalls behind the stuck destination" \
    wait_until 30 grep -q 'paused' "$T/stuck.log"
kill -TERM "$pid"
start=$(date +%s)
wait "$pid"
rc=$?
exec 3>&-
check "a stuck destination: SIGTERM still exits 0" [ "$rc" -eq 0 ]
check "... within shutdown_timeout (plus slack)" [ $(($(date +%s) - start)) -le 5 ]
check "... and says what it left behind" grep -q 'shutdown_timeout reached' "$T/stuck.log"
finish
