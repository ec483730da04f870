#!/usr/bin/env bash
# tests/bench/run.sh: sluice's benchmarks, side by side with rsyslog and
# syslog-ng (issue 9), plus callgrind instruction counts and the parser
# micro-benchmarks (issue 7). Run it with `make bench` (which builds what
# it needs and installs the peers' libraries with `contrib/deps.sh bench`).
#
# Workloads (configs in tests/bench/conf/, one per collector and workload):
#   W1  tail a file -> file, raw lines
#   W2  tail a file -> parse nginx combined -> NDJSON file
#   W3  syslog over TCP (RFC 3164, LF framing) -> parsed -> NDJSON file
#   W4  syslog over TCP -> HTTP sink on 127.0.0.1 (NDJSON batches)
#   W5  tail a file -> parse_nginx -> S3-compatible server, gzip (sluice only)
#   W6  idle RSS: one tailed file and one syslog listener
#
# Every collector runs in the foreground on its own config, pid file and
# work directory under a temporary directory; the system's syslog service is
# never started or touched (rsyslog and syslog-ng are unpacked from Debian's
# packages into $BUILD/bench/peers by tests/bench/peers.sh, not installed).
#
# How a run is measured: the input is generated first (gen_nginx --seq: a
# unique sequence number in every line). The clock starts when the
# collector is started (file workloads) or when the sender starts writing
# (TCP workloads, the collector already listening), and stops when the
# output holds every line (benchtool wait, which reads only what was
# appended, every 10 ms). CPU is the collector process's user+system time
# (/proc/PID/stat, all threads) over that interval; peak RSS is its VmHWM.
# Then the collector is stopped and the output checked: as many lines as
# were sent, each sequence number exactly once. A run that loses or
# duplicates lines is reported as FAILED, never as a figure.
#
# Environment:
#   BENCH_LINES=N          lines per workload (default 2000000)
#   BENCH_CALLGRIND_LINES  lines for the callgrind runs (default 100000)
#   BENCH_ONLY             all (default) | table | callgrind | parsers
#   BENCH_WORKLOADS        default "W1 W2 W3 W4 W5 W6"
#   BENCH_COLLECTORS       default "sluice rsyslog syslog-ng"
#   BENCH_TCP_CONNS        sender connections in W3/W4 (default 4)
#   BENCH_REPEAT           runs per cell, the fastest kept (default 3: the
#                          machine may be shared; any failed run makes the
#                          cell FAILED)
#   BENCH_GZIP_LEVEL       W5's gzip level (default 6, sluice's default)
#   BENCH_TIMEOUT          seconds a run may take (default 600)
#   BENCH_SINK             W4's HTTP server: benchtool (default: `benchtool
#                          sink`, one write per response, TCP_NODELAY) or
#                          http_sink (tests/tools/http_sink: its two-write
#                          responses meet Nagle and delayed ACKs, ~40 ms a
#                          request, which then is all W4 measures)
#   BENCH_KEEP=1           keep the work directory (outputs, logs)
# Nothing here asserts on timing: the figures are printed, not judged.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CONF=$ROOT/tests/bench/conf
SLUICE=$BUILD/sluice
TOOLS=$BUILD/tools
BT=$BUILD/bench/benchtool
PB=$BUILD/bench/parsers_bench
PEERS=$BUILD/bench/peers
N=${BENCH_LINES:-2000000}
CG_N=${BENCH_CALLGRIND_LINES:-100000}
ONLY=${BENCH_ONLY:-all}
WORKLOADS=${BENCH_WORKLOADS:-W1 W2 W3 W4 W5 W6}
COLLECTORS=${BENCH_COLLECTORS:-sluice rsyslog syslog-ng}
CONNS=${BENCH_TCP_CONNS:-4}
REPEAT=${BENCH_REPEAT:-3}
GZIP_LEVEL=${BENCH_GZIP_LEVEL:-6}
TIMEOUT=${BENCH_TIMEOUT:-600}
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-5}

