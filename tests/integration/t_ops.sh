#!/usr/bin/env bash
# Operations: the systemd notify protocol over $NOTIFY_SOCKET (a path and an
# abstract @name): READY=1 after start, STATUS= lines, WATCHDOG=1 at half of
# WATCHDOG_USEC, STOPPING=1 on SIGTERM; the admin endpoint's /health and
# /metrics (counts match what was sent); the unit's systemd-analyze
# security score.
. "$(dirname "$0")/lib.sh"
LISTEN=$TOOLS/notify_listen

# line_of FILE WORD: the first line number where WORD appears (0: none).
line_of() { local n; n=$(grep -n -m1 -- "$2" "$1" | cut -d: -f1); echo "${n:-0}"; }
count_of() { grep -c -- "$2" "$1" 2>/dev/null || true; }
# at_least N FILE WORD: WORD appears on N lines or more (for wait_until).
at_least() { [ "$(count_of "$2" "$3")" -ge "$1" ]; }

# ---- notify: a path socket, then an abstract one --------------------------
run_notify_case() {
    local what=$1 sock=$2 out=$T/notify-$1.txt
    "$LISTEN" "$sock" "$out" &
    local lpid=$!
    PIDS="$PIDS $lpid"
    : >"$T/in-$what.log"
    cat >"$T/n-$what.yaml" <<YAML
service: { workers: 2, shutdown_timeout: 10s, state_dir: "$T/state-$what" }
sources:
  in: { type: file, paths: ["$T/in-$what.log"], poll_interval: 50ms }
destinations:
  out: { type: file, path: "$T/out-$what.log", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
    # The listener must be bound before sluice sends.
    if [ "${sock#@}" = "$sock" ]; then wait_until 5 test -S "$sock"; else sleep 0.2; fi
    NOTIFY_SOCKET=$sock WATCHDOG_USEC=200000 start_sluice "$T/n-$what.yaml"
    check "$what: READY=1 arrives after start" wait_until 10 grep -q '^[0-9]* READY=1$' "$out"
    check "$what: READY=1 only after sluice says it is running" log_has "running:"
    check "$what: a STATUS= line with rates and memory" \
        grep -q '^[0-9]* STATUS=.*events/s in, .*events/s out; .* in memory' "$out"
    "$TOOLS/gen_nginx" -n 100 --seq --seed 7 -o "$T/in-$what.log"
    check "$what: events flow" wait_until 20 file_has_lines "$T/out-$what.log" 100
    check "$what: WATCHDOG=1 repeatedly (every WATCHDOG_USEC/2)" \
        wait_until 10 at_least 8 "$out" '^[0-9]* WATCHDOG=1$'
    check "$what: STATUS= refreshed every few seconds" \
        wait_until 10 at_least 2 "$out" '^[0-9]* STATUS='
    check "$what: no STOPPING=1 while running" [ "$(count_of "$out" 'STOPPING=1')" -eq 0 ]
    stop_sluice TERM
    check "$what: SIGTERM exits 0" [ "$SLUICE_RC" -eq 0 ]
    check "$what: STOPPING=1 on SIGTERM" wait_until 5 grep -q '^[0-9]* STOPPING=1$' "$out"
    check "$what: READY=1 before STOPPING=1" \
        [ "$(line_of "$out" READY=1)" -lt "$(line_of "$out" STOPPING=1)" ]
    check "$what: READY=1 and STOPPING=1 once each" \
        [ "$(count_of "$out" READY=1)$(count_of "$out" STOPPING=1)" = 11 ]
    # The largest gap between pings is reported, not asserted: it depends
    # on the machine's load (performance is never asserted by a timed test).
    local gap
    gap=$(awk '/ WATCHDOG=1$/ { if (p != "" && $1 - p > m) m = $1 - p; p = $1 } END { print m + 0 }' "$out")
    echo "  $what: largest gap between watchdog pings ${gap} ms (WATCHDOG_USEC 200 ms)"
    kill -TERM "$lpid" 2>/dev/null
    wait "$lpid" 2>/dev/null
}
run_notify_case path "$T/notify.sock"
run_notify_case abstract "@sluice-test-$$-$RANDOM"

# Without NOTIFY_SOCKET nothing is sent and nothing complains.
"$SLUICE" -c "$T/n-path.yaml" --once >/dev/null 2>"$T/nonotify.log" </dev/null
check "no NOTIFY_SOCKET: runs as before, no notify warnings" \
    [ "$?" -eq 0 ] && ! grep -qi 'notify' "$T/nonotify.log"

# ---- a stuck handler starves the watchdog -------------------------------------
# A worker that runs handlers on one chunk for longer than WATCHDOG_USEC
# (here an exec handler that sleeps 2 s on one line) means no WATCHDOG=1
# meanwhile, and an error in the log; pings resume once it is done.
if command -v python3 >/dev/null; then
    cat >"$T/slow.py" <<'PY'
import json, sys, time
for line in sys.stdin:
    ev = json.loads(line)
    if "slow" in ev["message"]:
        time.sleep(2)
    print(json.dumps([ev]), flush=True)
PY
    printf 'fast\nslow\nfast again\n' >"$T/slow.log"
    cat >"$T/slow.yaml" <<YAML
service: { workers: 1, state_dir: "$T/state-slow" }
sources:
  in: { type: file, paths: ["$T/slow.log"], poll_interval: 50ms }
destinations:
  out: { type: file, path: "$T/out-slow.log", encoding: raw }
pipelines:
  p:
    from: [in]
    to: [out]
    handlers:
      - exec: { command: [ python3, "$T/slow.py" ], timeout: 10s }
YAML
    "$LISTEN" "$T/wd.sock" "$T/wd.txt" &
    wpid=$!
    PIDS="$PIDS $wpid"
    wait_until 5 test -S "$T/wd.sock"
    NOTIFY_SOCKET=$T/wd.sock WATCHDOG_USEC=400000 start_sluice "$T/slow.yaml"
    check "watchdog: the lines arrive after the slow one" wait_until 20 file_has_lines "$T/out-slow.log" 3
    check "watchdog: the stuck worker is logged" log_has 'running handlers on one chunk for'
    n_then=$(grep -c ' WATCHDOG=1$' "$T/wd.txt")
    check "watchdog: pings resume afterwards" \
        wait_until 10 sh -c "[ \$(grep -c ' WATCHDOG=1\$' '$T/wd.txt') -ge $((n_then + 3)) ]"
    gap=$(awk '/ WATCHDOG=1$/ { if (p != "" && $1 - p > m) m = $1 - p; p = $1 } END { print m + 0 }' "$T/wd.txt")
    check "watchdog: no WATCHDOG=1 for over a second while it was stuck (gap ${gap} ms)" [ "$gap" -ge 1000 ]
    stop_sluice TERM
    kill -TERM "$wpid" 2>/dev/null
    wait "$wpid" 2>/dev/null
else
    ok "watchdog: skipped (python3 is not installed)"
fi

# ---- admin endpoint ----------------------------------------------------------
command -v curl >/dev/null || { echo "ok - skipped: curl is not installed (admin endpoint cases)"; SKIP_ADMIN=1; }
if [ -z "${SKIP_ADMIN:-}" ]; then
    PA=$(pick_port)
    : >"$T/a.log"
    : >"$T/b.log"
    cat >"$T/admin.yaml" <<YAML
service:
  workers: 2
  shutdown_timeout: 10s
  state_dir: "$T/state-admin"
  admin: { listen: "127.0.0.1:$PA" }
sources:
  web-1.a: { type: file, paths: ["$T/a.log"], poll_interval: 50ms }
  plain: { type: file, paths: ["$T/b.log"], poll_interval: 50ms }
destinations:
  out: { type: file, path: "$T/out-admin.log", encoding: raw }
  drop: { type: file, path: "$T/out-drop.log", encoding: raw }
pipelines:
  p: { from: [web-1.a, plain], to: [out] }
  q: { from: [plain], to: [drop], handlers: [ { set: { fields: { env: test } } },
                                            { filter: { drop_if: 'message contains "no-such"' } } ] }
YAML
    check "--check accepts service.admin.listen" "$SLUICE" --check -c "$T/admin.yaml"
    start_sluice "$T/admin.yaml"
    url=http://127.0.0.1:$PA
    check "admin: /health is 200 {\"status\":\"ok\"} while running" \
        wait_until 10 sh -c "[ \"\$(curl -s -o '$T/h.json' -w '%{http_code}' $url/health)\" = 200 ]"
    check "admin: /health body" grep -qx '{"status":"ok"}' "$T/h.json"
    "$TOOLS/gen_nginx" -n 300 --seq --seed 8 -o "$T/a.log"
    "$TOOLS/gen_nginx" -n 200 --seq --seed 9 -o "$T/b.log"
    check "admin: events delivered" wait_until 20 file_has_lines "$T/out-admin.log" 500
    check "admin: ... and to the second destination" wait_until 20 file_has_lines "$T/out-drop.log" 200
    wait_until 10 sh -c "curl -s $url/metrics | grep -q '^sluice_destination_events_out_total{destination=\"drop\"} 200$'" || true
    curl -s -D "$T/m.hdr" -o "$T/m.txt" "$url/metrics"
    check "admin: /metrics is text/plain version 0.0.4" grep -qi '^content-type: text/plain; version=0.0.4' "$T/m.hdr"
    check "admin: events_in per source" \
        grep -qx 'sluice_source_events_in_total{source="web-1.a"} 300' "$T/m.txt"
    check "admin: events_in of the other source" \
        grep -qx 'sluice_source_events_in_total{source="plain"} 200' "$T/m.txt"
    # bytes_in counts the lines' bytes without their newlines.
    check "admin: bytes_in matches the file (size less newlines)" \
        grep -qx "sluice_source_bytes_in_total{source=\"plain\"} $(($(stat -c %s "$T/b.log") - $(lines_in "$T/b.log")))" "$T/m.txt"
    check "admin: events_out per destination" \
        grep -qx 'sluice_destination_events_out_total{destination="out"} 500' "$T/m.txt"
    check "admin: events_out of the second destination" \
        grep -qx 'sluice_destination_events_out_total{destination="drop"} 200' "$T/m.txt"
    check "admin: no failures" \
        grep -qx 'sluice_destination_events_failed_total{destination="out"} 0' "$T/m.txt"
    check "admin: no retries" \
        grep -qx 'sluice_destination_retries_total{destination="out"} 0' "$T/m.txt"
    for m in 'sluice_destination_batches_out_total{destination="out"} [1-9][0-9]*' \
             'sluice_destination_buffer_events{destination="out"} [0-9]*' \
             'sluice_destination_buffer_max_events{destination="out"} [1-9][0-9]*' \
             'sluice_pipeline_events_dropped_total{pipeline="p"} 0' \
             'sluice_live_bytes [0-9]*' 'sluice_live_chunks 0' 'sluice_draining 0' \
             'sluice_uptime_seconds [0-9.]*' 'sluice_queue_events [0-9]*'; do
        check "admin: /metrics has $m" grep -qx "$m" "$T/m.txt"
    done
    # Exposition format: every line is a comment (# HELP/# TYPE) or
    # NAME{LABELS} VALUE, each metric's TYPE before its samples.
    bad=$(awk '
        /^# HELP [a-z_]+ / { next }
        /^# TYPE [a-z_]+ (counter|gauge|histogram)$/ { typed[$3] = 1; next }
        /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.eE+-]+$/ {
            n = $0; sub(/[{ ].*/, "", n); b = n; sub(/_(bucket|sum|count)$/, "", b)
            if (!(n in typed) && !(b in typed)) { print "untyped: " $0 }; next }
        { print "bad line: " $0 }' "$T/m.txt")
    check "admin: /metrics parses as Prometheus text format" [ -z "$bad" ]
    [ -z "$bad" ] || printf '  %s\n' "$bad" | head -5
    check "admin: per-handler counters (set: 200 in, 200 out)" \
        sh -c "grep -qx 'sluice_handler_events_in_total{pipeline=\"q\",handler=\"1\",type=\"set\"} 200' '$T/m.txt' &&
               grep -qx 'sluice_handler_events_out_total{pipeline=\"q\",handler=\"1\",type=\"set\"} 200' '$T/m.txt'"
    check "admin: ... (filter: 200 in, none dropped, no errors)" \
        sh -c "grep -qx 'sluice_handler_events_in_total{pipeline=\"q\",handler=\"2\",type=\"filter\"} 200' '$T/m.txt' &&
               grep -qx 'sluice_handler_events_dropped_total{pipeline=\"q\",handler=\"2\",type=\"filter\"} 0' '$T/m.txt' &&
               grep -qx 'sluice_handler_errors_total{pipeline=\"q\",handler=\"2\",type=\"filter\"} 0' '$T/m.txt'"
    check "admin: the batch latency histogram counts every committed batch" \
        sh -c "[ \"\$(grep '^sluice_destination_batch_latency_seconds_count{destination=\"drop\"}' '$T/m.txt' | cut -d' ' -f2)\" = \"\$(grep '^sluice_destination_batches_out_total{destination=\"drop\"}' '$T/m.txt' | cut -d' ' -f2)\" ]"
    check "admin: ... and its +Inf bucket holds them all" \
        grep -q '^sluice_destination_batch_latency_seconds_bucket{destination="drop",le="+Inf"} [1-9]' "$T/m.txt"
    curl -s "$url/status" >"$T/status.json"
    check "admin: /status is JSON with the counters" \
        jq_ok '.state == "running" and (.sources | map(select(.name == "plain"))[0].events_in == 200)
               and (.destinations | map(select(.name == "drop"))[0].events_out == 200)
               and (.pipelines | length == 2)' "$T/status.json"
    "$SLUICE" status -c "$T/admin.yaml" >"$T/status.txt" 2>&1
    check "sluice status: prints the table from /status" \
        sh -c "grep -q '^drop  *file  *200 ' '$T/status.txt' && grep -q '^plain  *file  *200 ' '$T/status.txt'"
    check "sluice status: --admin works without a config" \
        sh -c "'$SLUICE' status --admin 127.0.0.1:$PA | grep -q '^DESTINATION'"
    check "admin: unknown paths are 404" \
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/nope")" = 404 ]
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/health")
    check "admin: POST is refused (got $code)" grep -qxE '405|501' <<<"$code"
    stop_sluice TERM
    check "admin: SIGTERM exits 0" [ "$SLUICE_RC" -eq 0 ]

    # /health is 503 while draining: a destination that cannot take the
    # events (a FIFO nobody reads) holds the drain open.
    mkfifo "$T/stuck.fifo"
    exec 3<>"$T/stuck.fifo"
    PD=$(pick_port)
    "$TOOLS/gen_nginx" -n 20000 --seq --seed 10 -o "$T/big.log"
    cat >"$T/drain.yaml" <<YAML
service: { workers: 1, shutdown_timeout: 3s, state_dir: "$T/state-drain", admin: { listen: "127.0.0.1:$PD" } }
sources:
  in: { type: file, paths: ["$T/big.log"] }
destinations:
  out: { type: file, path: "$T/stuck.fifo", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
    "$SLUICE" -c "$T/drain.yaml" >/dev/null 2>"$T/drain.log" 3>&- &
    dpid=$!
    PIDS="$PIDS $dpid"
    wait_until 10 sh -c "curl -s -o /dev/null http://127.0.0.1:$PD/health" || true
    sleep 0.3
    kill -TERM "$dpid"
    code=$(curl -s -o "$T/h2.json" -w '%{http_code}' "http://127.0.0.1:$PD/health")
    check "admin: /health is 503 while draining (got $code)" [ "$code" = 503 ]
    check "admin: ... with {\"status\":\"draining\"}" grep -qx '{"status":"draining"}' "$T/h2.json"
    wait "$dpid"
    exec 3>&-

    # /health is 503 with a reason once a destination has failed for
    # service.admin.failing_after; 200 again once it delivers.
    PF=$(pick_port)
    PS=$(pick_port)
    cat >"$T/failing.yaml" <<YAML
service: { workers: 1, shutdown_timeout: 5s, state_dir: "$T/state-failing",
           admin: { listen: "127.0.0.1:$PF", failing_after: 1s } }
sources:
  in: { type: file, paths: ["$T/a.log"] }
destinations:
  web: { type: http, url: "http://127.0.0.1:$PS/x", batch: { max_age: 50ms },
         retry: { initial: 100ms, max: 200ms } }
pipelines:
  p: { from: [in], to: [web] }
YAML
    start_sluice "$T/failing.yaml"
    health_code() { curl -s -o "$T/hf.json" -w '%{http_code}' "http://127.0.0.1:$PF/health"; }
    check "admin: /health is 503 while a destination fails for failing_after" \
        wait_until 20 sh -c "[ \"\$(curl -s -o '$T/hf.json' -w '%{http_code}' http://127.0.0.1:$PF/health)\" = 503 ]"
    check "admin: ... with the destination and its error as the reason" \
        jq_ok '.status == "failing" and (.reason | test("web.*failing for [0-9]+ s: .*(refused|connect)"))' "$T/hf.json"
    check "admin: the checkpoint lag of the tailed file is all of it while nothing is delivered" \
        sh -c "curl -s http://127.0.0.1:$PF/metrics | grep -qx 'sluice_file_checkpoint_lag_bytes{source=\"in\",file=\"$T/a.log\"} $(stat -c %s "$T/a.log")'"
    "$TOOLS/http_sink" --port "$PS" --out "$T/sink-failing.out" >/dev/null 2>&1 &
    sink=$!
    PIDS="$PIDS $sink"
    check "admin: /health is 200 again once it delivers" \
        wait_until 30 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PF/health)\" = 200 ]"
    check "admin: ... and the checkpoint lag falls to 0" \
        wait_until 30 sh -c "curl -s http://127.0.0.1:$PF/metrics | grep -qx 'sluice_file_checkpoint_lag_bytes{source=\"in\",file=\"$T/a.log\"} 0'"
    stop_sluice TERM
    kill "$sink" 2>/dev/null

    # Datagrams the kernel drops on a UDP listener that is not being read
    # (the pipeline is stalled) show in sluice_source_kernel_drops_total.
    PK=$(pick_port)
    PU=$(pick_port)
    cat >"$T/kdrops.yaml" <<YAML
service: { workers: 1, shutdown_timeout: 2s, state_dir: "$T/state-kdrops", memory_limit: 1MiB,
           queue: { max_events: 16 }, admin: { listen: "127.0.0.1:$PK" } }
sources:
  udp: { type: syslog, listen: "udp://127.0.0.1:$PU", receive_buffer: 4KiB }
destinations:
  web: { type: http, url: "http://127.0.0.1:$PS/x", buffer: { max_events: 16 },
         batch: { max_events: 16, max_age: 10ms }, retry: { initial: 1s, max: 1s } }
pipelines:
  p: { from: [udp], to: [web] }
YAML
    kill "$sink" 2>/dev/null; wait "$sink" 2>/dev/null     # the endpoint is down
    start_sluice "$T/kdrops.yaml"
    wait_until 10 sh -c "curl -s -o /dev/null http://127.0.0.1:$PK/health" || true
    "$TOOLS/sock_send" dgram "udp:127.0.0.1:$PU" 5000 kdrop >/dev/null 2>&1
    kdrops() { curl -s "http://127.0.0.1:$PK/metrics" |
        awk -v l="sluice_source_kernel_drops_total{source=\"udp\",listen=\"udp://127.0.0.1:$PU\"}" '$1 == l { print $2 }'; }
    check "admin: datagrams the kernel dropped are counted per UDP listener (got $(kdrops))" \
        wait_until 10 sh -c "[ \"\$(curl -s http://127.0.0.1:$PK/metrics | awk '\$1 == \"sluice_source_kernel_drops_total{source=\\\"udp\\\",listen=\\\"udp://127.0.0.1:$PU\\\"}\" { print \$2 }')\" -gt 0 ]"
    stop_sluice TERM

    # A port already taken: startup fails with exit 2 and says why.
    : >"$T/t.log"
    cat >"$T/taken.yaml" <<YAML
service: { state_dir: "$T/state-taken", admin: { listen: "127.0.0.1:$PA" } }
sources:
  in: { type: file, paths: ["$T/t.log"] }
destinations:
  out: { type: file, path: "$T/o2.log", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
    start_sluice "$T/admin.yaml"
    wait_until 10 sh -c "curl -s -o /dev/null http://127.0.0.1:$PA/health" || true
    timeout 20 "$SLUICE" -c "$T/taken.yaml" >/dev/null 2>"$T/taken.log" </dev/null
    rc=$?
    check "admin: a port in use fails startup with exit 2 (got $rc)" [ "$rc" -eq 2 ]
    check "admin: ... and names the option" grep -q 'service.admin.listen' "$T/taken.log"
    stop_sluice TERM
fi

# A malformed listen address is a config error at its place.
sed 's/listen: "127.0.0.1:[0-9]*"/listen: "localhost"/' "$T/admin.yaml" >"$T/badlisten.yaml" 2>/dev/null || true
if [ -s "$T/badlisten.yaml" ]; then
    "$SLUICE" --check -c "$T/badlisten.yaml" >/dev/null 2>"$T/badlisten.log"
    rc=$?
    check "--check: admin.listen without a port is an error (exit $rc)" [ "$rc" -eq 1 ]
    check "--check: ... reported at its line" grep -q 'badlisten.yaml:[0-9]*:[0-9]*: error: .*admin.listen' "$T/badlisten.log"
fi

# ---- the unit's sandbox -----------------------------------------------------
UNIT=$(cd "$(dirname "$0")/../.." && pwd)/systemd/sluice.service
if command -v systemd-analyze >/dev/null; then
    systemd-analyze security --offline=yes "$UNIT" >"$T/security.txt" 2>&1
    score=$(sed -n 's/.*Overall exposure level for sluice.service: \([0-9.]*\).*/\1/p' "$T/security.txt")
    echo "  systemd-analyze security exposure: ${score:-?}"
    check "systemd-analyze security: exposure ${score:-?} is 2.0 or better" \
        awk -v s="${score:-99}" 'BEGIN { exit !(s + 0 <= 2.0) }'
    check "the unit is Type=notify" grep -qx 'Type=notify' "$UNIT"
    check "the unit has a watchdog" grep -q '^WatchdogSec=' "$UNIT"
    check "ExecReload validates first" \
        grep -q -- '--check' <<<"$(grep '^ExecReload=' "$UNIT" | head -1)"
    check "ExecReload then sends SIGHUP" grep -q '^ExecReload=.*kill -HUP \$MAINPID' "$UNIT"
    systemd-analyze verify "$UNIT" >"$T/verify.txt" 2>&1
    check "systemd-analyze verify: no complaints about the unit's own settings" \
        [ -z "$(grep -v -e 'not executable' -e 'No such file' -e "Command 'man " "$T/verify.txt" | grep -i 'sluice.service')" ]
else
    echo "ok - skipped: systemd-analyze is not installed (systemd package): no security score check"
fi
finish
