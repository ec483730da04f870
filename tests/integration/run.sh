#!/bin/sh
# tests/integration/run.sh: run every tests/integration/t_*.sh against the
# real binary ($SLUICE_BIN) and add up their cases. SLUICE_TEST_SET=threaded
# runs only the scripts tagged "# tags: threaded" (the TSan pass).
dir=$(dirname "$0")
passed=0 failed=0
for t in "$dir"/t_*.sh; do
    if [ "${SLUICE_TEST_SET:-}" = threaded ] && ! grep -q '^# tags:.*threaded' "$t"; then
        continue
    fi
    name=$(basename "$t" .sh)
    start=$(date +%s)
    out=$(bash "$t" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | grep -c '^ok - ')
    f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1     # died without reporting a failed case
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        printf '%s\n' "$out"
        echo "FAIL $name ($(($(date +%s) - start))s)"
    else
        printf '%s\n' "$out" | grep -v '^ok - ' | sed 's/^/  /'
        echo "ok   $name: $p cases ($(($(date +%s) - start))s)"
    fi
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
