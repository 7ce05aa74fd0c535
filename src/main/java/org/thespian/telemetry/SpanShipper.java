package org.thespian.telemetry;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.common.DropReport;

/**
 * Ships finished spans to an exporter in batches, in place of the SDK's batch processor, which exports one batch at a
 * time and drops silently: here {@link #MAX_CONCURRENT_EXPORTS} batches are in flight at once, so serialising one
 * batch overlaps sending the other, and what does not fit in the bounded queue, or was in an export that failed, is
 * counted ({@code thespian.telemetry.spans.dropped}) and logged once a minute. A request never waits: a full queue
 * drops.
 *
 * <p>Memory is bounded by the queue ({@link Limits#queueSize} finished spans) plus the batches in flight.
 */
final class SpanShipper implements SpanProcessor {

    static final int MAX_CONCURRENT_EXPORTS = 2;
    static final Duration SHUTDOWN_BUDGET = Duration.ofMillis(600);

    private static final Logger LOG = LoggerFactory.getLogger("thespian.telemetry.spans");
    /** Causes of drops: the queue was full (or no export slot came in time); the export failed. */
    private static final int OVERFLOWED = 0;
    private static final int FAILED = 1;
    // The worker wakes this often at least, to see flush and shutdown requests.
    private static final long WAKE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** The queue and batch sizes, from the OTEL_BSP_* variables (Thespian's defaults under them). */
    record Limits(int queueSize, int batchSize, Duration scheduleDelay, Duration exportTimeout) {
        Limits {
            batchSize = Math.min(batchSize, queueSize);
        }
    }

    private final SpanExporter exporter;
    private final String destination;
    private final Limits limits;
    private final BlockingQueue<ReadableSpan> queue;
    private final Semaphore exportSlots = new Semaphore(MAX_CONCURRENT_EXPORTS);
    /** Spans dropped: {@link #OVERFLOWED} and {@link #FAILED}. */
    private final DropReport drops = new DropReport(2);
    private final Queue<CompletableResultCode> flushRequests = new ConcurrentLinkedQueue<>();
    private final CompletableResultCode stopped = new CompletableResultCode();
    private final Thread worker;
    private volatile long stopBy;
    private volatile boolean stopping;

    SpanShipper(SpanExporter exporter, String destination, Limits limits) {
        this.exporter = exporter;
        this.destination = destination;
        this.limits = limits;
        this.queue = new ArrayBlockingQueue<>(limits.queueSize());
        this.worker = new Thread(this::run, "thespian-span-shipper");
        worker.setDaemon(true);
        worker.start();
    }

    /** Spans dropped so far: the queue was full, or their export failed. */
    long dropped() {
        return drops.total();
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
    }

    @Override
    public boolean isStartRequired() {
        return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {
        if (span.getSpanContext().isSampled() && !queue.offer(span)) {
            drops.add(OVERFLOWED, 1);
        }
    }

    @Override
    public boolean isEndRequired() {
        return true;
    }

    @Override
    public CompletableResultCode forceFlush() {
        CompletableResultCode flushed = new CompletableResultCode();
        flushRequests.add(flushed);
        return flushed;
    }

    /**
     * Ships what is queued for at most {@link #SHUTDOWN_BUDGET}, drops the rest, and shuts the exporter down:
     * stopping must not wait on a backend that is down or hung.
     */
    @Override
    public synchronized CompletableResultCode shutdown() {
        if (!stopping) {
            stopBy = System.nanoTime() + SHUTDOWN_BUDGET.toNanos();
            stopping = true;
        }
        return stopped;
    }

    private void run() {
        List<ReadableSpan> batch = new ArrayList<>(limits.batchSize());
        long nextExport = System.nanoTime() + limits.scheduleDelay().toNanos();
        try {
            while (!stopping) {
                serveFlushRequests(batch);
                queue.drainTo(batch, limits.batchSize() - batch.size());
                long now = System.nanoTime();
                if (batch.size() >= limits.batchSize() || (now >= nextExport && !batch.isEmpty())) {
                    export(batch, now + limits.exportTimeout().toNanos());
                    batch = new ArrayList<>(limits.batchSize());
                }
                if (now >= nextExport) {
                    nextExport = now + limits.scheduleDelay().toNanos();
                    reportDrops(now);
                }
                if (batch.size() < limits.batchSize()) {
                    ReadableSpan next = queue.poll(Math.min(Math.max(nextExport - now, 0), WAKE_NANOS),
                            TimeUnit.NANOSECONDS);
                    if (next != null) {
                        batch.add(next);
                    }
                }
            }
            shipEverything(batch, stopBy);
            reportDrops(System.nanoTime());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            exporter.shutdown().whenComplete(stopped::succeed);
        }
    }

    private void serveFlushRequests(List<ReadableSpan> batch) throws InterruptedException {
        CompletableResultCode flush = flushRequests.poll();
        if (flush == null) {
            return;
        }
        long deadline = System.nanoTime() + limits.exportTimeout().toNanos();
        shipEverything(batch, deadline);
        flush.succeed();
        for (CompletableResultCode also = flushRequests.poll(); also != null; also = flushRequests.poll()) {
            also.succeed();
        }
    }

    /** Exports the batch and the whole queue by {@code deadline}, and waits for the exports in flight. */
    private void shipEverything(List<ReadableSpan> batch, long deadline) throws InterruptedException {
        do {
            queue.drainTo(batch, limits.batchSize() - batch.size());
            if (!batch.isEmpty()) {
                export(batch, deadline);
                batch.clear();
            }
        } while (!queue.isEmpty() && System.nanoTime() < deadline);
        if (exportSlots.tryAcquire(MAX_CONCURRENT_EXPORTS, Math.max(deadline - System.nanoTime(), 0),
                TimeUnit.NANOSECONDS)) {
            exportSlots.release(MAX_CONCURRENT_EXPORTS);
        }
    }

    /** Starts one export once a slot is free; a batch that finds no slot by {@code deadline} is dropped. */
    private void export(List<ReadableSpan> spans, long deadline) throws InterruptedException {
        if (!exportSlots.tryAcquire(Math.max(deadline - System.nanoTime(), 0), TimeUnit.NANOSECONDS)) {
            drops.add(OVERFLOWED, spans.size());
            return;
        }
        List<SpanData> data = new ArrayList<>(spans.size());
        for (ReadableSpan span : spans) {
            data.add(span.toSpanData());
        }
        try {
            CompletableResultCode result = exporter.export(data);
            result.whenComplete(() -> {
                if (!result.isSuccess()) {
                    drops.add(FAILED, data.size());
                }
                exportSlots.release();
            });
        } catch (RuntimeException e) {
            drops.add(FAILED, data.size());
            exportSlots.release();
            LOG.warn("exporting traces to {} failed: {}", destination, ExportFailureReport.reason(e));
        }
    }

    private void reportDrops(long now) {
        drops.due(now).ifPresent(due -> LOG.warn("{} spans dropped since {}: {} more than could be shipped to {}"
                        + " (queue of {} spans, batches of {}, {} exports at a time), {} in exports that failed;"
                        + " see docs/telemetry.md", due.total(), due.since(), due.count(OVERFLOWED), destination,
                limits.queueSize(), limits.batchSize(), MAX_CONCURRENT_EXPORTS, due.count(FAILED)));
    }
}
