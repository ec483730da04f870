#!/usr/bin/env bash
# libcurl, librdkafka and OpenSSL are opened only when the config needs
# them: a daemon tailing a file and listening for syslog maps none; one
# with an http destination maps libcurl (and still not librdkafka).
. "$(dirname "$0")/lib.sh"

: >"$T/in.log"
cat >"$T/idle.yaml" <<YAML
service: { state_dir: "$T/state" }
sources:
  logs: { type: file, paths: ["$T/in.log"], read_from: beginning }
  syslog: { type: syslog, listen: ["unix://$T/log.sock"] }
destinations:
  out: { type: file, path: "$T/out" }
pipelines:
  p: { from: [logs, syslog], to: [out] }
YAML
maps_has() { grep -q "$1" "/proc/$SLUICE_PID/maps"; }
maps_lack() { [ -r "/proc/$SLUICE_PID/maps" ] && ! grep -q "$1" "/proc/$SLUICE_PID/maps"; }

start_sluice "$T/idle.yaml"
echo hello >>"$T/in.log"
wait_until 20 file_has_lines "$T/out" 1
check "idle config: running (a line went through)" file_has_lines "$T/out" 1
check "idle config: libcurl is not mapped" maps_lack libcurl
check "idle config: librdkafka is not mapped" maps_lack librdkafka
check "idle config: OpenSSL is not mapped" maps_lack 'libssl\|libcrypto'
stop_sluice
cp "$T/sluice.log" "$T/idle.log"

sink_port=$(pick_port)
cat >"$T/http.yaml" <<YAML
service: { state_dir: "$T/state2", shutdown_timeout: 1s }
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
check "http destination: librdkafka is still not" maps_lack librdkafka
stop_sluice
finish
