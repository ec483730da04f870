#!/usr/bin/env bash
# The syslog source: util-linux logger over UDP, TCP (octet-counted and LF)
# and unix sockets, checked field by field in the NDJSON output; raw bytes
# for invalid messages, garbage, over-long frames, an endless line, many
# connections and 100,000 messages over TCP delivered exactly once.
. "$(dirname "$0")/lib.sh"
ulimit -n 4096 2>/dev/null
SEND=$TOOLS/sock_send
command -v logger >/dev/null || { echo "ok - skipped: logger (bsdutils) is not installed"; exit 0; }
command -v jq >/dev/null || { echo "ok - skipped: jq is not installed"; exit 0; }

# A port no TCP or UDP socket uses (from /proc/net), chosen at random.
P=$(pick_port)
P2=$(pick_port)
OUT=$T/out.ndjson
# jq over the event whose message is $1
ev() { jq -c --arg m "$1" 'select(.message == $m)' "$OUT" 2>/dev/null | head -1; }
has_msg() { [ -n "$(ev "$1")" ]; }
field() { ev "$1" | jq -r "$2"; }

cat >"$T/c.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  sys:
    type: syslog
    listen: [ "udp://127.0.0.1:$P", "tcp://127.0.0.1:$P", "unix://$T/log.sock",
              "unix-stream://$T/logs.sock" ]
    socket_mode: "0660"
    max_message_bytes: 4KiB
  few:
    type: syslog
    listen: "tcp://127.0.0.1:$P2"
    max_connections: 5
    idle_timeout: 1s
    long_messages: skip
    max_message_bytes: 1KiB
destinations:
  out: { type: file, path: "$OUT" }
pipelines:
  p: { from: [sys, few], to: [out] }
YAML

# --- --check: URLs are validated with file:line:column ---------------------
cat >"$T/bad.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  s:
    type: syslog
    listen:
      - "tcp://127.0.0.1:514"
      - "tcp://127.0.0.1:99999"
      - "ftp://x:1"
      - "unix://relative/path"
      - "udp://::1:514"
    socket_mode: "999"
destinations:
  o: { type: stdout }
pipelines:
  p: { from: [s], to: [o] }
YAML
"$SLUICE" --check -c "$T/bad.yaml" >"$T/check.out" 2>&1
rc=$?
check "--check fails on bad listen URLs (exit 1)" [ "$rc" -eq 1 ]
check "a port out of range is reported at its line and column" \
    grep -q "bad.yaml:7:9: error: source \"s\": listen: \"tcp://127.0.0.1:99999\": port 99999 is out of range" "$T/check.out"
check "an unknown scheme is reported" grep -q 'bad.yaml:8:9: error: .*"ftp://x:1": expected udp://HOST:PORT' "$T/check.out"
check "a relative unix path is reported" grep -q 'bad.yaml:9:9: error: .*absolute path' "$T/check.out"
check "IPv6 without brackets is reported" grep -q 'bad.yaml:10:9: error: .*needs brackets' "$T/check.out"
check "a bad socket_mode is reported" grep -q 'bad.yaml:11:18: error: .*socket_mode' "$T/check.out"
check "--check accepts the good config" sh -c "\"$SLUICE\" --check -c \"$T/c.yaml\" >/dev/null"

# --- a stale socket file is replaced -----------------------------------------
start_sluice "$T/c.yaml"
wait_until 10 test -S "$T/logs.sock"
kill -9 "$SLUICE_PID"; wait "$SLUICE_PID" 2>/dev/null
check "a killed sluice leaves its socket files (stale)" test -S "$T/log.sock"
start_sluice "$T/c.yaml"
wait_until 10 log_has 'running:'
check "a stale socket file is replaced at startup" log_has 'running:'
check "unix socket files get socket_mode" [ "$(stat -c %a "$T/log.sock")" = 660 ]

# --- logger over every transport ----------------------------------------------
logger --server 127.0.0.1 --port "$P" --udp --rfc5424 -t app5424 -p local3.warning \
    --msgid ID47 --sd-id 'ex@32473' --sd-param 'iut="3"' --sd-param 'ev="a \"q\" x\]y"' \
    "udp rfc5424 message"
logger --server 127.0.0.1 --port "$P" --udp --rfc3164 -t bsdapp -p mail.info "udp rfc3164 message"
logger --server 127.0.0.1 --port "$P" --tcp --octet-count --rfc5424 -t octapp -p daemon.err \
    "tcp octet-counted message"
