package org.thespian.telemetry;

import io.opentelemetry.sdk.common.CompletableResultCode;
import java.io.PrintStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Writes text to a stream from its own thread, through a bounded queue: whoever hands text over never waits, even
 * when nobody reads the stream and writing blocks for good. What does not fit is dropped and counted, and the count
 * is written before the next text that does get through.
 */
final class ConsoleWriter {

    private static final long TICK_MILLIS = 1_000;

    private sealed interface Entry permits Text, Flush {
    }

    private record Text(Supplier<String> text) implements Entry {
    }

    private record Flush(CompletableResultCode done) implements Entry {
    }

    private final PrintStream out;
    private final BlockingQueue<Entry> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final Runnable everySecond;

    /**
     * @param capacity    how many texts may wait to be written
     * @param everySecond run on the writer thread about once a second, for housekeeping
     */
    ConsoleWriter(PrintStream out, int capacity, String threadName, Runnable everySecond) {
        this.out = out;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.everySecond = everySecond;
        Thread writer = new Thread(this::run, threadName);
        writer.setDaemon(true);
        writer.start();
    }

    /** Queues {@code text}, rendered on the writer thread; drops it (counted) when the queue is full. */
    void write(Supplier<String> text) {
        if (!queue.offer(new Text(text))) {
            dropped.incrementAndGet();
        }
    }

    /** Completes once everything queued before it is written; fails at once if the queue is full. */
    CompletableResultCode flush() {
        CompletableResultCode done = new CompletableResultCode();
        if (!queue.offer(new Flush(done))) {
            done.fail();
        }
        return done;
    }

    long dropped() {
        return dropped.get();
    }

    private void run() {
        long lastTick = System.nanoTime();
        while (true) {
            Entry entry;
            try {
                entry = queue.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (System.nanoTime() - lastTick >= TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS)) {
                lastTick = System.nanoTime();
                everySecond.run();
            }
            if (entry instanceof Flush flush) {
                out.flush();
                flush.done().succeed();
            } else if (entry instanceof Text text) {
                long lost = dropped.getAndSet(0);
                if (lost > 0) {
                    out.print("(" + lost + " dropped: the console was not keeping up)\n");
                }
                out.print(text.text().get());
                out.flush();
            }
        }
    }
}
