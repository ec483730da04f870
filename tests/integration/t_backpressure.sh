#!/usr/bin/env bash
# tags: threaded
# A destination that stops accepting (a FIFO nobody reads) must not make
# memory grow: the source pauses at service.memory_limit. When the reader
# comes back, every line arrives exactly once. The queue is made large here
# so that the memory limit, not the queue bound, is what stops the source.
. "$(dirname "$0")/lib.sh"

N=$((1000000 / SCALE))
"$TOOLS/gen_nginx" -n "$N" --seq --seed 11 -o "$T/in.log"     # ~200 MB
mkfifo "$T/out.fifo"
cat >"$T/c.yaml" <<YAML
service:
  workers: 2
  state_dir: "$T/state"
  memory_limit: 8MiB
  queue: { max_events: 10000000, max_bytes: 1GiB }   # let the memory limit bind
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  out: { type: file, path: "$T/out.fifo", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
exec 3<>"$T/out.fifo"            # hold the FIFO open, read nothing yet
"$SLUICE" -c "$T/c.yaml" --once -v >"$T/sluice.out" 2>"$T/sluice.log" 3>&- &
SLUICE_PID=$!
PIDS="$PIDS $SLUICE_PID"
check "the source pauses at the memory limit" \
    wait_until 60 grep -q 'source "in" paused: events in memory are at service.memory_limit' "$T/sluice.log"
hwm_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$SLUICE_PID/status")
echo "  peak RSS while stalled: ${hwm_kib} KiB (input $(($(stat -c %s "$T/in.log") / 1048576)) MiB)"
# 8 MiB of events, plus code, libraries, thread stacks and allocator slack
limit_kib=$((48 * 1024))
[ "$SCALE" -gt 1 ] && limit_kib=$((400 * 1024))   # sanitizer shadow memory
check "memory stays bounded while the destination is stalled" [ "$hwm_kib" -lt "$limit_kib" ]
cat "$T/out.fifo" >"$T/out.log" 3>&- &   # its own reader: EOF once sluice closes
reader=$!
# Let go of our end only once the reader holds the FIFO open (else sluice
# would see EPIPE in between: a FIFO cannot be cut back like a file).
reader_has_fifo() { ls -l "/proc/$reader/fd" 2>/dev/null | grep -q out.fifo; }
wait_until 30 reader_has_fifo
exec 3>&-
wait "$SLUICE_PID"
rc=$?
wait "$reader"
check "once the reader is back, sluice finishes" [ "$rc" -eq 0 ]
check "every line arrives" [ "$(lines_in "$T/out.log")" -eq "$N" ]
check "each exactly once" cmp -s <(LC_ALL=C sort "$T/in.log") <(LC_ALL=C sort "$T/out.log")
finish
