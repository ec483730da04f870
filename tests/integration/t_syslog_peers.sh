#!/usr/bin/env bash
# tags: threaded
# rsyslog (Debian's package, unpacked by tests/peers/rsyslog.sh, never
# installed) forwarding to sluice's syslog source with omfwd over TCP with
# octet-counted framing (RFC 6587), in both of rsyslog's forwarding formats:
# RSYSLOG_SyslogProtocol23Format (RFC 5424) to one listener and
# RSYSLOG_ForwardFormat (BSD with an RFC 3339 timestamp) to another.
# rsyslogd runs in the foreground on this test's config, pid file and work
# directory; its input is UDP (util-linux logger and fixed messages) and TCP
# (a bulk stream) on 127.0.0.1. Checked: every parsed field of each
# message in sluice's NDJSON output; a message with a LF inside arrives as
# one event (only octet counting can carry it); 2,000 messages each exactly
# once in each format.
. "$(dirname "$0")/lib.sh"
SEND=$TOOLS/sock_send
command -v jq >/dev/null || { echo "ok - skipped: jq is not installed"; exit 0; }
command -v logger >/dev/null || { echo "ok - skipped: logger (bsdutils) is not installed"; exit 0; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RS=$(sh "$ROOT/tests/peers/rsyslog.sh" "${SLUICE_PEERS_DIR:-$ROOT/build/peers}" 2>"$T/peers.err") ||
    { echo "ok - skipped: rsyslog cannot be obtained: $(tail -n1 "$T/peers.err")"; exit 0; }
RSYSLOGD=$RS/usr/sbin/rsyslogd
MODS=$(ls -d "$RS"/usr/lib/*/rsyslog 2>/dev/null | head -n1)
[ -n "$MODS" ] || { echo "ok - skipped: no rsyslog module directory in $RS"; exit 0; }

P5=$(pick_port); P3=$(pick_port); PU=$(pick_port); PT=$(pick_port)
O5=$T/out5424.ndjson
O3=$T/out3164.ndjson
# ev FILE MESSAGE: the first event in FILE whose message is MESSAGE (a BSD
# message forwarded as RFC 5424 keeps the space after its tag's colon:
# rsyslog's MSG starts there)
ev() { jq -c --arg m "$2" 'select((.message | ltrimstr(" ")) == $m)' "$1" 2>/dev/null | head -n1; }
has() { [ -n "$(ev "$1" "$2")" ]; }
f() { ev "$1" "$2" | jq -r "$3"; }

cat >"$T/c.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  rs5424: { type: syslog, listen: "tcp://127.0.0.1:$P5" }
  rs3164: { type: syslog, listen: "tcp://127.0.0.1:$P3" }
destinations:
  o5: { type: file, path: "$O5" }
  o3: { type: file, path: "$O3" }
pipelines:
  p5: { from: [rs5424], to: [o5] }
  p3: { from: [rs3164], to: [o3] }
YAML
start_sluice "$T/c.yaml"
wait_until 10 log_has 'running:'
check "sluice starts with two TCP syslog listeners" log_has 'running:'

mkdir -p "$T/rs"
# processInternalMessages: rsyslog's own messages stay inside this rsyslogd
# (by default they would go to the system's /dev/log). Control characters
# are not escaped, so a LF inside a message reaches the forwarding action.
cat >"$T/rsyslog.conf" <<CONF
global(workDirectory="$T/rs" processInternalMessages="on" maxMessageSize="64k"
       parser.escapeControlCharactersOnReceive="off")
module(load="imudp")
module(load="imtcp")
ruleset(name="fwd") {
    action(type="omfwd" target="127.0.0.1" port="$P5" protocol="tcp"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
           queue.type="LinkedList" action.resumeRetryCount="-1")
    action(type="omfwd" target="127.0.0.1" port="$P3" protocol="tcp"
           TCP_Framing="octet-counted" template="RSYSLOG_ForwardFormat"
           queue.type="LinkedList" action.resumeRetryCount="-1")
}
input(type="imudp" address="127.0.0.1" port="$PU" ruleset="fwd")
input(type="imtcp" address="127.0.0.1" port="$PT" ruleset="fwd")
CONF
"$RSYSLOGD" -N1 -f "$T/rsyslog.conf" -M "$MODS" >"$T/rsyslog.check" 2>&1
check "rsyslogd accepts the config (-N1)" test $? -eq 0
"$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rs/rsyslogd.pid" -M "$MODS" >"$T/rsyslog.log" 2>&1 &
RS_PID=$!
PIDS="$PIDS $RS_PID"
rs_listening() {   # rsyslog's TCP port in LISTEN, its UDP port bound
    grep -q "$(printf ':%04X 00000000:0000 0A' "$PT")" /proc/net/tcp &&
        grep -q "$(printf ':%04X 00000000:0000 07' "$PU")" /proc/net/udp
}
wait_until 20 rs_listening
check "rsyslogd runs in the foreground and listens ($("$RSYSLOGD" -v 2>&1 | head -n1 | awk '{print $2}'))" \
    kill -0 "$RS_PID"

# --- fixed messages: every field known ------------------------------------------
FIX='<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 ID9 [ex@32473 iut="3" q="say \"hi\" \\ x\]y"] do-nuts are ready'
printf '%s' "$FIX" | "$SEND" raw "udp:127.0.0.1:$PU"
printf '%s' '<34>Oct 11 22:14:15 mymachine su: '"'"'su root'"'"' failed for lonvick' | "$SEND" raw "udp:127.0.0.1:$PU"
printf '%s' $'<13>1 2023-11-23T12:00:00Z h nl - - - first line\nsecond line' | "$SEND" raw "udp:127.0.0.1:$PU"
# util-linux logger: its own timestamp, hostname, pid and structured data
logger --server 127.0.0.1 --port "$PU" --udp --rfc5424 -t loggerapp -p local3.warning --id=4242 \
    --msgid LOG1 --sd-id 'x@32473' --sd-param 'k="v \"quoted\""' "logger via rsyslog"
logger --server 127.0.0.1 --port "$PU" --udp --rfc3164 -t bsdlogger -p mail.info "bsd logger via rsyslog"
for o in "$O5" "$O3"; do
    wait_until 30 has "$o" "bsd logger via rsyslog"
    wait_until 10 has "$o" "logger via rsyslog"
    wait_until 10 has "$o" "do-nuts are ready"
done

check "RFC 5424 forward: facility, severity" \
    [ "$(f "$O5" 'do-nuts are ready' '.facility + "." + .severity')" = local4.notice ]
check "RFC 5424 forward: timestamp with microseconds and offset, in UTC" \
    [ "$(f "$O5" 'do-nuts are ready' .timestamp)" = 2003-08-24T12:14:15.000003Z ]
check "RFC 5424 forward: hostname, app_name, procid, msgid" \
    [ "$(f "$O5" 'do-nuts are ready' '[.hostname, .app_name, .procid, .msgid] | join("|")')" = '192.0.2.1|myproc|8710|ID9' ]
check "RFC 5424 forward: structured data, escapes resolved" \
    [ "$(f "$O5" 'do-nuts are ready' '.structured_data["ex@32473"] | .iut + "|" + .q')" = '3|say "hi" \ x]y' ]
check "RFC 5424 forward: no parse error" [ "$(f "$O5" 'do-nuts are ready' '.parse_error // "none"')" = none ]
check "RSYSLOG_ForwardFormat: facility, severity, ISO timestamp" \
    [ "$(f "$O3" 'do-nuts are ready' '.facility + "." + .severity + "|" + .timestamp')" = 'local4.notice|2003-08-24T12:14:15.000003Z' ]
check "RSYSLOG_ForwardFormat: hostname, app_name, procid from the tag" \
    [ "$(f "$O3" 'do-nuts are ready' '[.hostname, .app_name, .procid] | join("|")')" = '192.0.2.1|myproc|8710' ]
check "RFC 3164 in, RFC 5424 out: the BSD fields" \
    [ "$(f "$O5" "'su root' failed for lonvick" '[.facility, .severity, .hostname, .app_name] | join("|")')" = 'auth|crit|mymachine|su' ]
check "RFC 3164 in, RFC 5424 out: the BSD timestamp (no year) got one" \
    grep -Eq '^[0-9]{4}-10-11T22:14:15' <<<"$(f "$O5" "'su root' failed for lonvick" .timestamp)"
check "RFC 3164 in, ForwardFormat out" \
    [ "$(f "$O3" "'su root' failed for lonvick" '[.facility, .severity, .hostname, .app_name] | join("|")')" = 'auth|crit|mymachine|su' ]
check "a LF inside a message: one event (octet-counted framing), RFC 5424" \
    has "$O5" $'first line\nsecond line'
check "the LF that ends each RSYSLOG_SyslogProtocol23Format frame is not in the message" \
    [ -z "$(jq -c 'select(.message | endswith("\n"))' "$O5" "$O3")" ]
check "a LF inside a message: one event, ForwardFormat" has "$O3" $'first line\nsecond line'
check "and no event for its second line alone" \
    [ -z "$(jq -c 'select(.message | startswith("second line"))' "$O5" "$O3")" ]
check "logger --rfc5424 via rsyslog: fields" \
    [ "$(f "$O5" 'logger via rsyslog' '[.facility, .severity, .hostname, .app_name, .procid, .msgid] | join("|")')" = "local3|warning|$(hostname)|loggerapp|4242|LOG1" ]
check "logger --rfc5424 via rsyslog: its structured data (and timeQuality)" \
    [ "$(f "$O5" 'logger via rsyslog' '.structured_data["x@32473"].k + "|" + .structured_data.timeQuality.tzKnown')" = 'v "quoted"|1' ]
check "logger --rfc5424 via rsyslog: its timestamp (within a minute of now)" \
    [ $(( $(date +%s) - $(date -d "$(f "$O5" 'logger via rsyslog' .timestamp)" +%s) )) -lt 60 ]
check "logger --rfc3164 via rsyslog (ForwardFormat): fields" \
    [ "$(f "$O3" 'bsd logger via rsyslog' '[.facility, .severity, .hostname, .app_name] | join("|")')" = "mail|info|$(hostname)|bsdlogger" ]
check "the peer is rsyslog's connection" grep -Eq '^127\.0\.0\.1:[0-9]+$' <<<"$(f "$O5" 'logger via rsyslog' .peer)"

# --- 2,000 messages over rsyslog's TCP input, each once in each format ---------
N=2000
"$SEND" stream "tcp:127.0.0.1:$PT" lf "$N" "<14>1 2024-01-01T00:00:00Z h bulk 77 - - bulk"
bulk_count() { grep -c '"app_name":"bulk"' "$1" 2>/dev/null || true; }
wait_until 60 sh -c "[ \$(grep -c '\"app_name\":\"bulk\"' '$O5') -ge $N ] && [ \$(grep -c '\"app_name\":\"bulk\"' '$O3') -ge $N ]"
for o in "$O5" "$O3"; do
    fmt=RFC5424; [ "$o" = "$O3" ] && fmt=ForwardFormat
    check "$fmt: $N messages through rsyslog, none lost, none twice" \
        [ "$(bulk_count "$o")" -eq "$N" -a "$(grep '"app_name":"bulk"' "$o" | grep -o 'seq=[0-9]*' | sort -u | wc -l)" -eq "$N" ]
    check "$fmt: their fields" \
        [ "$(grep '"app_name":"bulk"' "$o" | head -n1 | jq -r '[.timestamp, .hostname, .procid, .facility, .severity] | join("|")')" = '2024-01-01T00:00:00.000000Z|h|77|user|info' ]
done
check "no parse errors at all" [ -z "$(jq -c 'select(.parse_error)' "$O5" "$O3")" ]

kill -TERM "$RS_PID"; wait "$RS_PID" 2>/dev/null
stop_sluice TERM
check "sluice stops cleanly" [ "$SLUICE_RC" -eq 0 ]
finish
