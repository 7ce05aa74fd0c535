package org.thespian.ui;

import io.opentelemetry.sdk.trace.data.SpanData;
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
import java.util.function.LongSupplier;

/**
 * The last traces, span by span as they end, within a bound: at most so many traces and so many bytes (estimated),
 * the oldest dropped first and counted. A trace keeps at most {@link #MAX_SPANS_PER_TRACE} spans; the rest are only
 * counted. Spans that end after their trace was dropped are dropped too, so a busy cast does not fill the list with
 * fragments of traces (a chain's root span ends last). At most {@link #MAX_NEW_TRACES_PER_SECOND} traces a second are
 * taken in; the others are skipped and counted: a page shows far fewer, and a busy instance then spends almost
 * nothing on the traces it would drop at once.
 */
final class TraceStore {

    static final int MAX_SPANS_PER_TRACE = 1_000;
    /** Dropped or skipped trace ids remembered (about 100 bytes each), to drop their late spans too. */
    static final int MAX_REMEMBERED_DROPS = 10_000;
    static final int MAX_NEW_TRACES_PER_SECOND = 500;
    private static final long SECOND_NANOS = 1_000_000_000L;

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
    /** The ids of the traces dropped or skipped last, oldest first. */
    private final LinkedHashMap<String, Boolean> droppedIds;
    private final LongSupplier nanoClock;
    private long bytes;
    private long dropped;
    private long skipped;
    private long admissionSecond = Long.MIN_VALUE;
    private int admittedThisSecond;

    TraceStore(int maxTraces, long maxBytes, LongSupplier nanoClock) {
        this.maxTraces = maxTraces;
        this.maxBytes = maxBytes;
        this.nanoClock = nanoClock;
        int remembered = Math.max(MAX_REMEMBERED_DROPS, maxTraces);
        this.droppedIds = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > remembered;
            }
        };
    }

    synchronized void add(SpanData data) {
        String traceId = data.getTraceId();
        Trace trace = traces.get(traceId);
        if (trace == null) {
            if (droppedIds.containsKey(traceId)) {
                return;
            }
            if (!admitted()) {
                droppedIds.put(traceId, Boolean.TRUE);
                skipped++;
                return;
            }
            trace = new Trace();
            traces.put(traceId, trace);
        }
        long before = trace.bytes;
        trace.add(CollectedSpan.of(data));
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

    /** Whether a new trace may come in this second. */
    private boolean admitted() {
        long second = nanoClock.getAsLong() / SECOND_NANOS;
        if (second != admissionSecond) {
            admissionSecond = second;
            admittedThisSecond = 0;
        }
        return ++admittedThisSecond <= MAX_NEW_TRACES_PER_SECOND;
    }

    synchronized int kept() {
        return traces.size();
    }

    /** Traces dropped to stay within the bound, since the start. */
    synchronized long dropped() {
        return dropped;
    }

    /** Traces not taken in because more than {@link #MAX_NEW_TRACES_PER_SECOND} began in a second. */
    synchronized long skipped() {
        return skipped;
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
