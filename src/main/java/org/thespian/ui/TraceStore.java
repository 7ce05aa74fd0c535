package org.thespian.ui;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The last traces, span by span as they end, within a bound: at most so many traces and so many bytes (estimated),
 * the oldest dropped first and counted. A trace keeps at most {@link #MAX_SPANS_PER_TRACE} spans; the rest are only
 * counted. Spans that end after their trace was dropped are dropped too, so a busy cast does not fill the list with
 * fragments of traces (a chain's root span ends last).
 */
final class TraceStore {

    static final int MAX_SPANS_PER_TRACE = 1_000;
    /** Dropped trace ids remembered (about 100 bytes each), to drop their late spans too. */
    static final int MAX_REMEMBERED_DROPS = 10_000;

    /** One trace as the list shows it. */
    record Summary(String traceId, String rootService, String rootName, Instant start, double durationMillis,
            int spanCount, boolean error, List<String> services) {
    }

    private static final class Trace {
        final List<CollectedSpan> spans = new ArrayList<>();
        final Set<String> services = new LinkedHashSet<>();
        long bytes;
        long startNanos = Long.MAX_VALUE;
        long endNanos;
        long omitted;
        boolean error;

        void add(CollectedSpan span) {
            if (spans.size() >= MAX_SPANS_PER_TRACE) {
                omitted++;
                return;
            }
            spans.add(span);
            services.add(span.service());
            bytes += span.estimatedBytes();
            startNanos = Math.min(startNanos, span.startEpochNanos());
            endNanos = Math.max(endNanos, span.endEpochNanos());
            error |= span.error();
        }
    }

    private final int maxTraces;
    private final long maxBytes;
    /** In the order their first span ended: the first is the one to drop. */
    private final LinkedHashMap<String, Trace> traces = new LinkedHashMap<>();
    /** The ids of the traces dropped last, oldest first. */
    private final LinkedHashMap<String, Boolean> droppedIds;
    private long bytes;
    private long dropped;

    TraceStore(int maxTraces, long maxBytes) {
        this.maxTraces = maxTraces;
        this.maxBytes = maxBytes;
        int remembered = Math.max(MAX_REMEMBERED_DROPS, maxTraces);
        this.droppedIds = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > remembered;
            }
        };
    }

    synchronized void add(CollectedSpan span) {
        if (droppedIds.containsKey(span.traceId())) {
            return;
        }
        Trace trace = traces.computeIfAbsent(span.traceId(), id -> new Trace());
        long before = trace.bytes;
        trace.add(span);
        bytes += trace.bytes - before;
        Iterator<Map.Entry<String, Trace>> oldest = traces.entrySet().iterator();
        while ((traces.size() > maxTraces || bytes > maxBytes) && oldest.hasNext()) {
            Map.Entry<String, Trace> dropping = oldest.next();
            if (dropping.getValue() == trace && traces.size() == 1) {
                break; // one trace over the byte bound stays, clipped by its span bound
            }
            oldest.remove();
            droppedIds.put(dropping.getKey(), Boolean.TRUE);
            bytes -= dropping.getValue().bytes;
            dropped++;
        }
    }

    synchronized int kept() {
        return traces.size();
    }

    /** Traces dropped to stay within the bound, since the start. */
    synchronized long dropped() {
        return dropped;
    }

    synchronized long bytes() {
        return bytes;
    }

    /**
     * The newest traces first (by start), at most {@code limit}, only those through {@code service} if given, only
     * failed ones if {@code errorsOnly}.
     */
    synchronized List<Summary> newest(int limit, Optional<String> service, boolean errorsOnly) {
        return traces.entrySet().stream()
                .filter(entry -> service.isEmpty() || entry.getValue().services.contains(service.get()))
                .filter(entry -> !errorsOnly || entry.getValue().error)
                .sorted(Comparator.comparingLong((Map.Entry<String, Trace> entry) -> entry.getValue().startNanos)
                        .reversed())
                .limit(limit)
                .map(entry -> summary(entry.getKey(), entry.getValue()))
                .toList();
    }

    /** The spans of one trace, in the order they ended, or empty if it is not (or no longer) kept. */
    synchronized Optional<List<CollectedSpan>> spans(String traceId) {
        Trace trace = traces.get(traceId);
        return trace == null ? Optional.empty() : Optional.of(List.copyOf(trace.spans));
    }

    private static Summary summary(String traceId, Trace trace) {
        CollectedSpan root = root(trace.spans);
        return new Summary(traceId, root.service(), root.name(), instant(trace.startNanos),
                (trace.endNanos - trace.startNanos) / 1e6, trace.spans.size() + (int) trace.omitted, trace.error,
                trace.spans.stream().sorted(Comparator.comparingLong(CollectedSpan::startEpochNanos))
                        .map(CollectedSpan::service).distinct().toList());
    }

    /** The earliest span whose parent is not in the trace: the request's entry here, or its client's root. */
    static CollectedSpan root(List<CollectedSpan> spans) {
        Set<String> ids = new HashSet<>();
        spans.forEach(span -> ids.add(span.spanId()));
        return spans.stream().filter(span -> !ids.contains(span.parentSpanId()))
                .min(Comparator.comparingLong(CollectedSpan::startEpochNanos))
                .orElse(spans.get(0));
    }

    static Instant instant(long epochNanos) {
        return Instant.ofEpochSecond(0, epochNanos);
    }
}
