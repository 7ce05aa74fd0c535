# Span delivery under load, sourced by bench/run.sh, which provides start_thespian, start_sink, stop,
# free_port, $JAR, $JAVA and $WORK. A Thespian whose A makes 3 spans per call exports over OTLP/gRPC to the
# sink, under an open-loop rate of SPAN_RATE spans/s (SPAN_RATE / 3 calls/s) for SPAN_DURATION_S seconds after
# SPAN_WARMUP_S seconds of the same load; spans that arrived at the sink are set against the spans the measured
# calls made: 3 per call the server answered, OK or not, counted from its request log (one line per call, in a
# file), so the count does not depend on the load tool keeping its rate or on the exporter's own bookkeeping. Knobs: SPAN_RATE (20000), SPAN_DURATION_S (30), SPAN_WARMUP_S (10),
# SPAN_SERVER_JAR (the jar the measured Thespian runs, e.g. an older build for before/after; default $JAR).

SPAN_RATE=${SPAN_RATE:-20000}
SPAN_DURATION_S=${SPAN_DURATION_S:-30}
SPAN_WARMUP_S=${SPAN_WARMUP_S:-10}

# sink_spans: spans the sink has counted so far (it prints cumulative counts once a second).
sink_spans() {
    grep 'TraceService/Export' "$WORK/sink.out" | tail -1 | sed -n 's/.* items=\([0-9]*\).*/\1/p' | grep . || echo 0
}

# request_lines: calls the measured Thespian has logged as answered so far.
request_lines() {
    grep -c '"logger":"thespian.request"' "$WORK/spans.log" || true
}

# span_delivery: leaves "SPAN_DELIVERY=..." (key=value words) for span_delivery_report.
span_delivery() {
    local calls_per_s=$((SPAN_RATE / 3)) before after calls_before calls_after load_json dropped
    echo "f. span delivery: ${SPAN_RATE} spans/s (${calls_per_s} calls/s x 3 spans) to a local OTLP sink" >&2
    start_sink
    SERVER_STDOUT=$WORK/spans.log JAR=${SPAN_SERVER_JAR:-$JAR} start_thespian spans "$(config work "$(sleep_op 0)")" OTEL_BACKEND_ADDRESS="http://127.0.0.1:${PORT[sink]}"
    # The warm-up's spans are shipped within a second of being made: wait, then count from here.
    "$JAVA" -jar "$JAR" load --target "127.0.0.1:${PORT[spans]}" --rate "${calls_per_s}/s" \
        --duration "${SPAN_WARMUP_S}s" --json >/dev/null
    sleep 3
    before=$(sink_spans)
    calls_before=$(request_lines)
    load_json=$("$JAVA" -jar "$JAR" load --target "127.0.0.1:${PORT[spans]}" --rate "${calls_per_s}/s" \
        --duration "${SPAN_DURATION_S}s" --json)
    stop spans # ships what is still queued (within a second)
    sleep 2
    after=$(sink_spans)
    calls_after=$(request_lines)
    stop sink
    echo "  load tool: $load_json" >&2
    # The server's own count of spans it could not ship (this build's drop report; none from older builds).
    dropped=$(sed -n 's/.*"message":"\([0-9]*\) spans dropped.*/\1/p' \
        "$WORK/spans.log" | awk '{ total += $1 } END { print total + 0 }')
    SPAN_DELIVERY=$(echo "$load_json" | python3 -c '
import json, sys
run = json.load(sys.stdin)
print("elapsed_s=%.1f" % run["elapsed_s"])')
    SPAN_DELIVERY="$SPAN_DELIVERY calls=$((calls_after - calls_before)) before=$before after=$after dropped=$dropped"
    echo "  $SPAN_DELIVERY" >&2
}

span_delivery_report() {
    awk -v row="$SPAN_DELIVERY" -v rate="$SPAN_RATE" 'BEGIN {
        n = split(row, words, " ")
        for (i = 1; i <= n; i++) { split(words[i], kv, "="); v[kv[1]] = kv[2] }
        created = 3 * v["calls"]; arrived = v["after"] - v["before"]
        printf "Asked for %d spans/s: the server answered %d calls in %.1f s (%.0f spans/s made); %d spans made, %d arrived at the sink: %.2f%% delivered; the server counted %d spans dropped (whole run, warm-up included).\n",
            rate, v["calls"], v["elapsed_s"], created / v["elapsed_s"], created, arrived, created ? 100 * arrived / created : 0, v["dropped"]
    }'
}
