#!/usr/bin/env bash
# parse_nginx against the real nginx (Debian's package, unpacked by
# tests/peers/nginx.sh, never installed). nginx runs in the foreground on
# 127.0.0.1 with this test's prefix, config, pid file, error log and temp
# paths, and writes every request to three access logs: `combined`, a
# custom log_format ($time_iso8601, $request_time, $upstream_response_time
# ...) and an escape=json log_format. curl (and one raw HTTP/0.9 request)
# sends odd paths (spaces encoded and raw, quotes, backslashes, %00,
# non-ASCII UTF-8, raw control bytes and bytes that are not UTF-8, a 6000-
# byte query), odd user agents and several methods and statuses (200, 201,
# HEAD, 400, 404, 405, a proxied request). sluice tails the three logs
# (file source): parse_nginx with format combined, parse_nginx with the same
# log_format string, and parse_json + timestamp + parse_nginx on $request
# for the JSON one. Checked with jq: every line parsed (no dead letters),
# and per request in each log: method, path, query, protocol, status (a
# number, = curl's), bytes (= what curl received), user agent (nginx's \xHH
# escapes decoded), remote address, request_time and
# upstream_response_time as numbers, and the event time (the same in all
# three logs, inside the window the requests were sent in).
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "ok - skipped: jq is not installed"; exit 0; }
command -v curl >/dev/null || { echo "ok - skipped: curl is not installed"; exit 0; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NG=$(sh "$ROOT/tests/peers/nginx.sh" "${SLUICE_PEERS_DIR:-$ROOT/build/peers}" 2>"$T/peers.err") ||
    { echo "ok - skipped: nginx cannot be obtained: $(tail -n1 "$T/peers.err")"; exit 0; }
NGINX=$NG/usr/sbin/nginx

P=$(pick_port)
PU=$(pick_port)
while [ "$PU" = "$P" ]; do PU=$(pick_port); done
N=$T/ngx
mkdir -p "$N/logs" "$N/tmp" "$N/html"
for f in r01-index.html r09-index.html r11-index.html; do echo "hello $f" >"$N/html/$f"; done
CUSTOM='$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time "$http_user_agent" $upstream_response_time'
JSONF='{"remote_addr":"$remote_addr","time_iso8601":"$time_iso8601","request":"$request","status":$status,"body_bytes_sent":$body_bytes_sent,"request_time":$request_time,"http_user_agent":"$http_user_agent","upstream_response_time":"$upstream_response_time"}'
cat >"$N/nginx.conf" <<CONF
user $(id -un) $(id -gn);
worker_processes 1;
error_log $N/logs/error.log info;
events { worker_connections 64; }
http {
    default_type text/plain;
    log_format custom '$CUSTOM';
    log_format js escape=json '$JSONF';
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fastcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    access_log $N/logs/combined.log combined;
    access_log $N/logs/custom.log custom;
    access_log $N/logs/json.log js;
    server {
        listen 127.0.0.1:$P;
        root $N/html;
        location = /r10-post { return 201 "created\n"; }
        location /r13-up { proxy_pass http://127.0.0.1:$PU; }
    }
    server {
        listen 127.0.0.1:$PU;
        access_log off;
        location / { return 200 "from upstream\n"; }
    }
}
CONF
"$NGINX" -t -p "$N" -c "$N/nginx.conf" -e "$N/logs/error.log" -g "pid $N/nginx.pid;" >"$T/nginx-t.log" 2>&1
check "nginx accepts the config (-t)" test $? -eq 0
"$NGINX" -p "$N" -c "$N/nginx.conf" -e "$N/logs/error.log" -g "daemon off; pid $N/nginx.pid;" \
    >"$T/nginx.out" 2>&1 &
NGINX_PID=$!
# not in PIDS: a SIGKILLed master would leave its worker (and the port)
# behind; TERM makes nginx stop its workers too
stop_nginx() {
    [ -n "${NGINX_PID:-}" ] || return 0
    kill -"${1:-TERM}" "$NGINX_PID" 2>/dev/null
    wait "$NGINX_PID" 2>/dev/null
    NGINX_PID=
}
trap 'stop_nginx; cleanup' EXIT
# asked on the upstream server, which logs nothing (the access logs hold
# only the requests below)
up() { curl -s -o /dev/null "http://127.0.0.1:$PU/"; }
wait_until 10 up
check "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') runs in the foreground on 127.0.0.1:$P" up
wait_until 5 test -f "$N/logs/json.log"

cat >"$T/c.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  combined: { type: file, paths: ["$N/logs/combined.log"] }
  custom: { type: file, paths: ["$N/logs/custom.log"] }
  json: { type: file, paths: ["$N/logs/json.log"] }
destinations:
  o_combined: { type: file, path: "$T/combined.ndjson" }
  o_custom: { type: file, path: "$T/custom.ndjson" }
  o_json: { type: file, path: "$T/json.ndjson" }
  dead: { type: file, path: "$T/dead.ndjson" }
pipelines:
  combined:
    from: [combined]
    to: [o_combined]
    dead_letter: dead
    handlers:
      - parse_nginx: { format: combined }
  custom:
    from: [custom]
    to: [o_custom]
    dead_letter: dead
    handlers:
      - parse_nginx: { format: '$CUSTOM' }
  json:
    from: [json]
    to: [o_json]
    dead_letter: dead
    handlers:
      - parse_json: {}
      - timestamp: { field: time_iso8601 }
      - parse_nginx: { source: request, format: '\$request', unescape: false }
YAML
start_sluice "$T/c.yaml"
wait_until 10 log_has 'running:'
check "sluice starts tailing the three access logs" log_has 'running:'

# req ID METHOD STATUS UA_LOGGED TARGET UA [CURL ARGS...]: send one request
# with curl, its request target and user agent given as printf formats
# (so they can hold any byte but NUL), and append what was sent and what
# curl saw to the manifest. UA_LOGGED is "no" where nginx answers 400 before
# it reads the headers (nginx then logs "-").
mkdir -p "$T/req"
: >"$T/manifest.ndjson"
req() {
    local id=$1 method=$2 status=$3 ualogged=$4 target ua
    # shellcheck disable=SC2059
    printf "$5" >"$T/req/$id.target"
    # shellcheck disable=SC2059
    printf "$6" >"$T/req/$id.ua"
    shift 6
    target=$(cat "$T/req/$id.target")
    ua=$(cat "$T/req/$id.ua")
    local m=(-X "$method")
    [ "$method" = HEAD ] && m=(-I)
    local got
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "${m[@]}" --path-as-is \
        --request-target "$target" -A "$ua" "$@" "http://127.0.0.1:$P/")
    jq -nc --arg id "$id" --arg method "$method" --argjson status "$status" \
        --arg ualogged "$ualogged" --rawfile target "$T/req/$id.target" \
        --rawfile ua "$T/req/$id.ua" --argjson code "${got% *}" --argjson bytes "${got#* }" \
        '($target | split("?")) as $s |
         {id: $id, method: $method, status: $status, code: $code, bytes: $bytes,
          protocol: "HTTP/1.1", path: $s[0],
          query: (if ($s | length) > 1 then $s[1:] | join("?") else null end),
          ua: (if $ualogged == "yes" then $ua else "" end)}' >>"$T/manifest.ndjson"
}
long=$(head -c 6000 /dev/zero | tr '\0' 'q')
t0=$(date +%s)
req r01 GET 200 yes '/r01-index.html' 'curl-test/1.0'
req r02 GET 404 yes '/r02-a%%20b?q=1&r=%%22x%%22&s=a+b' 'Mozilla/5.0 (X11; Linux x86_64) "quoted" \\back\\slash'
req r03 GET 400 no '/r03-sp ace?x=a b' 'never logged'
req r04 GET 400 no '/r04-nul%%00x?z=%%00' 'never logged'
req r05 GET 404 yes '/r05-ünï€/日本?q=ü€&k=ñ' 'Agent ü€ 日本 "q" \\ end'
req r06 GET 400 no '/r06-ctl\001\033x\177y' 'never logged'
req r07 GET 404 yes '/r07-raw\377x?q=\376' 'ua\001ctl\377raw\033[31m'
req r08 GET 404 yes '/r08-q"t\\b\\x41' 'say "hi" \\x41 \\\\ end'
req r09 HEAD 200 yes '/r09-index.html' 'head/1'
req r10 POST 201 yes '/r10-post' 'poster' --data-binary 'a=1&b="two"'
req r11 POST 405 yes '/r11-index.html' 'poster' --data-binary 'x'
req r12 DELETE 405 yes '/r12-gone' 'deleter'
req r13 GET 200 yes '/r13-up?y=1' 'proxied'
req r14 GET 404 yes "/r14-long?q=$long" 'long'
req r15 GET 400 no '/r15-tab\there' 'never logged'
req r16 PUT 405 yes '/r16-put' 'putter' --data-binary '{"k":1}'
req r17 GET 404 yes '/r17-%%FF%%fe?%%E2%%82%%AC=%%zz' 'pct'
req r18 GET 404 yes '/r18-noua' ''
req r19 GET 404 yes '/r19-emptyquery?' 'eq'
req r20 OPTIONS 405 yes '/r20-opt' 'opt'
# HTTP/0.9 (no protocol, no headers; nginx answers with the body only),
# over a raw connection
exec 3<>"/dev/tcp/127.0.0.1/$P"
printf 'GET /r21-nine\r\n' >&3
b21=$(timeout 10 cat <&3 | wc -c)
exec 3<&-
jq -nc --argjson bytes "$b21" '{id: "r21", method: "GET", status: 404, code: 404, bytes: $bytes,
    protocol: null, path: "/r21-nine", query: null, ua: ""}' >>"$T/manifest.ndjson"
