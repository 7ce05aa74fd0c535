#!/usr/bin/env bash
# Null-method throughput of this build (fault headers on, the default; no header sent) against a baseline
# jar, side by side in one run: both servers up at once, measured alternately with the load command.
# Usage: bench/fault-overhead.sh [BASELINE_JAR]  (default /work/baseline/thespian.jar). See docs/benchmarks.md.
set -u
BASELINE=${1:-/work/baseline/thespian.jar}
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
cp target/thespian.jar $TMP/runtime.jar
PB=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
PR=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
env -i PATH=$PATH PORT=$PB THESPIAN_LOG_LEVEL=WARN java -jar $BASELINE >/dev/null 2>&1 & B=$!
env -i PATH=$PATH PORT=$PR THESPIAN_LOG_LEVEL=WARN java -jar $TMP/runtime.jar >/dev/null 2>&1 & R=$!
trap 'kill $B $R; rm -rf $TMP' EXIT
sleep 8
for round in 1 2 3; do
  for which in baseline runtime; do
    port=$PB; [ $which = runtime ] && port=$PR
    w=5s; [ $round = 1 ] && w=15s
    out=$(java -jar $TMP/runtime.jar load --target 127.0.0.1:$port --concurrency 64 --duration 10s --warmup $w --json 2>/dev/null)
    echo "$round $which $(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["throughput_per_s"])') req/s"
  done
done
