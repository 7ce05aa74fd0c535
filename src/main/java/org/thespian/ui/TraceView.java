package org.thespian.ui;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code GET /api/traces} and {@code GET /api/traces/ID}: the trace list and one trace's spans, as JSON. */
final class TraceView {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 2_000;

    private final TraceStore store;

    TraceView(TraceStore store) {
        this.store = store;
    }

    Map<String, Object> list(int limit, Optional<String> service, boolean errorsOnly) {
        List<Map<String, Object>> traces = new ArrayList<>();
        for (TraceStore.Summary summary : store.newest(limit, service, errorsOnly)) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("trace_id", summary.traceId());
            json.put("root_service", summary.rootService());
            json.put("root_name", summary.rootName());
            json.put("start", summary.start().toString());
            json.put("duration_ms", Math.round(summary.durationMillis() * 1000) / 1000.0);
            json.put("span_count", summary.spanCount());
            json.put("error", summary.error());
            json.put("services", summary.services());
            traces.add(json);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("traces", traces);
        json.put("kept", store.kept());
        json.put("dropped", store.dropped());
        json.put("skipped", store.skipped());
        return json;
    }

    /** The trace's spans, earliest first, with offsets from the earliest; empty if the trace is not kept. */
    Optional<Map<String, Object>> trace(String traceId) {
        return store.spans(traceId).map(spans -> {
            long start = spans.stream().mapToLong(CollectedSpan::startEpochNanos).min().orElse(0);
            List<Map<String, Object>> rows = new ArrayList<>();
            spans.stream().sorted(java.util.Comparator.comparingLong(CollectedSpan::startEpochNanos)).forEach(span -> {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("span_id", span.spanId());
                json.put("parent_span_id", span.parentSpanId());
                json.put("service", span.service());
                json.put("name", span.name());
                json.put("kind", span.kind());
                json.put("start_offset_ms", (span.startEpochNanos() - start) / 1e6);
                json.put("duration_ms", span.durationNanos() / 1e6);
                json.put("status", span.status());
                json.put("attributes", span.attributes());
                rows.add(json);
            });
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("trace_id", traceId);
            json.put("spans", rows);
            return json;
        });
    }
}
