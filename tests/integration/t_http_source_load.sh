#!/usr/bin/env bash
# tags: threaded
# The http source under load (issue 6): 100,000 NDJSON events in 1,000
# requests from 24 concurrent clients (tests/tools/http_load), sluice
# shipping to a file and to a slow HTTP destination (tests/tools/http_sink
# with --delay-ms) whose backlog, with a small service.queue and
# max_connections, makes sluice refuse requests with 429 and 503. Shown:
# every 200 means the request's events are already in the file (checked by
# the client the moment each 200 arrives); every refusal carries
# Retry-After and is retried by the client; in the end each of the 100,000
# sequence numbers is in the file exactly once (and in the sink once).
. "$(dirname "$0")/lib.sh"
REQS=$((1000 / SCALE))
EVS=100
N=$((REQS * EVS))
OUT=$T/out.ndjson

start_sink "$T/sink" --delay-ms 20 || { not_ok "http_sink starts"; finish; }
P=$(pick_port)
cat >"$T/c.yaml" <<YAML
service:
  state_dir: "$T/state"
  workers: 2
  queue: { max_events: 100, max_bytes: 1MiB }
sources:
  in: { type: http, listen: "127.0.0.1:$P", max_connections: 8 }
destinations:
  file: { type: file, path: "$OUT" }
  slow:
    type: http
    url: "http://127.0.0.1:$SINK_PORT/"
    batch: { max_events: 200, max_age: 20ms }
    buffer: { max_events: 400 }
pipelines:
  p: { from: [in], to: [file, slow] }
YAML
start_sluice "$T/c.yaml"
wait_until 10 sh -c "curl -s http://127.0.0.1:$P/health | grep -q ok"
check "sluice serves /health" sh -c "curl -s http://127.0.0.1:$P/health | grep -q ok"

start=$(date +%s.%N)
"$TOOLS/http_load" --port "$P" --requests "$REQS" --events "$EVS" --concurrency 24 \
    --backoff-ms 20 --check-file "$OUT" >"$T/load.out" 2>"$T/load.err"
rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")
cat "$T/load.out"
head -n 5 "$T/load.err"
val() { grep -o " $1=[0-9]*" "$T/load.out" | cut -d= -f2; }
check "the client finished ($REQS requests, $N events, ${secs}s)" [ "$rc" -eq 0 ]
check "every request ended in a 200" [ "$(val ok)" = "$REQS" ]
check "every 200: its events were already in the file when it arrived" [ "$(val missing_at_200)" = 0 ]
check "backpressure: some requests were refused with 429 or 503 ($(val busy429) x 429, $(val busy503) x 503) and retried" \
    [ $(( $(val busy429) + $(val busy503) )) -gt 0 ]
check "every refusal carried Retry-After" [ "$(val no_retry_after)" = 0 ]
check "no other status, no request left unanswered" [ "$(val other)" = 0 -a "$(val unanswered)" = 0 ]
check "the file holds $N events" [ "$(grep -c '"message":"load r=' "$OUT")" -eq "$N" ]
check "each sequence number exactly once (nothing lost, nothing doubled)" \
    [ "$(seq_numbers "$OUT" | uniq | wc -l)" -eq "$N" -a "$(seq_numbers "$OUT" | uniq -d | wc -l)" -eq 0 ]
check "the NDJSON fields arrive typed" \
    [ "$(grep -m1 '"message":"load r=7 seq=000000700"' "$OUT" | jq -r '.r')" = 7 ]
wait_until 30 sh -c "[ \$(grep -o 'seq=[0-9]*' '$T/sink/out' 2>/dev/null | wc -l) -ge $N ]"
check "the slow HTTP destination got each event once too" \
    [ "$(seq_numbers "$T/sink/out" | uniq | wc -l)" -eq "$N" -a "$(seq_numbers "$T/sink/out" | wc -l)" -eq "$N" ]
stop_sluice TERM
check "sluice exits 0 on SIGTERM" [ "$SLUICE_RC" -eq 0 ]
stop_sink
finish
