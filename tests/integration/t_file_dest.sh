#!/usr/bin/env bash
# tags: threaded
# The file destination's output rotation and reopening: rotate.max_bytes
# and rotate.max_age rename the output to PATH.YYYYMMDDTHHMMSSZ (".gz" kept
# last) and start a new PATH, every line landing exactly once across the
# files (with gzip, each file a complete gzip stream); SIGUSR1 reopens the
# output after it was renamed (by mv, and by a real logrotate with `create`
# and `postrotate kill -USR1`) while lines flow: nothing lost, nothing twice.
. "$(dirname "$0")/lib.sh"

# all_seqs FILE...: every seq=N in the files (gzip or plain), sorted, repeats kept.
all_seqs() {
    for f in "$@"; do
        case "$f" in *.gz) gzip -dc "$f" ;; *) cat "$f" ;; esac
    done | grep -o 'seq=[0-9]*' | LC_ALL=C sort
}
count_lines_in() { cat "$@" 2>/dev/null | wc -l | tr -d ' '; }

# ---- rotation by size ---------------------------------------------------------
N=$((20000 / SCALE))
"$TOOLS/log_writer" -o "$T/in.log" -n "$N" --name x >/dev/null     # ~4 MB
all_seqs "$T/in.log" >"$T/all.seqs"
mkdir -p "$T/size"
cat >"$T/size/c.yaml" <<YAML
service: { workers: 1, state_dir: "$T/size/state" }   # one worker: output in input order
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  out:
    type: file
    path: "$T/size/out.log"
    encoding: raw
    batch: { max_bytes: 32KiB }
    rotate: { max_bytes: 256KiB }
pipelines:
  p: { from: [in], to: [out] }
YAML
timeout 120 "$SLUICE" -c "$T/size/c.yaml" --once >/dev/null 2>"$T/size/sluice.log"
check "size: --once exits 0" [ "$?" -eq 0 ]
rotated=$(ls "$T/size" | grep -c '^out\.log\.[0-9]\{8\}T[0-9]\{6\}Z\(-[0-9]*\)\?$')
check "size: rotated to out.log.YYYYMMDDTHHMMSSZ[-N] ($rotated files)" [ "$rotated" -ge 3 ]
check "size: every line exactly once across the files" \
    cmp -s "$T/all.seqs" <(all_seqs "$T/size"/out.log*)
big=$(find "$T/size" -name 'out.log*' -size +256k | wc -l)
check "size: no file is over rotate.max_bytes" [ "$big" -eq 0 ]
check "size: the rotations are counted in the log" grep -q 'output files rotated' "$T/size/sluice.log"
# Lines in order: concatenating the files by name gives the input back.
check "size: the files in name order are the input in order" \
    cmp -s "$T/in.log" <(cd "$T/size" && cat $(ls out.log.* | sort -t- -k1,1 -k2n) out.log)

# ---- rotation by size with gzip: every file a complete gzip stream -----------
mkdir -p "$T/gz"
sed -e "s|$T/size|$T/gz|g" -e 's|out.log"|out.ndjson.gz"|' -e 's|encoding: raw|compression: gzip|' \
    -e 's|max_bytes: 256KiB|max_bytes: 16KiB|' "$T/size/c.yaml" >"$T/gz/c.yaml"
timeout 120 "$SLUICE" -c "$T/gz/c.yaml" --once >/dev/null 2>"$T/gz/sluice.log"
check "gzip: --once exits 0" [ "$?" -eq 0 ]
rotated=$(ls "$T/gz" | grep -c '^out\.ndjson\.[0-9]\{8\}T[0-9]\{6\}Z\(-[0-9]*\)\?\.gz$')
check "gzip: rotated to out.ndjson.STAMP.gz ($rotated files)" [ "$rotated" -ge 2 ]
bad=0
for f in "$T/gz"/out.ndjson*.gz; do gzip -t "$f" 2>/dev/null || bad=$((bad + 1)); done
check "gzip: every file is a complete gzip stream" [ "$bad" -eq 0 ]
check "gzip: every line exactly once across the files" \
    cmp -s "$T/all.seqs" <(all_seqs "$T/gz"/out.ndjson*.gz)

# ---- rotation by age, while lines flow -----------------------------------------
mkdir -p "$T/age"
M=$((4000 / SCALE))
cat >"$T/age/c.yaml" <<YAML
service: { workers: 2, state_dir: "$T/age/state" }
sources:
  in: { type: file, paths: ["$T/age/in.log"], poll_interval: 50ms }
destinations:
  out: { type: file, path: "$T/age/out.log", encoding: raw, rotate: { max_age: 700ms } }
pipelines:
  p: { from: [in], to: [out] }
