#!/bin/sh
# tests/lint/tidy.sh CLANG_TIDY COMPDB_DIR FILE: clang-tidy on one file
# (make lint runs it through xargs -P), without clang's "N warnings
# generated." line, which counts warnings in system headers that are never
# shown. Exits with clang-tidy's status.
out=$("$1" --quiet -p "$2" "$3" 2>&1)
rc=$?
out=$(printf '%s\n' "$out" | grep -v -E '^[0-9]+ warnings?( and [0-9]+ errors?)? generated\.$')
[ -z "$out" ] || printf '%s\n' "$out"
exit $rc
