#!/usr/bin/env bash
# tags: threaded
# The file source's positions: in-place truncation, a clean restart, a
# kill -9 in the middle of a large file, and a new file that reuses a
# deleted file's inode. Checkpoints record only what was delivered.
. "$(dirname "$0")/lib.sh"

# config NAME GLOB OUT [EXTRA SOURCE OPTIONS]
config() {
    cat >"$T/$1.yaml" <<YAML
service: { workers: 2, state_dir: "$T/state-$1", shutdown_timeout: 30s }
sources:
  in: { type: file, paths: ["$2"], poll_interval: 200ms, checkpoint_interval: 200ms ${4:-} }
destinations:
  out: { type: file, path: "$3", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
}
wl() { "$TOOLS/log_writer" "$@"; }

# 3. Truncation: 200 lines, truncate -s 0, 100 more: exactly 300.
config trunc "$T/trunc.log" "$T/trunc.out"
wl -o "$T/trunc.log" -n 200 --name a
start_sluice "$T/trunc.yaml"
check "truncation: the first 200 lines" wait_until 20 file_has_lines "$T/trunc.out" 200
truncate -s 0 "$T/trunc.log"
wl -o "$T/trunc.log" -n 100 --name b
check "truncation: 100 more after truncate -s 0" wait_until 20 file_has_lines "$T/trunc.out" 300
check "truncation: the log says so" wait_until 5 log_has "trunc.log was truncated"
stop_sluice
check "truncation: exactly 300 lines, each once" \
    [ "$(LC_ALL=C sort -u "$T/trunc.out" | wc -l)" -eq 300 ] && [ "$(lines_in "$T/trunc.out")" -eq 300 ]

# 4. Restart: stop, append, start again: only the new lines arrive.
config restart "$T/restart.log" "$T/restart.out"
wl -o "$T/restart.log" -n 1000 --name r
start_sluice "$T/restart.yaml"
check "restart: first 1000 lines" wait_until 20 file_has_lines "$T/restart.out" 1000
stop_sluice
check "restart: a checkpoint file was written (mode 0600)" \
    [ "$(stat -c %a "$T/state-restart/checkpoints/in.ckpt")" = 600 ]
wl -o "$T/restart.log" -n 500 --name r --start 1000
start_sluice "$T/restart.yaml"
check "restart: the 500 new lines arrive" wait_until 20 file_has_lines "$T/restart.out" 1500
sleep 0.5   # a chance for duplicates to show up, were there any
stop_sluice
check "restart: exactly 1500 lines, none twice" \
    [ "$(lines_in "$T/restart.out")" -eq 1500 ] && [ "$(LC_ALL=C sort -u "$T/restart.out" | wc -l)" -eq 1500 ]
cmp -s <(LC_ALL=C sort "$T/restart.log") <(LC_ALL=C sort "$T/restart.out")
check "restart: byte for byte the input" [ $? -eq 0 ]

# 5. Crash: kill -9 while 1,000,000 lines are shipped, then restart. Every
# line arrives at least once; duplicates only come from past the last
# saved checkpoint (lines delivered after it was written).
N=$((1000000 / SCALE))
config crash "$T/crash.log" "$T/crash.out"
start_sluice "$T/crash.yaml"
# written at about 200,000 lines/s while sluice ships them
wl -o "$T/crash.log" -n "$N" --name k --lines-per-write 1000 --pause-us 5000 &
writer=$!
check "crash: delivery under way" wait_until 60 file_has_lines "$T/crash.out" $((N / 4))
check "crash: a checkpoint was saved" wait_until 10 test -s "$T/state-crash/checkpoints/in.ckpt"
kill -9 "$SLUICE_PID"
wait "$SLUICE_PID" 2>/dev/null
wait "$writer"
before=$(lines_in "$T/crash.out")
# A write cut by the kill can leave a partial last line: drop it, as a
# reader of the output would.
size=$(stat -c %s "$T/crash.out")
keep=$(head -c "$size" "$T/crash.out" | grep -c '')
[ -n "$(tail -c 1 "$T/crash.out")" ] && truncate -s "$(($(head -n "$((keep - 1))" "$T/crash.out" | wc -c)))" "$T/crash.out"
ckpt=$(awk '!/^#/ {print $5}' "$T/state-crash/checkpoints/in.ckpt")
check "crash: the checkpoint was behind the delivered lines" [ "$ckpt" -le "$(stat -c %s "$T/crash.log")" ]
ckpt_line=$(head -c "$ckpt" "$T/crash.log" | wc -l)
start_sluice "$T/crash.yaml"
all_delivered() { [ "$(LC_ALL=C sort -u "$T/crash.out" | wc -l)" -ge "$N" ]; }
check "crash: after the restart every line arrives" wait_until 120 all_delivered
stop_sluice
dups=$(LC_ALL=C sort "$T/crash.out" | uniq -d | wc -l)
early_dups=$(LC_ALL=C sort "$T/crash.out" | uniq -d | awk -v c="$ckpt_line" '{s=$2; sub("seq=","",s); if (s+0 < c) n++} END {print n+0}')
echo "  crash: killed with $before lines delivered, checkpoint at line $ckpt_line; $dups duplicates"
check "crash: no line before the checkpoint twice" [ "$early_dups" -eq 0 ]
check "crash: duplicates at most what was delivered past the checkpoint" \
    [ "$dups" -le $((before - ckpt_line)) ]
cmp -s <(LC_ALL=C sort -u "$T/crash.log") <(LC_ALL=C sort -u "$T/crash.out")
check "crash: the delivered set is the input" [ $? -eq 0 ]

# 6. Inode reuse: a file read and checkpointed is deleted; a new file that
# gets the same inode (and is longer than the old checkpoint) is read
# from its beginning.
mkdir -p "$T/reuse"
config reuse "$T/reuse/app.log" "$T/reuse.out"
wl -o "$T/reuse/app.log" -n 100 --name old
start_sluice "$T/reuse.yaml"
check "inode reuse: the old file's 100 lines" wait_until 20 file_has_lines "$T/reuse.out" 100
stop_sluice
ino=$(stat -c %i "$T/reuse/app.log")
rm "$T/reuse/app.log"
reused=no
for i in $(seq 1 200); do
    : >"$T/reuse/try$i"
    if [ "$(stat -c %i "$T/reuse/try$i")" = "$ino" ]; then
        mv "$T/reuse/try$i" "$T/reuse/app.log"
        reused=yes
        break
    fi
done
rm -f "$T"/reuse/try*
if [ "$reused" = yes ]; then
    wl -o "$T/reuse/app.log" -n 300 --name new
    start_sluice "$T/reuse.yaml"
    check "inode reuse: all 300 lines of the new file" wait_until 20 file_has_lines "$T/reuse.out" 400
    stop_sluice
    check "inode reuse: the new file from its first line" grep -q 'new seq=000000000 ' "$T/reuse.out"
    check "inode reuse: said in the log" log_has "reuses the inode"
else
    not_ok "inode reuse: the file system never gave the inode back (tried 200 files)"
fi
finish
