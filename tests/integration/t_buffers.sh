#!/usr/bin/env bash
# tags: threaded
# Buffers and delivery guarantees, on the real binary with tests/tools/http_sink
# as the endpoint:
#  1. disk buffer, endpoint down: 10,000 lines are written to the disk buffer
#     (the file checkpoint passes them), sluice is stopped and started again,
#     the endpoint comes up: every line arrives, none twice.
#  2. kill -9 while 1,000,000 lines flow file -> disk buffer -> a slow
#     endpoint: after a restart every line arrives at least once (the
#     duplicates are counted and reported).
#  3. a segment corrupted in the middle and torn at its end: sluice starts,
#     reports both, and delivers every intact record (exactly the two
#     damaged ones are missing).
#  4. memory buffer, when_full: block, endpoint down for the whole offer of
#     2,000,000 lines: peak RSS stays under the stated bound, the file
#     checkpoint stops advancing, and once the endpoint is back every line
#     arrives.
#  5. a disk buffer on a 4 MiB tmpfs that fills up: no crash, the error is
#     reported, the sources are held back, and when space is freed every
#     line arrives.
#  6. a handler failure and a batch the endpoint answers 400 both land in
#     the dead-letter file with their error fields.
#  7. when_full: drop_newest on a memory buffer drops and counts.
. "$(dirname "$0")/lib.sh"

# Under sanitizers (SCALE > 1) the big cases shrink 10x more: the normal
# pass has the full sizes the guarantees are stated for.
BIG=1
[ "$SCALE" -gt 1 ] && BIG=10

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

uniq_count() { seq_numbers "$1" | uniq | wc -l | tr -d ' '; }
all_count() { seq_numbers "$1" | wc -l | tr -d ' '; }
has_unique() { [ "$(uniq_count "$1")" -ge "$2" ]; }
# checkpoint_offset FILE: the offset the checkpoint file records (field 5).
checkpoint_offset() { awk '!/^#/ { print $5; exit }' "$1" 2>/dev/null; }

metric_is() { [ "$(metric "$1" "$2" "$3")" = "$4" ]; }
metric_ge() { v=$(metric "$1" "$2" "$3"); [ "${v%.*}" -ge "$4" ]; }

# http_dest_yaml PORT OPTION...: the end of a case's config: its one
# destination, `web`, posting to http_sink on 127.0.0.1:PORT, with each
# OPTION (a line such as 'batch: { max_events: 500, max_age: 100ms }') in
# its block, and the pipeline from the file source `in` to it.
http_dest_yaml() {
    local port=$1
    shift
    printf 'destinations:\n  web:\n    type: http\n    url: "http://127.0.0.1:%s/bulk"\n' "$port"
    printf '    %s\n' "$@"
    printf 'pipelines:\n  p: { from: [in], to: [web] }\n'
}

# ---- 1. disk buffer across a restart, endpoint down ---------------------------
N=$((10000 / SCALE))
"$TOOLS/log_writer" -o "$T/in1.log" -n "$N" --name one >/dev/null
P1=$(pick_port)
A1=$(pick_port)
cat >"$T/c1.yaml" <<YAML
service: { workers: 2, state_dir: "$T/s1", shutdown_timeout: 5s, admin: { listen: "127.0.0.1:$A1" } }
sources:
  in: { type: file, paths: ["$T/in1.log"], checkpoint_interval: 100ms }
$(http_dest_yaml "$P1" 'batch: { max_events: 500, max_age: 100ms }' \
    'retry: { initial: 100ms, max: 500ms }' 'buffer: { type: disk, fsync: always }')
YAML
start_sluice "$T/c1.yaml"
check "disk: every line is written to the disk buffer while the endpoint is down" \
    wait_until 30 metric_is sluice_disk_buffer_records_written_total web "$A1" "$N"
check "disk: the file checkpoint passes the lines once they are on disk" \
    wait_until 10 sh -c "[ \"\$(awk '!/^#/ { print \$5; exit }' '$T/s1/checkpoints/in.ckpt' 2>/dev/null)\" = $(stat -c %s "$T/in1.log") ]"
check "disk: nothing was delivered yet" metric_is sluice_destination_events_out_total web "$A1" 0
stop_sluice TERM
check "disk: SIGTERM exits 0 at once with the endpoint down" [ "$SLUICE_RC" -eq 0 ]
check "disk: the log says what stays on disk" log_has 'stay in the disk buffer'
start_sink "$T/sink1" --port "$P1"
start_sluice "$T/c1.yaml"
check "disk: after the restart, the earlier run's events are replayed" \
    wait_until 30 has_unique "$T/sink1/out" "$N"
