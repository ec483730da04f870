#!/usr/bin/env bash
# Conditions and routing end to end: JSON lines through parse_json, a
# filter with a text condition, and a route handler sending events to two
# of three file destinations by conditions (first match, a default);
# sample by a field (a hash: the exact lines kept are known in advance)
# and dedup by a field; every output file's contents checked exactly. Also
# --check errors with file:line:column for a bad condition and a route to
# a destination the pipeline does not have.
# tags: threaded
. "$(dirname "$0")/lib.sh"

python3 - "$T/in.log" <<'PY'
import json, sys
paths = ["/api/users", "/api/orders", "/index.html", "/health", "/static/a.css", "/healthz"]
with open(sys.argv[1], "w") as f:
    for i in range(600):
        ev = {"id": i, "status": [200, 201, 404, 500, 503, 302][i % 6 if i % 7 else 3],
              "path": paths[(i // 2) % len(paths)], "user": "u%d" % (i % 37),
              "http": {"method": "POST" if i % 5 == 0 else "GET"}}
        f.write(json.dumps(ev) + "\n")
PY
cat >"$T/route.yaml" <<YAML
service: { state_dir: "$T/state1", workers: 2 }
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  alerts: { type: file, path: "$T/alerts.log", encoding: raw }
  archive: { type: file, path: "$T/archive.log", encoding: raw }
  api: { type: file, path: "$T/api.log", encoding: raw }
pipelines:
  web:
    from: [in]
    to: [alerts, archive, api]
    handlers:
      - parse_json: {}
      - filter: { drop_if: 'path =~ "^/health" or (http.method == "POST" and status < 300)' }
      - route:
          routes:
            - { if: 'status >= 500', to: [alerts, archive] }
            - { if: 'path prefix "/api" and not exists(missing)', to: [api] }
          default: [archive]
YAML
"$SLUICE" -c "$T/route.yaml" --check >/dev/null 2>"$T/err0"
check "route config checks" [ $? -eq 0 ]
"$SLUICE" -c "$T/route.yaml" --once 2>"$T/err1"
check "route run exits 0 (dropped events acked)" [ $? -eq 0 ]
check "each destination got exactly its events" python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
lines = open(t + "/in.log").read().splitlines()
want = {"alerts": [], "archive": [], "api": []}
for l in lines:
    e = json.loads(l)
    if e["path"].startswith("/health") or (e["http"]["method"] == "POST" and e["status"] < 300):
        continue
    if e["status"] >= 500:
        want["alerts"].append(l); want["archive"].append(l)
    elif e["path"].startswith("/api"):
        want["api"].append(l)
    else:
        want["archive"].append(l)
for name, w in want.items():
    got = open("%s/%s.log" % (t, name)).read().splitlines()
    assert len(w) > 20, (name, len(w))
    assert sorted(got) == sorted(w), (name, len(got), len(w))
PY

# sample by a field: the hash is FNV-1a 64 of the value's text, then the
# splitmix64 finalizer; kept when hash % rate == 0. dedup drops repeated
# users (the first line of each passes; one worker keeps the order).
cat >"$T/sample.yaml" <<YAML
service: { state_dir: "$T/state2", workers: 2 }
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  sampled: { type: file, path: "$T/sampled.log", encoding: raw }
pipelines:
  s:
    from: [in]
    to: [sampled]
    handlers:
      - parse_json: {}
      - sample: { rate: 4, by: user }
YAML
"$SLUICE" -c "$T/sample.yaml" --once 2>"$T/err2"
check "sample run exits 0" [ $? -eq 0 ]
check "sample kept exactly the users whose hash says so" python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
M = (1 << 64) - 1
def h(s):
    x = 0xcbf29ce484222325
    for b in s.encode():
        x = ((x ^ b) * 0x100000001b3) & M
    x ^= x >> 30; x = (x * 0xbf58476d1ce4e5b9) & M
    x ^= x >> 27; x = (x * 0x94d049bb133111eb) & M
    return x ^ (x >> 31)
lines = open(t + "/in.log").read().splitlines()
want = [l for l in lines if h(json.loads(l)["user"]) % 4 == 0]
got = open(t + "/sampled.log").read().splitlines()
assert 0 < len(want) < len(lines), len(want)
assert sorted(got) == sorted(want), (len(got), len(want))
PY

cat >"$T/dedup.yaml" <<YAML
service: { state_dir: "$T/state3", workers: 1 }
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  unique: { type: file, path: "$T/unique.log", encoding: raw }
pipelines:
  d:
    from: [in]
    to: [unique]
    handlers:
      - parse_json: {}
      - dedup: { field: user, window: 1h, max_entries: 1000 }
YAML
"$SLUICE" -c "$T/dedup.yaml" --once 2>"$T/err3"
check "dedup run exits 0" [ $? -eq 0 ]
check "dedup kept the first line of each user, in order" python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
seen, want = set(), []
for l in open(t + "/in.log").read().splitlines():
    u = json.loads(l)["user"]
    if u not in seen:
        seen.add(u); want.append(l)
got = open(t + "/unique.log").read().splitlines()
assert len(want) == 37 and got == want, (len(got), len(want))
PY

# config mistakes: positions and suggestions
cat >"$T/bad.yaml" <<YAML
service: { state_dir: "$T/state4" }
sources:
  in: { type: file, paths: ["$T/in.log"] }
destinations:
  alerts: { type: file, path: "$T/x.log" }
  archive: { type: file, path: "$T/y.log" }
pipelines:
  web:
    from: [in]
    to: [alerts, archive]
    handlers:
      - filter: { keep_if: 'status >= 500 and' }
      - route:
          routes:
            - { if: 'path = "/x"', to: [alerts] }
            - { if: 'true', to: [alert] }
          default: [archve]
YAML
"$SLUICE" -c "$T/bad.yaml" --check >/dev/null 2>"$T/err4"
check "bad conditions and routes fail --check" [ $? -eq 1 ]
check "a parse error names the token's column" \
    grep -q "bad.yaml:12:46: error: .*handler 1 (filter): expected a comparison" "$T/err4"
check "an operator mistake inside a route" \
    grep -q "bad.yaml:15:27: error: .*'=' is not an operator: use ==" "$T/err4"
check "an unknown route destination gets a suggestion" \
    grep -q "bad.yaml:16:34: error: .*\"alert\" is not a destination of this pipeline's to (did you mean \"alerts\"?)" "$T/err4"
check "an unknown default destination too" \
    grep -q "bad.yaml:17:21: error: .*\"archve\" .*did you mean \"archive\"" "$T/err4"
finish
