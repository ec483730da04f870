#!/usr/bin/env bash
# tags: threaded
# Reload on SIGHUP, on the real binary:
#  - under continuous load (a file written line by line with sequence
#    numbers, a UDP syslog sender), a reload that changes a handler: every
#    line arrives exactly once, lines after the reload carry the new
#    handler's field, the PID stays, and the notify socket sees READY=1,
#    RELOADING=1 (with MONOTONIC_USEC), READY=1, then STOPPING=1 at the end;
#  - the UDP port is handed over, not re-bound: no datagram is lost;
#  - a reload with a broken config changes nothing: the errors are logged,
#    no RELOADING=1 is sent, events keep flowing through the old handlers;
#  - a reload that removes a source closes its socket;
#  - the http source's port keeps answering across the reload.
. "$(dirname "$0")/lib.sh"

LISTEN=$TOOLS/notify_listen
count_of() { grep -c -- "$2" "$1" 2>/dev/null || true; }
line_of() { local n; n=$(grep -n -m1 -- "$2" "$1" | cut -d: -f1); echo "${n:-0}"; }
has_lines_with() { [ "$(count_of "$1" "$2")" -ge "$3" ]; }
udp_bound() { grep -q "$(printf ':%04X ' "$1")" /proc/net/udp; }

N=$((30000 / SCALE))
U=$((100 / SCALE))      # UDP bursts of 20 datagrams
P=$(pick_port)
P2=$(pick_port)
PH=$(pick_port)
: >"$T/in.log"

write_config() {   # VERSION [EXTRA_SOURCE]
    cat >"$T/c.yaml.tmp" <<YAML
service: { workers: 2, shutdown_timeout: 20s, state_dir: "$T/state" }
sources:
  app: { type: file, paths: ["$T/in.log"], poll_interval: 50ms }
  sys: { type: syslog, listen: "udp://127.0.0.1:$P", receive_buffer: 4MiB }
  web: { type: http, listen: "127.0.0.1:$PH" }
$2
destinations:
  out: { type: file, path: "$T/out.ndjson" }
pipelines:
  p:
    from: [app, sys, web$3]
    to: [out]
    handlers:
      - set: { fields: { version: "$1" } }
YAML
    mv "$T/c.yaml.tmp" "$T/c.yaml"
}
write_config v1 "  extra: { type: syslog, listen: \"udp://127.0.0.1:$P2\" }" ", extra"

"$LISTEN" "$T/notify.sock" "$T/notify.txt" &
PIDS="$PIDS $!"
LPID=$!
wait_until 5 test -S "$T/notify.sock"
NOTIFY_SOCKET=$T/notify.sock start_sluice "$T/c.yaml"
check "started: READY=1" wait_until 10 grep -q '^[0-9]* READY=1$' "$T/notify.txt"
pid_before=$SLUICE_PID

# Continuous load: the file gets N lines over a few seconds; UDP bursts.
"$TOOLS/log_writer" -o "$T/in.log" -n "$N" --name app --lines-per-write 10 --pause-us 1000 \
    >/dev/null &
WPID=$!
(
    for i in $(seq 1 "$U"); do
        "$TOOLS/sock_send" dgram "udp:127.0.0.1:$P" 20 "udp$i" || exit 1
        sleep 0.02
    done
) &
UPID=$!
check "load: lines flow before the reload" wait_until 20 has_lines_with "$T/out.ndjson" '"version":"v1"' 1000
check "http: a POST before the reload is answered 200" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' --data-binary '{"message":"posted before"}' "http://127.0.0.1:$PH/")" = 200 ]

# The reload: a changed handler, and the `extra` source removed.
write_config v2 "" ""
kill -HUP "$SLUICE_PID"
check "reload: RELOADING=1 with MONOTONIC_USEC" \
    wait_until 20 grep -q '^[0-9]* MONOTONIC_USEC=[0-9]*$' "$T/notify.txt"