check "disk: the replay is logged" log_has 'from an earlier run; delivering them first'
stop_sluice TERM
stop_sink
dups=$(($(all_count "$T/sink1/out") - $(uniq_count "$T/sink1/out")))
echo "  duplicates after a clean stop: $dups"
check "disk: every line exactly once (no duplicates after a clean stop)" \
    cmp -s <(seq_numbers "$T/in1.log") <(seq_numbers "$T/sink1/out")
check "disk: the delivered segments are deleted" \
    sh -c "[ \$(find '$T/s1/buffers/web' -name '*.seg' -size +0 | wc -l) -le 1 ]"

# ---- 2. kill -9 mid-flow --------------------------------------------------------
M=$((1000000 / SCALE / BIG))
"$TOOLS/log_writer" -o "$T/in2.log" -n "$M" --name two >/dev/null
start_sink "$T/sink2" --delay-ms 5
cat >"$T/c2.yaml" <<YAML
service: { workers: 2, state_dir: "$T/s2" }
sources:
  in: { type: file, paths: ["$T/in2.log"] }
$(http_dest_yaml "$SINK_PORT" 'compression: gzip' 'concurrency: 2' \
    'batch: { max_events: 2000, max_age: 100ms }' 'retry: { initial: 100ms, max: 500ms }' \
    'buffer: { type: disk }')
YAML
start_sluice "$T/c2.yaml"
check "kill -9: delivery is under way" wait_until 120 has_unique "$T/sink2/out" $((M / 4))
kill -9 "$SLUICE_PID"
wait "$SLUICE_PID" 2>/dev/null
before=$(uniq_count "$T/sink2/out")
start_sluice "$T/c2.yaml"
check "kill -9: after the restart every line arrives at least once" \
    wait_until 300 has_unique "$T/sink2/out" "$M"
stop_sluice TERM
stop_sink
dups=$(($(all_count "$T/sink2/out") - $(uniq_count "$T/sink2/out")))
echo "  killed with $before of $M lines delivered; duplicates after the restart: $dups"
check "kill -9: the delivered set is exactly the input" \
    cmp -s <(seq_numbers "$T/in2.log" | uniq) <(seq_numbers "$T/sink2/out" | uniq)

# ---- 3. corruption in the middle and a torn tail ------------------------------------
K=2000
"$TOOLS/log_writer" -o "$T/in3.log" -n "$K" --name three >/dev/null
P3=$(pick_port)
A3=$(pick_port)
cat >"$T/c3.yaml" <<YAML
service: { workers: 1, state_dir: "$T/s3", admin: { listen: "127.0.0.1:$A3" } }
sources:
  in: { type: file, paths: ["$T/in3.log"] }
$(http_dest_yaml "$P3" 'batch: { max_events: 100, max_age: 50ms }' \
    'retry: { initial: 100ms, max: 500ms }' 'buffer: { type: disk, fsync: never }')
YAML
start_sluice "$T/c3.yaml"
check "corrupt: the lines are written to the disk buffer" \
    wait_until 30 metric_is sluice_disk_buffer_records_written_total web "$A3" "$K"
stop_sluice TERM
seg=$(ls "$T/s3/buffers/web/"*.seg | head -1)
# One byte inside the message of record seq=000001000 (CRC mismatch), and the
# last record cut short by 5 bytes (a crash while writing).
off=$(grep -boa 'three seq=000001000' "$seg" | head -1 | cut -d: -f1)
printf 'X' | dd of="$seg" bs=1 seek=$((off + 8)) conv=notrunc status=none
last=$(grep -ao 'three seq=[0-9]*' "$seg" | tail -1 | grep -o 'seq=[0-9]*')
truncate -s -5 "$seg"
start_sink "$T/sink3" --port "$P3"
start_sluice "$T/c3.yaml"
check "corrupt: every intact record arrives" wait_until 30 has_unique "$T/sink3/out" $((K - 2))
check "corrupt: the corrupt record is reported" log_has 'a corrupt record (checksum mismatch)'
check "corrupt: the torn tail is reported" log_has 'a torn record at the end of a segment'
check "corrupt: both are counted" wait_until 5 metric_is sluice_disk_buffer_corrupt_records_total web "$A3" 2
stop_sluice TERM
stop_sink
seq_numbers "$T/in3.log" | grep -v -e 'seq=000001000' -e "$last" >"$T/expect3"
check "corrupt: exactly the two damaged records are missing, nothing doubled" \
    cmp -s "$T/expect3" <(seq_numbers "$T/sink3/out")

