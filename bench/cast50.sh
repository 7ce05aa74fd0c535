#!/usr/bin/env bash
# A 50-member cast in one JVM: start time, idle RSS and threads, then 1,000 req/s for 60 s
# through a five-deep path, with RSS and threads under load and the time to stop.
#
#   mvn -B -q package -DskipTests && bash bench/cast50.sh [RATE] [DURATION_S]
#
# The cast is ten chains of five members (m01 -> m02 -> ... -> m05, m06 -> ... -> m10, ...), each hop a 5 ms
# sleep then a call to the next by name (http://mNN:6379); the load goes to m01, so every request crosses
# five members. LOAD_JAR may name a jar with the `load` command (default: target/thespian.jar).
# The cast runs with its live view (the default: 127.0.0.1:8080 or the next free port); the script checks that its
# graph lists all 50 members (idle and under load) and times /api/graph and /api/traces under load. UI=off runs the
# cast with `--ui off` instead, to compare the cast's CPU per call without the view.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/thespian.jar
LOAD_JAR=${LOAD_JAR:-$JAR}
RATE=${1:-1000}
DURATION=${2:-60}
BASE_PORT=${BASE_PORT:-17001}
WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

{
  echo "name: fifty"
  echo "members:"
  for i in $(seq 1 50); do
    name=$(printf 'm%02d' "$i")
    next=$(printf 'm%02d' $((i + 1)))
    call=""
    if (( i % 5 != 0 )); then
      call=", {Action: {CallService: {service_address: \"http://$next\", service_port: 6379, grpc_method: A}}}"
    fi
    echo "  - name: $name"
    echo "    port: $((BASE_PORT + i - 1))"
    echo "    config: {grpc_method_a: {tracing_name: hop $i, operations: [{Action: {Sleep: {tracing_name: work, duration_ms: 5}}}$call]}}"
  done
} >"$WORK/fifty.cast.yaml"

rss_threads() { awk '/^VmRSS/ {rss=$2} /^Threads/ {t=$2} END {printf "rss_mb=%.0f threads=%d\n", rss/1024, t}' "/proc/$1/status"; }

echo "machine: $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s%N)
UI_ARGS=()
[[ ${UI:-} == off ]] && UI_ARGS=(--ui off)
THESPIAN_LOG_LEVEL=WARN java -jar "$JAR" cast "$WORK/fifty.cast.yaml" "${UI_ARGS[@]}" >"$WORK/cast.out" 2>"$WORK/cast.err" &
PID=$!
until grep -q "Ctrl-C stops them all" "$WORK/cast.out"; do
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/cast.err"; exit 1; }
  sleep 0.02
done
echo "started: $(( ($(date +%s%N) - start) / 1000000 )) ms to 50 members serving (JVM start included)"
VIEW=$(sed -n 's/^live view: //p' "$WORK/cast.out")
# view_check WHEN: the view's graph (services, edges, m01's calls) and how long /api/graph and /api/traces take.
view_check() {
  [[ -n $VIEW ]] || return 0
  local graph traces
  graph=$(curl -sf -w ' %{time_total}' "${VIEW}api/graph") || { echo "live view ($1): /api/graph failed"; exit 1; }
  traces=$(curl -sf -w ' %{time_total}' "${VIEW}api/traces?limit=50") || { echo "live view ($1): /api/traces failed"; exit 1; }
  jq -rn --argjson g "${graph% *}" --argjson t "${traces% *}" --arg gs "${graph##* }" --arg ts "${traces##* }" --arg when "$1" \
    '"live view (\($when)): \($g.services | length) services, \($g.edges | length) edges, m01 \($g.services[] | select(.name == "m01") | "\(.calls) calls at \(.rate_per_s)/s, p99 \(.p99_ms) ms"); /api/graph in \($gs | tonumber * 1000 | floor) ms; /api/traces: \($t.traces | length) listed of \($t.kept) kept (\($t.dropped) dropped, \($t.skipped) skipped), in \($ts | tonumber * 1000 | floor) ms"'
  local services
  services=$(jq '.services | length' <<<"${graph% *}")
  [[ $services == 50 ]] || { echo "live view ($1): the graph lists $services services, not 50"; exit 1; }
}
sleep 10
echo "idle (10 s after start): $(rss_threads "$PID")"
view_check idle

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load() { java -jar "$LOAD_JAR" load --target "127.0.0.1:$BASE_PORT" --method A --timeout 2s "$@"; }
measure() { # runs the load tool with "$@", then prints the cast's CPU per call
  local before after calls
  before=$(cpu_ticks "$PID")
  load "$@" | tee "$WORK/load.out"
  after=$(cpu_ticks "$PID")
  calls=$(awk '/^calls/ {gsub(",", "", $2); print $2}' "$WORK/load.out")
  awk -v t=$((after - before)) -v c="$calls" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "cast CPU: %.2f ms per five-deep call (%d calls)\n", 1000 * t / hz / c, c}'
}

echo "== warm-up (closed loop, 16 in flight, 20 s; not measured)"
load --concurrency 16 --duration 20s >/dev/null
echo "== capacity: closed loop, 16 in flight, 20 s"
measure --concurrency 16 --duration 20s
echo "== open loop at $RATE/s for ${DURATION}s"
measure --rate "$RATE/s" --duration "${DURATION}s" &
MEASURE=$!
sleep $((DURATION / 2))
echo "under load (half way): $(rss_threads "$PID")"
view_check "under load"
wait "$MEASURE" || true
echo "after load: $(rss_threads "$PID")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

stop=$(date +%s%N)
kill -TERM "$PID"
wait "$PID" && echo "stopped: exit 0 after $(( ($(date +%s%N) - stop) / 1000000 )) ms" || echo "stopped: exit $?"
