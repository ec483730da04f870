#!/usr/bin/env bash
# The exec handler end to end with Python handler processes
# (tests/integration/exec/): events split in two, dropped, failed with
# {"error": ...} and passed on with fields, time and $EXEC_TAG; a process
# that exits, is killed by a signal, hangs past `timeout` or writes an
# over-long line mid-stream: every input event is accounted for (delivered,
# dropped, or dead-lettered with the error map), with exact counts, on one
# process and on three; the processes' stderr in sluice's log; no child
# left behind; a command that cannot be run fails --check and startup.
# tags: threaded
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
PY=$(command -v python3)

# 3 input files (3 chunks, so several workers at once), 600 lines:
# seq=NNNNNNNNN kind=K with K from seq mod 10 (in*.log), or pass except
# at five places (crash*.log).
python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
kinds = {3: "split", 5: "drop", 7: "fail"}
bad = {120: "crash", 260: "kill", 330: "hang", 410: "long", 480: "crash"}
files = [open("%s/in%d.log" % (t, k), "w") for k in range(3)]
crash = [open("%s/crash%d.log" % (t, k), "w") for k in range(3)]
for i in range(600):
    files[i // 200].write("seq=%09d kind=%s\n" % (i, kinds.get(i % 10, "pass")))
    crash[i // 200].write("seq=%09d kind=%s\n" % (i, bad.get(i, "pass")))
PY

# A config: $1 name, $2 script, $3 processes, $4 workers, $5 input files,
# $6 extra options.
write_cfg() {
    cat >"$T/$1.yaml" <<YAML
service: { state_dir: "$T/state_$1", workers: $4 }
sources:
  in: { type: file, paths: ["$T/$5[0-9].log"] }
destinations:
  out: { type: file, path: "$T/$1.out" }
  dead: { type: file, path: "$T/$1.dead" }
pipelines:
  p:
    from: [in]
    to: [out]
    dead_letter: dead
    handlers:
      - set: { fields: { env: test } }
      - exec:
          command: [ "$PY", "$here/exec/$2" ]
          processes: $3
          env: { EXEC_TAG: blue }
          $6
YAML
}

# account NAME SPLIT|CRASHY: exact counts and the set of sequence numbers.
account() {
    python3 - "$T/$1.out" "$T/$1.dead" "$2" <<'PY'
import json, re, sys
out = [json.loads(l) for l in open(sys.argv[1])]
dead = [json.loads(l) for l in open(sys.argv[2])]
mode = sys.argv[3]
def seq(ev): return int(re.search(r"seq=(\d+)", ev["message"]).group(1))
def kind(i):
    if mode == "split":
        return {3: "split", 5: "drop", 7: "fail"}.get(i % 10, "pass")
    return {120: "crash", 260: "kill", 330: "hang", 410: "long", 480: "crash"}.get(i, "pass")
want_out, want_dead, dropped = [], [], set()
for i in range(600):
    k = kind(i)
    if k == "split": want_out += [i, i]
    elif k == "drop": dropped.add(i)
    elif k == "pass": want_out.append(i)
    else: want_dead.append(i)
got_out = sorted(seq(e) for e in out)
got_dead = sorted(seq(e) for e in dead)
assert got_out == sorted(want_out), ("delivered", len(got_out), len(want_out))
assert got_dead == sorted(want_dead), ("dead", got_dead, want_dead)
assert not dropped & (set(got_out) | set(got_dead))
assert len(got_out) + len(set(got_dead)) + len(dropped) >= 600
for e in dead:
    err = e["error"]
    assert err["stage"] == "handler" and "(exec)" in err["component"] and err["time"], e
    assert e["env"] == "test", e
    i, k = seq(e), kind(seq(e))
    m = err["message"]
    if k == "fail": assert m == "refused: " + e["message"], m
    if k == "crash": assert m == "handler process exited with status 3", m
    if k == "kill": assert m == "handler process was killed by signal 9 (SIGKILL)", m
    if k == "hang": assert m.startswith("timed out after 1s"), m
    if k == "long": assert m.startswith("reply longer than max_line_bytes"), m
if mode == "split":
    pids = set()
    for e in out:
        i = seq(e)
        if kind(i) == "split":
            assert e["part"] in (1, 2) and e["env"] == "test", e
            assert e["message"].endswith(" second") == (e["part"] == 2), e
            assert e["source"] == "in" and e["file"].endswith(".log"), e
        else:
            assert e["tag"] == "blue" and e["env"] == "test", e
            assert e["seen"] == {"env": "test", "n": len(e["message"])}, e
            assert e["timestamp"] == "2020-01-02T02:04:05.250000Z", e
            pids.add(e["pid"])
    open(sys.argv[1] + ".pids", "w").write("%d\n" % len(pids))
PY
}

write_cfg split split_drop_fail.py 1 2 in ""
"$SLUICE" -c "$T/split.yaml" --once 2>"$T/split.err"
check "split/drop/fail run exits 0" [ $? -eq 0 ]
check "split/drop/fail: every event accounted for, fields and times" account split split
check "the process's stderr is in sluice's log" \
    grep -q 'handler 2 (exec): stderr: split_drop_fail ready' "$T/split.err"

write_cfg split3 split_drop_fail.py 3 3 in ""
"$SLUICE" -c "$T/split3.yaml" --once -v 2>"$T/split3.err"
check "processes: 3 run exits 0" [ $? -eq 0 ]
check "processes: 3: the same accounting" account split3 split
check "processes: 3: several processes did the work" [ "$(cat "$T/split3.out.pids")" -ge 2 ]
# (counted by sluice: a process that never got an event may be stopped
# before its interpreter has even printed "ready" on a loaded machine)
check "processes: 3: three processes were started" \
    grep -q 'handler 2 (exec): started 3 processes of ' "$T/split3.err"

# crashy.py: exits (120, 480), is killed (260), hangs (330), writes too much (410)
write_cfg crash crashy.py 1 2 crash "timeout: 1s
          max_line_bytes: 64KiB
          restart_backoff: 10ms"
"$SLUICE" -c "$T/crash.yaml" --once 2>"$T/crash.err"
check "crashing handler: run exits 0" [ $? -eq 0 ]
check "crashing handler: every event accounted for" account crash crashy
check "crashing handler: restarts are logged" \
    grep -q 'handler process [0-9]* exited with status 3 while handling an event; restarting it' \
    "$T/crash.err"
check "crashing handler: its stderr is logged" grep -q 'stderr: crashing on purpose: seq=000000120' \
    "$T/crash.err"

write_cfg crash3 crashy.py 3 3 crash "timeout: 1s
          max_line_bytes: 64KiB
          restart_backoff: 10ms"
"$SLUICE" -c "$T/crash3.yaml" --once 2>"$T/crash3.err"
check "crashing handler, processes: 3: run exits 0" [ $? -eq 0 ]
check "crashing handler, processes: 3: every event accounted for" account crash3 crashy

# no child outlives sluice
sleep 0.2
left=$(ps -eo args | grep -c "[e]xec/\(crashy\|split_drop_fail\).py")
check "no handler process is left running" [ "$left" -eq 0 ]
zombies=$(ps -eo stat,args | grep -c '^Z.*[p]ython')
check "no zombie handler processes" [ "$zombies" -eq 0 ]

# a command that cannot be run: a --check error with its place, and startup fails
cat >"$T/missing.yaml" <<YAML
service: { state_dir: "$T/state_missing" }
sources:
  in: { type: file, paths: ["$T/in0.log"] }
destinations:
  out: { type: file, path: "$T/missing.out" }
pipelines:
  p:
    from: [in]
    to: [out]
    handlers:
      - exec: { command: [ no-such-handler-program, --x ] }
      - exec: { command: "$T/in0.log" }
YAML
"$SLUICE" --check -c "$T/missing.yaml" 2>"$T/missing.err"
check "--check fails on a missing command" [ $? -eq 1 ]
check "the missing command is named with its place" \
    grep -q 'missing.yaml:11:[0-9]*: error: .*(exec): cannot run command "no-such-handler-program": not found in PATH' \
    "$T/missing.err"
check "a file that is not executable is an error" \
    grep -q 'missing.yaml:12:[0-9]*: error: .*(exec): cannot run command ".*in0.log": Permission denied' \
    "$T/missing.err"
"$SLUICE" -c "$T/missing.yaml" --once 2>"$T/missing2.err"
rc=$?
check "startup fails too" [ "$rc" -ne 0 ]
check "nothing was delivered" [ ! -s "$T/missing.out" ]
finish
