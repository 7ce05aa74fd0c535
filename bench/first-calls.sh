#!/usr/bin/env bash
# The first calls of a fresh Thespian against the same calls once it is warm (docs/benchmarks.md, "The first calls").
# For each variant and run: a client (org.thespian.bench.Bench first-calls, from the compiled test classes) warms
# itself against a bare server of its own, then a fresh jar process starts with method A = one SLEEP_MS sleep; the
# client sends the first CALLS calls, CONCURRENCY in flight, as soon as the port takes connections, then runs the same
# load for WARM_S seconds and sends ROUNDS more rounds of CALLS calls. It reports p50/p99 of the first calls and of the
# median warm round, client-side and from the server's own request log, their ratio, and how long the process took
# from launch to an open port.
# Variants (VARIANTS, space-separated; default: all whose JDK exists):
#   off         THESPIAN_WARMUP=off, JDK 17                on          the warm-up, JDK 17
#   off-cds     off, with a class-data archive of the jar  on-cds      on, with the archive
#   off-25      off, JDK 25                                on-25       on, JDK 25
#   off-25-aot  off, JDK 25 with an AOT cache of the jar   on-25-aot   on, JDK 25 with the AOT cache
# The archive and the cache are made first by a training run of `java -jar thespian.jar demo` (as the Dockerfile
# makes its archive). Runs alternate over the variants RUNS times. Knobs (env): RUNS (3), CALLS (200), CONCURRENCY
# (10), SLEEP_MS (10), WARM_S (15), ROUNDS (7), CLIENT_WARMUP_S (10), JAVA (java), JAVA25 (Temurin 25 below), VARIANTS.
# A markdown table on stdout, progress on stderr. Everything stays on 127.0.0.1; every process started here is
# stopped on exit, failure or Ctrl-C. About 35 s per variant and run on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=target/thespian.jar
BENCH_CP=target/test-classes:$JAR
JAVA=${JAVA:-java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
RUNS=${RUNS:-3}
CALLS=${CALLS:-200}
CONCURRENCY=${CONCURRENCY:-10}
SLEEP_MS=${SLEEP_MS:-10}
WARM_S=${WARM_S:-15}
ROUNDS=${ROUNDS:-7}
CLIENT_WARMUP_S=${CLIENT_WARMUP_S:-10}

source bench/common.sh
[[ -f $JAR && -d target/test-classes/org/thespian/bench ]] || mvn -B -q package -DskipTests >&2

if [[ -z ${VARIANTS:-} ]]; then
    VARIANTS="off on off-cds on-cds"
    [[ -x $JAVA25 ]] && VARIANTS+=" off-25 on-25 off-25-aot on-25-aot"
fi

# java_of VARIANT / flags_of VARIANT: the JVM and the extra JVM flags a variant's server runs with.
java_of() { [[ $1 == *-25* ]] && echo "$JAVA25" || echo "$JAVA"; }
flags_of() {
    case $1 in
        *-cds) echo "-XX:SharedArchiveFile=$WORK/thespian.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" ;;
        *-aot) echo "-XX:AOTCache=$WORK/thespian.aot -Xlog:aot=off -Xlog:cds=off" ;;
        *) echo "" ;;
    esac
}

# train VARIANT: the archive or cache its flags name, from one run of the demo.
train() {
    case $1 in
        *-cds) [[ -f $WORK/thespian.jsa ]] || "$JAVA" -XX:ArchiveClassesAtExit="$WORK/thespian.jsa" -Xlog:cds=off \
            -Xlog:cds+dynamic=off -jar "$JAR" demo >/dev/null 2>"$WORK/train.stderr" \
            || fail "the class-data archive's training run failed: $(cat "$WORK/train.stderr")" ;;
        *-aot) [[ -f $WORK/thespian.aot ]] || "$JAVA25" -XX:AOTCacheOutput="$WORK/thespian.aot" -Xlog:aot=off \
            -Xlog:cds=off -jar "$JAR" demo >/dev/null 2>"$WORK/train.stderr" \
            || fail "the AOT cache's training run failed: $(cat "$WORK/train.stderr")" ;;
    esac
}

