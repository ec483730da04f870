#!/bin/sh
# tests/peers/s3/selftest.sh: check the S3 and IMDS test peers themselves.
# Installs the npm packages (install.sh), starts s3/server.js and
# imds/server.js on 127.0.0.1, and drives them with curl's own SigV4 signer
# (--aws-sigv4, curl >= 7.75) and with client.js. Prints one line per check
# and "N passed, N failed"; exits 0 only if every check passed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
peers=$(dirname "$here")

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION COMMAND...
    d=$1; shift
    if "$@"; then ok "$d"; else nok "$d"; fi
}

command -v curl >/dev/null 2>&1 || { echo "selftest: curl not found" >&2; exit 1; }
cv=$(curl --version | sed -n '1s/^curl \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
# shellcheck disable=SC2086 # split "MAJOR MINOR"
set -- $cv
if [ "${1:-0}" -lt 7 ] || { [ "$1" -eq 7 ] && [ "$2" -lt 75 ]; }; then
    echo "selftest: curl $1.$2 lacks --aws-sigv4 (needs >= 7.75)" >&2
    exit 1
fi

"$here/install.sh" || { echo "selftest: install.sh failed" >&2; exit 1; }

tmp=$(mktemp -d)
s3pid=""
s3pid2=""
imdspid=""
cleanup() {
    for p in $s3pid $s3pid2 $imdspid; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

wait_port() { # wait_port FILE -> prints the port
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1))
        [ $i -gt 200 ] && { echo "selftest: no port in $1" >&2; return 1; }
        sleep 0.1
    done
    cat "$1"
}

AK=AKIDSELFTEST
SK=selftest-secret
REGION=us-east-1
node "$here/server.js" --data-dir "$tmp/data" --access-key $AK --secret-key $SK \
    --region $REGION --bucket logs --min-part-size 5242880 \
    --port 0 --port-file "$tmp/s3.port" >"$tmp/s3.out" 2>"$tmp/s3.err" &
s3pid=$!
P=$(wait_port "$tmp/s3.port") || { cat "$tmp/s3.err" >&2; exit 1; }
check "server.js prints 'listening PORT'" grep -qx "listening $P" "$tmp/s3.out"
base="http://127.0.0.1:$P"

