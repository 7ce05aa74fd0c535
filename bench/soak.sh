#!/usr/bin/env bash
# Soak: the four-member cast bench/soak.cast.yaml under the load tool at about 80% of its measured capacity for
# SOAK_MINUTES (10). Every 30 s it prints the calls, the unexpected errors (goal: 0; no step of the cast fails
# on purpose) and the RSS of the cast (goal: flat, the last minute within 10% of the second). Not in CI; the
# latest result is in docs/benchmarks.md.
#
# The cast runs in one JVM (`java -jar target/thespian.jar cast FILE`); with SOAK_PROCESSES=1, or when the
# jar has no cast command, as four separate Thespian processes on the same configs instead (peers addressed
# by port), and RSS is their sum. Every process is started here on a free port and stopped on exit.
# Knobs (env): SOAK_MINUTES (10), CAPACITY_S (20: the closed-loop capacity measurement, after as long a
# warm-up), CAPACITY_INFLIGHT (64), LOAD_SHARE (0.8), SOAK_PROCESSES, JAVA (java).
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=target/thespian.jar
JAVA=${JAVA:-java}
SOAK_MINUTES=${SOAK_MINUTES:-10}
CAPACITY_S=${CAPACITY_S:-20}
CAPACITY_INFLIGHT=${CAPACITY_INFLIGHT:-64}
LOAD_SHARE=${LOAD_SHARE:-0.8}
CHUNK_S=30
MEMBERS=(edge api store cache)

source bench/common.sh
declare -A PORT=()
PIDS=()

await_healthy() { # PORT PID WHAT
    for _ in $(seq 100); do
        kill -0 "$2" 2>/dev/null || fail "$3 exited: $(cat "$WORK"/*.stderr 2>/dev/null)"
        PORT=$1 "$JAVA" -jar "$JAR" healthcheck >/dev/null 2>&1 && return
        sleep 0.2
    done
    fail "$3 never became healthy"
}

# The cast, copied with free ports, in one JVM.
start_cast() {
    cp -r bench/soak "$WORK/soak"
    cp bench/soak.cast.yaml "$WORK/soak.cast.yaml"
    for member in "${MEMBERS[@]}"; do
        sed -i "/- name: $member\$/{n;s/port: [0-9]*/port: ${PORT[$member]}/}" "$WORK/soak.cast.yaml"
    done
    "$JAVA" -jar "$JAR" cast "$WORK/soak.cast.yaml" >"$WORK/cast.stdout" 2>"$WORK/cast.stderr" &
    PIDS=($!)
    for member in "${MEMBERS[@]}"; do
        await_healthy "${PORT[$member]}" "${PIDS[0]}" "the cast"
    done
}

# The same configs as four processes: a call to http://NAME on 6379 becomes a call to 127.0.0.1:PORT[NAME].
start_processes() {
    local member config
    for member in cache store api edge; do # callees first
        config=$(<"bench/soak/$member.jsonc")
        for peer in "${MEMBERS[@]}"; do
            config=$(sed -E "s#\"service_address\": \"http://$peer\", \"service_port\": \"6379\"#\"service_address\": \"http://127.0.0.1\", \"service_port\": \"${PORT[$peer]}\"#" <<<"$config")
        done
        env PORT="${PORT[$member]}" SERVICE_NAME="$member" CONFIG_JSON="$config" THESPIAN_LOG_LEVEL=WARN \
            "$JAVA" -jar "$JAR" >/dev/null 2>"$WORK/$member.stderr" &
        PIDS+=($!)
        await_healthy "${PORT[$member]}" "$!" "$member"
    done
}

rss_mb() {
    local total=0 pid kb
    for pid in "${PIDS[@]}"; do
        kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
        total=$((total + kb))
    done
    echo $((total / 1024))
}