RSYSLOGD=$PEERS/rsyslog/usr/sbin/rsyslogd
RSYSLOG_MODS=$PEERS/rsyslog/usr/lib/x86_64-linux-gnu/rsyslog
SYSLOGNG=$PEERS/syslog-ng/usr/sbin/syslog-ng
SYSLOGNG_LIB=$PEERS/syslog-ng/usr/lib/syslog-ng
SYSLOGNG_MODS=$(ls -d "$SYSLOGNG_LIB"/3.* 2>/dev/null | head -n1)

for f in "$SLUICE" "$BT" "$TOOLS/gen_nginx" "$TOOLS/http_sink"; do
    [ -x "$f" ] || { echo "run.sh: $f is missing: run \`make bench\`" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench.XXXXXX")
# A snapshot of the binary: a rebuild during the run must not swap it.
cp "$SLUICE" "$WORK/sluice"
SLUICE=$WORK/sluice
STARTED=()      # pids of processes this script started
# ours PID: is it still a child of this script (not a recycled pid)?
ours() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    set -- $st
    [ "$2" = "$$" ]
}
cleanup() {
    local p
    for p in "${STARTED[@]}"; do
        ours "$p" && kill -TERM "$p" 2>/dev/null
    done
    for p in "${STARTED[@]}"; do
        wait "$p" 2>/dev/null
    done
    if [ -n "${BENCH_KEEP:-}" ]; then
        echo "run.sh: work directory kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# stop PID: SIGTERM, then SIGKILL after 20 s.
stop() {
    local p=$1 i
    ours "$p" || { wait "$p" 2>/dev/null; return 0; }
    kill -TERM "$p" 2>/dev/null
    for ((i = 0; i < 200; i++)); do
        ours "$p" || break
        [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" = Z ] && break
        sleep 0.1
    done
    ours "$p" && [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ] && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    return 0
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

# render TEMPLATE OUT key=value...: the config with @KEY@ replaced.
render() {
    local tpl=$1 out=$2
    shift 2
    local args=() kv
    for kv in "$@"; do
        args+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
    done
    sed "${args[@]}" "$tpl" >"$out"
}

# start COLLECTOR CONF DIR: start it in the foreground (in the background of
# this script) with everything under DIR; sets CPID.
start() {
    local c=$1 conf=$2 dir=$3
    case $c in
    sluice)
        "$SLUICE" -c "$conf" 2>"$dir/collector.log" &
        ;;
    rsyslog)
        "$RSYSLOGD" -n -f "$conf" -i "$dir/rsyslogd.pid" -M "$RSYSLOG_MODS" \
            >"$dir/collector.log" 2>&1 &
        ;;
    syslog-ng)
        LD_LIBRARY_PATH=$SYSLOGNG_LIB "$SYSLOGNG" -F -f "$conf" -R "$dir/syslog-ng.persist" \
            -p "$dir/syslog-ng.pid" -c "$dir/syslog-ng.ctl" --module-path="$SYSLOGNG_MODS" \
            >"$dir/collector.log" 2>&1 &
        ;;
    esac
    CPID=$!
    STARTED+=("$CPID")
}

conf_of() {     # conf_of W COLLECTOR: the template, or nothing
    local ext
    case $2 in sluice) ext=yaml ;; *) ext=conf ;; esac
    local f=$CONF/$(echo "$1" | tr 'W' 'w').$2.$ext
    [ -f "$f" ] && echo "$f"
}

have_peer() {
    case $1 in
    sluice) return 0 ;;
    rsyslog) [ -x "$RSYSLOGD" ] ;;
    syslog-ng) [ -x "$SYSLOGNG" ] && [ -n "$SYSLOGNG_MODS" ] ;;
    esac
}

# Results, keyed "W|collector".
declare -A R_STATUS R_LPS R_MIBS R_CPU R_RSS R_NOTE

# ratio A B: A/B with two decimals, or "-"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

