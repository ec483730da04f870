#!/usr/bin/env bash
# Parsing handlers end to end: nginx lines from gen_nginx through
# parse_nginx (every field and number checked against the line, the event
# time from $time_local), a garbage line dead-lettered with the error map,
# parse_json on NDJSON (wrapped JSON decoded by a second parse_json), and
# parse_regex + parse_kv on several workers.
# tags: threaded
. "$(dirname "$0")/lib.sh"

n=$((3000 / SCALE))
"$TOOLS/gen_nginx" -n "$n" --seq --seed 11 -o "$T/access.log"
# a line that is no nginx line, in the middle
head -n 10 "$T/access.log" >"$T/in.log"
echo 'this is not an nginx line' >>"$T/in.log"
tail -n +11 "$T/access.log" >>"$T/in.log"
cat >"$T/nginx.yaml" <<YAML
service: { state_dir: "$T/state1", workers: 3 }
sources:
  web: { type: file, paths: ["$T/in.log"] }
destinations:
  out: { type: file, path: "$T/out.ndjson" }
  dead: { type: file, path: "$T/dead.ndjson" }
pipelines:
  nginx:
    from: [web]
    to: [out]
    dead_letter: dead
    handlers:
      - parse_nginx: { format: combined }
YAML
"$SLUICE" -c "$T/nginx.yaml" --once 2>"$T/err1"
check "parse_nginx run exits 0" [ $? -eq 0 ]
check "every nginx line parsed and delivered" [ "$(lines_in "$T/out.ndjson")" -eq "$n" ]
check "the garbage line went to the dead letter file" [ "$(lines_in "$T/dead.ndjson")" -eq 1 ]

cat >"$T/verify.py" <<'PY'
import json, re, sys, datetime
line_re = re.compile(r'^(\S+) - (\S+) \[([^\]]+)\] "([^"]*)" (\d+) (\d+) "([^"]*)" "([^"]*)"$')
bad = 0
events = [json.loads(l) for l in open(sys.argv[1])]
for ev in events:
    m = line_re.match(ev["message"])
    if not m:
        print("unparsable input", ev["message"]); bad += 1; continue
    addr, user, tl, req, status, size, ref, ua = m.groups()
    want = {"remote_addr": addr, "status": int(status), "body_bytes_sent": int(size)}
    if user != "-": want["remote_user"] = user
    if ref != "-": want["http_referer"] = ref
    if ua != "-": want["http_user_agent"] = ua
    method, uri, proto = req.split(" ")
    want.update(method=method, protocol=proto)
    path, _, query = uri.partition("?")
    want["path"] = path
    if "?" in uri: want["query"] = query
    for k, v in want.items():
        if ev.get(k) != v or type(ev.get(k)) is not type(v):
            print("field", k, repr(ev.get(k)), "!=", repr(v)); bad += 1
    for k in ("time_local", "request"):
        if k in ev: print("unexpected field", k); bad += 1
    t = datetime.datetime.strptime(tl, "%d/%b/%Y:%H:%M:%S %z").astimezone(datetime.timezone.utc)
    if ev["timestamp"] != t.strftime("%Y-%m-%dT%H:%M:%S.000000Z"):
        print("timestamp", ev["timestamp"], "from", tl); bad += 1
seqs = sorted(re.search(r"seq=(\d+)", e["message"]).group(1) for e in events)
if seqs != ["%09d" % i for i in range(len(events))]:
    print("sequence numbers missing or repeated"); bad += 1
sys.exit(1 if bad else 0)
PY
check "fields, numbers and timestamps match each line" python3 "$T/verify.py" "$T/out.ndjson"
check "dead letter has the line and the error map" python3 - "$T/dead.ndjson" <<'PY'
import json, sys
ev = json.loads(open(sys.argv[1]).readline())
e = ev["error"]
assert ev["message"] == "this is not an nginx line", ev
assert e["stage"] == "handler" and "parse_nginx" in e["component"], e
assert "does not match" in e["message"] and e["time"], e
PY

# parse_json on NDJSON: Docker-style wrapped lines decoded twice
python3 - "$T/docker.log" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(500):
        inner = {"level": "info" if i % 3 else "error", "seq": i, "ctx": {"user": "u%d" % i, "tags": ["a", i]}}
        f.write(json.dumps({"log": json.dumps(inner) + "\n", "stream": "stdout", "time": "2024-01-01T00:00:00Z"}) + "\n")
    f.write('{"log": "not json inside", "stream": "stderr"}\n')
    f.write('{broken\n')
