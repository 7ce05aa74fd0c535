#!/usr/bin/env bash
# Replicas in one JVM: does a member with replicas get its calls spread evenly? A cast of a caller and a member
# with REPLICAS replicas (default 3) runs under closed-loop load; each replica's admin service then says how many
# calls it took. Passes when every replica took its share (calls / REPLICAS) within 10%.
#
#   mvn -B -q package -DskipTests && bash bench/replicas.sh [REPLICAS] [DURATION_S] [CONCURRENCY]
#
# The caller, front, answers A by calling http://payment's B once; payment's B sleeps 1 ms. The load goes to
# front, so payment's replicas see exactly as many calls as front answered, all through front's one channel to
# http://payment: the spread is that channel's round robin, under 16 calls in flight (CONCURRENCY).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
JAR=target/thespian.jar
REPLICAS=${1:-3}
DURATION=${2:-20}
CONCURRENCY=${3:-16}
[[ -f $JAR ]] || fail "no $JAR: run mvn -B -q package -DskipTests first"
FRONT=$(free_port)
PAYMENT=$(free_port)

cat >"$WORK/replicas.cast.yaml" <<YAML
name: replicas
members:
  - name: front
    port: $FRONT
    config: {grpc_method_a: {tracing_name: order, operations: [
      {Action: {CallService: {service_address: "http://payment", service_port: 6379, grpc_method: B}}}]}}
  - name: payment
    port: $PAYMENT
    replicas: $REPLICAS
    env: {THESPIAN_ADMIN: "true"}
    config: {grpc_method_b: {tracing_name: charge, operations: [
      {Action: {Sleep: {tracing_name: bank, duration_ms: 1}}}]}}
YAML

echo "machine: $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
THESPIAN_LOG_LEVEL=WARN java -jar "$JAR" cast "$WORK/replicas.cast.yaml" >"$WORK/cast.out" 2>"$WORK/cast.err" &
CAST=$!
until grep -q "Ctrl-C stops them all" "$WORK/cast.out"; do
    kill -0 "$CAST" 2>/dev/null || { cat "$WORK/cast.err"; fail "the cast did not start"; }
    sleep 0.05
done
grep -E '^(cast |  )' "$WORK/cast.out"
mapfile -t PORTS < <(awk '$1 ~ /^payment-[0-9]+$/ {split($2, a, ":"); print a[2]}' "$WORK/cast.out")
((${#PORTS[@]} == REPLICAS)) || fail "the member table lists ${#PORTS[@]} payment replicas, not $REPLICAS"

echo "== closed loop, $CONCURRENCY in flight, ${DURATION}s, through front"
java -jar "$JAR" load --target "127.0.0.1:$FRONT" --method A --concurrency "$CONCURRENCY" --duration "${DURATION}s" \
    | tee "$WORK/load.out"

echo "== calls each replica took (its admin service's stats)"
for i in "${!PORTS[@]}"; do
    calls=$(java -jar "$JAR" admin --target "127.0.0.1:${PORTS[$i]}" stats | awk '$1 == "thespian.Thespian/B" {print $2}')
    echo "payment-$((i + 1)) ${PORTS[$i]} $calls"
done | tee "$WORK/spread"
awk -v n="$REPLICAS" '
    {calls[NR] = $3; total += $3}
    END {
        share = total / n; worst = 0
        for (i = 1; i <= n; i++) {
            off = (calls[i] - share) / share * 100
            printf "payment-%d: %d calls, %+.2f%% of its share (%.1f)\n", i, calls[i], off, share
            if (off < 0) off = -off
            if (off > worst) worst = off
        }
        printf "total %d calls; worst replica %.2f%% from its share: %s\n", total, worst, worst <= 10 ? "PASS (within 10%)" : "FAIL"
        exit worst <= 10 ? 0 : 1
    }' "$WORK/spread"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
