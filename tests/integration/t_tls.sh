#!/usr/bin/env bash
# TLS on the network sources. Certificates are made here, at run time, with
# the openssl command line (a CA, a server certificate for 127.0.0.1 and
# localhost, a client certificate, a key that matches neither). Real
# clients: curl for HTTPS POSTs, `openssl s_client` for syslog over TLS
# (RFC 5425: octet-counted frames) on TCP and a newline-framed socket
# source on a unix-stream socket. Mutual TLS (no client certificate:
# refused; a CA-signed one: accepted), tls.min_version, a plaintext client
# on a TLS port (disconnected, counted, others still served), a handshake
# that never completes (closed after idle_timeout, and by request_timeout
# on HTTPS), max_connections counting handshaking connections, 20,000
# frames over one TLS connection exactly once, and config errors
# (--check and startup: exit 1 with the path and OpenSSL's reason).
. "$(dirname "$0")/lib.sh"
SEND=$TOOLS/sock_send
command -v openssl >/dev/null || { echo "ok - skipped: openssl is not installed"; exit 0; }
command -v curl >/dev/null || { echo "ok - skipped: curl is not installed"; exit 0; }
command -v jq >/dev/null || { echo "ok - skipped: jq is not installed"; exit 0; }


# --- certificates ----------------------------------------------------------------
C=$T/certs
mkdir -p "$C"
gen() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$C/ca.key" -out "$C/ca.pem" -subj /CN=sluice-test-ca &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$C/server.key" -out "$C/server.csr" -subj /CN=localhost &&
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$C/san.ext" &&
    openssl x509 -req -in "$C/server.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" \
        -CAcreateserial -days 2 -extfile "$C/san.ext" -out "$C/server.pem" &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$C/client.key" -out "$C/client.csr" -subj /CN=test-client &&
    openssl x509 -req -in "$C/client.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" \
        -CAcreateserial -days 2 -out "$C/client.pem" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$C/other.key" -out "$C/other.pem" -subj /CN=other
}
gen >"$C/gen.log" 2>&1 || { cat "$C/gen.log"; not_ok "test certificates generated"; finish; }
ok "test certificates generated (openssl $(openssl version | cut -d' ' -f2))"

PS=$(pick_port); PM=$(pick_port); PH=$(pick_port); PHM=$(pick_port); P13=$(pick_port)
PFEW=$(pick_port)
OUT=$T/out.ndjson
has() { [ -f "$OUT" ] && grep -qF -- "$1" "$OUT"; }
count() { if [ -f "$OUT" ]; then grep -cF -- "$1" "$OUT"; else echo 0; fi; }
ev() { jq -c --arg m "$1" 'select(.message == $m)' "$OUT" 2>/dev/null | head -1; }
field() { ev "$1" | jq -r "$2"; }
# octet-counted frames (RFC 5425) of each argument
frames() { local m; for m in "$@"; do printf '%d %s' "${#m}" "$m"; done; }
# closes_within SECONDS PORT [DATA]: connect, send DATA, succeed if the
# server closes (or resets) the connection within SECONDS
closes_within() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$2" || exit 2
        [ -n "${3:-}" ] && printf '%s' "$3" >&3
        timeout "$1" cat <&3 >/dev/null 2>&1
        [ $? -ne 124 ]
    )
}
# s_client: stdin to one TLS connection, then close_notify and exit
# (-nocommands: else a read of stdin that starts with Q, R or K is a command)
tls_send() { timeout 20 openssl s_client -quiet -no_ign_eof -nocommands -verify_return_error "$@" 2>>"$T/s_client.log" >/dev/null; }

