#!/usr/bin/env bash
# tags: threaded
# The http source: NDJSON, JSON array and plain-line bodies, gzip, 413 (also
# for a gzip bomb), 400, 401 with and without the bearer token, 404/405,
# GET /health; the 200 only after delivery (a FIFO destination nobody reads
# yet), and a client hanging up before its ack; 429 under backpressure;
# 10,000 events in 100 concurrent requests delivered exactly once.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "ok - skipped: curl is not installed"; exit 0; }

P1=$(pick_port); P2=$(pick_port)
OUT=$T/out.ndjson
count() { if [ -f "$OUT" ]; then grep -cF -- "$1" "$OUT"; else echo 0; fi; }
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }

cat >"$T/c.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  open: { type: http, listen: "127.0.0.1:$P1", path: /ingest, max_body_bytes: 64KiB }
  auth: { type: http, listen: "127.0.0.1:$P2", auth: { token: s3cret } }
destinations:
  out: { type: file, path: "$OUT" }
pipelines:
  p: { from: [open, auth], to: [out] }
YAML
"$SLUICE" --check -c "$T/c.yaml" >"$T/check.out" 2>&1
check "--check accepts the http source" test $? -eq 0
start_sluice "$T/c.yaml"
U=http://127.0.0.1:$P1/ingest
wait_until 10 sh -c "curl -s http://127.0.0.1:$P1/health | grep -q ok"
check "GET /health is 200 ok" test "$(code "http://127.0.0.1:$P1/health")" = 200

c=$(code -H 'Content-Type: application/x-ndjson' --data-binary $'{"k":"nd1"}\n{"k":"nd2","n":2}\n' "$U")
check "NDJSON body: 200" test "$c" = 200
check "NDJSON body: both events delivered with fields" \
    sh -c "grep -q '\"k\":\"nd1\"' '$OUT' && grep -q '\"n\":2' '$OUT'"
