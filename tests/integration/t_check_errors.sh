#!/usr/bin/env bash
# `sluice --check` reports each kind of config mistake with file:line:column
# and a clear message, exits 1, and lists every mistake in one run.
. "$(dirname "$0")/lib.sh"

# expect NAME 'file:line:col: message fragment' < config
# (the config is read from stdin; "F" in the expectation is its path)
expect() {
    name=$1 want=$2
    f="$T/$name.yaml"
    cat >"$f"
    "$SLUICE" --check -c "$f" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    want=${want//F:/$f:}
    if [ "$rc" -eq 1 ] && grep -qF -- "$want" "$T/$name.err"; then
        ok "$name"
    else
        not_ok "$name" "exit $rc; wanted: $want" "got:" "$(cat "$T/$name.err")"
    fi
}

OK_TAIL='destinations:
  out:
    type: stdout
pipelines:
  p:
    from: [in]
    to: [out]'

expect yaml_syntax "F:3:13: error: did not find expected ',' or '}' while parsing a flow mapping that starts at line 2, column 7" <<'YAML'
sources:
  in: { type: stdin
destinations: {}
YAML

expect unknown_section 'F:1:1: error: unknown section "sorces" (did you mean "sources"?)' <<'YAML'
sorces:
  in:
    type: stdin
YAML

expect unknown_option 'F:7:5: error: destination "out": unknown option "pahth" (did you mean "path"?)' <<'YAML'
sources:
  in:
    type: stdin
destinations:
  out:
    type: file
    pahth: /tmp/x
    path: /tmp/y
pipelines:
  p: { from: [in], to: [out] }
YAML

expect nested_unknown_option 'F:8:7: error: destination "out": unknown option "batch.max_evnts" (did you mean "batch.max_events"?)' <<'YAML'
sources:
  in:
    type: stdin
destinations:
  out:
    type: stdout
    batch:
      max_evnts: 10
pipelines:
  p: { from: [in], to: [out] }
YAML

expect wrong_type 'F:7:26: error: destination "out": option "batch.max_events" must be an integer' <<'YAML'
sources:
  in:
    type: stdin
destinations:
  out:
    type: stdout
    batch: { max_events: [1, 2] }
pipelines:
  p: { from: [in], to: [out] }
YAML

expect out_of_range 'F:2:12: error: service: option "workers" must be between 1 and 1024 (got 0)' <<YAML
service:
  workers: 0
sources:
  in:
    type: stdin
$OK_TAIL
YAML

expect missing_required 'F:5:3: error: destination "out": missing required option "path"' <<'YAML'
sources:
  in:
    type: stdin
destinations:
  out:
    type: file
pipelines:
  p: { from: [in], to: [out] }
YAML

expect unknown_source_ref 'F:9:12: error: pipeline "p": no source named "ngnix" (did you mean "nginx"?)' <<'YAML'
sources:
  nginx:
    type: stdin
destinations:
  out:
    type: stdout
pipelines:
  p:
    from: [ngnix]
    to: [out]
YAML

expect unknown_destination_ref 'F:10:15: error: pipeline "p": no destination named "elsewhere"' <<'YAML'
sources:
  in:
    type: stdin
destinations:
  out:
    type: stdout
pipelines:
  p:
    from: [in]
    to: [out, elsewhere]
YAML

expect unknown_type 'F:3:11: error: source "in": unknown type "fiel" (did you mean "file"?)' <<YAML
sources:
  in:
    type: fiel
    paths: [/tmp/x]
$OK_TAIL
YAML

expect bad_size 'F:7:26: error: destination "out": option "buffer.max_bytes" must be a size' <<'YAML'
sources:
  in:
    type: stdin
destinations:
  out:
    type: stdout
    buffer: { max_bytes: 64 potatoes }
pipelines:
  p: { from: [in], to: [out] }
YAML

expect bad_duration 'F:2:21: error: service: option "shutdown_timeout" must be a duration' <<YAML
service:
  shutdown_timeout: soon
sources:
  in:
    type: stdin
$OK_TAIL
YAML

unset SLUICE_TEST_UNSET_VAR
expect undefined_env_var 'F:4:12: error: undefined environment variable "SLUICE_TEST_UNSET_VAR"' <<YAML
sources:
  in:
    type: file
    paths: \${SLUICE_TEST_UNSET_VAR}
$OK_TAIL
YAML

expect bad_enum 'F:7:15: error: destination "out": option "encoding" must be one of: ndjson, json_array, raw (got "json")' <<'YAML'
sources:
  in:
    type: stdin
destinations:
  out:
    type: stdout
    encoding: json
pipelines:
  p: { from: [in], to: [out] }
YAML

expect duplicate_key 'F:4:3: error: duplicate key "in" (first defined at line 2)' <<YAML
sources:
  in:
    type: stdin
  in:
    type: stdin
$OK_TAIL
YAML

expect unknown_handler 'F:10:9: error: pipeline "p": unknown handler "sett" (did you mean "set"?)' <<'YAML'
sources:
  in:
    type: stdin
destinations:
  out:
    type: stdout
pipelines:
  p:
    handlers:
      - sett: { fields: { a: b } }
    from: [in]
    to: [out]
YAML

expect handler_shape 'F:10:9: error: pipeline "p": handler 1 must be a one-key map' <<'YAML'
sources:
  in:
    type: stdin
destinations:
  out:
    type: stdout
pipelines:
  p:
    handlers:
      - set: { fields: { a: b } }
        extra: 1
    from: [in]
    to: [out]
YAML

expect bad_path_pattern 'F:7:11: error: destination "out": option "path" has an unsupported time pattern "%Q"' <<'YAML'
sources:
  in:
    type: stdin
destinations:
  out:
    type: file
    path: /tmp/%Q.log
pipelines:
  p: { from: [in], to: [out] }
YAML

expect not_a_map 'F:1:1: error: the config must be a map' <<'YAML'
- just
- a list
YAML

# Several mistakes: all reported in one run, with a count.
cat >"$T/many.yaml" <<'YAML'
service:
  workers: -3
sources:
  in:
    type: stdin
    bogus: 1
destinations:
  out:
    type: nowhere
pipelines:
  p: { from: [missing], to: [out] }
YAML
"$SLUICE" --check -c "$T/many.yaml" 2>"$T/many.err"
check "many mistakes: exit 1" [ $? -eq 1 ]
check "many mistakes: each one reported" [ "$(grep -c ': error: ' "$T/many.err")" -ge 4 ]
check "many mistakes: a summary line with the count" grep -q 'many.yaml: [4-9] errors' "$T/many.err"

# An unused source is a warning, not an error.
cat >"$T/unused.yaml" <<YAML
sources:
  in:
    type: stdin
  spare:
    type: stdin
$OK_TAIL
YAML
"$SLUICE" --check -c "$T/unused.yaml" >"$T/unused.out" 2>"$T/unused.err"
check "unused source: still valid" [ $? -eq 0 ]
check "unused source: warned with its place" \
    grep -qF "$T/unused.yaml:5:5: warning: source \"spare\" is not used by any pipeline" "$T/unused.err"

# ${VAR:-default} and ${VAR} expand.
cat >"$T/env.yaml" <<YAML
service:
  shutdown_timeout: \${SLUICE_TEST_TIMEOUT:-7s}
sources:
  in:
    type: stdin
destinations:
  out:
    type: file
    path: \${SLUICE_TEST_DIR}/out.log
pipelines:
  p: { from: [in], to: [out] }
YAML
SLUICE_TEST_DIR=$T "$SLUICE" --check -c "$T/env.yaml" >/dev/null 2>"$T/env.err"
check "environment variables and defaults expand" [ $? -eq 0 ]
finish