# a small queue: the bulk stream below pauses and resumes its connection
cat >"$T/c.yaml" <<YAML
service: { state_dir: "$T/state", queue: { max_events: 500 } }
sources:
  sys:
    type: syslog
    listen: [ "tcp://127.0.0.1:$PS", "udp://127.0.0.1:$PS" ]
    idle_timeout: 2s
    tls: { cert_file: "$C/server.pem", key_file: "$C/server.key" }
  mutual:
    type: syslog
    listen: "tcp://127.0.0.1:$PM"
    tls: { cert_file: "$C/server.pem", key_file: "$C/server.key", client_ca_file: "$C/ca.pem" }
  lines:
    type: socket
    listen: "unix-stream://$T/tls.sock"
    decode: json
    tls: { cert_file: "$C/server.pem", key_file: "$C/server.key" }
  v13:
    type: socket
    listen: "tcp://127.0.0.1:$P13"
    tls: { cert_file: "$C/server.pem", key_file: "$C/server.key", min_version: "1.3" }
  few:
    type: socket
    listen: "tcp://127.0.0.1:$PFEW"
    max_connections: 1
    tls: { cert_file: "$C/server.pem", key_file: "$C/server.key", handshake_timeout: 2s }
  web:
    type: http
    listen: "127.0.0.1:$PH"
    request_timeout: 2s
    tls: { cert_file: "$C/server.pem", key_file: "$C/server.key" }
  webm:
    type: http
    listen: "127.0.0.1:$PHM"
    tls: { cert_file: "$C/server.pem", key_file: "$C/server.key", client_ca_file: "$C/ca.pem" }
destinations:
  out: { type: file, path: "$OUT" }
pipelines:
  p: { from: [sys, mutual, lines, v13, few, web, webm], to: [out] }
YAML
"$SLUICE" --check -c "$T/c.yaml" >"$T/check.out" 2>&1
check "--check accepts the TLS options" test $? -eq 0
start_sluice "$T/c.yaml"
wait_until 10 log_has 'running:'
check "the TLS listeners say so at startup" \
    sh -c "grep -q 'listening on tcp://127.0.0.1:$PS (TLS)' '$T/sluice.log' &&
           grep -q 'listening on udp://127.0.0.1:$PS\$' '$T/sluice.log' &&
           grep -q 'listening on 127.0.0.1:$PH (HTTPS)' '$T/sluice.log'"

# --- HTTPS ------------------------------------------------------------------------
H=https://127.0.0.1:$PH/
code=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$C/ca.pem" \
    -H 'Content-Type: application/x-ndjson' --data-binary $'{"k":"https1","n":1}\n{"k":"https2"}\n' "$H")
check "HTTPS POST (curl --cacert): 200" test "$code" = 200
check "HTTPS: the events arrived with their fields and peer" \
    sh -c "jq -e -s 'any(.[]; .k == \"https1\" and .n == 1 and .source == \"web\" and (.peer | test(\"^127.0.0.1:[0-9]+\$\")))' '$OUT' >/dev/null && grep -q '\"k\":\"https2\"' '$OUT'"
check "HTTPS: the server certificate verifies for localhost too" \
    test "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.pem" --resolve "localhost:$PH:127.0.0.1" "https://localhost:$PH/health")" = 200
curl -s -m 5 -o /dev/null --data-binary 'plain http to https' "http://127.0.0.1:$PH/"
check "HTTPS: a plain HTTP request gets no answer and is not delivered" \
    sh -c "[ $? -ne 0 ] && ! grep -q 'plain http to https' '$OUT'"
wait_until 5 log_has "source \"web\": TLS handshake with 127.0.0.1:[0-9]* failed"
check "HTTPS: the failed handshake is logged with the peer address" \
    log_has "source \"web\": TLS handshake with 127.0.0.1:[0-9]* failed: http request"
check "HTTPS: still serving after it" \
    test "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.pem" --data-binary 'after plain' "$H")" = 200
start=$(date +%s)
closes_within 10 "$PH"
r=$?
el=$(($(date +%s) - start))
check "HTTPS: a handshake that never starts is closed by request_timeout (2s; took ${el}s)" \
    sh -c "[ $r = 0 ] && [ $el -ge 1 ] && [ $el -le 6 ]"