PY
cat >"$T/json.yaml" <<YAML
service: { state_dir: "$T/state2" }
sources:
  docker: { type: file, paths: ["$T/docker.log"] }
destinations:
  out: { type: file, path: "$T/json.ndjson" }
  dead: { type: file, path: "$T/json_dead.ndjson" }
pipelines:
  docker:
    from: [docker]
    to: [out]
    dead_letter: dead
    handlers:
      - parse_json: {}
      - parse_json: { source: log, target: app, on_error: keep }
YAML
"$SLUICE" -c "$T/json.yaml" --once 2>"$T/err2"
check "parse_json run exits 0" [ $? -eq 0 ]
check "every JSON line delivered" [ "$(lines_in "$T/json.ndjson")" -eq 501 ]
check "the broken line was dead-lettered" [ "$(lines_in "$T/json_dead.ndjson")" -eq 1 ]
check "outer and inner fields, nested maps, numbers" python3 - "$T/json.ndjson" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
seen = set()
for ev in evs:
    if ev["stream"] == "stderr":
        assert "app" not in ev and ev["log"] == "not json inside", ev
        continue
    a = ev["app"]
    assert isinstance(a["seq"], int) and a["ctx"]["user"] == "u%d" % a["seq"], ev
    assert a["ctx"]["tags"] == '["a",%d]' % a["seq"], ev
    assert a["level"] == ("info" if a["seq"] % 3 else "error"), ev
    seen.add(a["seq"])
assert seen == set(range(500)), len(seen)
PY

# parse_regex and parse_kv on several workers
for i in $(seq 1 2000); do
    printf 'ts=%d level=%s msg="req \\"%d\\" done" took=%d.5 client=10.0.%d.%d\n' \
        "$i" "$([ $((i % 2)) -eq 0 ] && echo info || echo warn)" "$i" "$i" $((i / 256)) $((i % 256))
done >"$T/app.log"
cat >"$T/kv.yaml" <<YAML
service: { state_dir: "$T/state3", workers: 4 }
sources:
  app: { type: file, paths: ["$T/app.log"] }
destinations:
  out: { type: file, path: "$T/kv.ndjson" }
pipelines:
  app:
    from: [app]
    to: [out]
    handlers:
      - parse_kv: { convert: true }
      - parse_regex:
          pattern: '^10\.0\.(?<net>\d+)\.(?<hostpart>\d+)$'
          source: client
          target: ip
          types: { net: int, hostpart: int }
YAML
"$SLUICE" -c "$T/kv.yaml" --once 2>"$T/err3"
check "parse_kv/parse_regex run exits 0" [ $? -eq 0 ]
check "kv and regex fields on every line" python3 - "$T/kv.ndjson" <<'PY'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert len(evs) == 2000, len(evs)
for ev in evs:
    i = ev["ts"]
    assert ev["msg"] == 'req "%d" done' % i and ev["took"] == i + 0.5, ev
    assert ev["level"] == ("info" if i % 2 == 0 else "warn"), ev
    assert ev["ip"] == {"net": i // 256, "hostpart": i % 256}, ev
PY
# bad handler options are config errors with file:line:column, all at once
cat >"$T/bad.yaml" <<YAML
service: { state_dir: "$T/state4" }
sources:
  web: { type: file, paths: ["$T/in.log"] }
destinations:
  out: { type: file, path: "$T/never.ndjson" }
pipelines:
  p:
    from: [web]
    to: [out]
    handlers:
      - parse_nginx: { format: '\$remote_addr\$remote_user' }
      - parse_regex: { pattern: '(?<a>x', types: { a: int } }
      - parse_kv: { separator: '=>' }
YAML
"$SLUICE" --check -c "$T/bad.yaml" 2>"$T/bad.err"
check "--check fails on bad handler options" [ $? -eq 1 ]
check "the nginx format error names its place" grep -q 'bad.yaml:11:[0-9]*: error: .*parse_nginx.*nothing between them' "$T/bad.err"
check "the regex error names its place" grep -q 'bad.yaml:12:[0-9]*: error: .*parse_regex.*pattern:' "$T/bad.err"
check "the kv error names its place" grep -q 'bad.yaml:13:[0-9]*: error: .*separator must be one character' "$T/bad.err"
finish
