package org.thespian.ui;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The live view's end of the process's tracing: an exporter that keeps spans in memory rather than sending them
 * anywhere. Telemetry feeds it through its own bounded queue and thread ({@code SpanShipper}), so a request only pays
 * for putting its spans in that queue, and a burst beyond what this keeps up with drops spans, counted and logged.
 */
public final class SpanCollector implements SpanExporter {

    /** Attributes kept per span; a span with more (from a config's own attributes) shows the first ones. */
    static final int MAX_ATTRIBUTES = 64;
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    private volatile Consumer<CollectedSpan> sink = span -> { };

    /** Where collected spans go from now on (set once the live view has its stores). */
    void sendTo(Consumer<CollectedSpan> sink) {
        this.sink = sink;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        for (SpanData span : spans) {
            try {
                sink.accept(collected(span));
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

    static CollectedSpan collected(SpanData span) {
        SpanContext parent = span.getParentSpanContext();
        Map<String, Object> attributes = new LinkedHashMap<>();
        span.getAttributes().forEach((key, value) -> {
            if (attributes.size() < MAX_ATTRIBUTES) {
                attributes.put(key.getKey(), value);
            }
        });
        String description = span.getStatus().getDescription();
        String status = span.getStatus().getStatusCode().name()
                + (description == null || description.isEmpty() ? "" : ": " + description);
        String service = span.getResource().getAttribute(SERVICE_NAME);
        return new CollectedSpan(span.getTraceId(), span.getSpanId(), parent.isValid() ? parent.getSpanId() : "",
                service == null ? "unknown" : service, span.getName(), span.getKind().name(),
                span.getStartEpochNanos(), span.getEndEpochNanos() - span.getStartEpochNanos(),
                span.getStatus().getStatusCode() == StatusCode.ERROR, status, attributes);
    }
}
