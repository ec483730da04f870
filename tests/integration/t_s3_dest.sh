#!/usr/bin/env bash
# tags: threaded
# The s3 destination against an S3-compatible server started here
# (s3rver behind a proxy that checks every SigV4 signature with AWS's own
# JavaScript signer: tests/peers/s3). Objects are read back with the test's
# own client and every line is looked for: PutObject and multipart sizes,
# virtual-host and path style, a wrong secret (a clear error; nothing lost
# once it is fixed), 503s, and credentials from the environment, the shared
# credentials file and a fake instance-metadata service (IMDSv2, refreshed).
. "$(dirname "$0")/lib.sh"

PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
sh "$PEERS/s3/install.sh" || { not_ok "the S3 peer's npm packages install"; finish; }
export AWS_EC2_METADATA_DISABLED=true     # never look for 169.254.169.254 here
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export HOME="$T/home"
mkdir -p "$HOME"

# start_s3 NAME ARGS...: the S3 peer; its port in $S3_PORT.
start_s3() {
    name=$1
    shift
    mkdir -p "$T/$name.data"
    node "$PEERS/s3/server.js" --data-dir "$T/$name.data" --bucket logs --port 0 \
        --port-file "$T/$name.port" "$@" >/dev/null 2>"$T/$name.log" &
    PIDS="$PIDS $!"
    S3_PID=$!
    wait_until 20 test -s "$T/$name.port" || { not_ok "S3 peer $name starts"; finish; }
    S3_PORT=$(cat "$T/$name.port")
}
# objects_text PORT [ARGS]: every object's lines (gunzipped).
objects_text() {
    node "$PEERS/s3/client.js" --port "$1" --bucket logs --access-key AK1 --secret-key SK1 cat
}
# config NAME 'S3 OPTIONS' [SOURCE OPTIONS]
config() {
    cat >"$T/$1.yaml" <<YAML
service: { workers: 2, state_dir: "$T/state-$1", shutdown_timeout: 2s }
sources:
  in: { type: file, paths: ["$T/$1.in"], checkpoint_interval: 100ms ${3:-} }
destinations:
  s3: { type: s3, bucket: logs, region: us-east-1, $2 }
pipelines:
  p: { from: [in], to: [s3] }
YAML
}
not() { ! "$@"; }
same_lines() { cmp -s <(LC_ALL=C sort "$1") <(LC_ALL=C sort "$2"); }

start_s3 main --access-key AK1 --secret-key SK1
P=$S3_PORT

# PutObject, path style, gzip (the default), several objects.
"$TOOLS/log_writer" -o "$T/put.in" -n 20000 --name put
config put "endpoint: \"http://127.0.0.1:$P\", path_style: true, access_key_id: AK1, secret_access_key: \"\${S3_SECRET}\", key: \"put/%Y/%m/%d/{uuid}.ndjson.gz\", batch: { max_events: 5000 }"
S3_SECRET=SK1 "$SLUICE" -c "$T/put.yaml" --once 2>"$T/put.err"
check "PutObject: --once exits 0" [ $? -eq 0 ]
check "PutObject: several objects were put" [ "$(grep -c 'op=PutObject -> 200' "$T/main.log")" -ge 4 ]
objects_text "$P" | grep -o '"message":"put seq=[^"]*"' | sed 's/"message":"//; s/"$//' >"$T/put.got"
check "PutObject: every line once, read back from the objects" same_lines "$T/put.in" "$T/put.got"
check "PutObject: the secret is nowhere in the log" not grep -q SK1 "$T/put.err"

# Multipart: one 20 MB batch, uncompressed, in 5 MiB parts.
"$TOOLS/log_writer" -o "$T/mp.in" -n 100000 --name mp
config mp "endpoint: \"http://127.0.0.1:$P\", path_style: true, access_key_id: AK1, secret_access_key: SK1, key: \"mp/{uuid}.log\", encoding: raw, compression: none, multipart_threshold: 5MiB, part_size: 5MiB, batch: { max_events: 1000000, max_bytes: 64MiB, max_age: 2s }, buffer: { max_events: 1000000, max_bytes: 64MiB }"
"$SLUICE" -c "$T/mp.yaml" --once 2>"$T/mp.err"
check "multipart: --once exits 0" [ $? -eq 0 ]
check "multipart: parts uploaded and completed" \
    grep -q 'op=CompleteMultipartUpload -> 200' "$T/main.log"
check "multipart: at least 4 parts" [ "$(grep -c 'op=UploadPart -> 200' "$T/main.log")" -ge 4 ]
node "$PEERS/s3/client.js" --port "$P" --bucket logs --access-key AK1 --secret-key SK1 \
    --prefix mp/ cat >"$T/mp.got"
check "multipart: every line once, read back" same_lines "$T/mp.in" "$T/mp.got"

# Virtual-host style (bucket.localhost) and credentials from the environment.
"$TOOLS/log_writer" -o "$T/vh.in" -n 1000 --name vh
config vh "endpoint: \"http://localhost:$P\", key: \"vh/{uuid}.gz\""
AWS_ACCESS_KEY_ID=AK1 AWS_SECRET_ACCESS_KEY=SK1 "$SLUICE" -c "$T/vh.yaml" --once 2>"$T/vh.err"
check "virtual-host style with environment credentials: exits 0" [ $? -eq 0 ]
check "... credentials came from the environment" grep -q 'credentials from the environment' "$T/vh.err"
check "... the request went to logs.localhost" grep -q "host=logs.localhost:$P op=PutObject -> 200" "$T/main.log"

