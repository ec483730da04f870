#!/usr/bin/env bash
# tags: threaded
# The socket source: newline, NUL and octet-counted framing on TCP and
# unix-stream connections, datagrams one event each, JSON decoding (a frame
# that is not JSON kept raw with decode_error), over-long frames, and
# 100,000 lines over TCP delivered exactly once.
. "$(dirname "$0")/lib.sh"
SEND=$TOOLS/sock_send
command -v jq >/dev/null || { echo "ok - skipped: jq is not installed"; exit 0; }

PL=$(pick_port); PN=$(pick_port); PO=$(pick_port); PJ=$(pick_port)
OUT=$T/out.ndjson
has() { grep -qF -- "$1" "$OUT" 2>/dev/null; }
count() { if [ -f "$OUT" ]; then grep -cF -- "$1" "$OUT"; else echo 0; fi; }
jev() { jq -c --arg m "$1" 'select(.message == $m)' "$OUT" | head -1; }

cat >"$T/c.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  lines:
    type: socket
    listen: [ "tcp://127.0.0.1:$PL", "udp://127.0.0.1:$PL", "unix-stream://$T/lines.sock",
              "unix://$T/dgram.sock" ]
    max_message_bytes: 1KiB
  nul: { type: socket, listen: "tcp://[::1]:$PN", framing: "null" }
  octet: { type: socket, listen: "tcp://127.0.0.1:$PO", framing: octet_counting,
           long_messages: skip, max_message_bytes: 100 }
  json: { type: socket, listen: [ "tcp://127.0.0.1:$PJ", "udp://127.0.0.1:$PJ" ], decode: json }
destinations:
  out: { type: file, path: "$OUT" }
pipelines:
  p: { from: [lines, nul, octet, json], to: [out] }
YAML

cat >"$T/bad.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  s: { type: socket, listen: "tcp://127.0.0.1", framing: nul }
  t: { type: socket, listen: "tcp://127.0.0.1:1", framing: lines }
destinations:
  o: { type: stdout }
pipelines:
  p: { from: [s, t], to: [o] }
YAML
"$SLUICE" --check -c "$T/bad.yaml" >"$T/check.out" 2>&1
check "--check: a bad framing word is an error" grep -q 'bad.yaml:4:.*source "t": option "framing" must be one of' "$T/check.out"
check "--check: a URL without a port is reported at its place" \
    grep -q 'bad.yaml:3:30: error: source "s": listen: "tcp://127.0.0.1": expected HOST:PORT' "$T/check.out"
"$SLUICE" --help-plugin socket >"$T/help.out" 2>&1
check "--help-plugin socket lists its options" grep -q 'framing' "$T/help.out"

start_sluice "$T/c.yaml"
wait_until 10 log_has 'running:'
check "starts with IPv6, TCP, UDP and unix listeners" log_has 'running:'

printf 'line one\r\nline two\n\nline three' | "$SEND" raw "tcp:127.0.0.1:$PL"
printf 'stream unix line\n' | "$SEND" raw "unix-stream:$T/lines.sock"
"$SEND" dgram "udp:127.0.0.1:$PL" 3 "udp datagram"
"$SEND" dgram "unix:$T/dgram.sock" 2 "unix datagram"
{ head -c 5000 /dev/zero | tr '\0' L; printf '\nafter the long line\n'; } | "$SEND" raw "tcp:127.0.0.1:$PL"
printf 'nul one\0nul two\0\0nul three' | "$SEND" raw "tcp:[::1]:$PN"
m1='octet one'; m2=$'octet\ntwo with a newline'
printf '%d %s%d %s150 %0150d9 octet end' "${#m1}" "$m1" "${#m2}" "$m2" 0 | "$SEND" raw "tcp:127.0.0.1:$PO"
printf '{"message":"json one","n":3,"ok":true,"f":1.5,"m":{"k":"v"},"a":[1,2]}\nnot json at all\n[1,2]\n' |
    "$SEND" raw "tcp:127.0.0.1:$PJ"
printf '{"message":"json datagram","x":"y"}' | "$SEND" raw "udp:127.0.0.1:$PJ"
wait_until 10 has "after the long line"
wait_until 10 has "octet end"
wait_until 10 has "json datagram"
wait_until 10 has "nul three"

check "newline framing: CR trimmed, empty lines skipped, last line kept at close" \
    [ "$(count '"message":"line one"')$(count '"message":"line two"')$(count '"message":"line three"')" = 111 ]