t1=$(($(date +%s) + 1))    # nginx caches its clock: a second of slack each side
t0=$((t0 - 1))
NREQ=$(lines_in "$T/manifest.ndjson")

# nginx writes a request's log lines when it finalizes the request, which
# may be just after the client has its answer
all_logged() {
    [ "$(lines_in "$N/logs/combined.log")" -eq "$NREQ" ] && [ "$(lines_in "$N/logs/custom.log")" -eq "$NREQ" ] &&
        [ "$(lines_in "$N/logs/json.log")" -eq "$NREQ" ]
}
wait_until 10 all_logged
check "nginx wrote one line per request to each log" all_logged
all_out() {
    [ "$(lines_in "$T/combined.ndjson")" -ge "$NREQ" ] && [ "$(lines_in "$T/custom.ndjson")" -ge "$NREQ" ] &&
        [ "$(lines_in "$T/json.ndjson")" -ge "$NREQ" ]
}
wait_until 20 all_out
stop_sluice
check "sluice stops cleanly" [ "$SLUICE_RC" -eq 0 ]
stop_nginx QUIT

check "curl saw the statuses the test expects" \
    jq_ok -s 'all(.status == .code)' "$T/manifest.ndjson"
check "no line was dead-lettered" [ "$(lines_in "$T/dead.ndjson")" -eq 0 ]
check "no handler error was logged" sh -c "! grep -q 'handler' '$T/sluice.log'"

