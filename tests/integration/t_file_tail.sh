#!/usr/bin/env bash
# The file source's reading rules: over-long lines, files that appear
# later in new subdirectories, read_from, exclude, multiline events,
# partial last lines, gzip backfill and the offset field.
. "$(dirname "$0")/lib.sh"

# config NAME 'SOURCE OPTIONS' OUT [ENCODING]
config() {
    cat >"$T/$1.yaml" <<YAML
service: { workers: 2, state_dir: "$T/state-$1" }
sources:
  in: { type: file, $2 }
destinations:
  out: { type: file, path: "$3", encoding: ${4:-raw} }
pipelines:
  p: { from: [in], to: [out] }
YAML
}

# 7. A 10 MiB line among normal lines: cut (truncate) or dropped (skip),
# the lines after it delivered, and the count reported.
mkdir -p "$T/long"
{
    "$TOOLS/log_writer" -o /dev/stdout -n 50 --name before
    head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' 'x'
    echo
    "$TOOLS/log_writer" -o /dev/stdout -n 50 --name after
} >>"$T/long/app.log"
config long_t "paths: [\"$T/long/app.log\"], max_line_bytes: 64KiB" "$T/long_t.out"
"$SLUICE" -c "$T/long_t.yaml" --once 2>"$T/long_t.log"
check "long line (truncate): --once exits 0" [ $? -eq 0 ]
check "long line (truncate): 101 lines, the long one cut to 64 KiB" \
    [ "$(lines_in "$T/long_t.out")" -eq 101 ] && [ "$(awk 'length($0) == 65536' "$T/long_t.out" | wc -l)" -eq 1 ]
check "long line (truncate): the lines after it arrive" grep -q 'after seq=000000049' "$T/long_t.out"
check "long line (truncate): counted in the log" grep -q '1 over-long lines truncated, 0 skipped' "$T/long_t.log"
config long_s "paths: [\"$T/long/app.log\"], max_line_bytes: 64KiB, long_lines: skip" "$T/long_s.out"
"$SLUICE" -c "$T/long_s.yaml" --once 2>"$T/long_s.log"
check "long line (skip): exactly the 100 normal lines" [ "$(lines_in "$T/long_s.out")" -eq 100 ]
check "long line (skip): counted in the log" grep -q '0 over-long lines truncated, 1 skipped' "$T/long_s.log"
# the same while tailing: the file keeps being read after the long line
config long_tail "paths: [\"$T/long/tail.log\"], max_line_bytes: 4KiB" "$T/long_tail.out"
: >"$T/long/tail.log"
start_sluice "$T/long_tail.yaml"
{ head -c 100000 /dev/zero | tr '\0' 'y'; echo; } >>"$T/long/tail.log"
"$TOOLS/log_writer" -o "$T/long/tail.log" -n 10 --name later
check "long line while tailing: the next lines arrive" wait_until 20 file_has_lines "$T/long_tail.out" 11
check "long line while tailing: reported" wait_until 10 log_has 'over-long lines truncated'
stop_sluice

# 8. A ** pattern matches files created later in new subdirectories.
mkdir -p "$T/tree"
config tree "paths: [\"$T/tree/**/*.log\"], poll_interval: 500ms" "$T/tree.out"
start_sluice "$T/tree.yaml"
wait_until 10 log_has "running"
mkdir -p "$T/tree/a/b/c" "$T/tree/d"
"$TOOLS/log_writer" -o "$T/tree/a/b/c/deep.log" -n 100 --name deep
"$TOOLS/log_writer" -o "$T/tree/d/side.log" -n 100 --name side
"$TOOLS/log_writer" -o "$T/tree/top.log" -n 100 --name top
"$TOOLS/log_writer" -o "$T/tree/a/b/not-a-log.txt" -n 100 --name nope
check "glob: files in new subdirectories are found" wait_until 20 file_has_lines "$T/tree.out" 300
stop_sluice
check "glob: exactly the matching files, once each" \
    [ "$(lines_in "$T/tree.out")" -eq 300 ] && ! grep -q nope "$T/tree.out"

# A deleted file is read to its end while still open, then released, and
# its checkpoint entry forgotten after forget_after.
mkdir -p "$T/del"
config del "paths: [\"$T/del/*.log\"], rotate_wait: 500ms, forget_after: 2s, checkpoint_interval: 100ms" "$T/del.out"
"$TOOLS/log_writer" -o "$T/del/a.log" -n 10 --name del
start_sluice "$T/del.yaml"
check "deleted file: first lines" wait_until 20 file_has_lines "$T/del.out" 10
"$TOOLS/log_writer" -o "$T/del/a.log" -n 5000 --start 10 --name del && rm "$T/del/a.log"
check "deleted file: what it held when deleted arrives" wait_until 20 file_has_lines "$T/del.out" 5010
check "deleted file: released" wait_until 20 log_has "done with rotated or deleted $T/del/a.log"
forgotten() { ! grep -q 'a.log' "$T/state-del/checkpoints/in.ckpt"; }
check "deleted file: its checkpoint is forgotten after forget_after" wait_until 20 forgotten
stop_sluice
check "deleted file: each line once" [ "$(LC_ALL=C sort -u "$T/del.out" | wc -l)" -eq 5010 ]