# ---- 4. memory buffer, endpoint down for 2,000,000 lines ------------------------------
B=$((2000000 / SCALE / BIG))
"$TOOLS/log_writer" -o "$T/in4.log" -n "$B" --name four >/dev/null
P4=$(pick_port)
cat >"$T/c4.yaml" <<YAML
service:
  workers: 2
  state_dir: "$T/s4"
  memory_limit: 16MiB
sources:
  in: { type: file, paths: ["$T/in4.log"], checkpoint_interval: 100ms }
$(http_dest_yaml "$P4" 'compression: gzip' 'batch: { max_events: 5000, max_age: 100ms }' \
    'retry: { initial: 100ms, max: 1s }' 'buffer: { type: memory, when_full: block }')
YAML
start_sluice "$T/c4.yaml" -v
check "memory: the source is held back while the endpoint is down" \
    wait_until 60 grep -q 'source "in" paused' "$T/sluice.log"
c1=$(checkpoint_offset "$T/s4/checkpoints/in.ckpt")
c1=${c1:-0}
# Two checkpoint intervals and some retries later, it has not moved.
wait_until 10 sh -c "[ \$(grep -c 'retry' '$T/sluice.log') -ge 3 ]"
c2=$(checkpoint_offset "$T/s4/checkpoints/in.ckpt")
c2=${c2:-0}
check "memory: the file checkpoint stops advancing (at $c2 of $(stat -c %s "$T/in4.log") bytes)" \
    [ "$c1" = "$c2" ] && [ "$c2" -lt "$(stat -c %s "$T/in4.log")" ]
start_sink "$T/sink4" --port "$P4"
check "memory: once the endpoint is back, every line arrives" \
    wait_until 300 has_unique "$T/sink4/out" "$B"
hwm_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$SLUICE_PID/status")
# Stated bound: memory_limit (16 MiB) + one batch encoded and gzipped +
# code, libraries, thread stacks and allocator slack.
limit_kib=$((64 * 1024))
[ "$SCALE" -gt 1 ] && limit_kib=$((512 * 1024))   # sanitizer shadow memory
echo "  peak RSS: ${hwm_kib} KiB for $B lines ($(($(stat -c %s "$T/in4.log") / 1048576)) MiB), bound $((limit_kib / 1024)) MiB"
check "memory: peak RSS stays under $((limit_kib / 1024)) MiB" [ "$hwm_kib" -lt "$limit_kib" ]
stop_sluice TERM
stop_sink
check "memory: every line exactly once" cmp -s <(seq_numbers "$T/in4.log") <(seq_numbers "$T/sink4/out")

# ---- 5. disk full ------------------------------------------------------------------------
# A 4 MiB tmpfs, mounted by root or in a user+mount namespace (unshare -rm),
# a filler file that takes most of it, the endpoint up. sluice's writes
# fail with ENOSPC; once the filler is removed everything arrives.
F=$((40000 / SCALE))
"$TOOLS/log_writer" -o "$T/in5.log" -n "$F" --name five >/dev/null
start_sink "$T/sink5"
mkdir -p "$T/small"
cat >"$T/c5.yaml" <<YAML
service: { workers: 2, state_dir: "$T/small/state" }
sources:
  in: { type: file, paths: ["$T/in5.log"] }
$(http_dest_yaml "$SINK_PORT" 'batch: { max_events: 1000, max_age: 50ms }' \
    'buffer: { type: disk, segment_size: 256KiB }')
YAML
cat >"$T/diskfull.sh" <<SH
set -u
mount -t tmpfs -o size=4m tmpfs "$T/small" || exit 97
mkdir -p "$T/small/state"
# leave ~200 KiB free
dd if=/dev/zero of="$T/small/filler" bs=64k count=60 status=none 2>/dev/null
"$SLUICE" -c "$T/c5.yaml" 2>"$T/sluice5.log" &
pid=\$!
end=\$((\$(date +%s) + 60))
until grep -q 'No space left on device' "$T/sluice5.log"; do
    [ "\$(date +%s)" -ge "\$end" ] && { echo "no ENOSPC seen"; kill -9 \$pid; exit 1; }
    sleep 0.05