check "reload: READY=1 again after RELOADING=1" \
    wait_until 20 sh -c "[ \$(grep -c '^[0-9]* READY=1\$' '$T/notify.txt') -ge 2 ]"
check "reload: lines after it carry the new handler's field" \
    wait_until 20 has_lines_with "$T/out.ndjson" '"version":"v2"' 1
check "reload: the same process (PID) keeps running" kill -0 "$pid_before"
check "reload: the removed source's port is closed" wait_until 10 sh -c "! grep -q '$(printf ':%04X ' "$P2")' /proc/net/udp"
check "reload: the kept UDP port is still bound" udp_bound "$P"
check "http: a POST after the reload is answered 200 on the same port" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' --data-binary '{"message":"posted after"}' "http://127.0.0.1:$PH/")" = 200 ]
check "http: both posts were delivered, through the old and the new handler" \
    sh -c "grep -q 'posted before.*\"version\":\"v1\"' '$T/out.ndjson' && grep -q 'posted after.*\"version\":\"v2\"' '$T/out.ndjson'"
wait "$WPID"
wait "$UPID"
check "load: every file line arrives" \
    wait_until 60 sh -c "[ \$(grep -o 'app seq=[0-9]*' '$T/out.ndjson' | sort -u | wc -l) -ge $N ]"
check "load: every datagram arrives" \
    wait_until 30 sh -c "[ \$(grep -o 'udp[0-9]* seq=[0-9]*' '$T/out.ndjson' | sort -u | wc -l) -ge $((U * 20)) ]"
check "load: no file line twice" \
    [ "$(grep -o 'app seq=[0-9]*' "$T/out.ndjson" | sort | uniq -d | wc -l)" -eq 0 ]
check "load: no datagram twice" \
    [ "$(grep -o 'udp[0-9]* seq=[0-9]*' "$T/out.ndjson" | sort | uniq -d | wc -l)" -eq 0 ]
last=$(grep -o '"version":"v[0-9]"' "$T/out.ndjson" | tail -1)
check "load: the last lines went through the new handler" [ "$last" = '"version":"v2"' ]
echo "  $(count_of "$T/out.ndjson" '"version":"v1"') events before the reload, $(count_of "$T/out.ndjson" '"version":"v2"') after"

# A broken config: nothing changes.
cp "$T/c.yaml" "$T/good.yaml"
printf 'service: { workers: 2, state_dir: "%s/state" }\nsources:\n  app: { type: file, pathz: ["x"] }\n' "$T" >"$T/c.yaml"
reloads=$(count_of "$T/notify.txt" RELOADING=1)
kill -HUP "$SLUICE_PID"
check "broken: the errors are logged" wait_until 10 log_has 'reload: .*unknown option'
check "broken: it says it keeps the running configuration" \
    log_has 'still running the current configuration'
check "broken: no RELOADING=1" [ "$(count_of "$T/notify.txt" RELOADING=1)" -eq "$reloads" ]
"$TOOLS/log_writer" -o "$T/in.log" -n 100 --start $((N + 1)) --name app >/dev/null
check "broken: events keep flowing through the running handlers" \
    wait_until 20 sh -c "[ \$(grep -o 'app seq=[0-9]*' '$T/out.ndjson' | sort -u | wc -l) -ge $((N + 100)) ]"
check "broken: the same process" kill -0 "$pid_before"
mv "$T/good.yaml" "$T/c.yaml"

stop_sluice TERM
check "stop: SIGTERM exits 0" [ "$SLUICE_RC" -eq 0 ]
check "stop: STOPPING=1" wait_until 5 grep -q '^[0-9]* STOPPING=1$' "$T/notify.txt"
check "notify order: READY, RELOADING, READY, STOPPING" \
    [ "$(grep -o -E 'READY=1|RELOADING=1|STOPPING=1' "$T/notify.txt" | tr '\n' ' ')" = \
      "READY=1 RELOADING=1 READY=1 STOPPING=1 " ]
kill -TERM "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null

finish