# mutual TLS on HTTPS
HM=https://127.0.0.1:$PHM/
curl -s -o /dev/null --cacert "$C/ca.pem" --data-binary 'mtls no cert' "$HM"
check "HTTPS mutual TLS: a client without a certificate is refused" \
    sh -c "[ $? -ne 0 ] && ! grep -q 'mtls no cert' '$OUT'"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.pem" --cert "$C/client.pem" \
    --key "$C/client.key" --data-binary 'mtls with cert' "$HM")
check "HTTPS mutual TLS: a client with a CA-signed certificate gets 200" test "$code" = 200
check "HTTPS mutual TLS: its event is delivered" has 'mtls with cert'
curl -s -o /dev/null --cacert "$C/ca.pem" --cert "$C/other.pem" --key "$C/other.key" \
    --data-binary 'mtls other cert' "$HM"
check "HTTPS mutual TLS: a certificate from another CA is refused" \
    sh -c "[ $? -ne 0 ] && ! grep -q 'mtls other cert' '$OUT'"

# --- syslog over TLS (RFC 5425) --------------------------------------------------
frames '<13>1 2024-05-06T07:08:09Z tlshost tlsapp 42 ID7 - tls octet one' \
       $'<14>1 - - - - - - tls octet\ntwo with a newline' '<11>tls 3164 style' |
    tls_send -connect "127.0.0.1:$PS" -CAfile "$C/ca.pem"
wait_until 10 has 'tls 3164 style'
check "syslog over TLS: octet-counted frames parsed" \
    [ "$(field 'tls octet one' '.hostname + "|" + .app_name + "|" + .procid + "|" + .msgid + "|" + .severity')" = 'tlshost|tlsapp|42|ID7|notice' ]
check "syslog over TLS: a frame may hold a newline" has 'tls octet\ntwo with a newline'
check "syslog over TLS: the peer address" \
    grep -Eq '^127\.0\.0\.1:[0-9]+$' <<<"$(field 'tls octet one' .peer)"
# the UDP listener of the same source is plain
logger --server 127.0.0.1 --port "$PS" --udp --rfc5424 -t udpapp "udp beside tls" 2>/dev/null ||
    printf '<13>1 - - udpapp - - - udp beside tls' | "$SEND" raw "udp:127.0.0.1:$PS"
wait_until 10 has 'udp beside tls'
check "the same source's UDP listener stays plain" has 'udp beside tls'

# 20,000 frames over one TLS connection, exactly once
N=$((20000 / SCALE))
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) { m = sprintf("<13>1 - h bulk - - - bulk seq=%09d", i); printf "%d %s", length(m), m } }' >"$T/bulk"
tls_send -connect "127.0.0.1:$PS" -CAfile "$C/ca.pem" <"$T/bulk"
wait_until 30 sh -c "[ \$(grep -c 'bulk seq=' '$OUT') -ge $N ]"
check "$N frames over one TLS connection delivered exactly once" \
    sh -c "[ \$(grep -o 'bulk seq=[0-9]*' '$OUT' | sort -u | wc -l) = $N ] && [ \$(grep -c 'bulk seq=' '$OUT') = $N ]"

# a plaintext client on the TLS port: disconnected; others keep being served
closes_within 5 "$PS" $'<13>plaintext to tls\n'
check "a plaintext client on a TLS port is disconnected" test $? = 0
wait_until 5 log_has "source \"sys\": TLS handshake with 127.0.0.1:[0-9]* failed"
check "the failed handshake is logged with the peer address and the reason" \
    grep -Eq "source \"sys\": TLS handshake with 127.0.0.1:[0-9]+ failed: .*(wrong version number|packet length too long|unknown protocol|record layer failure)" "$T/sluice.log"
frames '<13>1 - - - - - - after plaintext' | tls_send -connect "127.0.0.1:$PS" -CAfile "$C/ca.pem"
wait_until 10 has 'after plaintext'
check "TLS clients are still served after it" has 'after plaintext'
check "nothing of the plaintext client is delivered" sh -c "! grep -q 'plaintext to tls' '$OUT'"

