package org.thespian.telemetry;

import io.grpc.Status;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Renders one trace's spans as a text waterfall: each span's start offset from the trace's first span, its
 * duration, and a bar on a common time axis, so concurrent steps show as overlapping bars and sequential ones as a
 * staircase. Indentation is the tree; the service is named wherever it changes (peers in one process share a tree).
 * Names and messages come from configs and peers: control characters are escaped, so they cannot steer a terminal.
 */
final class TraceWaterfall {

    static final int BAR_WIDTH = 24;
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    private static final AttributeKey<String> INSTANCE_ID = AttributeKey.stringKey("service.instance.id");

    private TraceWaterfall() {
    }

    static String render(List<SpanData> spans, int stillOpen, long omitted) {
        long start = spans.stream().mapToLong(SpanData::getStartEpochNanos).min().orElse(0);
        long end = spans.stream().mapToLong(SpanData::getEndEpochNanos).max().orElse(start);
        long total = Math.max(end - start, 1);
        Set<String> present = spans.stream().map(SpanData::getSpanId).collect(Collectors.toCollection(HashSet::new));
        Map<String, List<SpanData>> children = spans.stream()
                .filter(span -> present.contains(span.getParentSpanContext().getSpanId()))
                .collect(Collectors.groupingBy(span -> span.getParentSpanContext().getSpanId()));
        StringBuilder text = new StringBuilder();
        text.append("trace ").append(spans.get(0).getTraceId())
                .append(String.format(Locale.ROOT, "  %.1f ms", total / 1e6));
        if (stillOpen > 0) {
            text.append("  (").append(stillOpen).append(" spans still open)");
        }
        if (omitted > 0) {
            text.append("  (").append(omitted).append(" more spans not shown)");
        }
        text.append('\n');
        spans.stream()
                .filter(span -> !present.contains(span.getParentSpanContext().getSpanId()))
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
                .forEach(root -> appendTree(text, root, null, children, 0, start, total));
        return text.toString();
    }

    private static void appendTree(StringBuilder text, SpanData span, String parentService,
            Map<String, List<SpanData>> children, int depth, long traceStart, long total) {
        long offset = span.getStartEpochNanos() - traceStart;
        long duration = span.getEndEpochNanos() - span.getStartEpochNanos();
        text.append(String.format(Locale.ROOT, "%9.1f ms %9.1f ms  ", offset / 1e6, duration / 1e6))
                .append(bar(offset, duration, total))
                .append("  ").append("  ".repeat(depth)).append(escape(span.getName()));
        if (span.getKind() != SpanKind.INTERNAL) {
            text.append(" [").append(span.getKind()).append(']');
        }
        String service = serviceOrReplica(span);
        if (!Objects.equals(service, parentService)) {
            text.append(" (").append(escape(String.valueOf(service))).append(')');
        }
        appendNotes(text, span);
        String answered = span.getAttributes().get(SpanAttributes.STATUS_MESSAGE);
        if (span.getStatus().getStatusCode() == StatusCode.ERROR) {
            text.append("  ERROR: ").append(escape(span.getStatus().getDescription()));
        } else if (answered != null) { // a non-OK answer that is no error of this server's, such as RESOURCE_EXHAUSTED
            text.append("  answered: ").append(escape(answered));
        }
        text.append('\n');
        children.getOrDefault(span.getSpanId(), List.of()).stream()
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
                .forEach(child -> appendTree(text, child, service, children, depth + 1, traceStart, total));
    }

    /**
     * The span's service, or its instance id where that names one replica of it ({@code payment-2}, or
     * THESPIAN_INSTANCE_ID set so), which is what a fault plan and Tempo pick it out by. A cast calls every member's
     * first instance {@code <member>-1}, replicas or not, and a host name (the default elsewhere) would only repeat
     * on every line: those are left out.
     */
    private static String serviceOrReplica(SpanData span) {
        String service = span.getResource().getAttribute(SERVICE_NAME);
        String instance = span.getResource().getAttribute(INSTANCE_ID);
        boolean replica = service != null && instance != null && instance.startsWith(service + "-")
                && !instance.equals(service + "-1");
        return replica ? instance : service;
    }

