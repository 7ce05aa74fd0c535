package org.thespian.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The trace store's bounds: traces and bytes, the oldest dropped first and counted. */
class TraceStoreTest {

    private static CollectedSpan span(String traceId, String spanId, long start, String attribute) {
        return new CollectedSpan(traceId, spanId, "", "svc", "op", "SERVER", start, 1_000_000, false, "UNSET",
                Map.of("note", attribute));
    }

    @Test
    void pastTheTraceBoundTheOldestAreDroppedAndCounted() {
        TraceStore store = new TraceStore(3, LiveViewSettings.MAX_BYTES);
        for (int i = 1; i <= 5; i++) {
            store.add(span("t" + i, "s" + i, i, ""));
        }
        assertEquals(3, store.kept());
        assertEquals(2, store.dropped());
        assertEquals(List.of("t5", "t4", "t3"), store.newest(10, Optional.empty(), false).stream()
                .map(TraceStore.Summary::traceId).toList());
        assertTrue(store.spans("t1").isEmpty());

        store.add(span("t1", "late", 6, ""));
        assertTrue(store.spans("t1").isEmpty(), "a dropped trace's late span does not bring back a fragment");
        assertEquals(3, store.kept());
    }

    @Test
    void pastTheByteBoundTheOldestAreDroppedTooAndBytesAreGivenBack() {
        String big = "x".repeat(10_000);
        long oneSpan = span("t1", "s1", 0, big).estimatedBytes();
        TraceStore store = new TraceStore(1_000, oneSpan * 4);
        for (int i = 1; i <= 9; i++) {
            store.add(span("t" + i, "s" + i, i, big));
        }
        assertEquals(4, store.kept());
        assertEquals(5, store.dropped());
        assertEquals(4 * oneSpan, store.bytes());
    }

    @Test
    void aTraceKeepsAtMostItsSpanBoundAndCountsTheRest() {
        TraceStore store = new TraceStore(10, LiveViewSettings.MAX_BYTES);
        for (int i = 0; i < TraceStore.MAX_SPANS_PER_TRACE + 5; i++) {
            store.add(span("t", "s" + i, i, ""));
        }
        assertEquals(TraceStore.MAX_SPANS_PER_TRACE, store.spans("t").orElseThrow().size());
        assertEquals(TraceStore.MAX_SPANS_PER_TRACE + 5, store.newest(1, Optional.empty(), false).get(0).spanCount());
    }
}