# a handshake that never completes: closed after idle_timeout (2s)
start=$(date +%s)
closes_within 10 "$PS" $'\x16\x03\x01'      # the start of a ClientHello, then silence
r=$?
el=$(($(date +%s) - start))
check "a handshake that never completes is closed after idle_timeout (2s; took ${el}s)" \
    sh -c "[ $r = 0 ] && [ $el -ge 1 ] && [ $el -le 6 ]"
wait_until 5 log_has "source \"sys\": TLS handshake with .* idle"
check "... and counted as a failed handshake" log_has "source \"sys\": TLS handshake with"

# mutual TLS
frames '<13>1 - - - - - - mutual no cert' | tls_send -connect "127.0.0.1:$PM" -CAfile "$C/ca.pem"
frames '<13>1 - - - - - - mutual with cert' |
    tls_send -connect "127.0.0.1:$PM" -CAfile "$C/ca.pem" -cert "$C/client.pem" -key "$C/client.key"
wait_until 10 has 'mutual with cert'
check "mutual TLS: a client with a CA-signed certificate is accepted" has 'mutual with cert'
check "mutual TLS: a client without a certificate is refused" sh -c "! grep -q 'mutual no cert' '$OUT'"
wait_until 5 log_has 'source "mutual": TLS handshake with 127.0.0.1:[0-9]* failed: .*certificate'
check "mutual TLS: the refusal is logged with its reason" \
    log_has 'source "mutual": TLS handshake with 127.0.0.1:[0-9]* failed: .*certificate'

# the socket source over TLS on a unix-stream socket (newline framing, JSON)
printf '{"k":"unix tls 1"}\n{"k":"unix tls 2","n":2}\n' |
    tls_send -unix "$T/tls.sock" -CAfile "$C/ca.pem" -servername localhost
wait_until 10 has 'unix tls 2'
check "socket source over TLS on unix-stream: lines decoded as JSON" \
    sh -c "jq -e -s 'any(.[]; .k == \"unix tls 2\" and .n == 2 and .source == \"lines\")' '$OUT' >/dev/null && grep -q 'unix tls 1' '$OUT'"

# tls.min_version 1.3
printf 'v12 client\n' | tls_send -connect "127.0.0.1:$P13" -CAfile "$C/ca.pem" -tls1_2
printf 'v13 client\n' | tls_send -connect "127.0.0.1:$P13" -CAfile "$C/ca.pem" -tls1_3
wait_until 10 has 'v13 client'
check "min_version 1.3: a TLS 1.3 client is served" has 'v13 client'
check "min_version 1.3: a TLS 1.2 client is refused" sh -c "! grep -q 'v12 client' '$OUT'"

# max_connections counts connections still in their handshake
start=$(date +%s)
closes_within 10 "$PFEW" &
hold=$!
sleep 0.5
printf 'over max\n' | tls_send -connect "127.0.0.1:$PFEW" -CAfile "$C/ca.pem"
wait "$hold"
r=$?
el=$(($(date +%s) - start))
check "max_connections applies to handshaking connections (refused while one holds the slot)" \
    sh -c "grep -q 'max_connections (1) reached' '$T/sluice.log' && ! grep -q 'over max' '$OUT'"
check "tls.handshake_timeout (2s) closed the silent connection (took ${el}s)" \
    sh -c "[ $r = 0 ] && [ $el -ge 1 ] && [ $el -le 6 ]"
check "... logged as such" log_has 'source "few": TLS handshake with .*not completed within tls.handshake_timeout' 
printf 'after the slot freed\n' | tls_send -connect "127.0.0.1:$PFEW" -CAfile "$C/ca.pem"
wait_until 10 has 'after the slot freed'
check "the slot is free again after the handshake timeout" has 'after the slot freed'

stop_sluice
check "sluice stops cleanly (exit 0)" test "$SLUICE_RC" -eq 0
check "handshake counters are logged at stop" \
    sh -c "grep -q 'source \"sys\": [0-9]* TLS handshakes completed, [1-9][0-9]* failed' '$T/sluice.log' &&
           grep -q 'web: [0-9]* TLS handshakes completed, [1-9][0-9]* failed' '$T/sluice.log'"