    /**
     * What the config's behaviours decided for this span, which the bar alone does not show: the latency drawn
     * from a distribution, the failure roll, the attempt of a retried or hedged call, the state of a call's circuit
     * breaker, a function's rate limit, a skipped call, a failure code other
     * than the default INTERNAL, a SERVER span's non-OK answer, memory held, an injected fault, a cancellation, a
     * link from the trace that fired this one off, and the attributes the config gave the action
     * ({@code db.system=postgresql}).
     */
    private static void appendNotes(StringBuilder text, SpanData span) {
        List<String> notes = new ArrayList<>();
        Attributes attributes = span.getAttributes();
        Double drawn = attributes.get(SpanAttributes.LATENCY_MS);
        if (drawn != null && attributes.get(SpanAttributes.LATENCY) != null) {
            notes.add(String.format(Locale.ROOT, "drew %.1f ms", drawn));
        }
        Double roll = attributes.get(SpanAttributes.ROLL);
        Double chance = attributes.get(SpanAttributes.FAILURE_CHANCE);
        if (roll != null && chance != null) {
            notes.add(String.format(Locale.ROOT, "rolled %.4f %s %s", roll, roll < chance ? "<" : ">=", chance));
        }
        Long attempt = attributes.get(SpanAttributes.ATTEMPT);
        boolean hedged = Boolean.TRUE.equals(attributes.get(SpanAttributes.HEDGE));
        if (attempt != null && (attempt > 1 || hedged)) {
            notes.add((hedged ? "hedge attempt " : "attempt ") + attempt);
        }
        String circuit = attributes.get(SpanAttributes.CIRCUIT_STATE);
        if (circuit != null) {
            notes.add("circuit " + circuit);
        }
        String rateLimit = attributes.get(SpanAttributes.RATE_LIMIT);
        if (rateLimit != null) {
            notes.add("rate limit " + rateLimit);
        }
        Long megabytes = attributes.get(SpanAttributes.MEGABYTES);
        if (megabytes != null) {
            String hold = attributes.get(SpanAttributes.HOLD);
            notes.add(megabytes + " MB " + ("forever".equals(hold) ? "leaked" : "held " + hold + " ms"));
        }
        String cancelled = attributes.get(SpanAttributes.CANCELLED_BY);
        if (cancelled != null) {
            notes.add(escape(cancelled.startsWith("cancelled") ? cancelled : "cancelled: " + cancelled));
        }
        if (Boolean.TRUE.equals(span.getAttributes().get(SpanAttributes.SKIPPED))) {
            notes.add("skipped");
        }
        Long answered = attributes.get(SpanAttributes.RPC_GRPC_STATUS_CODE);
        // rpc.grpc.status_code, on SERVER spans; a cancellation says who ended it above
        if (answered != null && answered != Status.Code.OK.value() && answered != Status.Code.CANCELLED.value()) {
            notes.add("status " + answered + " " + Status.fromCodeValue(answered.intValue()).getCode());
        }
        String code = span.getAttributes().get(SpanAttributes.FAILURE_CODE);
        if (code != null && !code.equals("INTERNAL")) { // INTERNAL is every failure's code unless one was chosen
            notes.add(escape(code));
        }
        if (Boolean.TRUE.equals(span.getAttributes().get(RuntimeTelemetry.FAULT_INJECTED))) {
            notes.add("injected");
        }
        span.getLinks().forEach(link -> notes.add("linked from trace " + link.getSpanContext().getTraceId()));
        attributes.forEach((key, value) -> {
            if (isFromTheConfig(key.getKey())) {
                notes.add(escape(key.getKey() + "=" + value));
            }
        });
        if (!notes.isEmpty()) {
            text.append("  {").append(String.join(", ", notes)).append('}');
        }
    }

    /** Thespian's own attributes and the conventions' are shown above or not at all; the rest came from a config. */
    private static boolean isFromTheConfig(String key) {
        return !key.startsWith("thespian.") && !key.startsWith("rpc.") && !key.startsWith("server.")
                && !key.startsWith("exception.");
    }

    static String bar(long offset, long duration, long total) {
        int from = (int) Math.min(BAR_WIDTH - 1, offset * BAR_WIDTH / total);
        int to = (int) Math.max(from + 1, Math.min(BAR_WIDTH, -Math.floorDiv(-(offset + duration) * BAR_WIDTH, total)));
        return "|" + " ".repeat(from) + "#".repeat(to - from) + " ".repeat(BAR_WIDTH - to) + "|";
    }

    /** Control and format characters (escape sequences, newlines, bidi overrides) as {@code \}{@code uXXXX}. */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder escaped = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            int type = Character.getType(c);
            if (Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR) {
                escaped.append(String.format(Locale.ROOT, "\\u%04x", c));
            } else {
                escaped.appendCodePoint(c);
            }
        });
        return escaped.toString();
    }
}
