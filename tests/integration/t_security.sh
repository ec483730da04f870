#!/usr/bin/env bash
# Least privilege and secrets, on the real binary:
#  1. service.user/service.group (as root; skipped otherwise): sluice binds
#     a syslog listener on a privileged port and opens a root-only (0600)
#     log file, then runs as nobody/nogroup: /proc/PID/status shows the
#     target in all four Uid/Gid fields (every thread), events from both
#     sources still arrive, state_dir and its checkpoints and disk buffer
#     are given to nobody, and a root-owned 0600 file cannot be written.
#     Not root with service.user naming another user: a clear startup
#     error (exit 2); naming the current user: runs.
#  2. a world-writable config (or one in a world-writable directory without
#     the sticky bit) is refused, with --check and at startup (exit 1, the
#     fix named); a group-writable one is a warning; /dev/stdin is not
#     checked.
#  3. secrets from NAME_file options: an http destination with
#     auth.token_file sends the token (the http_sink sees "auth Bearer", an
#     http source with the same auth.token_file accepts it, a wrong token
#     gets 401), the token never appears in sluice's log; a world-readable
#     secret file is a warning, an unreadable one an error.
#  4. checkpoints and disk buffer files are 0600 and their directories 0700
#     (even with umask 000).
. "$(dirname "$0")/lib.sh"

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

# The target user must be able to reach what it writes under $T.
chmod 0755 "$T"
mode_of() { stat -c %a "$1"; }
owner_of() { stat -c %U:%G "$1"; }