# The shared credentials file with AWS_PROFILE.
printf '[default]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n\n[ship]\naws_access_key_id = AK1\naws_secret_access_key = SK1\n' >"$T/creds"
"$TOOLS/log_writer" -o "$T/prof.in" -n 1000 --name prof
config prof "endpoint: \"http://127.0.0.1:$P\", path_style: true, key: \"prof/{uuid}.gz\""
AWS_SHARED_CREDENTIALS_FILE="$T/creds" AWS_PROFILE=ship "$SLUICE" -c "$T/prof.yaml" --once 2>"$T/prof.err"
check "shared credentials file, profile from AWS_PROFILE: exits 0" [ $? -eq 0 ]
check "... said where they came from" grep -q 'shared credentials file (profile ship)' "$T/prof.err"

# A wrong secret: a clear error, retried, nothing acknowledged; after the
# fix every line arrives (nothing was lost).
"$TOOLS/log_writer" -o "$T/bad.in" -n 3000 --name bad
config bad "endpoint: \"http://127.0.0.1:$P\", path_style: true, access_key_id: AK1, secret_access_key: \"\${S3_SECRET}\", key: \"bad/{uuid}.gz\", retry: { initial: 100ms, max: 500ms }"
S3_SECRET=not-the-secret start_sluice "$T/bad.yaml"
check "wrong secret: a clear error in the log" \
    wait_until 20 log_has 'PutObject s3://logs/bad/.*HTTP 403 SignatureDoesNotMatch'
check "wrong secret: the secret is not logged" not log_has not-the-secret
stop_sluice
check "wrong secret: nothing stored" [ -z "$(node "$PEERS/s3/client.js" --port "$P" --bucket logs --access-key AK1 --secret-key SK1 --prefix bad/ list)" ]
S3_SECRET=SK1 "$SLUICE" -c "$T/bad.yaml" --once 2>"$T/bad2.err"
node "$PEERS/s3/client.js" --port "$P" --bucket logs --access-key AK1 --secret-key SK1 \
    --prefix bad/ cat | grep -o 'bad seq=[^"]*' >"$T/bad.got"
check "wrong secret fixed: every line arrives after the restart" same_lines "$T/bad.in" "$T/bad.got"

# injected NAME N STATUS: a peer whose first N requests fail with STATUS;
# 2,000 lines through it with --once (exit status in INJECTED_RC), what
# arrived in $T/NAME.got.
injected() {
    start_s3 "$1" --access-key AK1 --secret-key SK1 --fail-first "$2" --fail-status "$3"
    "$TOOLS/log_writer" -o "$T/$1.in" -n 2000 --name "$1"
    config "$1" "endpoint: \"http://127.0.0.1:$S3_PORT\", path_style: true, access_key_id: AK1, secret_access_key: SK1, retry: { initial: 100ms, max: 300ms }"
    "$SLUICE" -c "$T/$1.yaml" --once 2>"$T/$1.err"
    INJECTED_RC=$?
    objects_text "$S3_PORT" | grep -o "$1 seq=[^\"]*" >"$T/$1.got"
}

# 503 SlowDown: retried, nothing lost, nothing twice.
injected slow 3 503
check "503 SlowDown: retried, then exits 0" [ "$INJECTED_RC" -eq 0 ]
check "503 SlowDown: the failures were logged" grep -q 'HTTP 503' "$T/slow.err"
check "503 SlowDown: every line once" same_lines "$T/slow.in" "$T/slow.got"

# 400 ExpiredToken (credentials that expired in flight): retried with fresh
# ones, never given up as a refused batch.
injected expired 2 400
check "400 ExpiredToken: retried, then exits 0" [ "$INJECTED_RC" -eq 0 ]
check "400 ExpiredToken: the refusals were logged as expired credentials" \
    grep -q 'the credentials expired; fetching new ones' "$T/expired.err"
check "400 ExpiredToken: nothing was dropped" not grep -q 'could not be delivered' "$T/expired.err"
check "400 ExpiredToken: every line once" same_lines "$T/expired.in" "$T/expired.got"

# IMDSv2: temporary credentials that expire every 4 s, refreshed while
# sluice tails a file being written.
node "$PEERS/imds/server.js" --port 0 --port-file "$T/imds.port" --expiry-seconds 4 \
    --credentials-file "$T/imds.creds" >/dev/null 2>"$T/imds.log" &
PIDS="$PIDS $!"
wait_until 20 test -s "$T/imds.port"
start_s3 s3imds --credentials-file "$T/imds.creds"
config imds "endpoint: \"http://127.0.0.1:$S3_PORT\", path_style: true, batch: { max_age: 300ms }"
: >"$T/imds.in"
AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$(cat "$T/imds.port")" \
    start_sluice "$T/imds.yaml"
"$TOOLS/log_writer" -o "$T/imds.in" -n 3000 --name imds --lines-per-write 10 --pause-us 30000 &
writer=$!
wait "$writer"
# the test client has no credentials of its own here: read the store's files
imds_got() { zcat -f $(find "$T/s3imds.data" -type f -name '*.gz*' ! -name '*.json') 2>/dev/null | grep -o 'imds seq=[^"]*'; }
imds_done() { [ "$(imds_got | LC_ALL=C sort -u | wc -l)" -eq 3000 ]; }
check "IMDSv2: every line arrives" wait_until 60 imds_done
stop_sluice
refreshes=$(grep -c ' credentials gen=' "$T/imds.log")
echo "  IMDSv2: $refreshes credential fetches"
check "IMDSv2: token flow used and credentials refreshed before expiry" [ "$refreshes" -ge 2 ]
check "IMDSv2: said where the credentials came from" log_has 'credentials from instance metadata'
check "IMDSv2: no request was refused as expired" not grep -q 'ExpiredToken' "$T/s3imds.log"
finish
