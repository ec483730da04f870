#!/usr/bin/env bash
# tags: threaded
# The http destination against tests/tools/http_sink, which answers by
# script: 500, 503, 429 with Retry-After, a hang past request_timeout, a
# reset, a dropped connection, then a 400. Every line reaches the sink's 2xx
# output exactly once, except the batch answered 400, which lands in the
# dead-letter file with an `error` annotation; with and without gzip. An
# unreachable port is retried, logged clearly and given up after
# retry.max_elapsed. An endpoint that is down for a while and comes back
# loses nothing, and memory stays bounded meanwhile. With concurrency: 4,
# four requests are in flight at once (the sink holds each a while) and
# every line still arrives exactly once.
. "$(dirname "$0")/lib.sh"

# Never send 127.0.0.1 traffic to a proxy from the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1


# ---- the failure script, gzip off and on ------------------------------------
SCRIPT=500,503,429:retry-after=1,hang,reset,drop,400,200
N=$((3000 / SCALE))
"$TOOLS/log_writer" -o "$T/in.log" -n "$N" --name x >/dev/null
seq_numbers "$T/in.log" >"$T/all.seqs"

run_script_case() {    # NAME COMPRESSION ENCODING
    cname=$1 comp=$2 enc=$3 ctype=$4
    d="$T/$cname"
    start_sink "$d" --script "$SCRIPT" --then 200
    cat >"$d/c.yaml" <<YAML
service: { workers: 2, state_dir: "$d/state" }
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  web:
    type: http
    url: "http://ingest:pa55word-in-url@127.0.0.1:$SINK_PORT/ingest?api_key=key-in-query"
    method: POST
    headers: { X-Test: "$cname" }
    auth: { type: bearer, token: "bearer-token-not-for-logs" }
    encoding: $enc
    compression: $comp
    connect_timeout: 2s
    request_timeout: 1s
    batch: { max_events: 500, max_age: 100ms }
    retry: { initial: 100ms, max: 500ms }
  dlq: { type: file, path: "$d/dead.ndjson" }
pipelines:
  p: { from: [in], to: [web], dead_letter: dlq }
YAML
    timeout 120 "$SLUICE" -c "$d/c.yaml" --once >/dev/null 2>"$d/sluice.log"
    rc=$?
    stop_sink
    check "$cname: --once exits 0 (dead-lettered is not failed)" [ "$rc" -eq 0 ]
    # Every line exactly once: in the 2xx output or in the dead-letter file.
    cat <(seq_numbers "$d/out") <(seq_numbers "$d/dead.ndjson") | LC_ALL=C sort >"$d/got.seqs"
    check "$cname: every line delivered exactly once (2xx or dead letter)" \
        cmp -s "$T/all.seqs" "$d/got.seqs"
    check "$cname: the 2xx output has no duplicates" [ -z "$(seq_numbers "$d/out" | uniq -d)" ]
    dead=$(lines_in "$d/dead.ndjson")
    check "$cname: one batch (500 events) was dead-lettered" [ "$dead" -eq 500 ]
    check "$cname: the dead letters are exactly what the server rejected with 400" \
        cmp -s <(seq_numbers "$d/rejected") <(seq_numbers "$d/dead.ndjson")
    check "$cname: dead letters carry the error annotation" \
        [ "$(grep -c '"error":{"stage":"destination","component":"destination \\"web\\" (http)","message":"HTTP 400 from POST http://127.0.0.1:[0-9]*/ingest?...,' "$d/dead.ndjson")" -eq "$dead" ]
    check "$cname: the annotation has the response body excerpt and a time" \
        grep -q 'response: {\\"error\\":\\"rejected by the test script\\",\\"request\\":7}","time":"20' "$d/dead.ndjson"
    for want in 'HTTP 500 from POST' 'HTTP 503 from POST' \
                'HTTP 429 from POST .*; retry 3 in 1.00s (as Retry-After asked)' \
                'Operation timed out after' 'Connection reset by peer' 'Empty reply from server' \
                '500 events could not be delivered (HTTP 400 .*sent to dead-letter destination "dlq"'; do
        check "$cname: sluice logs: $want" grep -q -- "$want" "$d/sluice.log"
    done
    check "$cname: each retry says when it happens" grep -q 'retry 1 in [0-9.]*s' "$d/sluice.log"
    check "$cname: no secret in the log (url credentials, query, token)" \
        [ -z "$(grep -e pa55word -e key-in-query -e bearer-token "$d/sluice.log")" ]
    reqs=$(grep -c ' -> ' "$d/sink.log")
    conns=$(grep -c 'accepted' "$d/sink.log")
    # 7 scripted answers for the first batch of 500, one request for each
    # other; the hang, reset and drop each cost a connection, the rest
    # reuse one.
    kept_alive() { [ "$conns" -le 5 ] && [ "$reqs" -ge $((7 + N / 500 - 1)) ]; }
    check "$cname: connections are kept alive across batches ($conns for $reqs requests)" kept_alive
    if [ "$comp" = gzip ]; then
        check "$cname: bodies are sent gzipped" [ "$reqs" -eq "$(grep -c ' bytes gzip, ' "$d/sink.log")" ]
    else
        check "$cname: bodies are sent plain" [ -z "$(grep ' bytes gzip, ' "$d/sink.log")" ]
    fi
    check "$cname: Content-Type $ctype and the bearer token on every request" \
        [ "$reqs" -eq "$(grep -c ", type $ctype, auth Bearer -> " "$d/sink.log")" ]
}
run_script_case plain none ndjson application/x-ndjson
run_script_case gzip gzip json_array application/json
check "json_array: each 2xx body is one JSON array of objects" \
    [ -z "$(grep -v '^\[{"timestamp":.*}\]$' "$T/gzip/out")" ]

# ---- PUT, basic auth, raw lines, a configured Content-Type --------------------
start_sink "$T/put"
cat >"$T/put/c.yaml" <<YAML
service: { workers: 1, state_dir: "$T/put/state" }
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  web:
    type: http
    url: "http://127.0.0.1:$SINK_PORT/put"
    method: PUT
    auth: { type: basic, user: sluice, password: "\${HTTP_TEST_PASSWORD}" }
    headers: { Content-Type: "text/x-log" }
    encoding: raw
    compression: gzip
    compression_level: 9
pipelines:
  p: { from: [in], to: [web] }
YAML
HTTP_TEST_PASSWORD=from-the-environment timeout 60 "$SLUICE" -c "$T/put/c.yaml" --once \
    >/dev/null 2>"$T/put/sluice.log"
rc=$?
stop_sink
check "put: --once exits 0" [ "$rc" -eq 0 ]
check "put: raw lines arrive exactly as written" cmp -s "$T/in.log" "$T/put/out"
check "put: PUT with basic auth and the configured Content-Type" \
    grep -q 'PUT /put HTTP/1.1, [0-9]* bytes gzip, type text/x-log, auth Basic -> 200' "$T/put/sink.log"
check "put: the password from the environment is not logged" \
    [ -z "$(grep from-the-environment "$T/put/sluice.log")" ]

# ---- an unreachable port: retried, logged, given up after max_elapsed --------
start_sink "$T/gone"
GONE_PORT=$SINK_PORT
stop_sink                                  # nothing listens there now
cat >"$T/gone/c.yaml" <<YAML
service: { workers: 1, state_dir: "$T/gone/state" }
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  web:
    type: http
    url: "http://127.0.0.1:$GONE_PORT/ingest"
    batch: { max_events: 1000000, max_bytes: 64MiB, max_age: 200ms }
    retry: { initial: 50ms, max: 200ms, max_elapsed: 1s }
pipelines:
  p: { from: [in], to: [web] }
YAML
timeout 60 "$SLUICE" -c "$T/gone/c.yaml" --once >/dev/null 2>"$T/gone/sluice.log"
rc=$?
check "unreachable: --once exits 3 (undelivered)" [ "$rc" -eq 3 ]
check "unreachable: each failure is logged with the reason and the delay" \
    grep -q "destination \"web\": POST http://127.0.0.1:$GONE_PORT/ingest failed: .*(Connection refused); retry 1 in [0-9.]*s" "$T/gone/sluice.log"
check "unreachable: given up after retry.max_elapsed, and said so" \
    grep -q 'events could not be delivered and are dropped: gave up after [0-9]* attempts in retry.max_elapsed 1s: POST' "$T/gone/sluice.log"
check "unreachable: the events are counted as failed" \
    grep -q "destination \"web\": 0 events delivered, $N failed" "$T/gone/sluice.log"

# ---- down for a while, then back: nothing lost, memory bounded ---------------
M=$((200000 / SCALE))
"$TOOLS/log_writer" -o "$T/big.log" -n "$M" --name big >/dev/null        # ~40 MB
start_sink "$T/down"
DOWN_PORT=$SINK_PORT
stop_sink
cat >"$T/down/c.yaml" <<YAML
service:
  workers: 2
  state_dir: "$T/down/state"
  memory_limit: 8MiB
  queue: { max_events: 10000000, max_bytes: 1GiB }   # let the memory limit bind
sources:
  in: { type: file, paths: ["$T/big.log"] }
destinations:
  web:
    type: http
    url: "http://127.0.0.1:$DOWN_PORT/bulk"
    compression: gzip
    batch: { max_events: 5000, max_age: 100ms }
    retry: { initial: 100ms, max: 1s }
pipelines:
  p: { from: [in], to: [web] }
YAML
start_sluice "$T/down/c.yaml" -v
retries_logged() { [ "$(grep -c 'failed: .*Connection refused.*; retry' "$T/sluice.log")" -ge "$1" ]; }
check "down: sluice retries while the endpoint is down" wait_until 30 retries_logged 5
check "down: the source pauses at the memory limit" \
    wait_until 30 grep -q 'source "in" paused: events in memory are at service.memory_limit' "$T/sluice.log"
start_sink "$T/down" --port "$DOWN_PORT"
check "down: once it is back, every line arrives" wait_until 120 file_has_lines "$T/down/out" "$M"
hwm_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$SLUICE_PID/status")
echo "  peak RSS: ${hwm_kib} KiB (input $(($(stat -c %s "$T/big.log") / 1048576)) MiB, memory_limit 8 MiB)"
limit_kib=$((48 * 1024))   # as t_backpressure: events, code, libcurl, stacks
[ "$SCALE" -gt 1 ] && limit_kib=$((400 * 1024))   # sanitizer shadow memory
check "down: memory stays bounded" [ "$hwm_kib" -lt "$limit_kib" ]
stop_sluice TERM
stop_sink
check "down: SIGTERM exits 0" [ "$SLUICE_RC" -eq 0 ]
check "down: every line exactly once" cmp -s <(seq_numbers "$T/big.log") <(seq_numbers "$T/down/out")
check "down: delivery after the outage is logged" grep -q 'destination "web": delivered after [0-9]* retries' "$T/sluice.log"

# ---- concurrency: 4 requests in flight, every line once ------------------------
# The sink holds every request 300ms, so 4 senders show as 4 requests held at
# once. One batch is answered 503 (retried by its sender), one 400 (its
# sender dead-letters it) while the others go on.
start_sink "$T/conc" --delay-ms 300 --script 200,503,200,400 --then 200
cat >"$T/conc/c.yaml" <<YAML
service: { workers: 2, state_dir: "$T/conc/state" }
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  web:
    type: http
    url: "http://127.0.0.1:$SINK_PORT/conc"
    compression: gzip
    concurrency: 4
    batch: { max_events: 100, max_age: 50ms }
    retry: { initial: 50ms, max: 200ms }
  dlq: { type: file, path: "$T/conc/dead.ndjson" }
pipelines:
  p: { from: [in], to: [web], dead_letter: dlq }
YAML
timeout 120 "$SLUICE" -c "$T/conc/c.yaml" --once >/dev/null 2>"$T/conc/sluice.log"
rc=$?
stop_sink
check "concurrency: --once exits 0" [ "$rc" -eq 0 ]
check "concurrency: 4 senders started" grep -q 'destination "web": 4 senders (concurrency)' "$T/conc/sluice.log"
check "concurrency: the sink saw 4 requests in flight at once" \
    grep -q 'max concurrent requests 4' "$T/conc/sink.log"
check "concurrency: never more than 4 in flight" \
    [ -z "$(grep 'max concurrent requests \([5-9]\|[1-9][0-9]\)' "$T/conc/sink.log")" ]
cat <(seq_numbers "$T/conc/out") <(seq_numbers "$T/conc/dead.ndjson") | LC_ALL=C sort >"$T/conc/got.seqs"
check "concurrency: every line exactly once (2xx or dead letter)" cmp -s "$T/all.seqs" "$T/conc/got.seqs"
check "concurrency: the 400 batch (100 events) was dead-lettered" \
    [ "$(lines_in "$T/conc/dead.ndjson")" -eq 100 ]
check "concurrency: the 503 was retried" grep -q 'HTTP 503 from POST .*; retry 1 in' "$T/conc/sluice.log"
check "concurrency: one connection per sender" \
    [ "$(grep -c accepted "$T/conc/sink.log")" -le 5 ]

# ---- config checks: the option table, and secrets never echoed ----------------
cat >"$T/bad.yaml" <<'YAML'
service: { state_dir: /tmp }
sources:
  in: { type: stdin }
destinations:
  a: { type: http, url: "ftp://example.com/", auth: { type: basic, user: u } }
  b: { type: http, url: "http://x/", auth: { type: bearer, token: [secret-token-in-a-list] } }
  c: { type: http, url: "http://x/", headers: { Content-Encoding: br, "bad name": v } }
  f: { type: file, path: /tmp/x, concurrency: 2 }
  h: { type: http, url: "http://x/", concurrency: 65 }
pipelines:
  p: { from: [in], to: [a, b, c, f, h] }
YAML
out=$("$SLUICE" --check -c "$T/bad.yaml" 2>&1)
rc=$?
check "--check: exits 1 on http option errors" [ "$rc" -eq 1 ]
for want in 'destination "a": option "url" must be an http:// or https:// URL' \
            'destination "a": auth.type basic needs auth.user and auth.password' \
            'destination "b": option "auth.token" must be a string' \
            'destination "c": header "Content-Encoding" is set by sluice' \
            'destination "c": "bad name" is not a valid HTTP header name' \
            'destination "f": option "concurrency" must be 1 for type file' \
            'destination "h": option "concurrency"'; do
    check "--check: $want" grep -qF -- "$want" <<<"$out"
done
check "--check: a secret's value is never printed" [ -z "$(grep secret-token <<<"$out")" ]
finish