# measure W COLLECTOR KIND: one run; KIND file (the collector reads
# $INPUT) or tcp (the sender blasts $INPUT_SYSLOG to it). Fills the R_*
# entries of this cell (keeping the fastest of BENCH_REPEAT successful runs).
measure() {
    local w=$1 c=$2 kind=$3 rep=$4
    local key="$w|$c" dir=$WORK/$w-$c-$rep
    mkdir -p "$dir"
    local tpl
    tpl=$(conf_of "$w" "$c")
    local port sinkport=0 sinkpid=""
    port=$(free_port)
    local out=$dir/out
    local input=$INPUT bytes=$INPUT_BYTES
    if [ "$kind" = tcp ]; then
        input=$INPUT_SYSLOG
        bytes=$INPUT_SYSLOG_BYTES
    fi
    if [ "$w" = W4 ]; then
        if [ "${BENCH_SINK:-benchtool}" = http_sink ]; then
            "$TOOLS/http_sink" --port 0 --port-file "$dir/sink.port" --out "$out" \
                >/dev/null 2>"$dir/sink.log" &
        else
            "$BT" sink "$dir/sink.port" "$out" 2>"$dir/sink.log" &
        fi
        sinkpid=$!
        STARTED+=("$sinkpid")
        local i
        for ((i = 0; i < 100; i++)); do [ -s "$dir/sink.port" ] && break; sleep 0.05; done
        sinkport=$(cat "$dir/sink.port")
    fi
    local ext=${tpl##*.}
    render "$tpl" "$dir/config.$ext" WORK="$dir" IN="$input" OUT="$out" PORT="$port" \
        SINK_PORT="$sinkport" RULEBASE="$CONF/nginx.rulebase" GZIP_LEVEL="$GZIP_LEVEL"
    mkdir -p "$dir/state"
    sync
    local t0 t1 cpu0=0 st ok=1 why=""
    if [ "$kind" = file ]; then
        t0=$EPOCHREALTIME
        start "$c" "$dir/config.$ext" "$dir"
    else
        start "$c" "$dir/config.$ext" "$dir"
        if ! "$BT" waitport 127.0.0.1 "$port" 30; then
            ok=0
            why="not listening on port $port"
        fi
        st=$("$BT" stat "$CPID") && cpu0=${st%% *}
        t0=$EPOCHREALTIME
        "$BT" blast "tcp:127.0.0.1:$port" "$input" "$CONNS" >"$dir/blast.out" 2>"$dir/blast.err" &
        STARTED+=("$!")
    fi
    if [ $ok = 1 ] && ! "$BT" wait "$out" "$N" "$TIMEOUT" "$CPID" 2>"$dir/wait.err"; then
        ok=0
        why=$(cat "$dir/wait.err")
    fi
    t1=$EPOCHREALTIME
    st=$("$BT" stat "$CPID" 2>/dev/null) || st=""
    stop "$CPID"
    [ -n "$sinkpid" ] && stop "$sinkpid"
    wait 2>/dev/null        # the sender
    local chk
    chk=$("$BT" check "$out" "$N" 2>&1) || { ok=0; why="${why:+$why; }check: $chk"; }
    local lps mibs cpu rss
    if [ $ok = 1 ] && [ -n "$st" ]; then
        read -r cpu1 hwm _ <<<"$st"
        lps=$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
        mibs=$(awk -v x="$bytes" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", x / (b - a) / 1048576 }')
        cpu=$(awk -v c1="$cpu1" -v c0="$cpu0" -v n="$N" 'BEGIN { printf "%.3f", (c1 - c0) / n }')
        rss=$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')
        log "$w $c: $lps lines/s, $mibs MiB/s, $cpu us CPU/line, peak RSS $rss MiB ($chk)"
        if [ "${R_STATUS[$key]:-}" != ok ] || [ "$lps" -gt "${R_LPS[$key]}" ]; then
            if [ "${R_STATUS[$key]:-}" != FAILED ]; then
                R_STATUS[$key]=ok R_LPS[$key]=$lps R_MIBS[$key]=$mibs R_CPU[$key]=$cpu R_RSS[$key]=$rss
            fi
        fi
    else
        [ -n "$why" ] || why="the collector exited"
        log "$w $c: FAILED: $why"
        log "  (collector log: $(tail -n 3 "$dir/collector.log" 2>/dev/null | tr '\n' ' '))"
        R_STATUS[$key]=FAILED
        R_NOTE[$key]=$(echo "$why" | head -n1 | cut -c1-160)
    fi
    [ -n "${BENCH_KEEP:-}" ] || rm -f "$out"
}

# W5: sluice only, --once against the S3 peer; objects read back.
measure_w5() {
    local key="W5|sluice" dir=$WORK/W5-sluice
    mkdir -p "$dir/state" "$dir/s3data"
    if ! sh "$ROOT/tests/peers/s3/install.sh" >"$dir/install.log" 2>&1; then
        R_STATUS[$key]=n/a
        R_NOTE[$key]="the S3 peer's npm packages could not be installed (tests/peers/s3/install.sh)"
        return
    fi
    node "$ROOT/tests/peers/s3/server.js" --data-dir "$dir/s3data" --bucket logs --port 0 \
        --port-file "$dir/s3.port" --access-key AK1 --secret-key SK1 >/dev/null 2>"$dir/s3.log" &
    local s3pid=$!
    STARTED+=("$s3pid")
    local i
    for ((i = 0; i < 200; i++)); do [ -s "$dir/s3.port" ] && break; sleep 0.1; done
    if ! [ -s "$dir/s3.port" ]; then
        R_STATUS[$key]=FAILED R_NOTE[$key]="the S3 peer did not start"
        return
    fi
    local s3port
    s3port=$(cat "$dir/s3.port")
    render "$CONF/w5.sluice.yaml" "$dir/config.yaml" WORK="$dir" IN="$INPUT" S3_PORT="$s3port" \
        GZIP_LEVEL="$GZIP_LEVEL"
    local t0 t1 rc
    t0=$EPOCHREALTIME
    /usr/bin/time -f "%e %U %S %M" -o "$dir/time" "$SLUICE" --once -c "$dir/config.yaml" \
        2>"$dir/collector.log"
    rc=$?
    t1=$EPOCHREALTIME
    node "$ROOT/tests/peers/s3/client.js" --port "$s3port" --bucket logs --access-key AK1 \
        --secret-key SK1 --prefix bench/ cat >"$dir/out" 2>"$dir/client.err"
    local objects
    objects=$(grep -c 'op=PutObject -> 200' "$dir/s3.log")
    stop "$s3pid"
    local chk ok=1 why=""
    [ $rc = 0 ] || { ok=0; why="sluice --once exited $rc"; }
    chk=$("$BT" check "$dir/out" "$N" 2>&1) || { ok=0; why="${why:+$why; }check: $chk"; }
    if [ $ok = 1 ]; then
        local e u s m
        read -r e u s m <"$dir/time"
        R_STATUS[$key]=ok
        R_LPS[$key]=$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
        R_MIBS[$key]=$(awk -v x="$INPUT_BYTES" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", x / (b - a) / 1048576 }')
        R_CPU[$key]=$(awk -v u="$u" -v s="$s" -v n="$N" 'BEGIN { printf "%.3f", (u + s) * 1e6 / n }')
        R_RSS[$key]=$(awk -v k="$m" 'BEGIN { printf "%.1f", k / 1024 }')
        local gz
        gz=$(du -sb "$dir/s3data" | cut -f1)
        R_NOTE[$key]="gzip level $GZIP_LEVEL, $objects objects, $(awk -v a="$gz" 'BEGIN { printf "%.0f", a / 1048576 }') MiB stored; --once, s3rver (node) behind a SigV4-checking proxy"
        log "W5 sluice: ${R_LPS[$key]} lines/s ($chk)"
    else
        R_STATUS[$key]=FAILED R_NOTE[$key]=$(echo "$why" | head -n1 | cut -c1-160)
        log "W5 sluice: FAILED: $why"
    fi
    [ -n "${BENCH_KEEP:-}" ] || rm -rf "$dir/out" "$dir/s3data"
}

# W6: idle RSS after IDLE_SECONDS with a few lines read.
measure_w6() {
    local c=$1 key="W6|$1" dir=$WORK/W6-$1
    mkdir -p "$dir/state"
    head -n 10 "$INPUT" >"$dir/in.log"
    local tpl port
    tpl=$(conf_of W6 "$c")
    port=$(free_port)
    local ext=${tpl##*.}
    render "$tpl" "$dir/config.$ext" WORK="$dir" IN="$dir/in.log" OUT="$dir/out" PORT="$port"
    start "$c" "$dir/config.$ext" "$dir"
    if "$BT" wait "$dir/out" 10 30 "$CPID" 2>"$dir/wait.err" && "$BT" waitport 127.0.0.1 "$port" 10; then
        sleep "$IDLE_SECONDS"
        local st cpu hwm rss
        st=$("$BT" stat "$CPID")
        read -r cpu hwm rss <<<"$st"
        R_STATUS[$key]=ok R_RSS[$key]=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
        R_NOTE[$key]="idle RSS (VmRSS) after ${IDLE_SECONDS} s; VmHWM $(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }') MiB"
        log "W6 $c: idle RSS ${R_RSS[$key]} MiB"
    else
        R_STATUS[$key]=FAILED R_NOTE[$key]="did not start up: $(head -c 160 "$dir/wait.err")"
    fi
    stop "$CPID"
}

machine() {
    echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores online" \
         "($(lscpu | sed -n 's/^CPU(s): *//p' | head -n1) CPUs), $(free -m | awk '/^Mem:/ { print $2 }') MiB RAM"
    echo "kernel: $(uname -sr); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "sluice: $("$SLUICE" --version 2>&1 | head -n1) (commit $(cd "$ROOT" && git log -1 --format=%h 2>/dev/null || echo "?")$(cd "$ROOT" && git diff --quiet HEAD -- src 2>/dev/null || echo " + uncommitted changes in src/"))"
    if have_peer rsyslog; then
        echo "rsyslog: $("$RSYSLOGD" -v 2>&1 | head -n1 | sed 's/ *compiled with://') (Debian $(cat "$PEERS/rsyslog/.version-rsyslog" 2>/dev/null))"
    fi
    if have_peer syslog-ng; then
        echo "syslog-ng: $(LD_LIBRARY_PATH=$SYSLOGNG_LIB "$SYSLOGNG" -V 2>&1 | head -n1) (Debian $(cat "$PEERS/syslog-ng/.version-syslog-ng-core" 2>/dev/null))"
    fi
}

gen_inputs() {
    mkdir -p "$WORK/in"
    INPUT=$WORK/in/nginx.log
    INPUT_SYSLOG=$WORK/in/syslog.log
    log "generating $N nginx combined lines (and the same with an RFC 3164 header)"
    "$TOOLS/gen_nginx" -n "$N" --seq --seed 1 --start 1763900000 -o "$INPUT"
    "$TOOLS/gen_nginx" -n "$N" --seq --seed 1 --start 1763900000 --syslog -o "$INPUT_SYSLOG"
    INPUT_BYTES=$(stat -c %s "$INPUT")
    INPUT_SYSLOG_BYTES=$(stat -c %s "$INPUT_SYSLOG")
    echo "inputs: $N lines; nginx: $(awk -v b="$INPUT_BYTES" -v n="$N" 'BEGIN { printf "%.0f", b / n }') bytes a line on average ($((INPUT_BYTES / 1048576)) MiB); syslog (RFC 3164 header, LF): $(awk -v b="$INPUT_SYSLOG_BYTES" -v n="$N" 'BEGIN { printf "%.0f", b / n }') bytes a line ($((INPUT_SYSLOG_BYTES / 1048576)) MiB)"
}

na() { R_STATUS[$1]=n/a R_NOTE[$1]=$2; }

run_table() {
    local w c r
    for w in $WORKLOADS; do
        for c in $COLLECTORS; do
            local key="$w|$c"
            if ! have_peer "$c"; then
                na "$key" "not available (tests/bench/peers.sh could not unpack it)"
                continue
            fi
            case $w in
            W5)
                if [ "$c" = sluice ]; then
                    measure_w5
                else
                    na "$key" "sluice only (issue 9's W5)"
                fi
                continue
                ;;
            W6)
                measure_w6 "$c"
                continue
                ;;
            esac
            if [ -z "$(conf_of "$w" "$c")" ]; then
                case "$w|$c" in
                W4\|rsyslog) na "$key" "no omhttp in Debian 12 (no rsyslog-omhttp package; the module is not in the rsyslog package)" ;;
                *) na "$key" "no config" ;;
                esac
                continue
            fi
            local kind=file
            case $w in W3 | W4) kind=tcp ;; esac
            for ((r = 1; r <= REPEAT; r++)); do
                measure "$w" "$c" "$kind" "$r"
            done
        done
    done
}

