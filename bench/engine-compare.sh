#!/usr/bin/env bash
# Before/after for the engine: the same load against two jars, alternating, in one run:
#   null method, one 0 ms sleep, one 10 ms sleep (overshoot = latency - 10 ms), each at 64 calls in flight.
# Usage: bench/engine-compare.sh BASELINE_JAR [CANDIDATE_JAR (target/thespian.jar)]; ROUNDS (2), WARMUP (10s),
# DURATION (10s). The client is the candidate jar's `load` command. Prints one line per (round, jar, scenario).
set -euo pipefail
cd "$(dirname "$0")/.."
BASELINE=${1:?usage: bench/engine-compare.sh BASELINE_JAR [CANDIDATE_JAR]}
CANDIDATE=${2:-target/thespian.jar}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-10s}
DURATION=${DURATION:-10s}
SERVER=

cleanup() {
    [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
}
trap cleanup EXIT

for name in $(compgen -e | grep -E '^(OTEL_|THESPIAN_|LOKI_ADDRESS$|CONFIG_|PORT$|SERVICE_NAME$)' || true); do
    unset "$name"
done

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

sleep_config() {
    echo '{"grpc_method_a": {"tracing_name": "f", "operations": [{"Action": {"Sleep": {"tracing_name": "s", "duration_ms": '"$1"'}}}]}}'
}

measure() { # JAR LABEL CONFIG
    local port
    port=$(free_port)
    PORT=$port THESPIAN_LOG_LEVEL=WARN CONFIG_JSON="$3" java -jar "$1" >/dev/null 2>&1 &
    SERVER=$!
    local tries=0
    until PORT=$port java -jar "$CANDIDATE" healthcheck >/dev/null 2>&1; do
        ((++tries < 60)) || { echo "engine-compare.sh: $1 did not become healthy on port $port" >&2; exit 1; }
        sleep 0.5
    done
    printf '%s\t%s\t' "$(basename "$(dirname "$(dirname "$1")")")/$(basename "$1")" "$2"
    java -jar "$CANDIDATE" load --target "127.0.0.1:$port" --concurrency 64 --warmup "$WARMUP" \
        --duration "$DURATION" --json | tr -d '\n' | head -c 600
    echo
    kill "$SERVER"
    wait "$SERVER" 2>/dev/null || true
    SERVER=
}

for round in $(seq "$ROUNDS"); do
    for jar in "$BASELINE" "$CANDIDATE"; do
        measure "$jar" "null method" '{"grpc_method_a": null}'
        measure "$jar" "one 0 ms sleep" "$(sleep_config 0)"
        measure "$jar" "one 10 ms sleep" "$(sleep_config 10)"
    done
done
