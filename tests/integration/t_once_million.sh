#!/usr/bin/env bash
# tags: threaded
# A 1,000,000-line file through 4 workers to a file destination with
# --once: every line delivered exactly once, byte for byte.
. "$(dirname "$0")/lib.sh"

N=$((1000000 / SCALE))
"$TOOLS/gen_nginx" -n "$N" --seq --seed 1 -o "$T/in.log"

cat >"$T/raw.yaml" <<YAML
service: { workers: 4, state_dir: "$T/state-raw" }
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  out: { type: file, path: "$T/out.log", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
"$SLUICE" -c "$T/raw.yaml" --once 2>"$T/raw.err"
rc=$?
check "once exits 0" [ "$rc" -eq 0 ]
check "delivers $N lines" [ "$(lines_in "$T/out.log")" -eq "$N" ]
LC_ALL=C sort "$T/in.log" >"$T/in.sorted"
LC_ALL=C sort "$T/out.log" >"$T/out.sorted"
check "every line exactly once, byte for byte" cmp -s "$T/in.sorted" "$T/out.sorted"
check "log reports the counts" grep -q "source \"in\": $N events read" "$T/raw.err"

# The same through a handler into NDJSON.
cat >"$T/json.yaml" <<YAML
service: { workers: 4, state_dir: "$T/state-json" }
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  out: { type: file, path: "$T/out.ndjson" }
pipelines:
  p:
    from: [in]
    to: [out]
    handlers:
      - set: { fields: { env: test } }
YAML
"$SLUICE" -c "$T/json.yaml" --once 2>"$T/json.err"
rc=$?
check "ndjson run exits 0" [ "$rc" -eq 0 ]
check "ndjson has $N events" [ "$(lines_in "$T/out.ndjson")" -eq "$N" ]
check "every event carries the handler's field" \
    [ "$(grep -c '"env":"test"}$' "$T/out.ndjson")" -eq "$N" ]
seqs "$T/in.log" >"$T/in.seq"
seqs "$T/out.ndjson" >"$T/out.seq"
check "every sequence number exactly once in NDJSON" cmp -s "$T/in.seq" "$T/out.seq"
finish
