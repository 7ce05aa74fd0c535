package org.thespian.telemetry.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.thespian.common.DropReport;

/**
 * stdout for a server that logs a line per request, tens of thousands a second. A line is encoded on the thread that
 * logs it and queued; one writer thread collects whatever has queued every {@link #COLLECT_INTERVAL_NANOS} and writes
 * it with one system call. Loggers never wait for stdout and never wake the writer: logback's AsyncAppender in front
 * of a ConsoleAppender paid a thread hand-off and a system call per line, about a quarter of a request's CPU
 * (docs/benchmarks.md). When stdout is slower than the lines (a pipe nobody reads), the queue fills, new lines are
 * dropped and counted, and a WARN line says how many, at most once a minute.
 */
final class BatchingStdoutAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    static final String NAME = "stdout";
    static final String DROP_LOGGER = "thespian.logging.stdout";
    static final int QUEUE_LINES = 8192;
    /** Lines can be long (an exception, a long name in a config): the queue holds at most this much. */
    static final long QUEUE_BYTES = 16L << 20;

    private static final long COLLECT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long STOP_BUDGET_MILLIS = 1000;
    private static final int WRITE_BUFFER_BYTES = 64 * 1024;

    private final Encoder<ILoggingEvent> encoder;
    private final OutputStream stdout;
    private final ArrayBlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE_LINES);
    private final AtomicLong queuedBytes = new AtomicLong();
    private final DropReport drops = new DropReport();
    /** Touched by the writer thread only. */
    private final byte[] buffer = new byte[WRITE_BUFFER_BYTES];
    /** The writer's own report of dropped lines, written with the next batch, never dropped. */
    private volatile byte[] dropReport;
    private volatile boolean writing;
    private Thread writer;

    BatchingStdoutAppender(Encoder<ILoggingEvent> encoder, OutputStream stdout) {
        this.encoder = encoder;
        this.stdout = stdout;
        setName(NAME);
    }

    Encoder<ILoggingEvent> encoder() {
        return encoder;
    }

    /** Lines dropped so far because the queue was full. */
    long dropped() {
        return drops.total();
    }

    @Override
    public void start() {
        writing = true;
        writer = new Thread(this::writeUntilStopped, "thespian-stdout");
        writer.setDaemon(true);
        writer.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        byte[] line = encoder.encode(event);
        if (RehearsalLines.isRehearsal(event)) {
            return;
        }
        if (DROP_LOGGER.equals(event.getLoggerName())) {
            // The report comes when the queue may well be full again: it must not be dropped itself.
            dropReport = line;
            return;
        }
        if (queuedBytes.addAndGet(line.length) > QUEUE_BYTES || !queue.offer(line)) {
            queuedBytes.addAndGet(-line.length);
            drops.add(1);
        }
    }

    /** Writes what is queued, within a second: a stdout that is not read must not hold the process up. */
    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        writing = false;
        LockSupport.unpark(writer);
        try {
            writer.join(STOP_BUDGET_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeUntilStopped() {
        List<byte[]> batch = new ArrayList<>();
        while (true) {
            // Read before collecting: every line queued before stop() is in this last batch.
            boolean last = !writing;
            int queued = 0;
            try {
                queued = writeQueued(batch);
            } catch (RuntimeException | OutOfMemoryError e) {
                // A writer that died would leave every later line to be dropped without a word.
                batch.clear();
                addError("writing log lines to stdout failed", e);
            }
            if (last) {
                return;
            }
            // A burst that filled a good part of the queue is collected again at once, before it overflows.
            if (queued < QUEUE_LINES / 4) {
                LockSupport.parkNanos(this, COLLECT_INTERVAL_NANOS);
            }
        }
    }

    /** Writes what has queued, and the report of drops if one is due; returns how many lines were queued. */
    private int writeQueued(List<byte[]> batch) {
        int queued = queue.drainTo(batch);
        batch.forEach(line -> queuedBytes.addAndGet(-line.length));
        // A report made last round follows the lines that were queued before the drops it counts.
        takeDropReport().ifPresent(batch::add);
        write(batch);
        batch.clear();
        reportDrops();
        if (!writing) {
            takeDropReport().ifPresent(report -> write(List.of(report)));
        }
        return queued;
    }

    private void write(List<byte[]> lines) {
        if (lines.isEmpty()) {
            return;
        }
        int size = 0;
        try {
            for (byte[] line : lines) {
                if (size + line.length > buffer.length) {
                    stdout.write(buffer, 0, size);
                    size = 0;
                }
                if (line.length > buffer.length) {
                    stdout.write(line);
                } else {
                    System.arraycopy(line, 0, buffer, size, line.length);
                    size += line.length;
                }
            }
            stdout.write(buffer, 0, size);
            stdout.flush();
        } catch (IOException e) {
            // Nowhere to say it: stdout is what failed. Loki, if set, still has the lines.
            addError("writing log lines to stdout failed", e);
        }
    }

    private void reportDrops() {
        // Logged like any other line, so Loki gets it too; it comes back to append() as the next dropReport.
        drops.due(System.nanoTime()).ifPresent(due -> ((LoggerContext) getContext()).getLogger(DROP_LOGGER).warn(
                "{} log lines dropped since {}: stdout was not read fast enough (queue of {} lines); see"
                        + " docs/telemetry.md", due.total(), due.since(), QUEUE_LINES));
    }

    private Optional<byte[]> takeDropReport() {
        byte[] report = dropReport;
        dropReport = null;
        return Optional.ofNullable(report);
    }
}