print_table() {
    echo
    echo "Results: $N lines per workload; lines/s and MiB/s (input bytes) over the wall time from start"
    echo "(file) or first byte sent (TCP, $CONNS connections) to the last line out; CPU = the collector's"
    echo "user+sys per line; RSS = VmHWM (W6: VmRSS when idle). Ratios are sluice/peer: lines/s"
    echo "(above 1: sluice faster), CPU and RSS (below 1: sluice uses less)."
    echo
    printf "%-4s %-10s %12s %9s %10s %9s  %s\n" workload collector "lines/s" "MiB/s" "CPU us/ln" "RSS MiB" "sluice ratio (lines/s, CPU, RSS) / notes"
    printf "%-4s %-10s %12s %9s %10s %9s  %s\n" ---- ---------- ------------ --------- ---------- --------- -----------------------------------------
    local w c
    for w in $WORKLOADS; do
        for c in $COLLECTORS; do
            local key="$w|$c" s=${R_STATUS[$w|$c]:-}
            [ -n "$s" ] || continue
            local note=${R_NOTE[$key]:-}
            if [ "$s" = ok ]; then
                if [ "$c" != sluice ] && [ "${R_STATUS[$w|sluice]:-}" = ok ]; then
                    if [ "$w" = W6 ]; then
                        note="x$(ratio "${R_RSS[$w|sluice]}" "${R_RSS[$key]}") RSS${note:+; $note}"
                    else
                        note="x$(ratio "${R_LPS[$w|sluice]}" "${R_LPS[$key]}") lines/s, x$(ratio "${R_CPU[$w|sluice]}" "${R_CPU[$key]}") CPU, x$(ratio "${R_RSS[$w|sluice]}" "${R_RSS[$key]}") RSS${note:+; $note}"
                    fi
                fi
                printf "%-4s %-10s %12s %9s %10s %9s  %s\n" "$w" "$c" "${R_LPS[$key]:--}" "${R_MIBS[$key]:--}" \
                    "${R_CPU[$key]:--}" "${R_RSS[$key]:--}" "$note"
            else
                printf "%-4s %-10s %12s %9s %10s %9s  %s\n" "$w" "$c" "$s" "" "" "" "$note"
            fi
        done
    done
}

