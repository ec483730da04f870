#!/usr/bin/env bash
# The stdin source: lines in, events out; sluice stops by itself when
# standard input closes and every event is delivered.
. "$(dirname "$0")/lib.sh"

cat >"$T/raw.yaml" <<'YAML'
sources:
  in: { type: stdin }
destinations:
  out: { type: stdout, encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
printf 'a\nb\r\n\nlast-without-newline' | "$SLUICE" -c "$T/raw.yaml" >"$T/raw.out" 2>"$T/err"
rc=$?
check "exits 0 when stdin closes" [ "$rc" -eq 0 ]
# (the last line is a chunk of its own: another worker may deliver it
# first; a file, not $(...), so that an empty line at the end is kept)
printf 'a\nb\n\nlast-without-newline\n' | LC_ALL=C sort >"$T/raw.expect"
check "raw lines pass through, CRLF trimmed, last line kept" \
    cmp -s "$T/raw.expect" <(LC_ALL=C sort "$T/raw.out")

out=$("$SLUICE" -c "$T/raw.yaml" </dev/null 2>"$T/err")
check "empty input (/dev/null) gives no events and exits 0" [ $? -eq 0 -a -z "$out" ]

seq 1 50000 >"$T/numbers"
"$SLUICE" -c "$T/raw.yaml" <"$T/numbers" >"$T/numbers.out" 2>"$T/err"
# With several workers, chunks may finish out of order: compare as sets.
check "stdin redirected from a regular file: every line once" \
    cmp -s "$T/numbers" <(sort -n "$T/numbers.out")
sed -i 's/^sources:/service: { workers: 1 }\nsources:/' "$T/raw.yaml"
"$SLUICE" -c "$T/raw.yaml" <"$T/numbers" >"$T/numbers.out" 2>"$T/err"
check "with one worker, lines keep their order" cmp -s "$T/numbers" "$T/numbers.out"

cat >"$T/json.yaml" <<'YAML'
sources:
  app: { type: stdin }
destinations:
  out: { type: stdout }
pipelines:
  p: { from: [app], to: [out] }
YAML
out=$(printf 'say "hi"\tnow\n\xff\xfebad utf8\n' | "$SLUICE" -c "$T/json.yaml" 2>"$T/err")
line1=$(printf '%s\n' "$out" | sed -n 1p)
line2=$(printf '%s\n' "$out" | sed -n 2p)
check "ndjson escapes quotes and tabs" \
    grep -q '"source":"app","message":"say \\"hi\\"\\tnow"}$' <<<"$line1"
check "ndjson has an RFC 3339 timestamp" \
    grep -Eq '^\{"timestamp":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"' <<<"$line1"
check "invalid UTF-8 is replaced, never dropped" \
    grep -q "\"message\":\"$(printf '\xef\xbf\xbd\xef\xbf\xbd')bad utf8\"" <<<"$line2"

# Standard output closed: the events cannot be delivered, and --once says so.
( "$SLUICE" -c "$T/raw.yaml" --once <"$T/numbers" 2>"$T/epipe.err"; echo $? >"$T/epipe.rc" ) | true
check "--once exits 3 when events cannot be delivered" [ "$(cat "$T/epipe.rc")" = 3 ]
check "and says why" grep -q 'standard output is closed' "$T/epipe.err"
finish
