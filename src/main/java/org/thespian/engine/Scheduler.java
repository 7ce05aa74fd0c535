package org.thespian.engine;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.thespian.config.Action;

/**
 * Where the engine's deferred work runs. One timer thread only fires timers: whatever comes after a sleep
 * (spans, the next operation, answering the call) runs on a pool sized to the cores, so a burst of wake-ups
 * is spread over every core instead of queueing behind the timer.
 */
public final class Scheduler implements AutoCloseable {

    private final ScheduledThreadPoolExecutor timer;
    private final ForkJoinPool continuations;
    private final CpuPool cpu;
    /** The longest wait or burn this scheduler runs; longer ones are cut to it. */
    private final long longestNanos;

    private Scheduler(int threads, int cpuThreads, long longestNanos) {
        this.longestNanos = longestNanos;
        timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "thespian-timer");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        continuations = new ForkJoinPool(threads, pool -> {
            ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            thread.setName("thespian-engine-" + thread.getPoolIndex());
            return thread;
        }, null, true);
        cpu = new CpuPool(cpuThreads, MAX_WAITING_BURNS);
    }

    /** Cpu actions waiting for a burning thread beyond which new ones fail with RESOURCE_EXHAUSTED. */
    static final int MAX_WAITING_BURNS = 10_000;

    /** A scheduler whose continuations and CPU burns each run on as many threads as there are cores. */
    public static Scheduler start() {
        return start(Runtime.getRuntime().availableProcessors());
    }

    /** A scheduler that burns CPU on {@code cpuThreads} threads. */
    public static Scheduler start(int cpuThreads) {
        return new Scheduler(Runtime.getRuntime().availableProcessors(), cpuThreads, Long.MAX_VALUE);
    }

    /**
     * A scheduler for a rehearsal: every sleep, hold, back-off and CPU burn lasts at most {@code longestNanos}, so a
     * rehearsal runs as many calls as the CPU allows, whatever times the config asks for, on the same code.
     */
    public static Scheduler rehearsal(int cpuThreads, long longestNanos) {
        return new Scheduler(Runtime.getRuntime().availableProcessors(), cpuThreads, longestNanos);
    }

    CpuPool cpu() {
        return cpu;
    }

    /** Burns {@code nanos} of CPU on the CPU pool (see {@link CpuPool#burn}). */
    Optional<CompletableFuture<Void>> burn(long nanos, BooleanSupplier cancelled) {
        return cpu.burn(Math.min(nanos, longestNanos), cancelled);
    }

    /** Runs {@code task} on the continuation pool once {@code delayNanos} have passed. */
    public ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        return timer.schedule(() -> continuations.execute(task), Math.min(delayNanos, longestNanos),
                TimeUnit.NANOSECONDS);
    }

    /** Completes, on the continuation pool, once {@code delayNanos} have passed. */
    CompletableFuture<Void> delay(long delayNanos) {
        CompletableFuture<Void> elapsed = new CompletableFuture<>();
        schedule(() -> elapsed.complete(null), delayNanos);
        return elapsed;
    }

    /**
     * Completes once {@code delayNanos} have passed, or fails with {@code action}'s cancellation as soon as the
     * request is cancelled: the timer is then removed, so a long wait (a retry's back-off) keeps nothing of an
     * abandoned request alive.
     */
    public CompletableFuture<Void> delay(long delayNanos, Execution execution, Action action) {
        CompletableFuture<Void> elapsed = new CompletableFuture<>();
        Runnable unregister = execution.onCancel(() -> elapsed.completeExceptionally(execution.cancellationOf(action)));
        if (elapsed.isDone()) {
            return elapsed;
        }
        ScheduledFuture<?> timer = schedule(() -> elapsed.complete(null), delayNanos);
        elapsed.whenComplete((ignored, error) -> {
            unregister.run();
            timer.cancel(false);
        });
        return elapsed;
    }

    /** The continuation pool, for work that must not run on the thread that completed something. */
    public Executor continuations() {
        return continuations;
    }

    @Override
    public void close() {
        cpu.close();
        timer.shutdownNow();
        continuations.shutdownNow();
    }
}