SLEEP="{\"Action\":{\"Sleep\":{\"tracing_name\":\"sleep\",\"duration_ms\":$SLEEP_MS}}}"
CONFIG="{\"grpc_method_a\":{\"tracing_name\":\"first\",\"operations\":[$SLEEP]}}"
RESULTS=$WORK/results # lines "variant key=value ..."

# measure VARIANT: one fresh server under the client; appends the client's RESULT (and the start time) to $RESULTS.
measure() {
    local variant=$1 port client server launched warmup
    port=$(free_port)
    warmup=on
    [[ $variant == off* ]] && warmup=off
    train "$variant"
    "$JAVA" -cp "$BENCH_CP" org.thespian.bench.Bench first-calls --port "$port" --calls "$CALLS" \
        --concurrency "$CONCURRENCY" --warm-s "$WARM_S" --rounds "$ROUNDS" --client-warmup-s "$CLIENT_WARMUP_S" \
        --server-log "$WORK/server.log" >"$WORK/client.out" 2>"$WORK/client.stderr" &
    client=$!
    until grep -q '^ready' "$WORK/client.out"; do
        kill -0 "$client" 2>/dev/null || fail "the client exited: $(cat "$WORK/client.stderr")"
        sleep 0.1
    done
    launched=$(date +%s%3N)
    # shellcheck disable=SC2046 # the flags are words
    env PORT="$port" CONFIG_JSON="$CONFIG" THESPIAN_WARMUP="$warmup" "$(java_of "$variant")" $(flags_of "$variant") \
        -jar "$JAR" >"$WORK/server.log" 2>"$WORK/server.stderr" &
    server=$!
    wait "$client" || fail "the client failed on $variant: $(cat "$WORK/client.stderr") $(cat "$WORK/server.stderr")"
    kill "$server"
    wait "$server" || true
    local result
    result=$(grep '^RESULT ' "$WORK/client.out") || fail "no result for $variant"
    local opened
    opened=$(sed -n 's/.* port_open_epoch_ms=\([0-9]*\).*/\1/p' <<<"$result")
    result="${result#RESULT } start_ms=$((opened - launched))"
    echo "$variant $result" >>"$RESULTS"
    echo "  $variant: $result" >&2
}

for run in $(seq "$RUNS"); do
    echo "run $run of $RUNS" >&2
    for variant in $VARIANTS; do
        measure "$variant"
    done
done

# One row per variant: the median over runs of each figure, and every run's p99 ratio.
python3 - "$RESULTS" "$CALLS" $VARIANTS <<'PYTHON'
import statistics, sys
results, calls, variants = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = {}
for line in open(results):
    variant, *pairs = line.split()
    runs.setdefault(variant, []).append(dict(pair.split("=", 1) for pair in pairs))
def median(variant, key):
    return statistics.median(float(run[key]) for run in runs[variant])
print(f"| variant | launch to open port, ms | first {calls}: OK, p50 / p99 ms | warm p50 / p99, ms | p99 ratio (each run) "
      "| server: first p99 / warm p99, ms | server ratio (each run) |")
print("|---|---|---|---|---|---|---|")
for v in variants:
    each = lambda key: ", ".join(run[key] for run in runs[v])
    print(f"| {v} | {median(v, 'start_ms'):.0f} | {median(v, 'first_ok'):.0f}, {median(v, 'first_p50_ms'):.1f} / "
          f"{median(v, 'first_p99_ms'):.1f} "
          f"| {median(v, 'warm_p50_ms'):.1f} / {median(v, 'warm_p99_ms'):.1f} "
          f"| **{median(v, 'p99_ratio'):.2f}** ({each('p99_ratio')}) "
          f"| {median(v, 'server_first_p99_ms'):.1f} / {median(v, 'server_warm_p99_ms'):.1f} "
          f"| {median(v, 'server_p99_ratio'):.2f} ({each('server_p99_ratio')}) |")
PYTHON