# read_from: end skips what a file held at startup (no checkpoint yet);
# files that appear later are read from their beginning; exclude applies.
mkdir -p "$T/rf"
"$TOOLS/log_writer" -o "$T/rf/old.log" -n 100 --name old
config rf "paths: [\"$T/rf/*\"], exclude: [\"*.gz\", \"skip-*\"], read_from: end" "$T/rf.out"
start_sluice "$T/rf.yaml"
wait_until 10 log_has "reading $T/rf/old.log"
"$TOOLS/log_writer" -o "$T/rf/old.log" -n 10 --name oldnew
"$TOOLS/log_writer" -o "$T/rf/new.log" -n 20 --name new
"$TOOLS/log_writer" -o "$T/rf/skip-me.log" -n 20 --name skipped
check "read_from end: only what was appended, and the new file whole" \
    wait_until 20 file_has_lines "$T/rf.out" 30
stop_sluice
check "read_from end: nothing from before the start, nothing excluded" \
    [ "$(lines_in "$T/rf.out")" -eq 30 ] && ! grep -q -e 'old seq' -e skipped "$T/rf.out"

# Multiline: a stack trace is one event; a trailing group is emitted after
# multiline.timeout while tailing.
cat >"$T/java.log" <<'LOG'
2026-11-23 10:00:00 INFO starting
2026-11-23 10:00:01 ERROR boom
java.lang.IllegalStateException: bad
	at com.example.A.run(A.java:10)
	at com.example.B.main(B.java:5)
2026-11-23 10:00:02 INFO recovered
LOG
config ml "paths: [\"$T/java.log\"], multiline: { start_pattern: '^\\d{4}-', timeout: 300ms }" "$T/ml.out" ndjson
start_sluice "$T/ml.yaml"
check "multiline: three events, the trace in one" wait_until 20 file_has_lines "$T/ml.out" 3
stop_sluice
check "multiline: the trace's lines joined with newlines" \
    grep -q 'ERROR boom\\njava.lang.IllegalStateException: bad\\n\\tat com.example.A.run' "$T/ml.out"
check "multiline: an invalid pattern is a config error" \
    sh -c "printf 'sources:\n  in: { type: file, paths: [x], multiline: { start_pattern: \"(\" } }\ndestinations:\n  o: { type: stdout }\npipelines:\n  p: { from: [in], to: [o] }\n' >'$T/bad.yaml'; '$SLUICE' --check -c '$T/bad.yaml' 2>&1 | grep -q 'multiline.start_pattern: missing closing parenthesis'"

# A last line without a newline is held, then emitted after
# partial_line_timeout; its completion later is not lost.
printf 'complete\npartial-no-newline' >"$T/partial.log"
config partial "paths: [\"$T/partial.log\"], partial_line_timeout: 500ms" "$T/partial.out"
start_sluice "$T/partial.yaml"
check "partial line: held, then emitted after the timeout" wait_until 20 file_has_lines "$T/partial.out" 2
stop_sluice
check "partial line: delivered whole" grep -qx 'partial-no-newline' "$T/partial.out"

# gzip files matched by paths are read once, decompressed (backfill).
mkdir -p "$T/gz"
"$TOOLS/log_writer" -o "$T/gz/app.log.1" -n 1000 --name gz
gzip "$T/gz/app.log.1"
"$TOOLS/log_writer" -o "$T/gz/app.log" -n 10 --name plain
config gz "paths: [\"$T/gz/app.log*\"], offset_key: offset" "$T/gz.out" ndjson
start_sluice "$T/gz.yaml"
check "gzip: decompressed lines and the plain file arrive" wait_until 20 file_has_lines "$T/gz.out" 1010
stop_sluice
start_sluice "$T/gz.yaml"
wait_until 10 log_has "running"
"$TOOLS/log_writer" -o "$T/gz/app.log" -n 5 --name plain2
check "gzip: after a restart only new lines" wait_until 20 file_has_lines "$T/gz.out" 1015
sleep 0.5
stop_sluice
check "gzip: nothing read twice" [ "$(lines_in "$T/gz.out")" -eq 1015 ]
check "offset_key: each line's byte offset" \
    grep -q '"message":"gz seq=000000001 [a-z]*","offset":200' "$T/gz.out"
check "every event has file and host fields" \
    [ "$(grep -c "\"file\":\"$T/gz/app.log[.1gz]*\",\"host\":\"$(hostname)\"" "$T/gz.out")" -eq 1015 ]
finish
