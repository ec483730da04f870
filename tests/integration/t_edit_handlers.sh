#!/usr/bin/env bash
# Field-edit handlers end to end: gen_nginx lines through parse_nginx, a
# filter that drops health checks (path == /healthz), rename, remove, copy,
# lowercase, truncate and timestamp (Europe/Berlin), into NDJSON. Dropped
# events are not delivered but are acked: --once exits 0, and a second run
# on the same state delivers nothing (the checkpoint moved past the dropped
# lines at the file's end).
# tags: threaded
. "$(dirname "$0")/lib.sh"

n=$((3000 / SCALE))
"$TOOLS/gen_nginx" -n "$n" --seq --seed 7 -o "$T/gen.log"
# health checks last, so the checkpoint's end depends on dropped events
grep -Ev '"[A-Z]+ /healthz[? ]' "$T/gen.log" >"$T/in.log"
grep -E '"[A-Z]+ /healthz[? ]' "$T/gen.log" >>"$T/in.log"
health=$(grep -Ec '"[A-Z]+ /healthz[? ]' "$T/gen.log")
keep=$((n - health))
check "the input has health checks" [ "$health" -gt 0 ]
cat >"$T/edit.yaml" <<YAML
service: { state_dir: "$T/state", workers: 2 }
sources:
  web: { type: file, paths: ["$T/in.log"] }
destinations:
  out: { type: file, path: "$T/out.ndjson" }
pipelines:
  web:
    from: [web]
    to: [out]
    handlers:
      - parse_nginx: { format: combined }
      - filter: { drop_if: { field: path, equals: /healthz } }
      - filter: { drop_if: { field: path, matches: '^/healthz$' } }    # regex on 2 workers
      - rename: { fields: { remote_addr: client, status: http_status } }
      - remove: { fields: [ http_referer, remote_user ] }
      - copy: { fields: { method: verb } }
      - lowercase: { fields: [ verb ] }
      - truncate: { field: http_user_agent, max_bytes: 10 }
      - set: { fields: { seen: "2024-07-15 14:00:00.25" } }
      - timestamp: { field: seen, timezone: Europe/Berlin }
YAML
"$SLUICE" -c "$T/edit.yaml" --check >/dev/null 2>"$T/err0"
check "config checks" [ $? -eq 0 ]
"$SLUICE" -c "$T/edit.yaml" --once 2>"$T/err1"
check "sluice exits 0 (dropped events acked)" [ $? -eq 0 ]
check "every non-health line delivered, no health check" \
    [ "$(lines_in "$T/out.ndjson")" -eq "$keep" ]
check "fields renamed, removed, copied, lowercased, truncated; time parsed" python3 - "$T/out.ndjson" "$keep" <<'PY'
import json, re, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
seqs = sorted(int(re.search(r"seq=(\d+)", e["message"]).group(1)) for e in evs)
assert len(set(seqs)) == int(sys.argv[2]), "sequence numbers repeated"
for e in evs:
    assert e["path"] != "/healthz", e
    assert "remote_addr" not in e and "status" not in e, e
    assert isinstance(e["client"], str) and isinstance(e["http_status"], int), e
    assert "http_referer" not in e and "remote_user" not in e, e
    assert e["verb"] == e["method"].lower(), e
    assert e["timestamp"] == "2024-07-15T12:00:00.250000Z", e
    orig = re.search(r'"([^"]*)"$', e["message"]).group(1)
    if len(orig) > 10:
        assert e["http_user_agent"] == orig[:10], e
        assert e["http_user_agent_truncated"] is True, e
    elif orig != "-":
        assert e["http_user_agent"] == orig and "http_user_agent_truncated" not in e, e
PY
"$SLUICE" -c "$T/edit.yaml" --once 2>"$T/err2"
check "second run exits 0" [ $? -eq 0 ]
check "second run delivers nothing (dropped tail was checkpointed)" \
    [ "$(lines_in "$T/out.ndjson")" -eq "$keep" ]
finish
