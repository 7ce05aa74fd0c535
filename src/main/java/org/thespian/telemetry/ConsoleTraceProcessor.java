package org.thespian.telemetry;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code THESPIAN_TRACE_CONSOLE=true}: prints each trace as a {@link TraceWaterfall} on stderr once every span of it
 * that started in this process has ended, for people without a tracing backend. Grouping is by trace id, counting
 * spans started and ended, so a tree is complete even when its SERVER span ended first (a cancelled call), and the
 * members of a cast in one JVM (several tracer providers, one processor: {@link #shared()}) print as one tree.
 *
 * <p>Bounded: at most {@link #MAX_OPEN_TRACES} traces and {@link #MAX_SPANS_PER_TRACE} spans each are held, a trace
 * with no span starting or ending for {@link #IDLE_LIMIT_NANOS} is printed as it is, and printing goes through a
 * {@link ConsoleWriter}, so an unread stderr drops trees instead of stalling requests.
 */
final class ConsoleTraceProcessor implements SpanProcessor {

    static final int MAX_OPEN_TRACES = 10_000;
    static final int MAX_SPANS_PER_TRACE = 1_000;
    static final int PRINT_QUEUE_TRACES = 1_000;
    static final long IDLE_LIMIT_NANOS = TimeUnit.MINUTES.toNanos(5);

    private static ConsoleTraceProcessor shared;

    private final Map<String, OpenTrace> openTraces = new ConcurrentHashMap<>();
    private final ConsoleWriter writer;

    ConsoleTraceProcessor(PrintStream out) {
        this.writer = new ConsoleWriter(out, PRINT_QUEUE_TRACES, "thespian-trace-console", this::printIdleTraces);
    }

    /** The one processor for stderr in this JVM, so that peers running in one process share their trees. */
    static synchronized ConsoleTraceProcessor shared() {
        if (shared == null) {
            shared = new ConsoleTraceProcessor(System.err);
        }
        return shared;
    }

    /** Traces with spans still open or not yet printed: 0 when everything started has been printed. */
    int openTraces() {
        return openTraces.size();
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
        long now = System.nanoTime();
        openTraces.compute(span.getSpanContext().getTraceId(), (id, trace) -> {
            if (trace == null && openTraces.size() >= MAX_OPEN_TRACES) {
                return null;
            }
            OpenTrace started = trace == null ? new OpenTrace() : trace;
            started.started++;
            started.lastActivity = now;
            return started;
        });
    }

    @Override
    public boolean isStartRequired() {
        return true;
    }

    @Override
    public void onEnd(ReadableSpan span) {
        SpanData data = span.toSpanData();
        long now = System.nanoTime();
        OpenTrace[] complete = new OpenTrace[1];
        openTraces.computeIfPresent(data.getTraceId(), (id, trace) -> {
            trace.ended(data, now);
            if (trace.ended == trace.started) {
                complete[0] = trace;
                return null;
            }
            return trace;
        });
        if (complete[0] != null) {
            print(complete[0], 0);
        }
    }

    @Override
    public boolean isEndRequired() {
        return true;
    }

    @Override
    public CompletableResultCode forceFlush() {
        return writer.flush();
    }

    /** Flushes only: a shared processor outlives any one of the tracer providers it serves. */
    @Override
    public CompletableResultCode shutdown() {
        return forceFlush();
    }

    private void print(OpenTrace trace, int stillOpen) {
        List<SpanData> spans = trace.spans;
        long omitted = trace.omitted;
        if (!spans.isEmpty()) {
            writer.write(() -> TraceWaterfall.render(spans, stillOpen, omitted));
        }
    }

    private void printIdleTraces() {
        long now = System.nanoTime();
        openTraces.forEach((id, trace) -> {
            if (now - trace.lastActivity > IDLE_LIMIT_NANOS && openTraces.remove(id, trace)) {
                print(trace, trace.started - trace.ended);
            }
        });
    }

    /** Changed only inside the map's per-key compute; read only once removed from the map. */
    private static final class OpenTrace {
        private final List<SpanData> spans = new ArrayList<>();
        private int started;
        private int ended;
        private long omitted;
        private volatile long lastActivity;

        void ended(SpanData span, long now) {
            ended++;
            lastActivity = now;
            if (spans.size() < MAX_SPANS_PER_TRACE) {
                spans.add(span);
            } else {
                omitted++;
            }
        }
    }
}