logger --server 127.0.0.1 --port "$P" --tcp --rfc5424 -t lfapp -p auth.notice "tcp LF message"
logger --server 127.0.0.1 --port "$P" --tcp --rfc3164 -t lf3164 -p user.debug "tcp LF rfc3164 message"
logger --socket "$T/log.sock" -t unixapp -p cron.crit "unix datagram message"
logger --socket "$T/logs.sock" -T -t ustream -p local7.alert "unix stream message"
logger --socket "$T/log.sock" --socket-errors=on -i -t pidapp "with a pid"
wait_until 10 has_msg "with a pid"

check "UDP RFC 5424: facility and severity names" \
    [ "$(field 'udp rfc5424 message' '.facility + "." + .severity')" = local3.warning ]
check "UDP RFC 5424: app_name, msgid, hostname" \
    [ "$(field 'udp rfc5424 message' '.app_name + "|" + .msgid + "|" + .hostname')" = "app5424|ID47|$(hostname)" ]
check "UDP RFC 5424: structured data as a nested map, escapes resolved" \
    [ "$(field 'udp rfc5424 message' '.structured_data["ex@32473"].ev + "|" + .structured_data["ex@32473"].iut')" = 'a "q" x]y|3' ]
check "UDP: the peer address" \
    grep -Eq '^127\.0\.0\.1:[0-9]+$' <<<"$(field 'udp rfc5424 message' .peer)"
check "UDP: the timestamp is the message's (within a minute of now)" \
    [ $(( $(date +%s) - $(date -d "$(field 'udp rfc5424 message' .timestamp)" +%s) )) -lt 60 ]
check "UDP RFC 3164" [ "$(field 'udp rfc3164 message' '.facility + "." + .severity + "|" + .app_name')" = mail.info\|bsdapp ]
check "TCP octet counting" [ "$(field 'tcp octet-counted message' '.facility + "." + .severity + "|" + .app_name')" = daemon.err\|octapp ]
check "TCP LF framing (RFC 5424)" [ "$(field 'tcp LF message' '.facility + "." + .severity + "|" + .app_name')" = auth.notice\|lfapp ]
check "TCP LF framing (RFC 3164)" [ "$(field 'tcp LF rfc3164 message' '.severity + "|" + .app_name')" = debug\|lf3164 ]
check "TCP: the peer address" grep -Eq '^127\.0\.0\.1:[0-9]+$' <<<"$(field 'tcp LF message' .peer)"
check "unix datagram socket" [ "$(field 'unix datagram message' '.facility + "." + .severity + "|" + .app_name + "|" + .peer')" = "cron.crit|unixapp|unix://$T/log.sock" ]
check "unix stream socket" [ "$(field 'unix stream message' '.facility + "." + .severity + "|" + .app_name')" = local7.alert\|ustream ]
check "procid" [ "$(field 'with a pid' '.procid')" -gt 0 ]

# --- raw bytes: invalid, garbage, over-long -------------------------------------
printf '<999>bad pri\n' | "$SEND" raw "tcp:127.0.0.1:$P"
printf '000012 lead zero garbage\n<13>after garbage\n' | "$SEND" raw "tcp:127.0.0.1:$P"
m1='<13>1 - - - - - - counted'
m2='<13>two one'
printf '%d %s%d %s' "${#m1}" "$m1" "${#m2}" "$m2" | "$SEND" raw "tcp:127.0.0.1:$P"
{ printf '<13>long '; head -c 10000 /dev/zero | tr '\0' y; printf '\n<13>after long\n'; } | "$SEND" raw "tcp:127.0.0.1:$P"
printf '<13>unterminated at close' | "$SEND" raw "tcp:127.0.0.1:$P"
printf 'no pri at all\n' | "$SEND" raw "unix-stream:$T/logs.sock"
wait_until 10 has_msg "after long"
wait_until 5 has_msg "<13>unterminated at close" || wait_until 5 has_msg "unterminated at close"
check "an invalid PRI is kept raw with a parse_error" \
    grep -q 'PRI' <<<"$(field '<999>bad pri' .parse_error)"
check "garbage is discarded up to its LF, the next message is read" has_msg "after garbage"
check "octet-counted frames back to back" \
    [ "$(field 'counted' .severity)" = notice -a "$(field 'two one' .severity)" = notice ]
check "an over-long frame is cut to max_message_bytes and flagged" \
    [ "$(jq -r 'select(.truncated == true) | .message | length' "$OUT" | head -1)" -le 4096 ]
