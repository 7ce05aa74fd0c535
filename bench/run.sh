#!/usr/bin/env bash
# Thespian's benchmarks, side by side in one run (docs/benchmarks.md explains what and why):
#   a. throughput and latency at 64 calls in flight: grpc-java floor (driven by the load tool, and by a plain
#      grpc-java async loop, to show the tool keeps up), null method, one 0 ms sleep, both with the live view on,
#      the same with OTLP export to a local sink, and with OTLP export pointed at a closed port;
#   c. per-hop cost: client -> middle -> leaf, each a separate Thespian process;
#   b. sleep fidelity: 5,000 concurrent 200 ms sleeps on one instance (JDK 17, and JDK 25 if installed);
#   e. the load tool's own error: an open-loop rate against a fixed sleep, its percentiles against the server's;
#   f. span delivery: spans arriving at a local OTLP sink against spans made, at 20,000 spans/s (bench/span-delivery.sh;
#      SPAN_DELIVERY_ONLY=1 runs only this).
# The load is `java -jar target/thespian.jar load`; the sink, the plain loop, the burst and the CPU accounting
# are org.thespian.bench.Bench in the compiled test classes (src/test/java/org/thespian/bench).
# Markdown tables on stdout, progress on stderr. All traffic stays on 127.0.0.1, every process is started
# here on a free port and stopped on exit, failure or Ctrl-C. About 5 minutes on 2 cores.
# Knobs (env): WARMUP_S (20), DURATION_S (10), INFLIGHT (64), BURST_CALLS (5000), BURST_SLEEP_MS (200),
# BURST_WARMUP_S (20), ACCURACY_RATE (2000), ACCURACY_SLEEP_MS (10), JAVA (java),
# JAVA25 (the Temurin 25 path below; the burst on it is skipped when it does not exist),
# BASELINE_JAR (another build's jar: its null method, 0 ms sleep, spans exported and burst rows run beside this
# build's, in the same run, for before/after ratios), BASELINE_ROUNDS (1: how many times the null-method, 0 ms sleep
# and spans-exported pairs run, alternating which jar goes first), LIVE_VIEW (1: the null method and 0 ms sleep also run with the live view
# on, in every round and for both jars, and the summary gives each jar's view on ÷ off; 0 leaves those rows out),
# SECTIONS (acbef: the sections to run, e.g. SECTIONS=ab for a quicker
# before/after).
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=target/thespian.jar
BENCH_CP=target/test-classes:$JAR
JAVA=${JAVA:-java}
JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
WARMUP_S=${WARMUP_S:-20}
DURATION_S=${DURATION_S:-10}
INFLIGHT=${INFLIGHT:-64}
BURST_CALLS=${BURST_CALLS:-5000}
BURST_SLEEP_MS=${BURST_SLEEP_MS:-200}
BURST_WARMUP_S=${BURST_WARMUP_S:-20}
ACCURACY_RATE=${ACCURACY_RATE:-2000}
ACCURACY_SLEEP_MS=${ACCURACY_SLEEP_MS:-10}

source bench/common.sh
source bench/span-delivery.sh
RESULTS=$WORK/results # lines "table|label|key=value ..."
declare -A PID=() PORT=()

# start_thespian NAME CONFIG_JSON [VAR=value ...]: a Thespian on a free port (on $SERVER_JAVA, from $SERVER_JAR if set), its
# stdout (one JSON line per request) to $SERVER_STDOUT or /dev/null; returns once it answers health checks.
start_thespian() {
    local name=$1 config=$2
    shift 2
    PORT[$name]=$(free_port)
    env PORT="${PORT[$name]}" SERVICE_NAME="$name" CONFIG_JSON="$config" "$@" "${SERVER_JAVA:-$JAVA}" -jar "${SERVER_JAR:-$JAR}" \
        >"${SERVER_STDOUT:-/dev/null}" 2>"$WORK/$name.stderr" &
    PID[$name]=$!
    for _ in $(seq 50); do
        kill -0 "${PID[$name]}" 2>/dev/null || fail "$name exited: $(cat "$WORK/$name.stderr")"
        PORT=${PORT[$name]} "$JAVA" -jar "$JAR" healthcheck >/dev/null 2>&1 && return
        sleep 0.2
    done
    fail "$name never became healthy"
}

