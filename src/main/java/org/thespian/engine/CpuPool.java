package org.thespian.engine;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Where Cpu actions burn real CPU: a fixed pool of daemon threads (no more than the cores, by default), so that
 * burning never blocks a transport thread and a flood of burns queues here instead of starving the server.
 *
 * <p>A burn lasts until its thread has used the requested CPU time (wall-clock time where the JVM cannot measure
 * thread CPU time): on a busy machine it takes longer on the clock, as CPU-bound work really does.
 */
public final class CpuPool implements AutoCloseable {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final long CANCEL_CHECK_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** About 10 µs of arithmetic between clock reads: the reads stay a small share of the burn. */
    private static final int SPINS_PER_CLOCK_READ = 4096;

    /** Where burns leave their result, so the JIT must compute it. */
    @SuppressWarnings("unused")
    private static volatile long sink;

    private final int threads;
    private final int queueLimit;
    private final ExecutorService executor;
    /** Burns accepted and not yet finished: running or waiting. */
    private final AtomicInteger outstanding = new AtomicInteger();

    /** {@code threads} burn at once; up to {@code queueLimit} more wait their turn. */
    public CpuPool(int threads, int queueLimit) {
        if (threads < 1 || queueLimit < 0) {
            throw new IllegalArgumentException("need at least one thread and a queue limit of at least 0, got "
                    + threads + " and " + queueLimit);
        }
        this.threads = threads;
        this.queueLimit = queueLimit;
        this.executor = Executors.newFixedThreadPool(threads, daemonThreads());
    }

    public int threads() {
        return threads;
    }

    /**
     * Burns {@code nanos} of CPU time on a pool thread. The future completes when done, or with a
     * {@link CancellationException} once {@code cancelled} turns true (checked about every millisecond) or the pool
     * closes. Empty, and nothing runs, when {@code queueLimit} burns are already waiting (or the pool is closed).
     */
    public Optional<CompletableFuture<Void>> burn(long nanos, BooleanSupplier cancelled) {
        if (nanos < 0) {
            throw new IllegalArgumentException("cannot burn a negative time: " + nanos + " ns");
        }
        if (!reserveQueueSlot()) {
            return Optional.empty();
        }
        Burn burn = new Burn(nanos, cancelled);
        try {
            executor.execute(burn);
        } catch (RejectedExecutionException closed) {
            outstanding.decrementAndGet();
            return Optional.empty();
        }
        return Optional.of(burn.done);
    }

    /** Stops every burn, running or waiting: their futures complete with a {@link CancellationException}. */
    @Override
    public void close() {
        List<Runnable> neverStarted = executor.shutdownNow();
        for (Runnable burn : neverStarted) {
            outstanding.decrementAndGet();
            ((Burn) burn).done.cancel(false);
        }
    }

    /** A burn waits only when every thread is taken, so the pool holds at most threads + queueLimit at once. */
    private boolean reserveQueueSlot() {
        int now;
        do {
            now = outstanding.get();
            if (now >= threads + queueLimit) {
                return false;
            }
        } while (!outstanding.compareAndSet(now, now + 1));
        return true;
    }

    private final class Burn implements Runnable {
        private final long nanos;
        private final BooleanSupplier cancelled;
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        Burn(long nanos, BooleanSupplier cancelled) {
            this.nanos = nanos;
            this.cancelled = cancelled;
        }

        @Override
        public void run() {
            try {
                boolean finished = burnUntilDoneOrCancelled();
                // The slot is free before anyone waiting on the future runs, so they may burn again at once.
                outstanding.decrementAndGet();
                if (finished) {
                    done.complete(null);
                } else {
                    done.cancel(false);
                }
            } catch (RuntimeException | Error e) { // a throwing cancelled() check
                outstanding.decrementAndGet();
                done.completeExceptionally(e);
            }
        }

        /** True when the whole time was burnt, false when cancelled or interrupted (the pool closing) first. */
        private boolean burnUntilDoneOrCancelled() {
            long cpuDeadline = cpuClock() + nanos;
            long nextCancelCheck = System.nanoTime();
            long state = System.nanoTime() | 1;
            while (cpuClock() - cpuDeadline < 0) {
                for (int i = 0; i < SPINS_PER_CLOCK_READ; i++) { // xorshift: cheap, and each step needs the last
                    state ^= state << 13;
                    state ^= state >>> 7;
                    state ^= state << 17;
                }
                long now = System.nanoTime();
                if (now - nextCancelCheck >= 0) {
                    if (cancelled.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                        sink = state;
                        return false;
                    }
                    nextCancelCheck = now + CANCEL_CHECK_INTERVAL_NANOS;
                }
            }
            sink = state;
            return true;
        }
    }

    private static long cpuClock() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, "thespian-cpu-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
