#!/usr/bin/env bash
# Routing shapes: one source feeding two pipelines, one pipeline feeding two
# destinations, and file paths built from the event's time and fields.
. "$(dirname "$0")/lib.sh"

"$TOOLS/gen_nginx" -n 2000 --seq --seed 9 -o "$T/in.log"
cat >"$T/c.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  web: { type: file, paths: ["$T/in.log"] }
destinations:
  a: { type: file, path: "$T/a.log", encoding: raw }
  b: { type: file, path: "$T/b.ndjson" }
  by_team: { type: file, path: "$T/teams/%Y/{team}/{missing}.log", encoding: raw }
pipelines:
  first:
    from: [web]
    to: [a, b]
  second:
    from: [web]
    to: [by_team]
    handlers:
      - set: { fields: { team: "ops/../x" } }
YAML
"$SLUICE" -c "$T/c.yaml" --once 2>"$T/err"
check "exits 0" [ $? -eq 0 ]
check "destination a got every line" cmp -s <(LC_ALL=C sort "$T/in.log") <(LC_ALL=C sort "$T/a.log")
check "destination b got every line" [ "$(lines_in "$T/b.ndjson")" -eq 2000 ]
check "the first pipeline's events do not carry the second's field" \
    [ "$(grep -c '"team"' "$T/b.ndjson")" -eq 0 ]
year=$(date -u +%Y)
f="$T/teams/$year/ops____x/unknown.log"   # "ops/../x": no slash, no dots run
check "path from time and sanitized field, directories created" [ -f "$f" ]
check "the second pipeline got every line too" [ "$(lines_in "$f")" -eq 2000 ]
check "nothing escaped the output directory" [ ! -e "$T/teams/$year/x" ]
finish
