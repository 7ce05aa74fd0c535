package org.thespian.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * {@code THESPIAN_TRACE_CONSOLE=true}: prints each finished local trace tree, for people without a tracing
 * backend. Spans are held until their local root (the span whose parent is remote or absent) ends; at most
 * {@link #MAX_OPEN_TRACES} traces are held, so a flood of requests cannot grow memory without bound.
 */
final class ConsoleTraceProcessor implements SpanProcessor {

    static final int MAX_OPEN_TRACES = 10_000;
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    private final PrintStream out;
    private final Map<String, List<SpanData>> openTraces = new ConcurrentHashMap<>();

    ConsoleTraceProcessor(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
    }

    @Override
    public boolean isStartRequired() {
        return false;
    }

    @Override
    public boolean isEndRequired() {
        return true;
    }

    @Override
    public void onEnd(ReadableSpan span) {
        SpanData data = span.toSpanData();
        // Keyed by service too: the members of a cast in one JVM share this processor, and each member's
        // local root must not take the spans of another member of the same trace.
        String localTrace = data.getTraceId() + " " + data.getResource().getAttribute(SERVICE_NAME);
        SpanContext parent = data.getParentSpanContext();
        boolean localRoot = !parent.isValid() || parent.isRemote();
        if (!localRoot) {
            if (openTraces.size() < MAX_OPEN_TRACES || openTraces.containsKey(localTrace)) {
                openTraces.computeIfAbsent(localTrace, id -> new ArrayList<>()).add(data);
            }
            return;
        }
        List<SpanData> spans = new ArrayList<>(openTraces.getOrDefault(localTrace, List.of()));
        openTraces.remove(localTrace);
        spans.add(data);
        out.print(render(data, spans));
        out.flush();
    }

    static String render(SpanData root, List<SpanData> spans) {
        Map<String, List<SpanData>> children = spans.stream()
                .collect(Collectors.groupingBy(span -> span.getParentSpanContext().getSpanId()));
        StringBuilder text = new StringBuilder();
        text.append("trace ").append(root.getTraceId()).append(' ')
                .append(root.getResource().getAttribute(SERVICE_NAME))
                .append('\n');
        appendTree(text, root, children, 1);
        return text.toString();
    }

    private static void appendTree(StringBuilder text, SpanData span, Map<String, List<SpanData>> children, int depth) {
        text.append("  ".repeat(depth)).append(span.getName());
        if (span.getKind() != SpanKind.INTERNAL) {
            text.append(" [").append(span.getKind()).append(']');
        }
        text.append(String.format(Locale.ROOT, "  %.1f ms",
                (span.getEndEpochNanos() - span.getStartEpochNanos()) / 1e6));
        if (span.getStatus().getStatusCode() == StatusCode.ERROR) {
            text.append("  ERROR: ").append(span.getStatus().getDescription());
        }
        text.append('\n');
        children.getOrDefault(span.getSpanId(), List.of()).stream()
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
                .forEach(child -> appendTree(text, child, children, depth + 1));
    }
}
