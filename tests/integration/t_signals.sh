#!/usr/bin/env bash
# tags: threaded
# A running daemon follows a growing file; SIGTERM drains what is in flight
# and exits 0 with every line delivered exactly once.
. "$(dirname "$0")/lib.sh"

cat >"$T/c.yaml" <<YAML
service: { workers: 2, shutdown_timeout: 20s }
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
finish