c=$(code -H 'Content-Type: application/json' --data-binary '[{"k":"arr1"},{"k":"arr2"}]' "$U")
check "JSON array body: 200, 2 events" sh -c "[ $c = 200 ] && [ \$(grep -c '\"k\":\"arr' '$OUT') = 2 ]"
c=$(code -H 'Content-Type: text/plain' --data-binary $'plain one\nplain two\n' "$U")
check "plain lines: 200, 2 events" sh -c "[ $c = 200 ] && [ \$(grep -c 'plain ' '$OUT') = 2 ]"
check "events carry the client in peer" grep -q '"peer":"127.0.0.1:[0-9]*","message":"plain one"' "$OUT"
printf '{"k":"gz1"}\n{"k":"gz2"}\n' | gzip -c >"$T/b.gz"
c=$(code -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' --data-binary @"$T/b.gz" "$U")
check "gzip body: 200, 2 events" sh -c "[ $c = 200 ] && [ \$(grep -c '\"k\":\"gz' '$OUT') = 2 ]"
head -c 100000 /dev/zero >"$T/big"
check "over max_body_bytes: 413" test "$(code --data-binary @"$T/big" "$U")" = 413
head -c 10000000 /dev/zero | gzip -c >"$T/bomb.gz"
check "gzip bomb: 413" test "$(code -H 'Content-Encoding: gzip' --data-binary @"$T/bomb.gz" "$U")" = 413
c=$(code -H 'Content-Type: application/x-ndjson' --data-binary $'{"k":1}\nnot json\n' "$U")
check "undecodable body: 400 with a reason" sh -c "[ $c = 400 ] && grep -q 'NDJSON' '$T/body'"
check "bad gzip: 400" test "$(code -H 'Content-Encoding: gzip' --data-binary 'nope' "$U")" = 400
check "other path: 404" test "$(code --data-binary x "http://127.0.0.1:$P1/other")" = 404
check "GET on the path: 405" test "$(code "$U")" = 405
A=http://127.0.0.1:$P2/
check "no token: 401" test "$(code --data-binary 'noauth' "$A")" = 401
check "wrong token: 401" test "$(code -H 'Authorization: Bearer nope' --data-binary 'wrongauth' "$A")" = 401
check "right token: 200" test "$(code -H 'Authorization: Bearer s3cret' --data-binary 'goodauth' "$A")" = 200
check "only the authorized body delivered" \
    sh -c "[ $(count goodauth) = 1 ] && [ $(count noauth) = 0 ] && [ $(count wrongauth) = 0 ]"

# 10,000 events: 100 concurrent requests of 100 lines each
for r in $(seq 1 100); do
    for i in $(seq 1 100); do echo "bulk r=$r seq=$(( (r - 1) * 100 + i ))"; done >"$T/bulk.$r"
done
for r in $(seq 1 100); do
    curl -s -o /dev/null -w '%{http_code}\n' --data-binary @"$T/bulk.$r" "$U" >>"$T/codes" &
done
wait_until 60 sh -c "[ \$(wc -l <'$T/codes') -ge 100 ]"
check "100 concurrent requests all answered 200" sh -c "[ \$(grep -c '^200$' '$T/codes') = 100 ]"
check "10,000 events delivered exactly once" \
    sh -c "[ \$(grep -o 'seq=[0-9]*' '$OUT' | sort -u | wc -l) = 10000 ] && [ \$(grep -c 'bulk r=' '$OUT') = 10000 ]"
stop_sluice
check "sluice exits 0 on SIGTERM" test "$SLUICE_RC" = 0

# Events that cannot be delivered (a destination that gives up): 500.
P4=$(pick_port); PD=$(pick_port)
cat >"$T/e.yaml" <<YAML
service: { state_dir: "$T/state3" }
sources:
  in: { type: http, listen: "127.0.0.1:$P4" }
destinations:
  dead: { type: http, url: "http://127.0.0.1:$PD/", retry: { initial: 50ms, max: 100ms, max_elapsed: 500ms } }
pipelines:
  p: { from: [in], to: [dead] }
YAML
start_sluice "$T/e.yaml"
wait_until 10 sh -c "curl -s http://127.0.0.1:$P4/health | grep -q ok"
check "undeliverable events: 500" test "$(code -m 20 --data-binary 'doomed' "http://127.0.0.1:$P4/")" = 500
stop_sluice

# The 200 only after delivery; 429 while the queue is full.
mkfifo "$T/out.fifo"
P3=$(pick_port)
cat >"$T/f.yaml" <<YAML
service:
  state_dir: "$T/state2"
  workers: 1
  queue: { max_events: 1, max_bytes: 1MiB }
sources:
  in: { type: http, listen: "127.0.0.1:$P3" }
destinations:
  out: { type: file, path: "$T/out.fifo", encoding: raw, buffer: { max_events: 1 } }
pipelines:
  p: { from: [in], to: [out] }
YAML
exec 3<>"$T/out.fifo"            # hold the FIFO open, read nothing yet
"$SLUICE" -c "$T/f.yaml" >"$T/sluice.out" 2>"$T/sluice.log" 3>&- &
SLUICE_PID=$!
PIDS="$PIDS $SLUICE_PID"
wait_until 10 sh -c "curl -s http://127.0.0.1:$P3/health | grep -q ok"
# fill the FIFO's pipe buffer first, so nothing more can be written
for i in $(seq 1 20000); do echo "filler line $i ........................................"; done >"$T/filler"
curl -s -o /dev/null -w '%{http_code}\n' --data-binary @"$T/filler" "http://127.0.0.1:$P3/" >"$T/fill" &
sleep 1
curl -s -o /dev/null -w '%{http_code}\n' --data-binary 'first-event' "http://127.0.0.1:$P3/" >"$T/first" &
CURL1=$!
sleep 1
check "the 200 waits for delivery (curl still running)" kill -0 "$CURL1"
: >"$T/more"
for i in $(seq 1 8); do
    curl -s -o /dev/null -w '%{http_code}\n' -m 60 --data-binary "more-$i" "http://127.0.0.1:$P3/" >>"$T/more" &
    sleep 0.2
done
wait_until 10 grep -q 429 "$T/more"
check "a full queue answers 429" grep -q 429 "$T/more"
# a client that gives up before its ack: the late reply must not crash sluice
curl -s -o /dev/null -m 1 --data-binary 'gone-client' "http://127.0.0.1:$P3/" >/dev/null 2>&1
cat "$T/out.fifo" >"$T/fifo.out" 3>&- &
reader=$!
reader_has_fifo() { ls -l "/proc/$reader/fd" 2>/dev/null | grep -q out.fifo; }
wait_until 30 reader_has_fifo
exec 3>&-
wait "$CURL1"
check "after delivery curl gets 200" grep -q '^200$' "$T/first"
wait_until 30 sh -c "[ \$(wc -l <'$T/more') -ge 8 ]"
stop_sluice
wait "$reader"
check "the event went through the FIFO" grep -q first-event "$T/fifo.out"
check "a client that hung up before its ack: sluice survives, exits 0" test "$SLUICE_RC" = 0
n200=$(grep -c '^200$' "$T/more")
check "every accepted request delivered once" test "$(grep -c '^more-' "$T/fifo.out")" = "$n200"
check "the filler delivered once" test "$(grep -c '^filler line' "$T/fifo.out")" = 20000
finish
