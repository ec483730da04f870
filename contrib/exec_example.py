#!/usr/bin/env python3
# An `exec` handler for sluice: one JSON event per line in, one JSON array
# of events (or {"error": "..."}) per line out. Flush after every reply.
import json, sys

for line in sys.stdin:
    event = json.loads(line)
    if event.get("level") == "debug":
        reply = []                                  # drop it
    elif "user" not in event:
        reply = {"error": "no user field"}          # dead-letter it
    else:
        event["user"] = event["user"].lower()
        reply = [event]                             # pass it on, changed
    print(json.dumps(reply), flush=True)
