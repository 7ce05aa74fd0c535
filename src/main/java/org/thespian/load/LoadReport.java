package org.thespian.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import org.HdrHistogram.Histogram;

/**
 * What a run measured: every call due from the end of the warm-up to the end of the duration, by status, and
 * the latency of each one that finished (whatever its status), in nanoseconds; the calls still unanswered at
 * the end, and those an open loop did not send because {@code --max-in-flight} were unanswered; and how many
 * calls the warm-up made, unmeasured.
 */
public record LoadReport(LoadOptions options, Instant measuredFrom, Duration elapsed, Map<Status.Code, Long> statuses,
        long unfinished, long notSent, long warmupCalls, Histogram latencies) {

    /** The percentiles reported, by name. */
    public static final Map<String, Double> PERCENTILES = percentiles();

    private static final ObjectMapper JSON = new ObjectMapper();

    public LoadReport {
        statuses = Map.copyOf(statuses);
    }

    private static Map<String, Double> percentiles() {
        Map<String, Double> named = new LinkedHashMap<>();
        named.put("p50", 50.0);
        named.put("p90", 90.0);
        named.put("p99", 99.0);
        named.put("p99.9", 99.9);
        return named;
    }

    public long calls() {
        return statuses.values().stream().mapToLong(Long::longValue).sum();
    }

    public long ok() {
        return statuses.getOrDefault(Status.Code.OK, 0L);
    }

    public double throughput() {
        return calls() / (elapsed.toNanos() / 1e9);
    }

    /** Latency at {@code percentile} (0-100) in milliseconds; {@code NaN} when no call finished. */
    public double latencyMillis(double percentile) {
        return latencies.getTotalCount() == 0 ? Double.NaN : latencies.getValueAtPercentile(percentile) / 1e6;
    }

    public double maxMillis() {
        return latencies.getTotalCount() == 0 ? Double.NaN : latencies.getMaxValue() / 1e6;
    }

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("target", options.target());
        root.put("method", options.methodName());
        if (options.pacing() instanceof LoadOptions.Pacing.Open open) {
            root.put("mode", "open");
            root.put("rate_per_s", open.perSecond());
        } else {
            root.put("mode", "closed");
            root.put("concurrency", ((LoadOptions.Pacing.Closed) options.pacing()).concurrency());
        }
        root.put("duration_s", options.duration().toNanos() / 1e9);
        root.put("warmup_s", options.warmup().toNanos() / 1e9);
        options.timeout().ifPresentOrElse(timeout -> root.put("timeout_s", timeout.toNanos() / 1e9),
                () -> root.putNull("timeout_s"));
        root.put("measured_from", measuredFrom.toString());
        root.put("elapsed_s", elapsed.toNanos() / 1e9);
        root.put("calls", calls());
        root.put("ok", ok());
        root.put("errors", calls() - ok());
        root.put("unfinished", unfinished);
        root.put("not_sent", notSent);
        root.put("warmup_calls", warmupCalls);
        root.put("throughput_per_s", round(throughput()));
        ObjectNode codes = root.putObject("status_codes");
        statuses.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(entry -> codes.put(entry.getKey().name(), entry.getValue()));
        ObjectNode latency = root.putObject("latency_ms");
        PERCENTILES.forEach((name, percentile) -> putMillis(latency, name, latencyMillis(percentile)));
        putMillis(latency, "max", maxMillis());
        putMillis(latency, "mean", latencies.getTotalCount() == 0 ? Double.NaN : latencies.getMean() / 1e6);
        return root;
    }

    public String toText() {
        String pacing = options.pacing() instanceof LoadOptions.Pacing.Open open
                ? String.format(Locale.ROOT, "open loop at %s calls/s, latency from each call's intended send time",
                        plain(open.perSecond()))
                : "closed loop, " + ((LoadOptions.Pacing.Closed) options.pacing()).concurrency() + " in flight";
        return String.join("\n",
                "target      " + options.target() + " thespian.Thespian/" + options.methodName() + ", " + pacing,
                String.format(Locale.ROOT, "calls       %,d in %.2f s: %,.1f calls/s%s", calls(),
                        elapsed.toNanos() / 1e9, throughput(), shortfallText()),
                "status      " + statusText(),
                "latency     " + latencyText());
    }

    /**
     * The calls that did not end, if any: {@code  (12 unfinished)}, {@code  (3,400 not sent: 10,000 were in
     * flight, --max-in-flight)}, or both.
     */
    String shortfallText() {
        StringJoiner shortfall = new StringJoiner(", ", " (", ")").setEmptyValue("");
        if (unfinished > 0) {
            shortfall.add(String.format(Locale.ROOT, "%,d unfinished", unfinished));
        }
        if (notSent > 0) {
            shortfall.add(String.format(Locale.ROOT, "%,d not sent: %,d were in flight, --max-in-flight", notSent,
                    options.maxInFlight()));
        }
        return shortfall.toString();
    }

    /** {@code OK 1,234  INTERNAL 5}, or {@code no call finished}. */
    String statusText() {
        StringJoiner codes = new StringJoiner("  ");
        statuses.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(entry -> codes.add(String.format(Locale.ROOT, "%s %,d", entry.getKey(), entry.getValue())));
        return codes.length() == 0 ? "no call finished" : codes.toString();
    }

    /** {@code p50 1.234 ms  p90 ...  max ...}. */
    String latencyText() {
        StringJoiner latency = new StringJoiner("  ");
        PERCENTILES.forEach((name, percentile) -> latency.add(name + " " + millis(latencyMillis(percentile) * 1e6)));
        latency.add("max " + millis(maxMillis() * 1e6));
        return latency.toString();
    }

    /** {@code 1.23 ms}, or {@code -} for {@code NaN}. */
    static String millis(double nanos) {
        return Double.isNaN(nanos) ? "-" : String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
    }

    private static void putMillis(ObjectNode node, String name, double millis) {
        if (Double.isNaN(millis)) {
            node.putNull(name);
        } else {
            node.put(name, Math.round(millis * 1000) / 1000.0);
        }
    }

    private static double round(double value) {
        return Math.round(value * 10) / 10.0;
    }

    static String plain(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