# One JSON field of the load tool's report: json FILE EXPRESSION (python3, as for free ports).
json() {
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- the run ----

[[ -f $JAR ]] || mvn -B -q package -DskipTests
command -v python3 >/dev/null || fail "python3 is needed for free ports and the reports"
for member in "${MEMBERS[@]}"; do
    PORT[$member]=$(free_port)
done
if [[ ${SOAK_PROCESSES:-} != 1 ]] && "$JAVA" -jar "$JAR" help 2>/dev/null | grep -q '^ *cast '; then
    MODE="one JVM (cast command)"
    start_cast
else
    MODE="four separate processes"
    start_processes
fi
TARGET=127.0.0.1:${PORT[edge]}
echo "soak: bench/soak.cast.yaml as $MODE, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

"$JAVA" -jar "$JAR" load --target "$TARGET" --concurrency "$CAPACITY_INFLIGHT" --warmup "${CAPACITY_S}s" \
    --duration "${CAPACITY_S}s" --json >"$WORK/capacity.json"
CAPACITY=$(json "$WORK/capacity.json" 'round(r["throughput_per_s"])')
RATE=$(python3 -c "print(round($CAPACITY * $LOAD_SHARE))")
echo "capacity: $CAPACITY calls/s at $CAPACITY_INFLIGHT in flight ($(json "$WORK/capacity.json" 'r["errors"]') errors," \
    "p99 $(json "$WORK/capacity.json" 'r["latency_ms"]["p99"]') ms); soaking at $RATE calls/s for $SOAK_MINUTES min"
echo

# Back to back runs of 30 s each, so that errors and RSS show every 30 s; a run starts within about a second
# of the last one's end (a JVM start).
echo "| time | calls | unexpected errors | status codes | p50 ms | p99 ms | max ms | unfinished | RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|"
ERRORS=0
RSS=()
for ((chunk = 1; chunk * CHUNK_S <= SOAK_MINUTES * 60; chunk++)); do
    "$JAVA" -jar "$JAR" load --target "$TARGET" --rate "$RATE/s" --duration "${CHUNK_S}s" --timeout 2s --json \
        >"$WORK/chunk.json" &
    wait $! || fail "the load tool failed"
    RSS+=("$(rss_mb)")
    errors=$(json "$WORK/chunk.json" 'r["errors"] + r["unfinished"]')
    ERRORS=$((ERRORS + errors))
    printf "| %d:%02d | %s | %s | %s | %s | %s | %s | %s | %s |\n" $((chunk * CHUNK_S / 60)) $((chunk * CHUNK_S % 60)) \
        "$(json "$WORK/chunk.json" 'r["calls"]')" "$errors" \
        "$(json "$WORK/chunk.json" '" ".join(k + "=" + str(v) for k, v in r["status_codes"].items())')" \
        "$(json "$WORK/chunk.json" 'r["latency_ms"]["p50"]')" "$(json "$WORK/chunk.json" 'r["latency_ms"]["p99"]')" \
        "$(json "$WORK/chunk.json" 'r["latency_ms"]["max"]')" "$(json "$WORK/chunk.json" 'r["unfinished"]')" \
        "${RSS[-1]}"
done

# Minute 2 is samples 3-4 (at 1:30 and 2:00), the last minute the last two.
n=${#RSS[@]}
if ((n >= 6)); then
    second=$(((RSS[2] + RSS[3]) / 2))
    last=$(((RSS[n - 2] + RSS[n - 1]) / 2))
    verdict=$(python3 -c "print('flat' if abs($last - $second) <= 0.1 * $second else 'NOT flat')")
    echo
    echo "unexpected errors: $ERRORS (goal 0); RSS second minute $second MB, last minute $last MB:" \
        "$(python3 -c "print(f'{($last - $second) / $second:+.1%}')") ($verdict; goal within 10%)"
else
    echo
    echo "unexpected errors: $ERRORS (goal 0); too short for the RSS verdict (needs 3 minutes)"
fi
