package org.thespian.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The trace store's bounds: traces, bytes and new traces a second, the oldest dropped first and counted. */
class TraceStoreTest {

    private final List<SpanData> ended = new ArrayList<>();
    private final Tracer tracer = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
                @Override
                public CompletableResultCode export(Collection<SpanData> spans) {
                    ended.addAll(spans);
                    return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode flush() {
                    return CompletableResultCode.ofSuccess();
                }

                @Override
                public CompletableResultCode shutdown() {
                    return CompletableResultCode.ofSuccess();
                }
            })).build().get("test");
    private final AtomicLong clock = new AtomicLong();

    /** A span of its own trace (or, with a parent, of the parent's), started at {@code start} and 1 ms long. */
    private SpanData span(long start, String note, SpanData parent) {
        Context context = parent == null ? Context.root() : Context.root().with(Span.wrap(parent.getSpanContext()));
        Span span = tracer.spanBuilder("op").setParent(context).setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(start, TimeUnit.NANOSECONDS).setAttribute("note", note).startSpan();
        span.end(start + 1_000_000, TimeUnit.NANOSECONDS);
        return ended.get(ended.size() - 1);
    }

    private TraceStore store(int maxTraces, long maxBytes) {
        return new TraceStore(maxTraces, maxBytes, clock::get);
    }

    @Test
    void pastTheTraceBoundTheOldestAreDroppedAndCountedAndTheirLateSpansToo() {
        TraceStore store = store(3, LiveViewSettings.MAX_BYTES);
        List<SpanData> roots = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            roots.add(span(i, "", null));
            store.add(roots.get(i - 1));
        }
        assertEquals(3, store.kept());
        assertEquals(2, store.dropped());
        assertEquals(List.of(roots.get(4).getTraceId(), roots.get(3).getTraceId(), roots.get(2).getTraceId()),
                store.newest(10, Optional.empty(), false).stream().map(TraceStore.Summary::traceId).toList());
        String first = roots.get(0).getTraceId();
        assertTrue(store.spans(first).isEmpty());

        store.add(span(6, "late", roots.get(0)));
        assertTrue(store.spans(first).isEmpty(), "a dropped trace's late span does not bring back a fragment");
        assertEquals(3, store.kept());
    }

    @Test
    void pastTheByteBoundTheOldestAreDroppedTooAndBytesAreGivenBack() {
        String big = "x".repeat(10_000);
        long oneSpan = CollectedSpan.of(span(0, big, null)).estimatedBytes();
        TraceStore store = store(1_000, oneSpan * 4);
        for (int i = 1; i <= 9; i++) {
            store.add(span(i, big, null));
        }
        assertEquals(4, store.kept());
        assertEquals(5, store.dropped());
        assertEquals(4 * oneSpan, store.bytes());
    }

    @Test
    void aTraceKeepsAtMostItsSpanBoundAndCountsTheRest() {
        TraceStore store = store(10, LiveViewSettings.MAX_BYTES);
        SpanData root = span(0, "", null);
        store.add(root);
        for (int i = 1; i < TraceStore.MAX_SPANS_PER_TRACE + 5; i++) {
            store.add(span(i, "", root));
        }
        assertEquals(TraceStore.MAX_SPANS_PER_TRACE, store.spans(root.getTraceId()).orElseThrow().size());
        assertEquals(TraceStore.MAX_SPANS_PER_TRACE + 5, store.newest(1, Optional.empty(), false).get(0).spanCount());
    }

    @Test
    void pastTheNewTracesOfASecondTheRestAreSkippedWholeAndCounted() {
        TraceStore store = store(2_000, LiveViewSettings.MAX_BYTES);
        List<SpanData> roots = new ArrayList<>();
        for (int i = 0; i < TraceStore.MAX_NEW_TRACES_PER_SECOND + 10; i++) {
            roots.add(span(i, "", null));
            store.add(roots.get(i));
        }
        assertEquals(TraceStore.MAX_NEW_TRACES_PER_SECOND, store.kept());
        assertEquals(10, store.skipped());

        clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
        SpanData skipped = roots.get(roots.size() - 1);
        store.add(span(1, "late", skipped));
        assertTrue(store.spans(skipped.getTraceId()).isEmpty(), "a skipped trace stays skipped");
        store.add(span(2, "", null));
        assertEquals(TraceStore.MAX_NEW_TRACES_PER_SECOND + 1, store.kept(), "the next second takes new ones");
    }
}
