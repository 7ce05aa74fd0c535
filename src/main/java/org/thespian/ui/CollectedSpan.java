package org.thespian.ui;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A finished span as the waterfall shows it, made from the SDK's span when a page asks for its trace.
 *
 * @param parentSpanId empty for a span with no parent
 * @param kind         SERVER, CLIENT, INTERNAL, ...
 * @param status       OK, ERROR or UNSET, with the description after a colon when there is one
 */
record CollectedSpan(String traceId, String spanId, String parentSpanId, String service, String name, String kind,
        long startEpochNanos, long durationNanos, boolean error, String status, Map<String, Object> attributes) {

    /** Attributes kept per span; a span with more (from a config's own attributes) shows the first ones. */
    static final int MAX_ATTRIBUTES = 64;
    static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    static CollectedSpan of(SpanData span) {
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
        return new CollectedSpan(span.getTraceId(), span.getSpanId(), parent.isValid() ? parent.getSpanId() : "",
                serviceOf(span), span.getName(), span.getKind().name(), span.getStartEpochNanos(),
                durationNanos(span), failed(span), status, attributes);
    }

    static String serviceOf(SpanData span) {
        String service = span.getResource().getAttribute(SERVICE_NAME);
        return service == null ? "unknown" : service;
    }

    static long durationNanos(SpanData span) {
        return span.getEndEpochNanos() - span.getStartEpochNanos();
    }

    static boolean failed(SpanData span) {
        return span.getStatus().getStatusCode() == StatusCode.ERROR;
    }

    /**
     * Roughly what a kept span costs on the heap: its objects, its strings (two bytes a character), its events and
     * the attributes the view shows.
     */
    static long estimatedBytes(SpanData span) {
        long bytes = 200 + 2L * (32 + 16 + 16 + span.getName().length()
                + String.valueOf(span.getStatus().getDescription()).length()) + 200L * span.getEvents().size();
        int counted = 0;
        for (Map.Entry<AttributeKey<?>, Object> attribute : span.getAttributes().asMap().entrySet()) {
            if (counted++ == MAX_ATTRIBUTES) {
                break;
            }
            bytes += 64 + 2L * (attribute.getKey().getKey().length() + String.valueOf(attribute.getValue()).length());
        }
        return bytes;
    }
}
