#!/usr/bin/env bash
# Many files: 1,000 files tailed at once with bounded memory, and the same
# files through max_open_files: 100 (idle files give their descriptor to
# files with new data, so every file is read).
. "$(dirname "$0")/lib.sh"

F=$((1000 / SCALE))
mkdir -p "$T/many"
for i in $(seq 1 "$F"); do
    "$TOOLS/log_writer" -o "$T/many/f$i.log" -n 10 --name "f$i" --width 100
done
# config NAME MAX_OPEN
config() {
    cat >"$T/$1.yaml" <<YAML
service: { workers: 2, state_dir: "$T/state-$1" }
sources:
  in: { type: file, paths: ["$T/many/*.log"], poll_interval: 200ms, max_open_files: $2 }
destinations:
  out: { type: file, path: "$T/$1.out", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
}
# append_one_each SEQ
append_one_each() {
    for i in $(seq 1 "$F"); do printf 'f%s seq=%09d appended\n' "$i" "$1" >>"$T/many/f$i.log"; done
}

config all 4096
start_sluice "$T/all.yaml"
check "$F files: every line" wait_until 60 file_has_lines "$T/all.out" $((F * 10))
open_fds=$(ls "/proc/$SLUICE_PID/fd" | wc -l)
check "$F files: all held open ($open_fds descriptors)" [ "$open_fds" -ge "$F" ]
append_one_each 10
check "$F files: a line appended to each arrives" wait_until 60 file_has_lines "$T/all.out" $((F * 11))
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$SLUICE_PID/status")
echo "  $F files: peak RSS ${hwm} KiB"
# sanitizer builds (SCALE > 1) carry shadow memory: only the plain build is held to the bound
limit=$((SCALE == 1 ? 32 * 1024 : 512 * 1024))
check "$F files: peak RSS under $((limit / 1024)) MiB" [ "$hwm" -lt "$limit" ]
stop_sluice
check "$F files: each line once" [ "$(LC_ALL=C sort -u "$T/all.out" | wc -l)" -eq $((F * 11)) ]

# max_open_files: 100 over the same (now 11-line) files.
config few 100
start_sluice "$T/few.yaml"
check "max_open_files 100: every line of $F files" wait_until 90 file_has_lines "$T/few.out" $((F * 11))
open_fds=$(ls "/proc/$SLUICE_PID/fd" | wc -l)
check "max_open_files 100: at most 100 files open ($open_fds descriptors in all)" [ "$open_fds" -le 130 ]
append_one_each 11
check "max_open_files 100: lines appended to every file arrive" \
    wait_until 90 file_has_lines "$T/few.out" $((F * 12))
stop_sluice
check "max_open_files 100: each line once" [ "$(LC_ALL=C sort -u "$T/few.out" | wc -l)" -eq $((F * 12)) ]

# --once with fewer descriptors than files still reads every file.
cat >"$T/once.yaml" <<YAML
service: { workers: 2, state_dir: "$T/state-once" }
sources:
  in: { type: file, paths: ["$T/many/*.log"], max_open_files: 10 }
destinations:
  out: { type: file, path: "$T/once.out", encoding: raw }
pipelines:
  p: { from: [in], to: [out] }
YAML
"$SLUICE" -c "$T/once.yaml" --once 2>"$T/once.log"
check "--once with max_open_files 10: exits 0" [ $? -eq 0 ]
check "--once with max_open_files 10: every line of every file" \
    [ "$(LC_ALL=C sort -u "$T/once.out" | wc -l)" -eq $((F * 12)) ]
finish
