#!/usr/bin/env bash
# The kafka destination and source against librdkafka's mock cluster
# (tests/tools/kafka_mock: the Kafka protocol implemented inside librdkafka,
# 3 brokers on 127.0.0.1).
# (a) N (1,000,000 / SLUICE_TEST_SCALE) keyed events: file -> sluice ->
#     kafka -> sluice (group ga) -> file: every event at least once, the
#     order of each key kept (2 workers with service.keep_order, on the
#     producer and the consumers); a restart of the consumer re-delivers nothing
#     (offsets were committed).
# (b) two consumers in one group over the same N events, one killed -9
#     mid-way: the other takes its partitions over; every event at least
#     once.
# (c) Produce errors and the brokers down then up again (longer than
#     message_timeout): retried, nothing lost.
# (d) an unknown topic is a permanent error: the events go to the
#     dead-letter file with the reason; secrets are not logged; config
#     mistakes are reported by --check.
# (e) a consumer held back by a failing HTTP endpoint, a tiny queue and
#     memory_limit pauses and resumes its partitions without losing or
#     re-reading a message.
# The mock keeps about 5 MiB per partition (older messages are deleted,
# as retention would), so the topics have 16 partitions and the events are
# sent raw and lz4-compressed.
. "$(dirname "$0")/lib.sh"

N=$((1000000 / SCALE))
M=$((50000 / SCALE))
KEYS=101

mkdir -p "$T/mock"
"$TOOLS/kafka_mock" --brokers 3 --bootstrap-file "$T/mock/bs" --control "$T/mock/ctl" \
    --topic a:16 --topic c:4 >/dev/null 2>"$T/mock/log" &
MOCK_PID=$!
PIDS="$PIDS $MOCK_PID"
wait_until 10 test -s "$T/mock/bs" || { not_ok "the mock cluster starts"; finish; }
BS=$(cat "$T/mock/bs")
mock() { echo "$*" >"$T/mock/ctl"; }

