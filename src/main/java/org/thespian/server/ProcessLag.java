package org.thespian.server;

import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.thespian.engine.Scheduler;

/**
 * How far behind this process runs. Probes ask the engine's scheduler, and each transport event loop
 * ({@link TransportThreads}), to run them 10 ms from now, and measure how late they ran: the timer thread and the
 * continuation pool fall behind when the CPU cannot keep up (an open-loop load past capacity, a cold JIT, a GC
 * pause), and a loop runs a probe only between reads, so a loop that cannot keep up with its sockets runs it late
 * by as long as it spends reading, while the requests it has not read yet wait unseen in the socket. Unlike a
 * request's latency, this never mistakes a configured sleep or an injected delay for overload.
 *
 * <p>Every ten scheduler probes (a window of 100 ms), each listener (the servers' adaptive limits) hears how late
 * the most behind of these threads ran at best: the least lateness among its probes in the window, as CoDel judges
 * a queue by its smallest delay over an interval. A thread with work queued behind it is late at every probe; a
 * process that merely waited for the CPU a moment (a neighbour's burst, on a shared machine) is late at some. A
 * loop whose probe has not run by the window's end is as late as that probe is by then.
 */
final class ProcessLag implements AutoCloseable {

    static final long PROBE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int PROBES_PER_WINDOW = 10;
    private static final long NONE = Long.MAX_VALUE;

    private final Scheduler scheduler;
    private final Probed timer = new Probed();
    private final List<EventExecutor> loops;
    private final List<Probed> loopProbes;
    private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    // Touched by one scheduler probe at a time: each probe schedules the next when it runs.
    private int probesInWindow;
    private volatile boolean closed;

    private ProcessLag(Scheduler scheduler, List<EventExecutor> loops) {
        this.scheduler = scheduler;
        this.loops = List.copyOf(loops);
        this.loopProbes = loops.stream().map(loop -> new Probed()).toList();
    }

    static ProcessLag watch(Scheduler scheduler, List<EventExecutor> loops) {
        ProcessLag lag = new ProcessLag(scheduler, loops);
        for (int loop = 0; loop < loops.size(); loop++) {
            lag.probeLoopLater(loop);
        }
        lag.scheduleProbe();
        return lag;
    }

    /** Hands {@code listener} each window's lateness in nanoseconds; the returned handle stops that. */
    Runnable onWindow(LongConsumer listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void scheduleProbe() {
        long due = System.nanoTime() + PROBE_INTERVAL_NANOS;
        try {
            scheduler.schedule(() -> probe(due), PROBE_INTERVAL_NANOS);
        } catch (RejectedExecutionException schedulerClosed) {
            closed = true;
        }
    }

    private void probeLoopLater(int loop) {
        Probed probed = loopProbes.get(loop);
        long due = System.nanoTime() + PROBE_INTERVAL_NANOS;
        probed.dueAt(due);
        try {
            loops.get(loop).schedule(() -> {
                probed.ran(System.nanoTime() - due);
                if (!closed) {
                    probeLoopLater(loop);
                }
            }, PROBE_INTERVAL_NANOS, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException loopsStopped) {
            probed.dueAt(NONE);
        }
    }

    private void probe(long due) {
        long now = System.nanoTime();
        timer.ran(now - due);
        if (++probesInWindow == PROBES_PER_WINDOW) {
            long lateness = timer.endWindow(now);
            for (Probed loop : loopProbes) {
                lateness = Math.max(lateness, loop.endWindow(now));
            }
            probesInWindow = 0;
            long windowLateness = lateness;
            listeners.forEach(listener -> listener.accept(windowLateness));
        }
        if (!closed) {
            scheduleProbe();
        }
    }

    /** One probed thread: how late it ran at best in the current window. */
    static final class Probed {
        private final AtomicLong least = new AtomicLong(NONE);
        private volatile long pendingDue = NONE;

        /** Its next probe is due at {@code due} ({@link #NONE}: none is, the thread stopped). */
        void dueAt(long due) {
            pendingDue = due;
        }

        void ran(long lateness) {
            least.accumulateAndGet(lateness, Math::min);
        }

        /**
         * Ends the window at {@code now}: the least lateness of the probes that ran in it, or of the pending probe
         * if it is overdue by less; zero if nothing ran and nothing is overdue.
         */
        long endWindow(long now) {
            long lateness = least.getAndSet(NONE);
            long due = pendingDue;
            if (due != NONE && now - due > 0) {
                lateness = Math.min(lateness, now - due);
            }
            return lateness == NONE ? 0 : lateness;
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