# callgrind: W1 and W2 on CG_N lines, sluice --once: instructions per line
# (whole process, and marginal: the difference to a run on a tenth of the
# lines, which takes start-up and exit out) and the top functions by their
# own instructions. The profiles are kept as $BUILD/bench/callgrind.W1.out
# and .W2.out (callgrind_annotate --inclusive=yes FILE, --tree=caller ...).
cg_run() {      # cg_run W LINES DIR: Ir of one run, or nothing on failure
    local w=$1 n=$2 wd=$3
    mkdir -p "$wd/state"
    head -n "$n" "$INPUT" >"$wd/in.log"
    render "$CONF/$(echo "$w" | tr W w).sluice.yaml" "$wd/config.yaml" WORK="$wd" IN="$wd/in.log" OUT="$wd/out"
    valgrind --tool=callgrind --callgrind-out-file="$wd/callgrind.out" \
        "$SLUICE" --once -c "$wd/config.yaml" >/dev/null 2>"$wd/valgrind.log"
    local rc=$? chk
    chk=$("$BT" check "$wd/out" "$n" 2>&1) || { echo "$w on $n lines: FAILED ($chk; exit $rc)" >&2; return 1; }
    rm -f "$wd/out"
    sed -n 's/^summary: *//p; s/^totals: *//p' "$wd/callgrind.out" | head -n1 | awk '{ print $1 }'
}

