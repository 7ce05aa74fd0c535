package org.thespian.server;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.thespian.engine.Scheduler;

/**
 * How far behind this process runs. A probe asks the engine's scheduler to run it 10 ms from now and measures how
 * late it ran: the timer thread and the continuation pool fall behind together when the CPU cannot keep up (an
 * open-loop load past capacity, a cold JIT, a GC pause). Unlike a request's latency, this never mistakes a
 * configured sleep or an injected delay for overload. Every ten probes, the worst lateness among them goes to
 * each listener (the servers' adaptive limits).
 */
final class ProcessLag implements AutoCloseable {

    static final long PROBE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int PROBES_PER_WINDOW = 10;

    private final Scheduler scheduler;
    private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    // Touched by one probe at a time: each probe schedules the next when it runs.
    private long worstInWindow;
    private int probesInWindow;
    private volatile boolean closed;

    private ProcessLag(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    static ProcessLag watch(Scheduler scheduler) {
        ProcessLag lag = new ProcessLag(scheduler);
        lag.scheduleProbe();
        return lag;
    }

    /** Hands {@code listener} each window's worst lateness in nanoseconds; the returned handle stops that. */
    Runnable onWindow(LongConsumer listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void scheduleProbe() {
        long due = System.nanoTime() + PROBE_INTERVAL_NANOS;
        try {
            scheduler.schedule(() -> probe(due), PROBE_INTERVAL_NANOS);
        } catch (java.util.concurrent.RejectedExecutionException schedulerClosed) {
            closed = true;
        }
    }

    private void probe(long due) {
        worstInWindow = Math.max(worstInWindow, System.nanoTime() - due);
        if (++probesInWindow == PROBES_PER_WINDOW) {
            long worst = worstInWindow;
            worstInWindow = 0;
            probesInWindow = 0;
            listeners.forEach(listener -> listener.accept(worst));
        }
        if (!closed) {
            scheduleProbe();
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
