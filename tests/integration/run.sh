#!/bin/sh
# tests/integration/run.sh: run every tests/integration/t_*.sh against the
# real binary ($SLUICE_BIN) and add up their cases. SLUICE_TEST_SET=threaded
# runs only the scripts tagged "# tags: threaded" (the TSan pass).
# SLUICE_TEST_JOBS=N (default 1) runs the light scripts N at a time first,
# then the ALONE ones one by one: CPU-bound or long, or (t_file_restart)
# needing the file system to itself: it waits for a deleted file's inode to
# be given to a new file, which another script creating files can take
# first. Each script's output is kept and reported whole, in order, as it
# finishes.
dir=$(dirname "$0")
ALONE="t_kafka t_buffers t_file_many t_once_million t_http_source_load t_network_garbage t_file_restart"

# run_one TMPDIR NAME SCRIPT: output to TMPDIR/NAME.out, then
# "EXIT-STATUS SECONDS" to TMPDIR/NAME.rc
run_one() {
    start=$(date +%s)
    bash "$3" > "$1/$2.out" 2>&1
    rc=$?
    echo "$rc $(($(date +%s) - start))" > "$1/$2.rc.tmp"
    mv "$1/$2.rc.tmp" "$1/$2.rc"
}
if [ "${1:-}" = --one ]; then     # one script, for the parallel runs below
    run_one "$2" "$3" "$4"
    exit 0
fi

jobs=${SLUICE_TEST_JOBS:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-itrun.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

light="" alone=""
for t in "$dir"/t_*.sh; do
    if [ "${SLUICE_TEST_SET:-}" = threaded ] && ! grep -q '^# tags:.*threaded' "$t"; then
        continue
    fi
    name=$(basename "$t" .sh)
    case " $ALONE " in
    *" $name "*) alone="$alone $t" ;;
    *) light="$light $t" ;;
    esac
done
if [ "$jobs" -gt 1 ]; then
    order="$light $alone"
    # The pool writes each result as it ends; the loop below reports them
    # in order, waiting for each in turn.
    for t in $light; do
        printf '%s %s\n' "$(basename "$t" .sh)" "$t"
    done | xargs -P "$jobs" -n 2 sh "$0" --one "$tmp" &
    pool=$!
else
    order="$dir/t_*.sh"
    pool=""
fi

passed=0 failed=0
for t in $order; do
    if [ "${SLUICE_TEST_SET:-}" = threaded ] && ! grep -q '^# tags:.*threaded' "$t"; then
        continue
    fi
    name=$(basename "$t" .sh)
    if [ -n "$pool" ]; then
        case " $light " in
        *" $t "*) while [ ! -f "$tmp/$name.rc" ] && kill -0 "$pool" 2>/dev/null; do sleep 1; done ;;
        *) wait "$pool"; pool="" ;;     # one to run alone, after the light ones
        esac
    fi
    [ -f "$tmp/$name.rc" ] || run_one "$tmp" "$name" "$t"
    out=$(cat "$tmp/$name.out")
    read -r rc secs < "$tmp/$name.rc"
    p=$(printf '%s\n' "$out" | grep -c '^ok - ')
    f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1     # died without reporting a failed case
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        printf '%s\n' "$out"
        echo "FAIL $name (${secs}s)"
    else
        printf '%s\n' "$out" | grep -v '^ok - ' | sed 's/^/  /'
        echo "ok   $name: $p cases (${secs}s)"
    fi
done
[ -z "$pool" ] || wait "$pool"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
