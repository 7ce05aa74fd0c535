package org.thespian.ui;

import java.util.Map;

/**
 * A finished span as the live view keeps it: what the waterfall and the graph need, nothing of the SDK's.
 *
 * @param parentSpanId empty for a span with no parent
 * @param kind         SERVER, CLIENT, INTERNAL, ...
 * @param status       OK, ERROR or UNSET, with the description after a colon when there is one
 */
record CollectedSpan(String traceId, String spanId, String parentSpanId, String service, String name, String kind,
        long startEpochNanos, long durationNanos, boolean error, String status, Map<String, Object> attributes) {

    /** Roughly what the span costs on the heap: its object, its strings (two bytes a character) and its map. */
    long estimatedBytes() {
        long bytes = 200 + 2L * (traceId.length() + spanId.length() + parentSpanId.length() + name.length()
                + status.length());
        for (Map.Entry<String, Object> attribute : attributes.entrySet()) {
            bytes += 64 + 2L * (attribute.getKey().length() + String.valueOf(attribute.getValue()).length());
        }
        return bytes;
    }

    long endEpochNanos() {
        return startEpochNanos + durationNanos;
    }
}