# s3curl USER:SECRET SHA256|UNSIGNED-PAYLOAD CURL-ARGS... -> prints the HTTP
# status; the response body is in $tmp/body.
s3curl() {
    u=$1; h=$2; shift 2
    curl -sS -o "$tmp/body" -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:s3" \
        --user "$u" -H "x-amz-content-sha256: $h" "$@"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
has_code() { grep -q "<Code>$1</Code>" "$tmp/body"; }
client() { node "$here/client.js" --port "$P" --bucket logs --access-key $AK --secret-key $SK "$@"; }

# --- PutObject with a correct and a wrong signature -------------------------
printf 'line one\nline two\n' >"$tmp/obj.txt"
st=$(s3curl "$AK:$SK" "$(sha "$tmp/obj.txt")" -T "$tmp/obj.txt" "$base/logs/app/2024/obj.txt")
check "PutObject signed by curl: 200 (got $st)" [ "$st" = 200 ]

st=$(s3curl "$AK:wrong-secret" "$(sha "$tmp/obj.txt")" -T "$tmp/obj.txt" "$base/logs/app/2024/bad.txt")
check "PutObject with a wrong secret: 403 (got $st)" [ "$st" = 403 ]
check "... with <Code>SignatureDoesNotMatch</Code>" has_code SignatureDoesNotMatch

st=$(s3curl "NOSUCHKEY:$SK" "$(sha "$tmp/obj.txt")" -T "$tmp/obj.txt" "$base/logs/app/2024/bad.txt")
check "unknown access key: 403 InvalidAccessKeyId (got $st)" sh -c "[ $st = 403 ] && grep -q '<Code>InvalidAccessKeyId</Code>' '$tmp/body'"

st=$(curl -sS -o "$tmp/body" -w '%{http_code}' -T "$tmp/obj.txt" "$base/logs/app/2024/bad.txt")
check "unsigned request: 403 AccessDenied (got $st)" sh -c "[ $st = 403 ] && grep -q '<Code>AccessDenied</Code>' '$tmp/body'"

st=$(s3curl "$AK:$SK" $EMPTY -T "$tmp/obj.txt" "$base/logs/app/2024/bad.txt")
check "body not matching x-amz-content-sha256: 400 XAmzContentSHA256Mismatch (got $st)" sh -c "[ $st = 400 ] && grep -q '<Code>XAmzContentSHA256Mismatch</Code>' '$tmp/body'"

st=$(curl -sS -o "$tmp/body" -w '%{http_code}' --aws-sigv4 "aws:amz:eu-west-1:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: $EMPTY" "$base/logs/app/2024/obj.txt")
check "wrong region in the scope: 400 AuthorizationHeaderMalformed (got $st)" sh -c "[ $st = 400 ] && grep -q '<Code>AuthorizationHeaderMalformed</Code>' '$tmp/body'"

st=$(s3curl "$AK:$SK" UNSIGNED-PAYLOAD -T "$tmp/obj.txt" "$base/logs/app/2024/unsigned-payload.txt")
check "PutObject with UNSIGNED-PAYLOAD: 200 (got $st)" [ "$st" = 200 ]

# --- GetObject / ListObjectsV2 through curl and client.js -------------------
st=$(s3curl "$AK:$SK" $EMPTY "$base/logs/app/2024/obj.txt")
check "GetObject signed by curl: 200 (got $st)" [ "$st" = 200 ]
check "... same bytes" cmp -s "$tmp/body" "$tmp/obj.txt"
st=$(s3curl "$AK:$SK" $EMPTY "$base/logs?list-type=2&prefix=app%2F")
check "ListObjectsV2 signed by curl: 200 (got $st)" sh -c "[ $st = 200 ] && grep -q '<Key>app/2024/obj.txt</Key>' '$tmp/body'"

client list --prefix app/ >"$tmp/list" 2>"$tmp/client.err"
printf 'app/2024/obj.txt\napp/2024/unsigned-payload.txt\n' >"$tmp/list.want"
check "client.js list: the two stored objects, none of the refused ones" cmp -s "$tmp/list" "$tmp/list.want"

printf 'gz one\n' | gzip >"$tmp/x.gz"
printf 'gz two\n' | gzip >>"$tmp/x.gz" # two gzip members, as an appending writer makes
client put 'gz/a b=c+d~.log.gz' "$tmp/x.gz" >/dev/null 2>>"$tmp/client.err"
client put 'gz/b.txt' "$tmp/obj.txt" >/dev/null 2>>"$tmp/client.err"
client cat --prefix gz/ --max-keys 1 >"$tmp/cat" 2>>"$tmp/client.err"
printf 'gz one\ngz two\nline one\nline two\n' >"$tmp/cat.want"
check "client.js put (key with ' =+~') and cat --max-keys 1 (paging, gunzip)" cmp -s "$tmp/cat" "$tmp/cat.want"
client --secret-key nope list >/dev/null 2>"$tmp/client.err2"
check "client.js with a wrong secret: fails with SignatureDoesNotMatch" grep -q SignatureDoesNotMatch "$tmp/client.err2"

# --- virtual-host style: Host: logs.localhost:PORT ---------------------------
st=$(s3curl "$AK:$SK" "$(sha "$tmp/obj.txt")" --connect-to "logs.localhost:$P:127.0.0.1:$P" \
    -T "$tmp/obj.txt" "http://logs.localhost:$P/vhost/obj.txt")
check "PutObject virtual-host style: 200 (got $st)" [ "$st" = 200 ]
client --vhost get vhost/obj.txt >"$tmp/vh" 2>>"$tmp/client.err"
check "client.js --vhost get: same bytes" cmp -s "$tmp/vh" "$tmp/obj.txt"

# --- multipart upload --------------------------------------------------------
# curl <= 8.x signs a bare "?uploads" as "uploads" where SigV4 wants
# "uploads=", so the tests spell it "?uploads=".
mpu_create() { # mpu_create KEY -> prints the UploadId
    s3curl "$AK:$SK" $EMPTY -X POST "$base/logs/$1?uploads=" >/dev/null
    sed -n 's:.*<UploadId>\([^<]*\)</UploadId>.*:\1:p' "$tmp/body"
}
part() { # part KEY UPLOADID N FILE -> prints status; ETag header in $tmp/hdr
    curl -sS -o "$tmp/body" -D "$tmp/hdr" -w '%{http_code}' --aws-sigv4 "aws:amz:$REGION:s3" \
        --user "$AK:$SK" -H "x-amz-content-sha256: $(sha "$4")" -T "$4" \
        "$base/logs/$1?partNumber=$3&uploadId=$2"
}
etag() { sed -n 's/^[Ee][Tt][Aa][Gg]: *\("[^"]*"\).*/\1/p' "$tmp/hdr" | tr -d '\r'; }
mpu_complete() { # complete KEY UPLOADID XMLFILE -> prints status
    s3curl "$AK:$SK" "$(sha "$3")" -X POST -H 'Content-Type: application/xml' \
        --data-binary "@$3" "$base/logs/$1?uploadId=$2"
}

head -c 5242880 /dev/urandom >"$tmp/p1"
printf 'the tail part\n' >"$tmp/p2"
cat "$tmp/p1" "$tmp/p2" >"$tmp/mp.want"
id=$(mpu_create mp/big.bin)
check "CreateMultipartUpload: an UploadId ($id)" [ -n "$id" ]
st=$(part mp/big.bin "$id" 1 "$tmp/p1"); e1=$(etag)
check "UploadPart 1 (5 MiB): 200 with an ETag (got $st $e1)" sh -c "[ $st = 200 ] && [ -n '$e1' ]"
st=$(part mp/big.bin "$id" 2 "$tmp/p2"); e2=$(etag)
check "UploadPart 2: 200 (got $st $e2)" [ "$st" = 200 ]
printf '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"0123456789abcdef0123456789abcdef"</ETag></Part></CompleteMultipartUpload>' "$e1" >"$tmp/bad.xml"
st=$(mpu_complete mp/big.bin "$id" "$tmp/bad.xml")
check "CompleteMultipartUpload with a wrong part ETag: 400 InvalidPart (got $st)" sh -c "[ $st = 400 ] && grep -q '<Code>InvalidPart</Code>' '$tmp/body'"
printf '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>' "$e1" "$e2" >"$tmp/ok.xml"
st=$(mpu_complete mp/big.bin "$id" "$tmp/ok.xml")
check "CompleteMultipartUpload: 200 (got $st)" sh -c "[ $st = 200 ] && grep -q '<CompleteMultipartUploadResult>' '$tmp/body'"
client get mp/big.bin >"$tmp/mp.got" 2>>"$tmp/client.err"
check "... the object is the two parts joined" cmp -s "$tmp/mp.got" "$tmp/mp.want"

id=$(mpu_create mp/small.bin)
st=$(part mp/small.bin "$id" 1 "$tmp/p2"); e1=$(etag)
st=$(part mp/small.bin "$id" 2 "$tmp/p2"); e2=$(etag)
printf '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>' "$e1" "$e2" >"$tmp/small.xml"
st=$(mpu_complete mp/small.bin "$id" "$tmp/small.xml")
check "CompleteMultipartUpload with a small non-last part: 400 EntityTooSmall (got $st)" sh -c "[ $st = 400 ] && grep -q '<Code>EntityTooSmall</Code>' '$tmp/body'"
st=$(s3curl "$AK:$SK" $EMPTY -X DELETE "$base/logs/mp/small.bin?uploadId=$id")
check "AbortMultipartUpload: 204 (got $st)" [ "$st" = 204 ]
st=$(part mp/small.bin "$id" 3 "$tmp/p2")
check "UploadPart after the abort: 404 NoSuchUpload (got $st)" sh -c "[ $st = 404 ] && grep -q '<Code>NoSuchUpload</Code>' '$tmp/body'"
st=$(part mp/small.bin 0123456789abcdef0123456789abcdef 1 "$tmp/p2")
check "UploadPart to an unknown upload: 404 NoSuchUpload (got $st)" [ "$st" = 404 ]

# --- IMDSv2 credentials, session tokens, rotation ---------------------------
node "$peers/imds/server.js" --expiry-seconds 3 --credentials-file "$tmp/creds.jsonl" \
    --port 0 --port-file "$tmp/imds.port" >"$tmp/imds.out" 2>"$tmp/imds.err" &
imdspid=$!
IP=$(wait_port "$tmp/imds.port") || exit 1
node "$here/server.js" --data-dir "$tmp/data2" --credentials-file "$tmp/creds.jsonl" \
    --bucket logs --port 0 --port-file "$tmp/s3b.port" >/dev/null 2>"$tmp/s3b.err" &
s3pid2=$!
P2=$(wait_port "$tmp/s3b.port") || exit 1
imds="http://127.0.0.1:$IP"

st=$(curl -sS -o /dev/null -w '%{http_code}' "$imds/latest/meta-data/iam/security-credentials/")
check "IMDS without a token: 401 (got $st)" [ "$st" = 401 ]
tok=$(curl -sS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$imds/latest/api/token")
check "IMDS PUT /latest/api/token: a token" [ -n "$tok" ]
role=$(curl -sS -H "X-aws-ec2-metadata-token: $tok" "$imds/latest/meta-data/iam/security-credentials/")
check "IMDS role name ($role)" [ "$role" = sluice-test-role ]
fetches=0
getcreds() { # sets cak csk ctok cexp (expiry, epoch seconds)
    curl -sS -H "X-aws-ec2-metadata-token: $tok" "$imds/latest/meta-data/iam/security-credentials/$role" >"$tmp/creds.json"
    fetches=$((fetches + 1))
    cak=$(sed -n 's/.*"AccessKeyId": "\([^"]*\)".*/\1/p' "$tmp/creds.json")
    csk=$(sed -n 's/.*"SecretAccessKey": "\([^"]*\)".*/\1/p' "$tmp/creds.json")
    ctok=$(sed -n 's/.*"Token": "\([^"]*\)".*/\1/p' "$tmp/creds.json")
    cexp=$(date -d "$(sed -n 's/.*"Expiration": "\([^"]*\)".*/\1/p' "$tmp/creds.json")" +%s)
}
# Credentials with at least 2 s to live, so the next requests beat the expiry.
fresh_creds() {
    getcreds
    if [ $((cexp - $(date +%s))) -lt 2 ]; then
        while [ "$(date +%s)" -le "$cexp" ]; do sleep 0.2; done
        getcreds
    fi
}
fresh_creds
check "IMDS credentials ($cak)" sh -c "[ -n '$cak' ] && [ -n '$csk' ] && [ -n '$ctok' ] && grep -q Expiration '$tmp/creds.json'"
put2() { # put2 AK SK TOKEN KEY -> status
    s3curl "$1:$2" "$(sha "$tmp/obj.txt")" -H "x-amz-security-token: $3" -T "$tmp/obj.txt" "http://127.0.0.1:$P2/logs/$4"
}
st=$(put2 "$cak" "$csk" "$ctok" imds/one.txt)
check "PutObject with IMDS credentials and session token: 200 (got $st)" [ "$st" = 200 ]
st=$(put2 "$cak" "$csk" "not-the-token" imds/two.txt)
check "... with a wrong session token: 400 InvalidToken (got $st)" sh -c "[ $st = 400 ] && grep -q '<Code>InvalidToken</Code>' '$tmp/body'"
old_ak=$cak old_sk=$csk old_tok=$ctok
while [ "$(date +%s)" -le "$cexp" ]; do sleep 0.2; done
st=$(put2 "$old_ak" "$old_sk" "$old_tok" imds/three.txt)
check "... with expired credentials: 400 ExpiredToken (got $st)" sh -c "[ $st = 400 ] && grep -q '<Code>ExpiredToken</Code>' '$tmp/body'"
getcreds
check "IMDS rotated the credentials ($old_ak -> $cak)" [ "$cak" != "$old_ak" ]
st=$(put2 "$cak" "$csk" "$ctok" imds/four.txt)
check "PutObject with the new credentials: 200 (got $st)" [ "$st" = 200 ]
n=$(grep -c ' credentials gen=' "$tmp/imds.err")
check "IMDS logged each credential fetch ($fetches; got $n)" [ "$n" = "$fetches" ]
st=$(curl -sS -o /dev/null -w '%{http_code}' -H "X-aws-ec2-metadata-token: bogus" "$imds/latest/meta-data/iam/security-credentials/$role")
check "IMDS with a bogus token: 401 (got $st)" [ "$st" = 401 ]

echo "$pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
    for f in s3.err s3b.err imds.err client.err; do
        echo "--- $f" >&2
        tail -n 30 "$tmp/$f" >&2 2>/dev/null
    done
    exit 1
fi
exit 0