# --- configuration errors ----------------------------------------------------------
badcfg() {   # badcfg NAME TYPE LISTEN TLS-MAP
    cat >"$T/$1.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  s: { type: $2, listen: $3, tls: $4 }
destinations:
  o: { type: stdout }
pipelines:
  p: { from: [s], to: [o] }
YAML
    "$SLUICE" --check -c "$T/$1.yaml" >"$T/$1.out" 2>&1
    echo $? >"$T/$1.rc"
}
badcfg nokey syslog '"tcp://127.0.0.1:1"' "{ cert_file: \"$C/server.pem\" }"
check "--check: cert_file without key_file (exit 1)" \
    sh -c "[ \$(cat '$T/nokey.rc') = 1 ] && grep -q 'nokey.yaml:3:[0-9]*: error: source \"s\": tls: set both cert_file and key_file (key_file is missing)' '$T/nokey.out'"
badcfg missing socket '"tcp://127.0.0.1:1"' "{ cert_file: \"$C/nope.pem\", key_file: \"$C/server.key\" }"
check "--check: a missing certificate file: its path and the reason, at the option" \
    sh -c "[ \$(cat '$T/missing.rc') = 1 ] && grep -q 'missing.yaml:3:[0-9]*: error: source \"s\": tls.cert_file \"$C/nope.pem\": No such file or directory' '$T/missing.out'"
badcfg mismatch http '"127.0.0.1:1"' "{ cert_file: \"$C/server.pem\", key_file: \"$C/other.key\" }"
check "--check: a key that does not match the certificate (http source)" \
    sh -c "[ \$(cat '$T/mismatch.rc') = 1 ] && grep -q 'error: source \"s\": tls.key_file \"$C/other.key\".*match.*key values mismatch' '$T/mismatch.out'"
printf 'not a certificate\n' >"$C/garbage.pem"
badcfg garbage syslog '"tcp://127.0.0.1:1"' "{ cert_file: \"$C/garbage.pem\", key_file: \"$C/server.key\" }"
check "--check: a file that is not a PEM certificate: OpenSSL's reason" \
    sh -c "[ \$(cat '$T/garbage.rc') = 1 ] && grep -q 'tls.cert_file \"$C/garbage.pem\": cannot load a PEM certificate: no start line' '$T/garbage.out'"
badcfg badca syslog '"tcp://127.0.0.1:1"' "{ cert_file: \"$C/server.pem\", key_file: \"$C/server.key\", client_ca_file: \"$C/garbage.pem\" }"
check "--check: a client_ca_file that is not PEM" \
    sh -c "[ \$(cat '$T/badca.rc') = 1 ] && grep -q 'tls.client_ca_file \"$C/garbage.pem\": cannot load PEM CA certificates' '$T/badca.out'"
badcfg badver syslog '"tcp://127.0.0.1:1"' "{ cert_file: \"$C/server.pem\", key_file: \"$C/server.key\", min_version: \"1.1\" }"
check "--check: min_version must be 1.2 or 1.3" \
    sh -c "[ \$(cat '$T/badver.rc') = 1 ] && grep -q 'min_version' '$T/badver.out'"
badcfg dgram syslog '"udp://127.0.0.1:1"' "{ cert_file: \"$C/server.pem\", key_file: \"$C/server.key\" }"
check "--check: TLS on datagram listeners only is a warning (exit 0)" \
    sh -c "[ \$(cat '$T/dgram.rc') = 0 ] && grep -q 'warning: .*only tcp:// and unix-stream:// listeners speak TLS' '$T/dgram.out'"
# startup reads the same files: the same clear error (exit 1 as a config error)
"$SLUICE" -c "$T/mismatch.yaml" >"$T/start.out" 2>&1
rc=$?
check "startup with a mismatched key fails (exit 1) with the path and reason" \
    sh -c "[ $rc = 1 ] && grep -q 'tls.key_file \"$C/other.key\".*key values mismatch' '$T/start.out'"
finish