YAML
: >"$T/age/in.log"
start_sluice "$T/age/c.yaml"
# ~3 s of lines: 4000 lines, 16 a write, 12 ms apart
"$TOOLS/log_writer" -o "$T/age/in.log" -n "$M" --name age --pause-us $((12000 * SCALE)) >/dev/null
all_seqs "$T/age/in.log" >"$T/age/all.seqs"
age_done() { [ "$(count_lines_in "$T/age"/out.log*)" -ge "$M" ]; }
check "age: every line arrives" wait_until 60 age_done
stop_sluice TERM
check "age: SIGTERM exits 0" [ "$SLUICE_RC" -eq 0 ]
rotated=$(ls "$T/age" | grep -c '^out\.log\.[0-9]\{8\}T[0-9]\{6\}Z')
check "age: the output was rotated by age ($rotated files)" [ "$rotated" -ge 2 ]
check "age: every line exactly once across the files" \
    cmp -s "$T/age/all.seqs" <(all_seqs "$T/age"/out.log*)

# ---- SIGUSR1 after mv, while lines flow ---------------------------------------
mkdir -p "$T/usr1"
K=$((20000 / SCALE))
cat >"$T/usr1/c.yaml" <<YAML
service: { workers: 2, state_dir: "$T/usr1/state" }
sources:
  in: { type: file, paths: ["$T/usr1/in.log"], poll_interval: 50ms }
destinations:
  out: { type: file, path: "$T/usr1/out.log", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
: >"$T/usr1/in.log"
start_sluice "$T/usr1/c.yaml"
"$TOOLS/log_writer" -o "$T/usr1/in.log" -n "$K" --name usr --pause-us 2000 >/dev/null &
WPID=$!
PIDS="$PIDS $WPID"
wait_until 30 file_has_lines "$T/usr1/out.log" $((K / 10))
mv "$T/usr1/out.log" "$T/usr1/out.log.1"
kill -USR1 "$SLUICE_PID"
wait "$WPID"
all_seqs "$T/usr1/in.log" >"$T/usr1/all.seqs"
usr1_done() { [ "$(count_lines_in "$T/usr1/out.log" "$T/usr1/out.log.1")" -ge "$K" ]; }
check "usr1: every line arrives" wait_until 60 usr1_done
stop_sluice TERM
check "usr1: SIGTERM exits 0" [ "$SLUICE_RC" -eq 0 ]
check "usr1: SIGUSR1 is logged" log_has 'SIGUSR1: reopening output files'
check "usr1: a new out.log was opened after the signal" file_has_lines "$T/usr1/out.log" 1
check "usr1: the renamed file kept what was written before" file_has_lines "$T/usr1/out.log.1" 1
check "usr1: every line exactly once across both files" \
    cmp -s "$T/usr1/all.seqs" <(all_seqs "$T/usr1/out.log.1" "$T/usr1/out.log")

# ---- a real logrotate: create + postrotate kill -USR1 ---------------------------
mkdir -p "$T/lr"
chmod 0755 "$T/lr"
cat >"$T/lr/c.yaml" <<YAML
service: { workers: 2, state_dir: "$T/lr/state" }
sources:
  in: { type: file, paths: ["$T/lr/in.log"], poll_interval: 50ms }
destinations:
  out: { type: file, path: "$T/lr/out/app.log", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
: >"$T/lr/in.log"
mkdir -p "$T/lr/out"
start_sluice "$T/lr/c.yaml"
cat >"$T/lr/logrotate.conf" <<CONF
$T/lr/out/app.log {
    create 0640
    rotate 5
    delaycompress
    missingok
    postrotate
        kill -USR1 $SLUICE_PID
    endscript
}
CONF
"$TOOLS/log_writer" -o "$T/lr/in.log" -n "$K" --name lr --pause-us 2000 >/dev/null &
WPID=$!
PIDS="$PIDS $WPID"
wait_until 30 file_has_lines "$T/lr/out/app.log" $((K / 10))
logrotate -f -s "$T/lr/logrotate.state" "$T/lr/logrotate.conf" 2>"$T/lr/logrotate.err"
check "logrotate: ran" [ "$?" -eq 0 ]
wait "$WPID"
all_seqs "$T/lr/in.log" >"$T/lr/all.seqs"
lr_done() { [ "$(count_lines_in "$T/lr/out/app.log" "$T/lr/out/app.log.1")" -ge "$K" ]; }
check "logrotate: every line arrives" wait_until 60 lr_done
stop_sluice TERM
check "logrotate: SIGTERM exits 0" [ "$SLUICE_RC" -eq 0 ]
check "logrotate: app.log.1 holds the lines before the rotation" file_has_lines "$T/lr/out/app.log.1" 1
check "logrotate: the new app.log gets the lines after it" file_has_lines "$T/lr/out/app.log" 1
check "logrotate: every line exactly once across both files" \
    cmp -s "$T/lr/all.seqs" <(all_seqs "$T/lr/out/app.log.1" "$T/lr/out/app.log")
finish
