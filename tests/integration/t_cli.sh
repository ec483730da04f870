#!/usr/bin/env bash
# The command line: help, version, plugin help, usage errors, --check.
. "$(dirname "$0")/lib.sh"

check "--version" grep -Eq '^sluice [0-9]+\.[0-9]+' <("$SLUICE" --version)
check "--help lists --once" grep -q -- '--once' <("$SLUICE" --help)
"$SLUICE" --help-plugin file >"$T/help" 2>&1
check "--help-plugin file shows the source and the destination" \
    grep -q '^source file' "$T/help"
check "... with the destination's options" grep -q '^destination file' "$T/help"
check "... and each option's default" grep -Eq 'read_from .*beginning' "$T/help"
check "--help-plugin destination/file shows only that one" \
    [ "$("$SLUICE" --help-plugin destination/file | grep -c '^source file')" -eq 0 ]
check "--help-plugin service" grep -q 'shutdown_timeout' <("$SLUICE" --help-plugin service)
"$SLUICE" --help-plugin nosuch >/dev/null 2>&1
check "--help-plugin of an unknown plugin exits 1" [ $? -eq 1 ]
check "--plugins lists every kind" grep -q '^handlers:' <("$SLUICE" --plugins)
"$SLUICE" --bogus >/dev/null 2>&1
check "an unknown flag exits 1" [ $? -eq 1 ]
"$SLUICE" -c "$T/nope.yaml" --check 2>"$T/err"
check "a missing config file exits 1" [ $? -eq 1 ]
check "... naming the file and the reason" grep -q "nope.yaml.*No such file" "$T/err"

cat >"$T/good.yaml" <<'YAML'
sources:
  in: { type: stdin }
destinations:
  out: { type: stdout }
pipelines:
  p: { from: [in], to: [out] }
YAML
check "--check on a good config exits 0" "$SLUICE" --check -c "$T/good.yaml"
check "--check says so" grep -q 'configuration OK' <("$SLUICE" --check -c "$T/good.yaml")

cat >"$T/unwritable.yaml" <<'YAML'
sources:
  in: { type: stdin }
destinations:
  out: { type: file, path: /dev/null/cannot/be/here.log }
pipelines:
  p: { from: [in], to: [out] }
YAML
"$SLUICE" -c "$T/unwritable.yaml" </dev/null 2>"$T/err"
check "a destination that cannot open exits 2" [ $? -eq 2 ]
check "... with the path and the reason" grep -q 'cannot open /dev/null/cannot/be/here.log' "$T/err"
finish
