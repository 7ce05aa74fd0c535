package org.thespian.ui;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.function.Consumer;

/**
 * The live view's end of the process's tracing: a span processor that hands each finished span to the view on the
 * thread that ended it. No queue and no thread of its own: the view's work per span is a few counters for the graph
 * and, for the traces it keeps, a reference to the span (see {@link Traffic} and {@link TraceStore}), cheaper than
 * handing the span to another thread.
 */
public final class SpanCollector implements SpanProcessor {

    private static final Consumer<SpanData> NOWHERE = span -> { };

    private volatile Consumer<SpanData> sink = NOWHERE;

    /** Where collected spans go from now on (set once the live view has its stores). */
    void sendTo(Consumer<SpanData> sink) {
        this.sink = sink;
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
    }

    @Override
    public boolean isStartRequired() {
        return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {
        Consumer<SpanData> to = sink;
        if (to == NOWHERE || !span.getSpanContext().isSampled()) {
            return;
        }
        try {
            to.accept(span.toSpanData());
        } catch (RuntimeException e) {
            // one odd span must not fail the request that ended it; the view leaves it out
        }
    }

    @Override
    public boolean isEndRequired() {
        return true;
    }

    @Override
    public CompletableResultCode shutdown() {
        sink = NOWHERE;
        return CompletableResultCode.ofSuccess();
    }
}