# The bench's sink: an OTLP receiver and a bare grpc-java server; it picks its own port.
start_sink() {
    "$JAVA" -cp "$BENCH_CP" org.thespian.bench.Bench sink >"$WORK/sink.out" 2>"$WORK/sink.stderr" &
    PID[sink]=$!
    for _ in $(seq 100); do
        kill -0 "${PID[sink]}" 2>/dev/null || fail "sink exited: $(cat "$WORK/sink.stderr")"
        PORT[sink]=$(awk '/^listening/ { print $2 }' "$WORK/sink.out" 2>/dev/null || true) # the file may not be there yet
        [[ -n ${PORT[sink]} ]] && return
        sleep 0.2
    done
    fail "sink never started listening"
}

# stop NAME: SIGTERM and wait for the graceful exit (which flushes buffered telemetry).
stop() {
    kill "${PID[$1]}"
    wait "${PID[$1]}" || true
}

# client TABLE LABEL MODE [options...]: runs a mode of the bench (in the background, so that a signal is
# handled at once) and appends its RESULT line to $RESULTS.
client() {
    local table=$1 label=$2
    shift 2
    "$JAVA" -cp "$BENCH_CP" org.thespian.bench.Bench "$@" >"$WORK/client.out" &
    wait $! || fail "the bench failed on \"$label\""
    local result
    result=$(grep '^RESULT ' "$WORK/client.out") || fail "no result for \"$label\""
    echo "$table|$label|${result#RESULT }" >>"$RESULTS"
    echo "  $label: ${result#RESULT }" >&2
}

# load TABLE LABEL PORT [measure options...]: the load tool, closed loop, with the CPU of its measured window.
load() {
    local table=$1 label=$2 port=$3
    shift 3
    client "$table" "$label" measure "$@" -- "$JAVA" -jar "$JAR" load --target "127.0.0.1:$port" \
        --concurrency "$INFLIGHT" --warmup "${WARMUP_S}s" --duration "${DURATION_S}s" --json
}

# plain_loop TABLE LABEL PORT [measure options...]: the same load from the plainest grpc-java async loop.
plain_loop() {
    local table=$1 label=$2 port=$3
    shift 3
    client "$table" "$label" measure "$@" -- "$JAVA" -cp "$BENCH_CP" org.thespian.bench.Bench plain --port "$port" \
        --concurrency "$INFLIGHT" --warmup-s "$WARMUP_S" --duration-s "$DURATION_S"
}

# section LETTER: whether SECTIONS asks for it.
section() { [[ ${SECTIONS:-acbef} == *"$1"* ]]; }

