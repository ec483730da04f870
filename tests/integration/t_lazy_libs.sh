#!/usr/bin/env bash
# libcurl, librdkafka and OpenSSL are opened only when the config needs
# them: a daemon tailing a file and listening for syslog maps none; one
# with an http destination maps libcurl (and still not librdkafka).
. "$(dirname "$0")/lib.sh"

port=$(pick_port)
: >"$T/in.log"
cat >"$T/idle.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  logs: { type: file, paths: ["$T/in.log"] }
  syslog: { type: syslog, listen: ["udp://127.0.0.1:$port"] }
destinations:
  out: { type: file, path: "$T/out" }
pipelines:
  p: { from: [logs, syslog], to: [out] }
YAML
maps_has() { grep -q "$1" "/proc/$SLUICE_PID/maps"; }

start_sluice "$T/idle.yaml"
echo hello >>"$T/in.log"
wait_until 20 file_has_lines "$T/out" 1
check "idle config: running (a line went through)" file_has_lines "$T/out" 1
check "idle config: libcurl is not mapped" bash -c "! grep -q libcurl /proc/$SLUICE_PID/maps"
check "idle config: librdkafka is not mapped" bash -c "! grep -q librdkafka /proc/$SLUICE_PID/maps"
check "idle config: OpenSSL is not mapped" bash -c "! grep -q 'libssl\|libcrypto' /proc/$SLUICE_PID/maps"
stop_sluice

sink_port=$(pick_port)
cat >"$T/http.yaml" <<YAML
service: { state_dir: "$T/state2" }
sources:
  logs: { type: file, paths: ["$T/in.log"], read_from: beginning }
destinations:
  out: { type: http, url: "http://127.0.0.1:$sink_port/" }
pipelines:
  p: { from: [logs], to: [out] }
YAML
start_sluice "$T/http.yaml"
wait_until 20 maps_has libcurl
check "http destination: libcurl is mapped" maps_has libcurl
check "http destination: librdkafka is still not" bash -c "! grep -q librdkafka /proc/$SLUICE_PID/maps"
stop_sluice
finish