# gen FILE COUNT: {"k":"kK","seq":S} lines, S = 0..COUNT-1, K = S mod KEYS
gen() { awk -v n="$2" -v k="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "{\"k\":\"k%d\",\"seq\":%d}\n", i % k, i }' >"$1"; }
# summary FILE...: "DISTINCT_SEQS ORDER_VIOLATIONS": a violation is an event
# seen for the first time after a later event of the same key (a re-delivery
# of an older one is not a violation)
summary() {
    cat "$@" 2>/dev/null | awk '
        match($0, /"seq":[0-9]+/) {
            s = substr($0, RSTART + 6, RLENGTH - 6) + 0
            if (!match($0, /"k":"k[0-9]+"/)) next
            k = substr($0, RSTART + 5, RLENGTH - 6)
            if (s in seen) next
            seen[s] = 1; n++
            if ((k in max) && s < max[k]) bad++
            if (!(k in max) || s > max[k]) max[k] = s
        }
        END { print n + 0, bad + 0 }'
}
distinct() { summary "$@" | cut -d' ' -f1; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

producer_cfg() {   # FILE INPUT TOPIC [EXTRA DEST OPTIONS]
    cat >"$1" <<YAML
service: { workers: 2, keep_order: true, state_dir: "$1.state" }
sources:
  in: { type: file, paths: ["$2"] }
destinations:
  k:
    type: kafka
    brokers: "$BS"
    topic: "$3"
    key: k
    encoding: raw
    kafka_compression: lz4
    batch: { max_events: 10000, max_age: 50ms }
    retry: { initial: 100ms, max: 1s }
    ${4:-}
  dlq: { type: file, path: "$1.dead" }
pipelines:
  p: { from: [in], to: [k], dead_letter: dlq, handlers: [ { parse_json: {} } ] }
YAML
}
consumer_cfg() {   # FILE TOPIC GROUP OUT
    cat >"$1" <<YAML
service: { workers: 2, keep_order: true, state_dir: "$1.state" }
sources:
  kin:
    type: kafka
    brokers: "$BS"
    group_id: "$3"
    topics: ["$2"]
    decode: json
    commit_interval: 200ms
    librdkafka: { session.timeout.ms: "3000", heartbeat.interval.ms: "500" }
destinations:
  out: { type: file, path: "$4", batch: { max_events: 10000 } }
pipelines:
  p: { from: [kin], to: [out] }
YAML
}
start_bg() {   # LOG CONFIG: sets BG_PID
    "$SLUICE" -c "$2" >/dev/null 2>"$1" &
    BG_PID=$!
    PIDS="$PIDS $BG_PID"
}
count_is_at_least() { [ "$(distinct "${@:2}")" -ge "$1" ]; }

# ---- (a) file -> kafka -> file -------------------------------------------------
mkdir -p "$T/a"
gen "$T/a/in.log" "$N"
producer_cfg "$T/a/p.yaml" "$T/a/in.log" a
t0=$(date +%s.%N)
timeout 150 "$SLUICE" -c "$T/a/p.yaml" --once >/dev/null 2>"$T/a/p.log"
rc=$?
t1=$(date +%s.%N)
check "a: the producer exits 0" [ "$rc" -eq 0 ]
check "a: $N events produced" grep -q "destination \"k\": $N events delivered, 0 failed" "$T/a/p.log"
echo "  a: produced $N events in $(secs "$t0" "$t1")s"

consumer_cfg "$T/a/c.yaml" a ga "$T/a/out"
start_bg "$T/a/c.log" "$T/a/c.yaml"
C=$BG_PID
t0=$(date +%s.%N)
wait_until 150 file_has_lines "$T/a/out" "$N"
t1=$(date +%s.%N)
echo "  a: consumed $(lines_in "$T/a/out") lines in $(secs "$t0" "$t1")s (3s of it joining the group)"
sleep 1
kill -TERM "$C"; wait "$C"; rc=$?
check "a: the consumer stops cleanly (exit 0)" [ "$rc" -eq 0 ]
read -r got bad < <(summary "$T/a/out")
check "a: every event arrived at least once ($got of $N)" [ "$got" -eq "$N" ]
check "a: per-key order is kept ($bad violations)" [ "$bad" -eq 0 ]
check "a: the kafka map has topic, partition, offset and key" \
    grep -q '"kafka":{"topic":"a","partition":[0-9]*,"offset":[0-9]*,"key":"k[0-9]*"}' "$T/a/out"
before=$(lines_in "$T/a/out")
start_bg "$T/a/c2.log" "$T/a/c.yaml"
C=$BG_PID
wait_until 20 grep -q 'assigned 16 partitions' "$T/a/c2.log"
sleep 2
kill -TERM "$C"; wait "$C"
check "a: a restarted consumer resumes at the committed offsets (nothing again)" \
    [ "$(lines_in "$T/a/out")" -eq "$before" ]

# ---- (b) two consumers, one killed mid-way -------------------------------------
mkdir -p "$T/b"
consumer_cfg "$T/b/c1.yaml" a gb "$T/b/out1"
consumer_cfg "$T/b/c2.yaml" a gb "$T/b/out2"
start_bg "$T/b/c1.log" "$T/b/c1.yaml"
C1=$BG_PID
start_bg "$T/b/c2.log" "$T/b/c2.yaml"
C2=$BG_PID
# both members in the same generation, 8 partitions each; then c1 reads on
# for a while and is killed in the middle of its share
wait_until 60 grep -q 'assigned 8 partitions' "$T/b/c1.log"
wait_until 60 grep -q 'assigned 8 partitions' "$T/b/c2.log"
base=$(lines_in "$T/b/out1")
wait_until 60 file_has_lines "$T/b/out1" $((base + N / 4))
kill -9 "$C1"
wait "$C1" 2>/dev/null
at_kill=$(distinct "$T/b/out1" "$T/b/out2")
echo "  b: consumer 1 killed when $at_kill distinct events had arrived (it had written $(lines_in "$T/b/out1") lines, rebalance re-reads included)"
check "b: the kill came mid-way" [ "$at_kill" -lt "$N" ]
wait_until 120 count_is_at_least "$N" "$T/b/out1" "$T/b/out2"
sleep 1
kill -TERM "$C2"; wait "$C2"
read -r got bad < <(summary "$T/b/out1" "$T/b/out2")
check "b: every event arrived at least once ($got of $N)" [ "$got" -eq "$N" ]
last_assign() { grep 'assigned [0-9]* partitions' "$1" | tail -1; }
check "b: the survivor took every partition over" grep -q 'assigned 16 partitions' <(last_assign "$T/b/c2.log")
read -r _ bad2 < <(summary "$T/b/out2")
check "b: per-key order is kept in the survivor's output ($bad2 violations)" [ "$bad2" -eq 0 ]
dups=$(( $(lines_in "$T/b/out1") + $(lines_in "$T/b/out2") - got ))
echo "  b: $dups events delivered more than once (re-read after the kill, and after rebalance commits the mock refuses)"

# ---- (c) broker errors: retried, nothing lost -----------------------------------
mkdir -p "$T/c"
gen "$T/c/in.log" "$M"
producer_cfg "$T/c/p.yaml" "$T/c/in.log" c "message_timeout: 2s"
mock produce_errors 30 7            # REQUEST_TIMED_OUT on 30 Produce requests
mock down 1; mock down 2; mock down 3   # the whole cluster, for longer than message_timeout
( sleep 4; mock up 1; sleep 1; mock up 2; mock up 3 ) &
UP_PID=$!
timeout 120 "$SLUICE" -c "$T/c/p.yaml" --once >/dev/null 2>"$T/c/p.log"
rc=$?
wait "$UP_PID"
check "c: the producer exits 0" [ "$rc" -eq 0 ]
check "c: $M events delivered, none failed" \
    grep -q "destination \"k\": $M events delivered, 0 failed" "$T/c/p.log"
check "c: the timed-out batch was retried" grep -q 'messages not committed: .*; retry 1 in' "$T/c/p.log"
check "c: ... and delivered" grep -q 'delivered after [0-9]* retries' "$T/c/p.log"
check "c: nothing dead-lettered" [ ! -s "$T/c/p.yaml.dead" ]
consumer_cfg "$T/c/c.yaml" c gc "$T/c/out"
start_bg "$T/c/c.log" "$T/c/c.yaml"
C=$BG_PID
wait_until 60 count_is_at_least "$M" "$T/c/out"
kill -TERM "$C"; wait "$C"
check "c: every event is in the topic ($(distinct "$T/c/out") of $M)" [ "$(distinct "$T/c/out")" -eq "$M" ]

# ---- (e) backpressure: a stalled destination, a tiny queue and memory limit -------
# The HTTP endpoint answers 503 to the first requests (about 3 s of retries),
# so the destination's buffer, then the queue, fill up whatever the machine's
# speed: the source must pause its partitions, and resume them once the
# endpoint takes the events.
mkdir -p "$T/e"
start_sink "$T/e/sink" --script 503,503,503,503,503 || not_ok "e: the HTTP sink starts"
consumer_cfg "$T/e/c.yaml" c ge "$T/e/sink/out"
sed -i -e 's/^service: { workers: 2,/service: { workers: 2, memory_limit: 1MiB, queue: { max_events: 200 },/' \
    -e 's/    decode: json/    decode: json\n    max_poll: 500/' \
    -e "s|  out: { type: file, path: \"[^\"]*\", batch: { max_events: 10000 } }|  out: { type: http, url: \"http://127.0.0.1:$SINK_PORT/bulk\", batch: { max_events: 500, max_age: 50ms }, buffer: { max_events: 1000 }, retry: { initial: 200ms, max: 1s } }|" \
    "$T/e/c.yaml"
"$SLUICE" -c "$T/e/c.yaml" -l debug >/dev/null 2>"$T/e/c.log" &
C=$!
PIDS="$PIDS $C"
wait_until 120 count_is_at_least "$M" "$T/e/sink/out"
kill -TERM "$C"; wait "$C"
stop_sink
check "e: the endpoint failed first (5 requests answered 503)" [ "$(grep -c -- '-> 503' "$T/e/sink/sink.log")" -eq 5 ]
check "e: the source was paused (queue full or memory limit)" grep -q 'source "kin" paused' "$T/e/c.log"
check "e: every event arrived ($(distinct "$T/e/sink/out") of $M)" [ "$(distinct "$T/e/sink/out")" -eq "$M" ]
check "e: no message was read twice across pauses" \
    [ -z "$(grep -o '"partition":[0-9]*,"offset":[0-9]*' "$T/e/sink/out" | sort | uniq -d)" ]

# ---- (d) a permanent error: dead letters ------------------------------------------
mkdir -p "$T/d"
gen "$T/d/in.log" 50
mock topic_error nosuch 3           # UNKNOWN_TOPIC_OR_PARTITION
producer_cfg "$T/d/p.yaml" "$T/d/in.log" nosuch \
    'librdkafka: { topic.metadata.propagation.max.ms: "1000", sasl.password: "not-for-logs-77" }'
timeout 60 "$SLUICE" -c "$T/d/p.yaml" --once >/dev/null 2>"$T/d/p.log"
rc=$?
check "d: --once exits 0 (dead-lettered is not failed)" [ "$rc" -eq 0 ]
check "d: every event is in the dead-letter file" [ "$(lines_in "$T/d/p.yaml.dead")" -eq 50 ]
check "d: with the reason" \
    [ "$(grep -cE '"error":\{"stage":"destination","component":"destination \\"k\\" \(kafka\)","message":"Kafka refused 50 of 50 messages for good: .*\((_UNKNOWN_TOPIC|UNKNOWN_TOPIC_OR_PART)\)"' "$T/d/p.yaml.dead")" -eq 50 ]
check "d: the secret property is not logged" [ -z "$(grep not-for-logs "$T/d/p.log")" ]

# --check: batch compression, a bad property (its value not shown)
cat >"$T/d/bad.yaml" <<YAML
sources:
  in: { type: stdin }
  kin: { type: kafka, brokers: "$BS", group_id: g, topics: [x], librdkafka: { enable.auto.commit: "true" } }
destinations:
  k: { type: kafka, brokers: "$BS", topic: "x-{uuid}", compression: gzip,
       librdkafka: { security.protocol: "BOGUS-secret-42", no.such.property: "1" } }
pipelines:
  p: { from: [in, kin], to: [k] }
YAML
"$SLUICE" --check -c "$T/d/bad.yaml" >"$T/d/check.out" 2>&1
rc=$?
check "check: exits 1" [ "$rc" -eq 1 ]
for want in 'use kafka_compression' '{uuid} would make a topic per message' \
            'librdkafka property "no.such.property"' \
            'librdkafka property "security.protocol": invalid or unknown (value not shown)' \
            '"enable.auto.commit" is set by sluice'; do
    check "check: reports: $want" grep -q -- "$want" "$T/d/check.out"
done
check "check: the bad value is not shown" [ -z "$(grep BOGUS "$T/d/check.out")" ]

kill -TERM "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null
finish
