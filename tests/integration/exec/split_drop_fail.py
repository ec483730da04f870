#!/usr/bin/env python3
# An exec handler for t_exec.sh: by the word kind=... in the message it
# splits the event in two, drops it, fails it ({"error": ...}) or passes it
# on with fields added (a nested map, the time moved, $EXEC_TAG).
import json, os, sys, time

print("split_drop_fail ready", file=sys.stderr, flush=True)
for line in sys.stdin:
    ev = json.loads(line)
    msg = ev["message"]
    if "kind=drop" in msg:
        out = []
    elif "kind=fail" in msg:
        out = {"error": "refused: " + msg}
    elif "kind=split" in msg:
        out = [dict(ev, part=1), dict(ev, part=2, message=msg + " second")]
    else:
        time.sleep(0.0005)  # slow enough that the workers overlap
        ev.update(pid=os.getpid(), tag=os.environ.get("EXEC_TAG", ""),
                  seen={"env": ev.get("env"), "n": len(msg)},
                  timestamp="2020-01-02T03:04:05.25+01:00")
        out = [ev]
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