# Configs: method A does the work, B and C are null.
config() { # TRACING_NAME OPERATIONS (a JSON array's contents), or nothing for a null method
    local a=null
    [[ $# -gt 0 ]] && a="{\"tracing_name\":\"$1\",\"operations\":[$2]}"
    echo "{\"grpc_method_a\":$a,\"grpc_method_b\":null,\"grpc_method_c\":null}"
}
sleep_op() { echo "{\"Action\":{\"Sleep\":{\"tracing_name\":\"sleep\",\"duration_ms\":$1}}}"; }
call_op() { echo "{\"Action\":{\"CallService\":{\"service_address\":\"http://127.0.0.1\",\"service_port\":\"$1\",\"grpc_method\":\"A\"}}}"; }

# ---- the run ----

[[ -f $JAR && -f target/test-classes/org/thespian/bench/Bench.class ]] || mvn -B -q package -DskipTests
command -v python3 >/dev/null || fail "python3 is needed to find free ports"

echo "Thespian benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')" >&2
MACHINE="$(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p')), $(free -h | awk '/^Mem:/ { print $2 }') RAM, \
$("$JAVA" -version 2>&1 | sed -n 1p), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$MACHINE" >&2

SLEEP0=$(config work "$(sleep_op 0)")

# SPAN_DELIVERY_ONLY=1: only section f (span delivery), for a quicker run.
if [[ -n ${SPAN_DELIVERY_ONLY:-} ]]; then
    span_delivery
    printf '\n### f. Span delivery to a local OTLP receiver\n\n%s\n' "$(span_delivery_report)"
    exit 0
fi

echo "a. throughput and latency, $INFLIGHT in flight, ${WARMUP_S} s warm-up + ${DURATION_S} s measured" >&2
start_sink
# Whichever client meets a fresh sink loses seconds of its window to the sink's JIT: warm the sink first, unmeasured.
"$JAVA" -cp "$BENCH_CP" org.thespian.bench.Bench plain --port "${PORT[sink]}" --concurrency "$INFLIGHT" \
    --warmup-s "$WARMUP_S" --duration-s 1 >/dev/null
load a "grpc-java floor (sink, no Thespian)" "${PORT[sink]}" --server-pids "${PID[sink]}"
plain_loop a "the same floor, plain grpc-java async loop" "${PORT[sink]}" --server-pids "${PID[sink]}"

# row NAME LABEL CONFIG [SERVER_JAR [VAR=value ...]]: one row of table a from a fresh instance.
row() {
    local name=$1 label=$2 cfg=$3 jar=${4:-$JAR}
    shift $(($# < 4 ? $# : 4))
    SERVER_JAR=$jar start_thespian "$name" "$cfg" "$@"
    load a "$label" "${PORT[$name]}" --server-pids "${PID[$name]}"
    stop "$name"
}

# The sink's counts of trace exports so far: "requests=N bytes=N items=N", or nothing before the first.
sink_traces() { grep 'TraceService/Export' "$WORK/sink.out" | tail -1 | sed 's/.* requests=/requests=/' || true; }

# traced_row LABEL JAR: one 0 ms sleep with its spans exported to the sink, from a fresh instance; the row gets what
# the sink received from it (requests, bytes and items: exports, bytes and spans).
traced_row() {
    local before
    before=$(sink_traces)
    SERVER_JAR=$2 start_thespian traced "$SLEEP0" OTEL_BACKEND_ADDRESS="http://127.0.0.1:${PORT[sink]}"
    load a "$1" "${PORT[traced]}" --server-pids "${PID[traced]}" --helper-pids "${PID[sink]}"
    stop traced # flushes what is still queued; the sink prints its counts within a second
    sleep 1.5
    local received
    received=$(awk -v before="$before" -v after="$(sink_traces)" 'BEGIN {
        n = split(before, words, " "); for (i = 1; i <= n; i++) { split(words[i], kv, "="); was[kv[1]] = kv[2] }
        n = split(after, words, " "); for (i = 1; i <= n; i++) { split(words[i], kv, "="); now[kv[1]] = kv[2] }
        printf " requests=%d bytes=%d items=%d", now["requests"] - was["requests"], now["bytes"] - was["bytes"], now["items"] - was["items"] }')
    sed -i "\$ s/\$/$received/" "$RESULTS"
}

# The null method, one 0 ms sleep and the same with its spans exported (OTLP to the sink), each also with the live view on (THESPIAN_UI; docs/live-view.md: it sees every
# span in process) unless LIVE_VIEW=0; with BASELINE_JAR, the baseline jar's rows beside them for BASELINE_ROUNDS
# rounds, the order reversed each round: one row on 2 shared cores varies by 15% or more.
rounds=1
[[ -n ${BASELINE_JAR:-} ]] && rounds=${BASELINE_ROUNDS:-1}
for round in $(seq "$rounds"); do
    suffix=""
    ((round > 1)) && suffix=", round $round"
    for kind in null sleep0 traced; do
        case $kind in
            null) label="null method" cfg=$(config) ;;
            sleep0) label="one 0 ms sleep" cfg=$SLEEP0 ;;
            traced) label="0 ms sleep, OTLP to sink" cfg=$SLEEP0 ;;
        esac
        rows=("$label$suffix|$JAR|")
        [[ -n ${BASELINE_JAR:-} ]] && rows+=("$label, baseline jar$suffix|$BASELINE_JAR|")
        if [[ ${LIVE_VIEW:-1} != 0 && $kind != traced ]]; then
            rows+=("$label, live view on$suffix|$JAR|THESPIAN_UI=127.0.0.1:0")
            [[ -n ${BASELINE_JAR:-} ]] && rows+=("$label, live view on, baseline jar$suffix|$BASELINE_JAR|THESPIAN_UI=127.0.0.1:0")
        fi
        order=$(seq 0 $((${#rows[@]} - 1)))
        ((round % 2)) || order=$(seq $((${#rows[@]} - 1)) -1 0)
        for i in $order; do
            IFS='|' read -r row_label row_jar row_env <<<"${rows[i]}"
            if [[ $kind == traced ]]; then traced_row "$row_label" "$row_jar"; else row "$kind" "$row_label" "$cfg" "$row_jar" $row_env; fi
        done
    done
done

stop sink

start_thespian closed "$SLEEP0" OTEL_BACKEND_ADDRESS="http://127.0.0.1:$(free_port)"
load a "0 ms sleep, OTLP to closed port" "${PORT[closed]}" --server-pids "${PID[closed]}"
stop closed

if section c; then
    echo "c. three-instance chain, 0 ms sleeps" >&2
    start_thespian leaf "$(config leaf "$(sleep_op 0)")"
    start_thespian middle "$(config middle "$(sleep_op 0),$(call_op "${PORT[leaf]}")")"
    load c "chain: client -> middle -> leaf" "${PORT[middle]}" --server-pids "${PID[middle]},${PID[leaf]}"
    stop middle
    stop leaf
fi

echo "b. $BURST_CALLS concurrent ${BURST_SLEEP_MS} ms sleeps" >&2
# The server's own view: its request log says how long each call took from arrival to answer, so the
# overshoot it adds can be told from the client's (the load generator shares the cores).
# LOG first|last PREFIX [N [EXPECT_MS]]: " PREFIX_p50_ms=..." over the first or last N (BURST_CALLS) request lines,
# less EXPECT_MS (BURST_SLEEP_MS).
server_overshoot() {
    awk -v n="${4:-$BURST_CALLS}" -v which="$2" -v expect="${5:-$BURST_SLEEP_MS}" '
        match($0, /answered OK in [0-9.]+ ms/) { split(substr($0, RSTART, RLENGTH), words, " "); ms[++count] = words[4] }
        END { from = (which == "first") ? 1 : count - n + 1; for (i = from; i < from + n; i++) print ms[i] - expect }' "$1" |
        sort -g | awk -v prefix="$3" '
            function at(q,    rank) { rank = int(q * NR); if (rank < q * NR) rank++; return sprintf("%.1f", over[rank]) }
            { over[NR] = $1 }
            END { printf " %s_p50_ms=%s %s_p99_ms=%s %s_p99.9_ms=%s %s_max_ms=%s", prefix, at(0.5), prefix, at(0.99), prefix, at(0.999), prefix, at(1) }'
}
burst() { # LABEL JAVA [JAR]
    SERVER_JAVA=$2 SERVER_JAR=${3:-$JAR} SERVER_STDOUT=$WORK/burst.log start_thespian burst "$(config nap "$(sleep_op "$BURST_SLEEP_MS")")"
    client b "$1" burst --port "${PORT[burst]}" --calls "$BURST_CALLS" --expect-ms "$BURST_SLEEP_MS" \
        --warmup-s "$BURST_WARMUP_S" --server-pids "${PID[burst]}"
    stop burst
    # The first burst's lines come first in the log, the measured one's last.
    local server_side
    server_side="$(server_overshoot "$WORK/burst.log" first server_cold_over)$(server_overshoot "$WORK/burst.log" last server_over)"
    sed -i "\$ s/\$/$server_side/" "$RESULTS"
}
burst "server on $("$JAVA" -version 2>&1 | sed -n 1p)" "$JAVA"
if [[ -n ${BASELINE_JAR:-} ]]; then
    burst "baseline jar, server on $("$JAVA" -version 2>&1 | sed -n 1p)" "$JAVA" "$BASELINE_JAR"
fi
if [[ -x $JAVA25 ]]; then
    burst "server on $("$JAVA25" -version 2>&1 | sed -n 1p)" "$JAVA25"
fi

if section e; then
    echo "e. the load tool's own error: open loop at ${ACCURACY_RATE}/s against a ${ACCURACY_SLEEP_MS} ms sleep" >&2
    SERVER_STDOUT=$WORK/accuracy.log start_thespian accuracy "$(config nap "$(sleep_op "$ACCURACY_SLEEP_MS")")"
    client e "open loop, ${ACCURACY_RATE}/s" measure --server-pids "${PID[accuracy]}" -- "$JAVA" -jar "$JAR" load \
        --target "127.0.0.1:${PORT[accuracy]}" --rate "${ACCURACY_RATE}/s" --warmup "${WARMUP_S}s" \
        --duration "${DURATION_S}s" --json
    stop accuracy
    # The measured calls are the last ones the server logged (the warm-up's came first).
    sed -i "\$ s/\$/$(server_overshoot "$WORK/accuracy.log" last server "$(sed -n '$ s/.* ok=\([0-9]*\).*/\1/p' "$RESULTS")" 0)/" "$RESULTS"
fi

if section f; then
    span_delivery
fi

# ---- the report ----

# Tables from $RESULTS. Load tables show ratios against the row labelled BASE.
report() {
    awk -F'|' -v want="$1" -v base="$2" '
        function cell(key) { return (key in v) ? v[key] : "-" }
        function by_thread(    text) { text = cell("server_threads_ms"); gsub(/,/, " ", text); return text }
        function ratio(key) { return (cell(key) == "-" || !(key in b) || b[key] == 0) ? "-" : sprintf("%.2f", v[key] / b[key]) }
        function parse(text, into,    n, i, kv, pair) {
            delete into
            n = split(text, kv, " ")
            for (i = 1; i <= n; i++) { split(kv[i], pair, "="); into[pair[1]] = pair[2] }
        }
        $1 == want || $2 == base { rows[++count] = $0 }
        END {
            for (r = 1; r <= count; r++) { split(rows[r], f, "|"); if (f[2] == base) parse(f[3], b) }
            if (want == "b") {
                print "| server | fresh server: all done ms | fresh: overshoot p50 / p99 / max ms | fresh, server-side: p50 / p99 / max ms | warmed: issue ms | all done ms | overshoot p50 ms | p90 | p99 | max | server-side p50 / p99 / max ms | errors | threads fresh/idle/burst | RSS MB fresh/idle/burst | server CPU µs/call | server CPU ms by thread | foreign load (cores) |"
                print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
            } else {
                print "| scenario | req/s | × req/s | p50 ms | × p50 | p90 ms | p99 ms | × p99 | max ms | errors | server CPU µs/req | × CPU | server CPU ms by thread | client CPU µs/req | server ÷ client CPU | foreign load (cores) | warm-up s |"
                print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
            }
            for (r = 1; r <= count; r++) {
                split(rows[r], f, "|")
                if (f[1] != want && f[2] != base) continue
                parse(f[3], v)
                if (want == "b") {
                    printf "| %s | %s | %s / %s / %s | %s / %s / %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s | %s | %s | %s | %s |\n", f[2],
                        cell("cold_completion_ms"), cell("cold_over_p50_ms"), cell("cold_over_p99_ms"), cell("cold_over_max_ms"),
                        cell("server_cold_over_p50_ms"), cell("server_cold_over_p99_ms"), cell("server_cold_over_max_ms"),
                        cell("issue_ms"), cell("completion_ms"), cell("over_p50_ms"), cell("over_p90_ms"),
                        cell("over_p99_ms"), cell("over_max_ms"), cell("server_over_p50_ms"), cell("server_over_p99_ms"),
                        cell("server_over_max_ms"), cell("errors"), cell("threads"), cell("rss_mb"),
                        cell("server_cpu_us"), by_thread(), cell("foreign_cores")
                } else {
                    cpu = cell("server_cpu_us")
                    if (index(cell("server_cpu_us_each"), "/")) cpu = cpu " (" cell("server_cpu_us_each") ")"
                    # The client does the same work per call in every row: its CPU per call is a yardstick for
                    # how fast the shared machine ran during that row.
                    relative = (v["client_cpu_us"] > 0) ? sprintf("%.2f", v["server_cpu_us"] / v["client_cpu_us"]) : "-"
                    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f[2], cell("rps"),
                        ratio("rps"), cell("p50_ms"), ratio("p50_ms"), cell("p90_ms"), cell("p99_ms"), ratio("p99_ms"),
                        cell("max_ms"), cell("errors"), cpu, ratio("server_cpu_us"), by_thread(), cell("client_cpu_us"),
                        relative, cell("foreign_cores"), cell("warmup_s")
                    if (want == "c" && f[2] != base)
                        hop = sprintf("Per hop (chain minus single instance): p50 %+.2f ms, server CPU %+.1f µs/request.",
                            v["p50_ms"] - b["p50_ms"], v["server_cpu_us"] - b["server_cpu_us"])
                }
            }
            if (hop != "") print "\n" hop
        }' "$RESULTS"
}

# What each traced instance exported: spans received against requests answered, warm-up included (3 spans each).
sink_summary() {
    awk -F'|' -v measured="$DURATION_S" 'index($2, "0 ms sleep, OTLP to sink") == 1 {
        delete v
        n = split($3, words, " ")
        for (i = 1; i <= n; i++) { split(words[i], kv, "="); v[kv[1]] = kv[2] }
        if (v["items"] + 0 == 0) { printf "OTLP sink, %s: received no trace exports (requests answered: %s).\n", $2, v["calls_with_warmup"]; next }
        seconds = v["warmup_s"] + measured
        # A call refused before the engine (shed load, limits) makes only its SERVER span.
        short = 3 * v["calls_with_warmup"] - v["items"]
        lost = (v["errors"] > 0) ? sprintf("%d spans short of 3 a request, of which the %d measured calls that failed account for %d (a call refused before the engine makes only its SERVER span; failures in the warm-up are not counted)", short, v["errors"], 2 * v["errors"]) : sprintf("so %.0f%% were dropped", 100 * short / (3 * v["calls_with_warmup"]))
        printf "OTLP sink, %s: %d trace exports, %d bytes, %d spans for %d requests answered: %.2f spans/request of the 3 each request makes, %s; %.0f spans/s arrived over the %d s of load, %.0f bytes/span.\n",
            $2, v["requests"], v["bytes"], v["items"], v["calls_with_warmup"], v["items"] / v["calls_with_warmup"],
            lost, v["items"] / seconds, seconds, v["bytes"] / v["items"]
    }' "$RESULTS"
}

# The load tool against the plain grpc-java loop on the same sink: it must not be the bottleneck.
tool_vs_plain() {
    awk -F'|' '
        function rps(text) { match(text, /(^| )rps=[0-9]+/); return substr(text, RSTART, RLENGTH) }
        $2 == "grpc-java floor (sink, no Thespian)" { tool = rps($3); sub(/.*=/, "", tool) }
        $2 == "the same floor, plain grpc-java async loop" { plain = rps($3); sub(/.*=/, "", plain) }
        END { if (plain > 0) printf "Load tool ÷ plain grpc-java async loop on the same sink: %d ÷ %d req/s = %.2f (goal: at least 0.90).\n", tool, plain, tool / plain }' "$RESULTS"
}

# With BASELINE_JAR: this build's rows against the baseline jar's, round by round, their median, and both against
# the grpc-java floor. With the live view's rows: each jar's view on against its view off, round by round.
baseline_summary() {
    awk -F'|' '
        function value(text, key) { match(text, "(^| )" key "=[0-9.]+"); text = substr(text, RSTART, RLENGTH); sub(/.*=/, "", text); return text + 0 }
        function median(values, n,    i, j, t) {
            for (i = 2; i <= n; i++) for (j = i; j > 1 && values[j - 1] > values[j]; j--) { t = values[j]; values[j] = values[j - 1]; values[j - 1] = t }
            return n % 2 ? values[(n + 1) / 2] : (values[n / 2] + values[n / 2 + 1]) / 2
        }
        # Variant a against variant b of kind k, round by round: sets n, list, the medians ratio_median, a_median,
        # b_median (req/s) and a_cpu, b_cpu (server CPU µs a call).
        function compare(k, a, b,    r, ratio, x, y, cx, cy) {
            n = 0; list = ""
            for (r = 1; r <= rounds; r++) {
                if (rps[k, a, r] > 0 && rps[k, b, r] > 0) {
                    n++; ratio[n] = rps[k, a, r] / rps[k, b, r]; x[n] = rps[k, a, r]; y[n] = rps[k, b, r]
                    cx[n] = cpu[k, a, r]; cy[n] = cpu[k, b, r]
                    list = list (n > 1 ? ", " : "") sprintf("%.2f", ratio[n])
                }
            }
            if (n == 0) return
            ratio_median = median(ratio, n); a_median = median(x, n); b_median = median(y, n)
            a_cpu = median(cx, n); b_cpu = median(cy, n)
        }
        BEGIN {
            kinds[1] = "null method"; kinds[2] = "one 0 ms sleep"; kinds[3] = "0 ms sleep, OTLP to sink"
            variants[1] = ""; variants[2] = ", baseline jar"; variants[3] = ", live view on"; variants[4] = ", live view on, baseline jar"
        }
        $1 == "a" && $2 == "grpc-java floor (sink, no Thespian)" { floor = value($3, "rps") }
        $1 == "a" {
            for (k = 1; k <= 3; k++) {
                if (index($2, kinds[k]) != 1) continue
                rest = substr($2, length(kinds[k]) + 1); round = 1
                if (match(rest, /, round [0-9]+$/)) { round = substr(rest, RSTART + 8) + 0; rest = substr(rest, 1, RSTART - 1) }
                for (v = 1; v <= 4; v++) if (rest == variants[v]) { rps[k, v, round] = value($3, "rps"); cpu[k, v, round] = value($3, "server_cpu_us") }
                if (round > rounds) rounds = round
            }
        }
        END {
            for (k = 1; k <= 3; k++) {
                compare(k, 1, 2)
                if (n > 0 && floor > 0)
                    printf "%s: this build ÷ baseline jar, round by round: %s; median %.2f. Median req/s %d against %d; against the grpc-java floor %.2f (this build) and %.2f (baseline); server CPU %.1f against %.1f µs a call.\n", kinds[k], list, ratio_median, a_median, b_median, a_median / floor, b_median / floor, a_cpu, b_cpu
                compare(k, 3, 4)
                if (n > 0)
                    printf "%s, live view on: this build ÷ baseline jar, round by round: %s; median %.2f.\n", kinds[k], list, ratio_median
                for (v = 1; v <= 2; v++) {
                    compare(k, v + 2, v)
                    if (n > 0)
                        printf "%s, live view on ÷ off, %s, round by round: %s; median %.2f (median req/s %d against %d; server CPU %.1f against %.1f µs a call).\n", kinds[k], v == 1 ? "this build" : "baseline jar", list, ratio_median, a_median, b_median, a_cpu, b_cpu
                }
            }
        }' "$RESULTS"
}

# The load tool's percentiles against the server's own (its request log) for the same calls.
accuracy_report() {
    awk -F'|' '
        $1 == "e" {
            n = split($3, kv, " ")
            for (i = 1; i <= n; i++) { split(kv[i], pair, "="); v[pair[1]] = pair[2] }
            print "| load | calls OK | errors | load tool p50 / p90 / p99 / p99.9 / max ms | server-side p50 / p99 / p99.9 / max ms | load tool - server p50 / p99 / p99.9 ms | client CPU µs/call | foreign load (cores) |"
            print "|---|---|---|---|---|---|---|---|"
            printf "| %s | %s | %s | %s / %s / %s / %s / %s | %s / %s / %s / %s | %+.2f / %+.2f / %+.2f | %s | %s |\n", $2, v["ok"], v["errors"],
                v["p50_ms"], v["p90_ms"], v["p99_ms"], v["p99.9_ms"], v["max_ms"],
                v["server_p50_ms"], v["server_p99_ms"], v["server_p99.9_ms"], v["server_max_ms"],
                v["p50_ms"] - v["server_p50_ms"], v["p99_ms"] - v["server_p99_ms"], v["p99.9_ms"] - v["server_p99.9_ms"],
                v["client_cpu_us"], v["foreign_cores"]
        }' "$RESULTS"
}

cat <<EOF

## Run of $(date -u '+%Y-%m-%d %H:%M UTC')

Machine: $MACHINE; load average at end: $(cut -d' ' -f1-3 /proc/loadavg).

### a. Throughput and latency, $INFLIGHT calls in flight (ratios against the null method)

$(report a "null method")

$(tool_vs_plain)

$(baseline_summary)

$(sink_summary)

$(section c && printf '### c. Three-instance chain (ratios against one instance with a 0 ms sleep; server CPU summed over middle and leaf)\n\n%s\n' "$(report c "one 0 ms sleep")")

### b. $BURST_CALLS concurrent ${BURST_SLEEP_MS} ms sleeps on one instance (overshoot = latency - ${BURST_SLEEP_MS} ms)

$(report b "")

$(section e && printf "### e. The load tool's own error: open loop at %s/s against a %s ms sleep (latency from each call's intended send time)\n\n%s\n" "$ACCURACY_RATE" "$ACCURACY_SLEEP_MS" "$(accuracy_report)")

$(section f && printf '### f. Span delivery to a local OTLP receiver (%s spans/s asked, open loop, %s s after %s s warm-up)\n\n%s\n' "$SPAN_RATE" "$SPAN_DURATION_S" "$SPAN_WARMUP_S" "$(span_delivery_report)")
EOF