run_callgrind() {
    if ! command -v valgrind >/dev/null; then
        echo "callgrind: valgrind is not installed (contrib/deps.sh bench)"
        return
    fi
    local dir=$WORK/callgrind n=$CG_N small=$((CG_N / 10))
    [ "$n" -le "$N" ] || n=$N
    [ "$small" -ge 1 ] || small=1
    mkdir -p "$dir"
    echo
    echo "callgrind: sluice --once on $n lines (valgrind --tool=callgrind; threads serialised; ack and"
    echo "checkpoints on). Ir = instructions of the whole process; marginal = (Ir($n) - Ir($small)) / $((n - small)),"
    echo "i.e. without start-up and exit"
    local w
    for w in W1 W2; do
        local ir ir_small
        ir=$(cg_run "$w" "$n" "$dir/$w") || continue
        ir_small=$(cg_run "$w" "$small" "$dir/$w-small") || continue
        printf "%s: %s Ir in all, %s Ir per line, marginal %s Ir per line\n" "$w" "$ir" \
            "$(awk -v a="$ir" -v n="$n" 'BEGIN { printf "%.0f", a / n }')" \
            "$(awk -v a="$ir" -v b="$ir_small" -v n="$n" -v m="$small" 'BEGIN { printf "%.0f", (a - b) / (n - m) }')"
        echo "  top functions by own (exclusive) instructions, share of the $n-line run:"
        callgrind_annotate --threshold=100 "$dir/$w/callgrind.out" 2>/dev/null |
            awk '/^-+$/ { sep++; next } sep >= 3 && NF >= 2 && $1 ~ /^[0-9,]+$/ && !/PROGRAM TOTALS/ { print; if (++k == 8) exit }' |
            sed 's/^/    /'
        cp "$dir/$w/callgrind.out" "$BUILD/bench/callgrind.$w.out"   # for callgrind_annotate
    done
}

