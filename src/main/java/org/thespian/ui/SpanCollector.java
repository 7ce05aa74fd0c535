package org.thespian.ui;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.function.Consumer;

/**
 * The live view's end of the process's tracing: an exporter that keeps spans in memory rather than sending them
 * anywhere. Telemetry feeds it through its own bounded queue and thread ({@code SpanShipper}), so a request only pays
 * for putting its spans in that queue, and a burst beyond what this keeps up with drops spans, counted and logged.
 */
public final class SpanCollector implements SpanExporter {

    private volatile Consumer<SpanData> sink = span -> { };

    /** Where collected spans go from now on (set once the live view has its stores). */
    void sendTo(Consumer<SpanData> sink) {
        this.sink = sink;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        for (SpanData span : spans) {
            try {
                sink.accept(span);
            } catch (RuntimeException e) {
                // one odd span must not stop the view; it is left out
            }
        }
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        sink = span -> { };
        return CompletableResultCode.ofSuccess();
    }
}