done
kill -0 \$pid || { echo "sluice died"; exit 1; }
echo enospc-seen
rm -f "$T/small/filler"
end=\$((\$(date +%s) + 120))
until [ "\$(grep -o 'seq=[0-9]*' "$T/sink5/out" 2>/dev/null | sort -u | wc -l)" -ge $F ]; do
    [ "\$(date +%s)" -ge "\$end" ] && { echo "not everything arrived"; kill -9 \$pid; exit 1; }
    sleep 0.1
done
kill -TERM \$pid
wait \$pid
echo "exit \$?"
SH
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1m tmpfs "$T/small" 2>/dev/null; then
    umount "$T/small"
    out=$(bash "$T/diskfull.sh" 2>&1)
    umount "$T/small" 2>/dev/null
elif unshare -rm true 2>/dev/null; then
    out=$(unshare -rm bash "$T/diskfull.sh" 2>&1)
else
    out=skipped
fi
stop_sink
if [ "$out" = skipped ]; then
    ok "disk full: skipped (no way to mount a small tmpfs here)"
else
    check "disk full: the write error is reported and sluice keeps running" \
        grep -q enospc-seen <<<"$out"
    check "disk full: it is retried and reported as recovered" \
        grep -q 'the disk buffer accepts events again' "$T/sluice5.log"
    check "disk full: every line arrives once space is freed, and SIGTERM exits 0" \
        grep -q 'exit 0' <<<"$out"
    check "disk full: every line exactly once" \
        cmp -s <(seq_numbers "$T/in5.log") <(seq_numbers "$T/sink5/out")
fi

# ---- 6. dead letters: a handler failure and a 400 -----------------------------------------
printf '%s\n' '{"seq":1,"ok":true}' 'not json at all' '{"seq":3,"ok":true}' >"$T/in6.log"
start_sink "$T/sink6" --script 400 --then 200
cat >"$T/c6.yaml" <<YAML
service: { workers: 1, state_dir: "$T/s6" }
sources:
  in: { type: file, paths: ["$T/in6.log"] }
destinations:
  web:
    type: http
    url: "http://127.0.0.1:$SINK_PORT/bulk"
    batch: { max_events: 100, max_age: 50ms }
  dlq: { type: file, path: "$T/dead.ndjson", buffer: { type: disk } }
pipelines:
  p:
    from: [in]
    to: [web]
    dead_letter: dlq
    handlers:
      - parse_json: { on_error: fail }
YAML
timeout 60 "$SLUICE" -c "$T/c6.yaml" --once 2>"$T/sluice6.log"
rc=$?
stop_sink
check "dead letters: --once exits 0 (everything accounted for)" [ "$rc" -eq 0 ]
check "dead letters: the handler failure is there with its error fields" \
    jq_ok -s 'map(select(.message == "not json at all" and .error.stage == "handler"
                          and (.error.component | test("parse_json"))
                          and (.error.message | length > 0) and .error.time != null)) | length == 1' \
    "$T/dead.ndjson"
check "dead letters: the batch answered 400 is there with its error fields" \
    jq_ok -s 'map(select(.error.stage == "destination" and (.error.message | test("400"))
                          and (.error.component | test("web")))) | length == 2' "$T/dead.ndjson"

# ---- 7. when_full: drop_newest --------------------------------------------------------------
D=$((50000 / SCALE / BIG))
"$TOOLS/log_writer" -o "$T/in7.log" -n "$D" --name seven >/dev/null
P7=$(pick_port)
A7=$(pick_port)
cat >"$T/c7.yaml" <<YAML
service: { workers: 2, state_dir: "$T/s7", admin: { listen: "127.0.0.1:$A7" } }
sources:
  in: { type: file, paths: ["$T/in7.log"] }
$(http_dest_yaml "$P7" 'batch: { max_events: 100, max_age: 50ms }' \
    'retry: { initial: 100ms, max: 200ms }' \
    'buffer: { max_events: 1000, when_full: drop_newest }')
YAML
start_sluice "$T/c7.yaml"
check "drop_newest: events that do not fit are dropped and counted" \
    wait_until 30 metric_ge sluice_destination_events_dropped_total web "$A7" $((D - 1100))
check "drop_newest: the drop is logged" log_has 'dropping the newest events (when_full: drop_newest)'
start_sink "$T/sink7" --port "$P7"
check "drop_newest: what was kept is delivered" wait_until 30 has_unique "$T/sink7/out" 1
stop_sluice TERM
stop_sink
kept=$(uniq_count "$T/sink7/out")
echo "  drop_newest: $kept of $D lines kept (buffer.max_events 1000 + one batch)"
check "drop_newest: at most the buffer and one batch were kept" [ "$kept" -le 1100 ]

finish