run_parsers() {
    [ -x "$PB" ] || { echo "parsers: $PB is missing (make bench)"; return; }
    local dir=$WORK/parsers
    mkdir -p "$dir"
    head -n 100000 "$INPUT" >"$dir/nginx.log"
    head -n 100000 "$INPUT_SYSLOG" >"$dir/syslog.log"
    echo
    "$PB" "$dir/nginx.log" "$dir/syslog.log" "${BENCH_PARSER_SECONDS:-1}"
}

# ---- main ----
if [ "$ONLY" = parsers ] && [ "$N" -gt 100000 ]; then
    N=100000
fi
if [ "$ONLY" = callgrind ] && [ "$N" -gt "$CG_N" ]; then
    N=$CG_N
fi
if [ "$ONLY" = all ] || [ "$ONLY" = table ]; then
    sh "$ROOT/tests/bench/peers.sh" "$PEERS" ||
        log "could not unpack the peers: they are reported n/a"
fi
machine
gen_inputs
case $ONLY in
all)
    run_table
    print_table
    run_callgrind
    run_parsers
    ;;
table)
    run_table
    print_table
    ;;
callgrind) run_callgrind ;;
parsers) run_parsers ;;
*) echo "run.sh: BENCH_ONLY must be all, table, callgrind or parsers" >&2; exit 2 ;;
esac
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
