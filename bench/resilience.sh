#!/usr/bin/env bash
# Circuit breaker and hedging, measured side by side (docs/benchmarks.md, "Circuit breaker and hedging"):
#
#  1. Breaker: two instances of example-configs/scenarios/circuit-breaker.jsonc (each calls its own failing B, 3
#     attempts a request), one loaded on A (with the breaker), the other on C (the same call without it), at the
#     same time with the same open-loop rate. Counted: requests, calls that reached B (the admin service's stats),
#     and the requests' latency.
#  2. Hedging: two instances of example-configs/scenarios/hedged-calls.jsonc (B sleeps a lognormal, median 20 ms,
#     p99 300 ms), one loaded on A (hedged after 50 ms), the other on C (not hedged), at the same time. Measured: the
#     requests' percentiles, and the calls to B per request (the extra load).
#
# The two instances of a pair run at the same time on the same machine, so whatever else it is doing slows both
# alike: compare the ratios.
# The instances do not shed load (THESPIAN_OVERLOAD_LAG_MS=0): on a busy machine they would refuse calls, which
# measures the machine, not the breaker. Knobs (env): RATE (20: requests a second to each instance), WARMUP_S (5:
# the same load first, unmeasured but counted at B), DURATION_S (30), JAVA (java). Every process is started
# here on a free port and stopped on exit. Markdown tables on stdout, progress on stderr. About 90 s.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

JAR=target/thespian.jar
JAVA=${JAVA:-java}
RATE=${RATE:-20}
WARMUP_S=${WARMUP_S:-5}
DURATION_S=${DURATION_S:-30}
[[ -f $JAR ]] || fail "build the jar first: mvn -B -q package -DskipTests"
command -v python3 >/dev/null || fail "python3 is needed for free ports and the reports"
declare -A PORT=() PID=()

# start NAME SCENARIO: the scenario on a free port (calling itself there), with the admin service.
start() {
    local name=$1 port
    port=$(free_port)
    PORT[$name]=$port
    sed "s/\"service_port\": 6379/\"service_port\": $port/" "example-configs/scenarios/$2" >"$WORK/$name.jsonc"
    env PORT="$port" CONFIG_FILE="$WORK/$name.jsonc" THESPIAN_ADMIN=true THESPIAN_LOG_LEVEL=WARN THESPIAN_OVERLOAD_LAG_MS=0 \
        "$JAVA" -jar "$JAR" >/dev/null 2>"$WORK/$name.stderr" &
    PID[$name]=$!
    for _ in $(seq 100); do
        PORT=$port "$JAVA" -jar "$JAR" healthcheck >/dev/null 2>&1 && return
        sleep 0.2
    done
    fail "$name never became healthy: $(cat "$WORK/$name.stderr")"
}

# load NAME METHOD: an open loop at RATE for DURATION_S, in the background; its JSON report in $WORK/NAME.json.
load() {
    "$JAVA" -jar "$JAR" load --target "127.0.0.1:${PORT[$1]}" --method "$2" --rate "$RATE/s" \
        --warmup "${WARMUP_S}s" --duration "${DURATION_S}s" --timeout 10s --json >"$WORK/$1.json" 2>"$WORK/$1.load.stderr" &
}

# calls_to_b NAME: the calls thespian.Thespian/B has taken on that instance.
calls_to_b() {
    "$JAVA" -jar "$JAR" admin --target "127.0.0.1:${PORT[$1]}" stats | awk '$1 == "thespian.Thespian/B" { print $2 }'
}

# pair NAME SCENARIO METHOD NAME SCENARIO METHOD: two instances, loaded at the same time.
pair() {
    start "$1" "$2"
    start "$4" "$5"
    echo "$1 ($3) and $4 ($6): ${DURATION_S} s at $RATE requests/s each" >&2
    load "$1" "$3"
    local first=$!
    load "$4" "$6"
    wait "$first" $! || true
    sleep 1 # answers still on their way to B
    for name in "$1" "$4"; do
        [[ -s $WORK/$name.json ]] || fail "the load on $name failed: $(cat "$WORK/$name.load.stderr")"
        calls_to_b "$name" >"$WORK/$name.b"
        kill "${PID[$name]}"
        wait "${PID[$name]}" || true
    done
}

echo "resilience: $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
pair guarded circuit-breaker.jsonc A unguarded circuit-breaker.jsonc C
pair hedged hedged-calls.jsonc A plain hedged-calls.jsonc C
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$WORK" <<'EOF'
import json, sys
work = sys.argv[1]
def run(name):
    report = json.load(open(f"{work}/{name}.json"))
    report["b"] = int(open(f"{work}/{name}.b").read().strip() or 0)
    report["requests"] = report["calls"] + report["warmup_calls"] # all of them reached B, or tried to
    return report
def ms(report, key):
    return f"{report['latency_ms'][key]:.1f}"
def codes(report):
    return ", ".join(f"{code} {count}" for code, count in report["status_codes"].items())

rows = [("with the breaker (A)", run("guarded")), ("without (C)", run("unguarded"))]
print("| frontend | requests (warm-up included) | answers (measured) | calls reaching B | calls to B per request | p50 ms | p99 ms |")
print("|---|---:|---|---:|---:|---:|---:|")
for label, r in rows:
    print(f"| {label} | {r['requests']} | {codes(r)} | {r['b']} | {r['b'] / r['requests']:.2f} | {ms(r, 'p50')} | {ms(r, 'p99')} |")
g, u = rows[0][1], rows[1][1]
print(f"\nWith the breaker, B took {g['b'] / u['b']:.2f}x the calls it took without it.\n")

rows = [("hedged after 50 ms (A)", run("hedged")), ("not hedged (C)", run("plain"))]
print("| search page | requests | answers | p50 ms | p90 ms | p99 ms | p99.9 ms | calls to B per request |")
print("|---|---:|---|---:|---:|---:|---:|---:|")
for label, r in rows:
    print(f"| {label} | {r['calls']} | {codes(r)} | {ms(r, 'p50')} | {ms(r, 'p90')} | {ms(r, 'p99')} | {ms(r, 'p99.9')}"
          f" | {r['b'] / r['requests']:.2f} |")
h, p = rows[0][1], rows[1][1]
print(f"\nHedged p99 / plain p99: {h['latency_ms']['p99'] / p['latency_ms']['p99']:.2f};"
      f" extra calls to B: {100 * (h['b'] / h['requests'] - p['b'] / p['requests']):.0f}% of the requests.")
EOF