check "the message after an over-long one is read" has_msg "after long"
check "the last frame of a closed connection (no LF) is kept" has_msg "unterminated at close"
check "a message with no PRI is kept (with or without parse_error)" \
    [ -n "$(jq -c 'select(.message | test("no pri at all"))' "$OUT")" ]

# --- an endless line does not grow memory or stop other connections --------------
rss0=$(awk '/VmRSS/ {print $2}' /proc/$SLUICE_PID/status)
( head -c $((64 * 1024 * 1024 / SCALE)) /dev/zero | tr '\0' z | "$SEND" raw "tcp:127.0.0.1:$P" ) &
endless=$!
sleep 0.3
logger --server 127.0.0.1 --port "$P" --tcp --octet-count -t other "while an endless line streams"
wait_until 20 has_msg "while an endless line streams"
check "other connections are served during an endless line" has_msg "while an endless line streams"
wait "$endless"
rss1=$(awk '/VmRSS/ {print $2}' /proc/$SLUICE_PID/status)
limit_kib=65536
[ "$SCALE" -gt 1 ] && limit_kib=$((400 * 1024))   # sanitizers: shadow memory, quarantine
check "an endless line does not grow memory (RSS $rss0 -> $rss1 KiB)" [ $((rss1 - rss0)) -lt "$limit_kib" ]

# --- connections -------------------------------------------------------------
n=$("$SEND" conns "tcp:127.0.0.1:$P" 1000)
check "1000 connections opened at once and closed" [ "$n" = 1000 ]
logger --server 127.0.0.1 --port "$P" --tcp -t after "after 1000 connections"
wait_until 10 has_msg "after 1000 connections"
check "still serving after 1000 connections" has_msg "after 1000 connections"
"$SEND" conns "tcp:127.0.0.1:$P2" 20 >/dev/null
wait_until 5 log_has 'max_connections (5) reached'
check "connections over max_connections are refused and logged" log_has 'max_connections (5) reached'
sleep 0.2
{ printf '<13>skipped '; head -c 3000 /dev/zero | tr '\0' s; printf '\n<13>after skipped\n'; } | "$SEND" raw "tcp:127.0.0.1:$P2"
wait_until 10 has_msg "after skipped"
check "a source with room again accepts; long_messages: skip drops the long one" \
    [ "$(has_msg 'after skipped' && jq -c 'select(.message | test("^skipped"))' "$OUT" | wc -l)" = 0 ]

check "idle_timeout closes a silent connection" \
    [ "$(printf '<13>idle partial' | "$SEND" hold "tcp:127.0.0.1:$P2" 10)" = closed ]
wait_until 5 has_msg "idle partial"
check "and keeps its unterminated last message" has_msg "idle partial"

# --- 100,000 messages over TCP, exactly once -----------------------------------
N=$((100000 / SCALE))
"$SEND" stream "tcp:127.0.0.1:$P" octet "$N" "<14>1 2024-01-01T00:00:00Z h bulk - - - bulk" &
s1=$!
"$SEND" stream "tcp:127.0.0.1:$P" lf 1000 "<14>lfbulk:" &
s2=$!
wait "$s1" "$s2"
count_bulk() { grep -c '"app_name":"bulk"' "$OUT"; }
wait_until 60 sh -c "[ \$(grep -c '\"app_name\":\"bulk\"' '$OUT') -ge $N ]"
check "$N octet-counted messages over TCP, none lost" [ "$(count_bulk)" -eq "$N" ]
check "and none twice" [ "$(grep '"app_name":"bulk"' "$OUT" | grep -o 'seq=[0-9]*' | sort -u | wc -l)" -eq "$N" ]
check "their timestamps are the messages'" \
    [ "$(grep '"app_name":"bulk"' "$OUT" | head -1 | jq -r .timestamp)" = 2024-01-01T00:00:00.000000Z ]
check "LF-framed messages on a concurrent connection" \
    wait_until 20 sh -c "[ \$(grep -c '\"message\":\"lfbulk: seq=' '$OUT') -eq 1000 ]"

stop_sluice TERM
check "stops cleanly on SIGTERM" [ "$SLUICE_RC" -eq 0 ]
check "unix socket files are removed on stop" [ ! -e "$T/log.sock" -a ! -e "$T/logs.sock" ]
check "the counters are logged at stop" log_has 'over-long messages truncated'
finish
