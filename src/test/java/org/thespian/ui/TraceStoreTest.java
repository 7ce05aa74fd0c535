package org.thespian.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.testsupport.RecordingSpanExporter;

/**
 * The trace store's bounds (traces and bytes, the oldest dropped first and counted) and its sample under load: by
 * trace id, whole traces, failed ones kept outside it.
 */
class TraceStoreTest {

    private final RecordingSpanExporter exporter = new RecordingSpanExporter();
    private final List<SpanData> ended = exporter.spans;
    private final Tracer tracer = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build().get("test");
    /** Epoch nanoseconds the next spans start at: the sample's seconds are those of the spans' end times. */
    private long now = TimeUnit.SECONDS.toNanos(1_800_000_000L);

    /** A span of its own trace (or, with a parent, of the parent's), started at {@code start} and 1 ms long. */
    private SpanData span(long start, String note, SpanData parent) {
        Context context = parent == null ? Context.root() : Context.root().with(Span.wrap(parent.getSpanContext()));
        Span span = tracer.spanBuilder("op").setParent(context).setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(start, TimeUnit.NANOSECONDS).setAttribute("note", note).startSpan();
        span.end(start + 1_000_000, TimeUnit.NANOSECONDS);
        return ended.get(ended.size() - 1);
    }

    private TraceStore store(int maxTraces, long maxBytes) {
        return new TraceStore(maxTraces, maxBytes);
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
        long oneSpan = CollectedSpan.estimatedBytes(span(0, big, null));
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

    private Span started(String name, Span parent) {
        return tracer.spanBuilder(name).setSpanKind(parent == null ? SpanKind.SERVER : SpanKind.INTERNAL)
                .setParent(parent == null ? Context.root() : Context.root().with(parent))
                .setStartTimestamp(now, TimeUnit.NANOSECONDS).startSpan();
    }

    /** Ends the span 1 µs from now, failed if {@code error} is given; what the store is offered. */
    private SpanData end(Span span, String error) {
        if (error != null) {
            span.setStatus(StatusCode.ERROR, error);
        }
        now += 1_000;
        span.end(now, TimeUnit.NANOSECONDS);
        return ended.get(ended.size() - 1);
    }

    /**
     * {@code count} traces of two spans each, within the next 0.2 s: every trace's child ends first, then, once all
     * children have ended, the roots (so a root ends after many other traces began, as under load). Returns the
     * roots.
     */
    private List<Span> loadOfTraces(TraceStore store, int count, boolean endRoots) {
        List<Span> roots = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Span root = started("root", null);
            store.add(end(started("child", root), null));
            roots.add(root);
        }
        if (endRoots) {
            roots.forEach(root -> store.add(end(root, null)));
        }
        return roots;
    }

    private void nextSeconds(int seconds) {
        now += TimeUnit.SECONDS.toNanos(seconds);
    }

    @Test
    void underLoadTracesAreSampledByIdAndAKeptTraceKeepsEverySpan() {
        TraceStore store = store(100_000, LiveViewSettings.MAX_BYTES);
        loadOfTraces(store, 20_000, true);

        // The sample halves each time a second's count passes the aim: in a burst's first second that comes to a
        // few times the aim, from then on at most the aim.
        assertTrue(store.kept() > TraceStore.MAX_NEW_TRACES_PER_SECOND
                && store.kept() <= 5 * TraceStore.MAX_NEW_TRACES_PER_SECOND,
                "kept " + store.kept() + " of 20,000 traces begun in one second");
        nextSeconds(1);
        int keptInTheFirstSecond = store.kept();
        loadOfTraces(store, 20_000, true);
        assertTrue(store.kept() - keptInTheFirstSecond <= TraceStore.MAX_NEW_TRACES_PER_SECOND,
                "kept " + (store.kept() - keptInTheFirstSecond) + " of 20,000 in the next second");

        for (TraceStore.Summary trace : store.newest(100_000, Optional.empty(), false)) {
            assertEquals(2, trace.spanCount(), "a kept trace keeps its child and its root: " + trace);
            assertEquals("root", trace.rootName(), trace.toString());
        }
        assertTrue(store.skipped() > 20_000 && store.skipped() < 80_000,
                "the traces left out, estimated: " + store.skipped());
        assertEquals(0, store.dropped());
    }

    @Test
    void aFailedSpanKeepsItsTraceOutsideTheSampleWithTheSpansThatEndAfterIt() {
        TraceStore store = store(100_000, LiveViewSettings.MAX_BYTES);
        loadOfTraces(store, 20_000, true);

        Span root;
        for (int tries = 0; ; tries++) {
            int keptBefore = store.kept();
            root = started("root", null);
            store.add(end(started("fine", root), null));
            if (store.kept() == keptBefore) {
                break; // this trace is outside the sample
            }
            assertTrue(tries < 100, "a sample under this load leaves most traces out");
        }
        store.add(end(started("failing", root), "boom"));
        store.add(end(root, "failed below"));

        String traceId = root.getSpanContext().getTraceId();
        List<CollectedSpan> spans = store.spans(traceId).orElseThrow(() -> new AssertionError("an error trace is kept"));
        assertEquals(List.of("failing", "root"), spans.stream().map(CollectedSpan::name).toList(),
                "kept from its first failed span on");
        TraceStore.Summary summary = store.newest(5, Optional.empty(), true).get(0);
        assertEquals(traceId, summary.traceId());
        assertTrue(summary.error());
    }

    @Test
    void onceTheLoadFallsNewTracesAreAllKeptAndThoseBegunBeforeStayOut() {
        TraceStore store = store(100_000, LiveViewSettings.MAX_BYTES);
        List<Span> open = loadOfTraces(store, 20_000, false);
        int keptUnderLoad = store.kept();

        nextSeconds(5);
        loadOfTraces(store, 50, true);
        assertEquals(keptUnderLoad + 50, store.kept(), "a quiet second keeps every new trace");

        open.forEach(root -> store.add(end(root, null)));
        assertEquals(keptUnderLoad + 50, store.kept(), "a root whose child was left out does not come in alone");
        for (TraceStore.Summary trace : store.newest(100_000, Optional.empty(), false)) {
            assertEquals(2, trace.spanCount(), trace.toString());
        }
    }

    @Test
    void pastTheMostFailedTracesOfASecondTheRestAreLeftOutWhole() {
        TraceStore store = store(100_000, LiveViewSettings.MAX_BYTES);
        loadOfTraces(store, 20_000, true);
        int keptBefore = store.kept();

        List<Span> roots = new ArrayList<>();
        for (int i = 0; i < 4 * TraceStore.MAX_NEW_TRACES_PER_SECOND; i++) {
            Span root = started("root", null);
            store.add(end(started("failing", root), "boom"));
            roots.add(root);
        }
        int failedKept = store.kept() - keptBefore;
        assertTrue(failedKept >= TraceStore.MAX_NEW_TRACES_PER_SECOND
                && failedKept < 2 * TraceStore.MAX_NEW_TRACES_PER_SECOND, "failed traces kept: " + failedKept);

        nextSeconds(1);
        roots.forEach(root -> store.add(end(root, "failed below")));
        assertEquals(keptBefore + failedKept, store.kept(), "a refused trace's later spans do not come in as fragments");
    }
}