# ---- 1. dropping root ---------------------------------------------------------
# A port below 1024 nothing uses now (tcp and udp), 514 first.
pick_low_port() {
    local p hex
    for p in 514 $(seq 600 1000); do
        hex=$(printf ':%04X ' "$p")
        cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null |
            grep -q "$hex" || { echo "$p"; return 0; }
    done
    return 1
}
# ids_are PID UID GID: the Uid: and Gid: lines of every thread of PID show
# UID and GID in all four fields (real, effective, saved, file system).
ids_are() {
    local t
    for t in /proc/"$1"/task/*; do
        grep -q "^Uid:	$2	$2	$2	$2\$" "$t/status" || return 1
        grep -q "^Gid:	$3	$3	$3	$3\$" "$t/status" || return 1
    done
}

drop_cases() {
    local D="$T/drop" uid gid port sport
    uid=$(id -u nobody) gid=$(getent group nogroup | cut -d: -f3)
    mkdir -p "$D/out"
    chown nobody:nogroup "$D/out"
    # A root-only log, longer than fingerprint_bytes so it is opened at start.
    for i in $(seq 1 50); do echo "root-only line $i seq=$(printf %09d "$i") padding to be long"; done >"$D/root.log"
    chmod 0600 "$D/root.log"
    # The file sluice must not be able to write once it is nobody.
    : >"$D/probe.log"
    chmod 0600 "$D/probe.log"
    port=$(pick_low_port) || { ok "skipped: no free port below 1024"; return; }
    sport=$(pick_port)
    # An exec handler that says which user its program runs as (in a
    # directory nobody can read: the test's own is root's 0700).
    X=$(mktemp -d /tmp/sluice-exec.XXXXXX)
    chmod 755 "$X"
    printf '%s\n' 'import json, os, sys' 'for line in sys.stdin:' \
        '    ev = json.loads(line); ev["handler_uid"] = os.getuid(); print(json.dumps([ev]), flush=True)' \
        >"$X/uid.py"
    chmod 644 "$X/uid.py"
    # (a python3 that nobody may run: the system's, not one under /root)
    handlers=""
    [ -x /usr/bin/python3 ] && handlers=", handlers: [ { exec: { command: [ /usr/bin/python3, \"$X/uid.py\" ] } } ]"
    cat >"$D/c.yaml" <<YAML
service: { workers: 2, state_dir: "$D/state", user: nobody, group: nogroup, shutdown_timeout: 2s }
sources:
  logs: { type: file, paths: ["$D/root.log"], read_from: beginning }
  syslog: { type: syslog, listen: ["udp://127.0.0.1:$port", "tcp://127.0.0.1:$port"] }
  probe: { type: socket, listen: "tcp://127.0.0.1:$sport" }
destinations:
  out: { type: file, path: "$D/out/all.ndjson", buffer: { type: disk } }
  forbidden: { type: file, path: "$D/{source}.log", retry: { initial: 100ms, max_elapsed: 1s } }
pipelines:
  main: { from: [logs, syslog], to: [out]$handlers }
  probe: { from: [probe], to: [forbidden] }
YAML
    start_sluice "$D/c.yaml"
    if ! wait_until 10 log_has 'privileges: running as user nobody'; then
        not_ok "drop: sluice switches to nobody" "$(cat "$T/sluice.log")"
        stop_sluice KILL
        return
    fi
    ok "drop: sluice says it runs as user nobody and group nogroup"
    check "drop: every thread's Uid/Gid lines show $uid/$gid in all four fields" \
        ids_are "$SLUICE_PID" "$uid" "$gid"
    check "drop: no supplementary group but nogroup" \
        grep -q "^Groups:	$gid *\$" "/proc/$SLUICE_PID/status"
    check "drop: no capabilities left (CapEff and CapPrm are 0)" \
        [ -z "$(grep -E '^Cap(Eff|Prm):' "/proc/$SLUICE_PID/status" | grep -v '0000000000000000')" ]
    check "drop: the syslog listener still owns the privileged port $port" \
        log_has "listening on tcp://127.0.0.1:$port"
    # Events after the switch, from both sources.
    echo "appended after the switch seq=000000051" >>"$D/root.log"
    printf '<13>Nov 23 10:00:00 h app: over udp seq=000000052\n' | "$TOOLS/sock_send" raw "udp:127.0.0.1:$port"
    printf '<13>Nov 23 10:00:00 h app: over tcp seq=000000053\n' | "$TOOLS/sock_send" raw "tcp:127.0.0.1:$port"
    got_all() { [ "$(seqs "$D/out/all.ndjson" 2>/dev/null | sort -u | wc -l)" -ge 53 ]; }
    check "drop: events flow from the root-only file and the privileged syslog port" \
        wait_until 10 got_all
    check "drop: the line appended to the 0600 file after the switch arrived" \
        grep -q 'appended after the switch' "$D/out/all.ndjson"
    check "drop: syslog over udp and tcp arrived" \
        eval 'grep -q "over udp" "$D/out/all.ndjson" && grep -q "over tcp" "$D/out/all.ndjson"'
    # The probe destination opens $D/probe.log (root's, 0600) only now.
    echo "must not be written" | "$TOOLS/sock_send" raw "tcp:127.0.0.1:$sport"
    check "drop: opening a root-owned 0600 file for writing is refused" \
        wait_until 10 log_has "cannot open $D/probe.log: Permission denied"
    check "drop: ... and it stays empty" [ ! -s "$D/probe.log" ]
    if [ -n "$handlers" ]; then
        check "drop: the exec handler's program runs as nobody for every event" \
            jq_ok -s "length > 0 and all(.handler_uid == $uid)" "$D/out/all.ndjson"
    else
        ok "drop: exec as nobody skipped (no /usr/bin/python3)"
    fi
    kill -HUP "$SLUICE_PID"
    check "drop: a reload after the switch is refused with the reason" \
        wait_until 10 log_has 'cannot reload after service.user dropped root'
    check "drop: ... and sluice keeps running" kill -0 "$SLUICE_PID"
    stop_sluice
    rm -rf "$X"
    check "drop: stops cleanly (exit $SLUICE_RC)" [ "$SLUICE_RC" -eq 0 ]
    check "drop: state_dir was created and given to nobody" \
        [ "$(owner_of "$D/state")" = nobody:nogroup ]
    check "drop: the checkpoint (written as nobody) is nobody's, 0600" \
        eval '[ "$(owner_of "$D/state/checkpoints/logs.ckpt")" = nobody:nogroup ] &&
              [ "$(mode_of "$D/state/checkpoints/logs.ckpt")" = 600 ]'
    check "drop: every file of the disk buffer is nobody's" \
        [ -z "$(find "$D/state/buffers" ! -user nobody)" ]
    check "drop: the root-only log kept its owner and mode" \
        [ "$(owner_of "$D/root.log"):$(mode_of "$D/root.log")" = root:root:600 ]

    # A second start: the state left by nobody is used again.
    start_sluice "$D/c.yaml"
    check "drop: a restart runs as nobody again" \
        wait_until 10 log_has 'privileges: running as user nobody'
    stop_sluice
    check "drop: ... and reads nothing twice (the checkpoint held)" \
        [ "$(seqs "$D/out/all.ndjson" | uniq -d | wc -l)" -eq 0 ]

    # A state_dir that holds other files is not taken over (a warning);
    # sluice's own subdirectories still are.
    mkdir -p "$D/shared/checkpoints"
    : >"$D/shared/other-file"
    sed -e "s|state_dir: \"$D/state\"|state_dir: \"$D/shared\"|" "$D/c.yaml" >"$D/shared.yaml"
    start_sluice "$D/shared.yaml"
    check "drop: a shared state_dir keeps its owner (warning)" \
        wait_until 10 log_has "not changing the owner of service.state_dir $D/shared"
    stop_sluice
    check "drop: ... but its checkpoints/ is given to nobody" \
        [ "$(owner_of "$D/shared/checkpoints")" = nobody:nogroup ]
    check "drop: ... and the shared directory is still root's" \
        [ "$(owner_of "$D/shared")" = root:root ]

    # Not root: service.user must be the user sluice runs as.
    if command -v runuser >/dev/null; then
        cat >"$D/nonroot.yaml" <<YAML
service: { state_dir: "$D/nonroot-state", user: daemon }
sources: { in: { type: stdin } }
destinations: { out: { type: stdout } }
pipelines: { p: { from: [in], to: [out] } }
YAML
        echo hi | runuser -u nobody -- "$SLUICE" -c "$D/nonroot.yaml" --once >"$D/nonroot.out" 2>&1
        rc=$?
        check "not root, service.user another user: exit 2" [ "$rc" -eq 2 ]
        check "not root, service.user another user: a clear error" \
            grep -q 'service.user is "daemon", but sluice is not running as root' "$D/nonroot.out"
        sed -i 's/user: daemon/user: nobody/' "$D/nonroot.yaml"
        echo hi | runuser -u nobody -- "$SLUICE" -c "$D/nonroot.yaml" --once >"$D/self.out" 2>&1
        check "not root, service.user naming the current user: runs" \
            grep -q '"message":"hi"' "$D/self.out"
    else
        ok "skipped: runuser is not installed (not-root cases)"
    fi
    # A user that does not exist is a config error.
    sed -e 's/user: nobody, group: nogroup/user: no-such-user-here/' "$D/c.yaml" >"$D/nouser.yaml"
    "$SLUICE" --check -c "$D/nouser.yaml" >/dev/null 2>"$D/nouser.err"
    rc=$?
    check "unknown service.user: --check exits 1" [ "$rc" -eq 1 ]
    check "unknown service.user: the error says so" \
        grep -q 'option "user": no user named "no-such-user-here"' "$D/nouser.err"
}

if [ "$(id -u)" -ne 0 ]; then
    ok "skipped: dropping privileges needs root"
elif ! id nobody >/dev/null 2>&1 || ! getent group nogroup >/dev/null; then
    ok "skipped: no user nobody or group nogroup"
else
    drop_cases
fi

# ---- 2. config file permissions ------------------------------------------------
C="$T/perm"
mkdir -p "$C"
cat >"$C/c.yaml" <<YAML
service: { state_dir: "$C/state" }
sources: { in: { type: stdin } }
destinations: { out: { type: stdout } }
pipelines: { p: { from: [in], to: [out] } }
YAML
chmod 0666 "$C/c.yaml"
"$SLUICE" --check -c "$C/c.yaml" >/dev/null 2>"$C/check.err"
rc=$?
check "world-writable config: --check exits 1" [ "$rc" -eq 1 ]
check "world-writable config: the error names the file and the fix" \
    grep -q "^$C/c.yaml: error: the config file is writable by every user (mode 0666).*chmod o-w $C/c.yaml" "$C/check.err"
echo x | "$SLUICE" -c "$C/c.yaml" >"$C/run.out" 2>"$C/run.err"
rc=$?
check "world-writable config: a normal start exits 1 too" [ "$rc" -eq 1 ]
check "world-writable config: ... with the same error, and nothing ran" \
    eval 'grep -q "chmod o-w $C/c.yaml" "$C/run.err" && [ ! -s "$C/run.out" ]'
"$SLUICE" --check -c /dev/stdin <"$C/c.yaml" >/dev/null 2>&1
check "world-writable content on standard input (-c /dev/stdin): not checked" [ $? -eq 0 ]
chmod 0664 "$C/c.yaml"
"$SLUICE" --check -c "$C/c.yaml" >/dev/null 2>"$C/group.err"
rc=$?
check "group-writable config: accepted" [ "$rc" -eq 0 ]
check "group-writable config: a warning with the fix" \
    grep -q "warning: the config file is writable by its group.*chmod g-w $C/c.yaml" "$C/group.err"
chmod 0644 "$C/c.yaml"
chmod 0777 "$C"
"$SLUICE" --check -c "$C/c.yaml" >/dev/null 2>"$C/dir.err"
rc=$?
check "config in a world-writable directory: refused (exit 1)" [ "$rc" -eq 1 ]
check "config in a world-writable directory: the error names the directory and the fix" \
    grep -q "directory $C is writable by every user (mode 0777, no sticky bit).*chmod o-w $C" "$C/dir.err"
chmod 1777 "$C"
"$SLUICE" --check -c "$C/c.yaml" >/dev/null 2>&1
check "config in a world-writable directory with the sticky bit (like /tmp): accepted" [ $? -eq 0 ]
chmod 0755 "$C"

# ---- 3. secrets from files -------------------------------------------------------
S="$T/secret"
mkdir -p "$S"
TOKEN="tok-$RANDOM$RANDOM-from-a-file"
printf '%s\n' "$TOKEN" >"$S/token"
chmod 0600 "$S/token"
"$TOOLS/log_writer" -o "$S/in.log" -n 200 --name s >/dev/null
seqs "$S/in.log" >"$S/all.seqs"
rm -f "$S/port"
"$TOOLS/http_sink" --port-file "$S/port" --out "$S/sink.out" >/dev/null 2>"$S/sink.log" &
SINK_PID=$!
PIDS="$PIDS $SINK_PID"
wait_until 10 test -s "$S/port"
cat >"$S/c.yaml" <<YAML
service: { state_dir: "$S/state" }
sources: { in: { type: file, paths: ["$S/in.log"] } }
destinations:
  web:
    type: http
    url: "http://127.0.0.1:$(cat "$S/port")/ingest"
    auth: { type: bearer, token_file: "$S/token" }
    batch: { max_events: 50 }
pipelines: { p: { from: [in], to: [web] } }
YAML
timeout 60 "$SLUICE" -c "$S/c.yaml" --once -v >/dev/null 2>"$S/sluice.log"
rc=$?
kill "$SINK_PID" 2>/dev/null
wait "$SINK_PID" 2>/dev/null
check "token_file: --once delivers (exit $rc)" [ "$rc" -eq 0 ]
check "token_file: every line reached the sink" cmp -s "$S/all.seqs" <(seqs "$S/sink.out")
check "token_file: the sink saw a bearer token on every request" \
    eval '[ "$(grep -c " -> " "$S/sink.log")" -ge 4 ] &&
          [ "$(grep -c " -> " "$S/sink.log")" -eq "$(grep -c "auth Bearer -> " "$S/sink.log")" ]'
check "token_file: the token is nowhere in sluice's log (debug level)" \
    eval '! grep -q -e "$TOKEN" -e "tok-" "$S/sluice.log"'
check "token_file: no warning for a 0600 secret file" eval '! grep -q "readable by every user" "$S/sluice.log"'

# The same file on both ends: an http source that requires the token, and
# an http destination sending it (a trailing newline in the file is not
# part of the token on either side).
hport=$(pick_port)
cat >"$S/recv.yaml" <<YAML
service: { state_dir: "$S/recv-state" }
sources: { web: { type: http, listen: "127.0.0.1:$hport", auth: { token_file: "$S/token" } } }
destinations: { out: { type: file, path: "$S/recv.ndjson" } }
pipelines: { p: { from: [web], to: [out] } }
YAML
start_sluice "$S/recv.yaml"
wait_until 10 curl -s -o /dev/null "http://127.0.0.1:$hport/health"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    --data-binary 'with the right token' "http://127.0.0.1:$hport/")
check "auth.token_file on the http source: the file's token is accepted (got $code)" [ "$code" = 200 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN-x" \
    --data-binary 'with a wrong token' "http://127.0.0.1:$hport/")
check "auth.token_file on the http source: another token gets 401 (got $code)" [ "$code" = 401 ]
sed -e "s|url: .*|url: \"http://127.0.0.1:$hport/\"|" -e "s|state_dir: \"$S/state\"|state_dir: \"$S/state2\"|" \
    "$S/c.yaml" >"$S/chain.yaml"
timeout 60 "$SLUICE" -c "$S/chain.yaml" --once >/dev/null 2>"$S/chain.log"
rc=$?
check "token_file on both ends: the http destination's token is accepted (exit $rc)" \
    eval '[ $rc -eq 0 ] && [ "$(seqs "$S/recv.ndjson" | wc -l)" -eq 200 ]'
stop_sluice
check "auth.token_file on the http source: only the requests with the token were delivered" \
    eval 'grep -q "with the right token" "$S/recv.ndjson" && ! grep -q "wrong token" "$S/recv.ndjson"'
check "token_file on both ends: the token is in neither log" \
    eval '! grep -q "$TOKEN" "$T/sluice.log" "$S/chain.log"'

# A world-readable secret file: a warning; an unreadable or empty one: an error.
chmod 0644 "$S/token"
"$SLUICE" --check -c "$S/c.yaml" >/dev/null 2>"$S/wr.err"
rc=$?
check "world-readable secret file: accepted with a warning naming the fix" \
    eval '[ $rc -eq 0 ] && grep -q "option \"auth.token_file\": $S/token holds a secret but is readable by every user (mode 0644); fix it with: chmod o-r $S/token" "$S/wr.err"'
check "world-readable secret file: the warning does not show the token" eval '! grep -q "$TOKEN" "$S/wr.err"'
sed -e "s|token_file: \"$S/token\"|token_file: \"$S/missing\"|" "$S/c.yaml" >"$S/missing.yaml"
"$SLUICE" --check -c "$S/missing.yaml" >/dev/null 2>"$S/missing.err"
rc=$?
check "missing secret file: exit 1 with the path and the reason" \
    eval '[ $rc -eq 1 ] && grep -q "option \"auth.token_file\": cannot read $S/missing: No such file or directory" "$S/missing.err"'
sed -e "s|token_file: \"$S/token\"|token_file: \"$S/token\", token: inline|" "$S/c.yaml" >"$S/both.yaml"
"$SLUICE" --check -c "$S/both.yaml" >/dev/null 2>"$S/both.err"
rc=$?
check "token and token_file both given: exit 1" \
    eval '[ $rc -eq 1 ] && grep -q "give either \"auth.token\" or \"auth.token_file\", not both" "$S/both.err"'
check "--help-plugin lists auth.token_file" \
    eval '"$SLUICE" --help-plugin destination/http | grep -q "^  auth.token_file "'

# ---- 4. permissions of checkpoints and disk buffers ------------------------------
P="$T/modes"
mkdir -p "$P"
"$TOOLS/log_writer" -o "$P/in.log" -n 100 --name m >/dev/null
cat >"$P/c.yaml" <<YAML
service: { state_dir: "$P/state" }
sources: { in: { type: file, paths: ["$P/in.log"] } }
destinations:
  out: { type: file, path: "$P/out.ndjson", buffer: { type: disk } }
  custom: { type: file, path: "$P/custom.ndjson", buffer: { type: disk, path: "$P/custom-buffer" } }
pipelines: { p: { from: [in], to: [out, custom] } }
YAML
(umask 000; timeout 60 "$SLUICE" -c "$P/c.yaml" --once >/dev/null 2>"$P/sluice.log")
rc=$?
check "state permissions: --once under umask 000 delivers (exit $rc)" \
    eval '[ $rc -eq 0 ] && [ "$(lines_in "$P/out.ndjson")" -eq 100 ]'
bad_modes() {   # DIR: every directory 0700 and every file 0600, or name them
    find "$1" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \) -printf '%m %p\n'
}
check "state permissions: state_dir, checkpoints/ and the checkpoint file are 0700/0600" \
    eval '[ "$(mode_of "$P/state"):$(mode_of "$P/state/checkpoints"):$(mode_of "$P/state/checkpoints/in.ckpt")" = 700:700:600 ]'
check "state permissions: the disk buffer directory is 0700, its files 0600" \
    eval '[ -d "$P/state/buffers/out" ] && [ -n "$(ls "$P/state/buffers/out")" ] && [ -z "$(bad_modes "$P/state")" ]'
check "state permissions: a buffer.path directory too" \
    eval '[ -n "$(ls "$P/custom-buffer")" ] && [ -z "$(bad_modes "$P/custom-buffer")" ]'

finish