# verify LOG: every request once, each field as sent. jq's --slurpfile
# reads the output (invalid UTF-8 the writer turned into U+FFFD; the
# manifest got the same from jq --rawfile).
verify() {
    local out=$T/$1.ndjson
    check "$1: $NREQ events, none twice" [ "$(lines_in "$out")" -eq "$NREQ" ]
    jq -r --slurpfile evs "$out" --arg log "$1" --argjson t0 "$t0" --argjson t1 "$t1" '
        . as $w
        | [$evs[] | select(.path | startswith("/" + $w.id + "-"))] as $m
        | if ($m | length) != 1 then "\($w.id): \($m | length) events"
          else $m[0] as $e
          | ($e.timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) as $ts
          | [ (if $e.method != $w.method then "method \($e.method)" else empty end),
              (if $e.path != $w.path then "path \($e.path | tojson) != \($w.path | tojson)" else empty end),
              (if $e.query != $w.query then "query \($e.query | tojson | .[:80]) != \($w.query | tojson | .[:80])" else empty end),
              (if $e.protocol != $w.protocol then "protocol \($e.protocol)" else empty end),
              (if $e.status != $w.status or ($e.status | type) != "number" then "status \($e.status | tojson)" else empty end),
              (if $e.body_bytes_sent != $w.bytes then "bytes \($e.body_bytes_sent | tojson) != \($w.bytes)" else empty end),
              (if ($e.http_user_agent // "") != $w.ua then "user agent \($e.http_user_agent | tojson) != \($w.ua | tojson)" else empty end),
              (if $e.remote_addr != "127.0.0.1" then "remote_addr \($e.remote_addr)" else empty end),
              (if $ts < $t0 or $ts > $t1 then "time \($e.timestamp) outside [\($t0), \($t1)]" else empty end),
              (if $log != "combined" and ($e.request_time | type) != "number" then "request_time \($e.request_time | tojson)" else empty end),
              (if $e | has("time_local") then "time_local kept" else empty end)
            ] | map("\($w.id): " + .) | .[]
          end' "$T/manifest.ndjson" >"$T/$1.diff"
    check "$1: every field matches what was sent" test ! -s "$T/$1.diff"
    [ -s "$T/$1.diff" ] && head -n 20 "$T/$1.diff" | sed 's/^/  /'
    return 0
}
verify combined
verify custom
verify json
check "custom: the proxied request's upstream_response_time is a number, others have none" \
    jq_ok -s '(map(select(.path == "/r13-up")) | .[0].upstream_response_time | type == "number") and
              (map(select(.path != "/r13-up" and has("upstream_response_time"))) | length == 0)' \
    "$T/custom.ndjson"
check "json: numbers stay numbers, upstream_response_time a string" \
    jq_ok -s 'all(.[]; (.status | type) == "number" and (.body_bytes_sent | type) == "number" and
              (.upstream_response_time | type) == "string")' "$T/json.ndjson"
check "the same request has the same event time in all three logs" \
    jq_ok -n --slurpfile a "$T/combined.ndjson" --slurpfile b "$T/custom.ndjson" --slurpfile c "$T/json.ndjson" '
        def secs: .timestamp | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601;
        def by: map({key: .path, value: secs}) | from_entries;
        ($a | by) as $x | ($b | by) as $y | ($c | by) as $z
        | ($x | length) > 0 and all($x | keys[]; $x[.] == $y[.] and $x[.] == $z[.])'
finish
