package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.testsupport.RecordingSpanExporter;

/** The shipper's worker, against an exporter that records what it is given. */
class SpanShipperTest {

    private static final int BATCH = 1_000;
    /** Long enough that only a whole batch, a flush or a shutdown can start an export within a test. */
    private static final Duration NEVER = Duration.ofHours(1);

    private final RecordingSpanExporter exported = new RecordingSpanExporter();
    private final SpanShipper shipper = new SpanShipper(exported, "the recorder",
            new SpanShipper.Limits(10 * BATCH, BATCH, NEVER, Duration.ofSeconds(10)));
    private final SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(shipper).build();
    private final Tracer tracer = provider.get("test");

    @AfterEach
    void stop() {
        provider.shutdown().join(5, TimeUnit.SECONDS);
    }

    /**
     * Spans that end one by one, fewer than a batch, leave the worker asleep (it wakes a few times a second to look
     * for flush and shutdown requests); the span that completes the batch wakes it, long before the schedule delay.
     * A worker woken for every span would nap once per span.
     */
    @Test
    void theWorkerSleepsUntilASpanCompletesABatch() throws Exception {
        for (int i = 0; i < BATCH / 2; i++) {
            tracer.spanBuilder("one by one").startSpan().end();
            Thread.sleep(1);
        }
        assertTrue(shipper.naps() < BATCH / 10, "the worker went to sleep " + shipper.naps() + " times for "
                + BATCH / 2 + " spans");
        assertEquals(0, exported.spans.size());
        for (int i = 0; i < BATCH / 2; i++) {
            tracer.spanBuilder("the rest").startSpan().end();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (exported.spans.size() < BATCH && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(List.of(BATCH), exported.batches);
        assertEquals(0, shipper.dropped());
    }

    @Test
    void aFlushShipsWhatIsQueuedAtOnce() {
        for (int i = 0; i < 10; i++) {
            tracer.spanBuilder("flushed").startSpan().end();
        }
        long started = System.nanoTime();
        assertTrue(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
        assertEquals(10, exported.spans.size());
        // A flush wakes the worker: it does not wait for its next look (a tenth of a second) or the schedule delay.
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "the flush took " + took);
    }

    @Test
    void aShutdownShipsWhatIsQueued() {
        for (int i = 0; i < 10; i++) {
            tracer.spanBuilder("shipped on shutdown").startSpan().end();
        }
        assertTrue(provider.shutdown().join(10, TimeUnit.SECONDS).isDone());
        assertEquals(10, exported.spans.size());
        assertTrue(exported.shutDown);
    }
}