check "the peer address is a field" grep -q '"peer":"127.0.0.1:[0-9]*","message":"line one"' "$OUT"
check "unix-stream connection" has '"message":"stream unix line"'
check "UDP: one event per datagram" [ "$(count '"message":"udp datagram seq=')" = 3 ]
check "UDP: the peer in each event" grep -q '"message":"udp datagram seq=000000000".*"peer":"127.0.0.1:' "$OUT"
check "unix datagrams" [ "$(count '"message":"unix datagram seq=')" = 2 ]
check "an over-long line is cut to max_message_bytes and flagged" \
    [ "$(jq -r 'select(.truncated == true) | .message | length' "$OUT")" = 1024 ]
check "the rest of an over-long line is discarded, the next line is read" \
    [ "$(count 'LLLL')" = 1 -a "$(count '"message":"after the long line"')" = 1 ]
check "null framing (IPv6)" \
    [ "$(count '"message":"nul one"')$(count '"message":"nul two"')$(count '"message":"nul three"')" = 111 ]
check "octet counting: frames back to back" has '"message":"octet one"'
check "octet counting: a frame may hold a newline" has '"message":"octet\ntwo with a newline"'
check "octet counting: an over-long frame is skipped (long_messages: skip)" [ "$(count '0000000000')" = 0 ]
check "octet counting: the frame after it is read" has '"message":"octet end"'
check "json: keys become typed fields, nested maps, arrays as JSON text" \
    [ "$(jev 'json one' | jq -c '[.n, .ok, .f, .m.k, .a]')" = '[3,true,1.5,"v","[1,2]"]' ]
check "json: a frame that is not JSON is kept raw with decode_error" \
    [ -n "$(jev 'not json at all' | jq -r '.decode_error // empty')" ]
check "json: JSON that is not an object is kept with decode_error" \
    [ "$(jev '[1,2]' | jq -r .decode_error)" = "not a JSON object" ]
check "json over UDP" [ "$(jev 'json datagram' | jq -r .x)" = y ]

N=$((100000 / SCALE))
"$SEND" stream "tcp:127.0.0.1:$PL" lf "$N" "bulk" &
s1=$!
"$SEND" stream "tcp:[::1]:$PN" nul 1000 "nulbulk" &
s2=$!
wait "$s1" "$s2"
wait_until 60 sh -c "[ \$(grep -c '\"message\":\"bulk seq=' '$OUT' 2>/dev/null) -ge $N ]"
check "$N lines over TCP, none lost" [ "$(count '"message":"bulk seq=')" -eq "$N" ]
check "and none twice" [ "$(grep -o '"message":"bulk seq=[0-9]*' "$OUT" | sort -u | wc -l)" -eq "$N" ]
wait_until 10 sh -c "[ \$(grep -c '\"message\":\"nulbulk seq=' '$OUT' 2>/dev/null) -eq 1000 ]"
check "NUL-framed messages on a concurrent connection" [ "$(count '"message":"nulbulk seq=')" -eq 1000 ]

stop_sluice TERM
check "stops cleanly" [ "$SLUICE_RC" -eq 0 ]
check "unix socket files removed" [ ! -e "$T/lines.sock" -a ! -e "$T/dgram.sock" ]
# --- backpressure: a stalled destination stops the reading of the sockets ----
PB=$(pick_port)
mkfifo "$T/out.fifo"
cat >"$T/bp.yaml" <<YAML
service:
  state_dir: "$T/state"
  memory_limit: 4MiB
  queue: { max_events: 10000000, max_bytes: 1GiB }   # let the memory limit bind
sources:
  in: { type: socket, listen: "tcp://127.0.0.1:$PB" }
destinations:
  out: { type: file, path: "$T/out.fifo", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
M=$((400000 / SCALE))
exec 3<>"$T/out.fifo"            # hold the FIFO open, read nothing yet
start_sluice "$T/bp.yaml" -v
wait_until 10 log_has 'running:'
"$SEND" stream "tcp:127.0.0.1:$PB" lf "$M" "backpressure line padded to make the stream a good deal longer" &
sender=$!
check "the source pauses at the memory limit" \
    wait_until 60 log_has 'source "in" paused: events in memory are at service.memory_limit'
sleep 0.5
check "the sender is held back (TCP window) while the destination is stalled" kill -0 "$sender"
hwm_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$SLUICE_PID/status")
limit_kib=$((48 * 1024))
[ "$SCALE" -gt 1 ] && limit_kib=$((400 * 1024))
check "memory stays bounded while stalled (peak ${hwm_kib} KiB)" [ "$hwm_kib" -lt "$limit_kib" ]
cat "$T/out.fifo" >"$T/bp.out" 3>&- &
reader=$!
reader_has_fifo() { ls -l "/proc/$reader/fd" 2>/dev/null | grep -q out.fifo; }
wait_until 30 reader_has_fifo
exec 3>&-
wait "$sender"
check "once the destination drains, the sender finishes" [ $? -eq 0 ]
wait_until 60 sh -c "[ \$(wc -l <'$T/bp.out') -ge $M ]"
stop_sluice TERM
wait "$reader"
check "every line after backpressure arrives exactly once" \
    [ "$(grep -c '^backpressure' "$T/bp.out")" -eq "$M" -a "$(sort -u "$T/bp.out" | wc -l)" -eq "$M" ]
finish
