#!/bin/sh
# tests/unit/run.sh: run each Check unit-test binary and add up the results.
# Usage: run.sh BINARY...   (VALGRIND=1 runs each under valgrind memcheck)
passed=0 failed=0 broken=""
for t in "$@"; do
    name=$(basename "$t")
    if [ -n "${VALGRIND:-}" ]; then
        out=$(CK_FORK=no valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
              --errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$t" 2>&1)
    else
        out=$("$t" 2>&1)
    fi
    rc=$?
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
    checks=$(printf '%s' "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
    fails=$(printf '%s' "$line" | sed -n 's/.*Failures: \([0-9]*\).*/\1/p')
    errs=$(printf '%s' "$line" | sed -n 's/.*Errors: \([0-9]*\).*/\1/p')
    if [ -z "$checks" ] || [ "$rc" -ne 0 ]; then
        printf '%s\n' "$out" | tail -n 30
        echo "FAIL $name (exit $rc)"
        broken="$broken $name"
        failed=$((failed + ${fails:-0} + ${errs:-0}))
        [ -z "$checks" ] && failed=$((failed + 1))
        passed=$((passed + ${checks:-0} - ${fails:-0} - ${errs:-0}))
        continue
    fi
    echo "ok   $name: $line"
    passed=$((passed + checks - fails - errs))
    failed=$((failed + fails + errs))
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$broken" ]
