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
import java.util.concurrent.locks.LockSupport;
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
 * <p>The worker sleeps until a whole batch is queued (or the schedule delay passes): a span that ends wakes it only
 * when it completes a batch. Woken for every span, as a blocking {@code poll} would be, it cost nearly every span a
 * thread wake-up on the request path and a context switch: half the worker's CPU under load (docs/benchmarks.md).
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
    /** While the worker sleeps, how many queued spans complete its batch; {@link Integer#MAX_VALUE} while it works. */
    private volatile int spansNeeded = Integer.MAX_VALUE;
    /** How many times the worker went to sleep (written by the worker alone): it wakes for whole batches. */
    private volatile long naps;

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
        if (!span.getSpanContext().isSampled()) {
            return;
        }
        if (!queue.offer(span)) {
            drops.add(OVERFLOWED, 1);
            return;
        }
        int needed = spansNeeded;
        if (needed != Integer.MAX_VALUE && queue.size() >= needed) {
            LockSupport.unpark(worker);
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
        LockSupport.unpark(worker);
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
            LockSupport.unpark(worker);
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
                    awaitSpans(limits.batchSize() - batch.size(), Math.min(Math.max(nextExport - now, 0), WAKE_NANOS));
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

    /**
     * Sleeps for {@code nanos} at most, or until {@code needed} spans are queued or a flush or shutdown is asked for.
     * {@link #spansNeeded} is set before the queue is looked at, so a span that completes the batch meanwhile either
     * is seen here or sees the worker asleep and wakes it.
     */
    private void awaitSpans(int needed, long nanos) throws InterruptedException {
        spansNeeded = needed;
        if (queue.size() < needed && flushRequests.isEmpty() && !stopping) {
            naps++;
            LockSupport.parkNanos(this, nanos);
        }
        spansNeeded = Integer.MAX_VALUE;
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    /** How many times the worker went to sleep so far. */
    long naps() {
        return naps;
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
