package org.thespian.ui;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last traces, span by span as they end, within a bound: at most so many traces and so many bytes (estimated),
 * the oldest dropped first and counted. A trace keeps at most {@link #MAX_SPANS_PER_TRACE} spans; the rest are only
 * counted. Spans that end after their trace was dropped are dropped too, so a busy cast does not fill the list with
 * fragments of traces (a chain's root span ends last).
 *
 * <p>Every span of the process is offered here on the thread that ended it, so under load most must cost nothing:
 * traces are sampled by their id ({@link TraceSample}), so every span of a trace gets the same answer without
 * anything remembered, and a span of a trace left out costs a map lookup and a hash. A span that failed is kept
 * whatever the sample says, with the rest of its trace from then on (up to {@link #MAX_NEW_TRACES_PER_SECOND} such
 * traces a second). A kept span is held as the SDK made it; the page's JSON is made from it only when asked.
 */
final class TraceStore {

    static final int MAX_SPANS_PER_TRACE = 1_000;
    /** Dropped or refused trace ids remembered (about 100 bytes each), to drop their late spans too. */
    static final int MAX_REMEMBERED_DROPS = 10_000;
    /** New traces a second the sample keeps at most (and failed ones outside it). */
    static final int MAX_NEW_TRACES_PER_SECOND = 500;

    /** One trace as the list shows it. */
    record Summary(String traceId, String rootService, String rootName, Instant start, double durationMillis,
            int spanCount, boolean error, List<String> services) {
    }

    private static final class Trace {
        final List<SpanData> spans = new ArrayList<>();
        final Set<String> services = new LinkedHashSet<>();
        long bytes;
        long startNanos = Long.MAX_VALUE;
        long endNanos;
        long omitted;
        boolean error;

        void add(SpanData span) {
            if (spans.size() >= MAX_SPANS_PER_TRACE) {
                omitted++;
                return;
            }
            spans.add(span);
            services.add(CollectedSpan.serviceOf(span));
            bytes += CollectedSpan.estimatedBytes(span);
            startNanos = Math.min(startNanos, span.getStartEpochNanos());
            endNanos = Math.max(endNanos, span.getEndEpochNanos());
            error |= CollectedSpan.failed(span);
        }
    }

    private final int maxTraces;
    private final long maxBytes;
    private final TraceSample sample;
    /** The kept traces, read without the lock by every span; changed only under it. */
    private final Map<String, Trace> traces = new ConcurrentHashMap<>();
    /** The kept traces' ids in the order their first span ended: the first is the one to drop. */
    private final ArrayDeque<String> order = new ArrayDeque<>();
    /** The ids of the traces dropped or refused last, oldest first. */
    private final LinkedHashMap<String, Boolean> droppedIds;
    private long bytes;
    private long dropped;

    TraceStore(int maxTraces, long maxBytes) {
        this.maxTraces = maxTraces;
        this.maxBytes = maxBytes;
        this.sample = new TraceSample(MAX_NEW_TRACES_PER_SECOND);
        int remembered = Math.max(MAX_REMEMBERED_DROPS, maxTraces);
        this.droppedIds = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > remembered;
            }
        };
    }

    /** A span that ended: kept if its trace is, or is taken in now; otherwise left at once. */
    void add(SpanData span) {
        String traceId = span.getTraceId();
        if (!traces.containsKey(traceId) && !sample.keeps(traceId, span.getEndEpochNanos())
                && !CollectedSpan.failed(span)) {
            return;
        }
        synchronized (this) {
            Trace trace = traces.get(traceId);
            if (trace == null) {
                if (droppedIds.containsKey(traceId)) {
                    return;
                }
                if (!sample.admit(traceId, span.getStartEpochNanos(), CollectedSpan.failed(span))) {
                    droppedIds.put(traceId, Boolean.TRUE); // refused now: its later spans too
                    return;
                }
                trace = new Trace();
                traces.put(traceId, trace);
                order.addLast(traceId);
            }
            long before = trace.bytes;
            trace.add(span);
            bytes += trace.bytes - before;
            while ((traces.size() > maxTraces || bytes > maxBytes) && order.size() > 1) {
                String oldest = order.removeFirst(); // one trace over the byte bound stays, clipped by its span bound
                bytes -= traces.remove(oldest).bytes;
                droppedIds.put(oldest, Boolean.TRUE);
                dropped++;
            }
        }
    }

    synchronized int kept() {
        return traces.size();
    }

    /** Traces dropped to stay within the bound, since the start. */
    synchronized long dropped() {
        return dropped;
    }

    /** Traces left out by the sample (an estimate: each kept one stands for those its sample rate left out). */
    synchronized long skipped() {
        return sample.skipped();
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
    Optional<List<CollectedSpan>> spans(String traceId) {
        List<SpanData> spans;
        synchronized (this) {
            Trace trace = traces.get(traceId);
            if (trace == null) {
                return Optional.empty();
            }
            spans = List.copyOf(trace.spans);
        }
        return Optional.of(spans.stream().map(CollectedSpan::of).toList());
    }

    private static Summary summary(String traceId, Trace trace) {
        SpanData root = root(trace.spans);
        return new Summary(traceId, CollectedSpan.serviceOf(root), root.getName(), instant(trace.startNanos),
                (trace.endNanos - trace.startNanos) / 1e6, trace.spans.size() + (int) trace.omitted, trace.error,
                trace.spans.stream().sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
                        .map(CollectedSpan::serviceOf).distinct().toList());
    }

    /** The earliest span whose parent is not in the trace: the request's entry here, or its client's root. */
    private static SpanData root(List<SpanData> spans) {
        Set<String> ids = new HashSet<>();
        spans.forEach(span -> ids.add(span.getSpanId()));
        return spans.stream().filter(span -> {
                    SpanContext parent = span.getParentSpanContext();
                    return !parent.isValid() || !ids.contains(parent.getSpanId());
                })
                .min(Comparator.comparingLong(SpanData::getStartEpochNanos))
                .orElse(spans.get(0));
    }

    static Instant instant(long epochNanos) {
        return Instant.ofEpochSecond(0, epochNanos);
    }
}
