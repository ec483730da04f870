#!/usr/bin/env python3
# An exec handler for t_exec.sh that misbehaves on purpose: it exits with
# status 3 on kind=crash, kills itself with SIGKILL on kind=kill, hangs on
# kind=hang and writes an endless line on kind=long; anything else passes.
import json, os, signal, sys, time

for line in sys.stdin:
    ev = json.loads(line)
    msg = ev["message"]
    if "kind=crash" in msg:
        print("crashing on purpose: " + msg, file=sys.stderr, flush=True)
        sys.exit(3)
    if "kind=kill" in msg:
        os.kill(os.getpid(), signal.SIGKILL)
    if "kind=hang" in msg:
        time.sleep(60)
    if "kind=long" in msg:
        sys.stdout.write('[{"message": "' + "x" * 200000 + '"}]\n')
        sys.stdout.flush()
        continue
    sys.stdout.write(json.dumps([dict(ev, pid=os.getpid())]) + "\n")
    sys.stdout.flush()
