package org.thespian.server;

import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
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
    private final List<EventExecutor> loops;
    /** When each loop's pending probe is due ({@link #NONE} once the loop stopped). */
    private final AtomicLongArray loopProbeDue;
    /** Each loop's least lateness in this window ({@link #NONE} while none of its probes ran). */
    private final AtomicLongArray loopLeast;
    private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    // Touched by one scheduler probe at a time: each probe schedules the next when it runs.
    private long schedulerLeast = NONE;
    private int probesInWindow;
    private volatile boolean closed;

    private ProcessLag(Scheduler scheduler, List<EventExecutor> loops) {
        this.scheduler = scheduler;
        this.loops = List.copyOf(loops);
        this.loopProbeDue = new AtomicLongArray(loops.size());
        this.loopLeast = new AtomicLongArray(loops.size());
    }

    static ProcessLag watch(Scheduler scheduler, List<EventExecutor> loops) {
        ProcessLag lag = new ProcessLag(scheduler, loops);
        for (int loop = 0; loop < loops.size(); loop++) {
            lag.loopLeast.set(loop, NONE);
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
        long due = System.nanoTime() + PROBE_INTERVAL_NANOS;
        loopProbeDue.set(loop, due);
        try {
            loops.get(loop).schedule(() -> {
                loopLeast.accumulateAndGet(loop, System.nanoTime() - due, Math::min);
                if (!closed) {
                    probeLoopLater(loop);
                }
            }, PROBE_INTERVAL_NANOS, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException loopsStopped) {
            loopProbeDue.set(loop, NONE);
        }
    }

    private void probe(long due) {
        long now = System.nanoTime();
        schedulerLeast = Math.min(schedulerLeast, now - due);
        if (++probesInWindow == PROBES_PER_WINDOW) {
            long lateness = schedulerLeast;
            for (int loop = 0; loop < loops.size(); loop++) {
                lateness = Math.max(lateness, leastOfLoop(loop, now));
            }
            schedulerLeast = NONE;
            probesInWindow = 0;
            long windowLateness = lateness;
            listeners.forEach(listener -> listener.accept(windowLateness));
        }
        if (!closed) {
            scheduleProbe();
        }
    }

    /** The least lateness of {@code loop}'s probes in the window now ending, its pending probe's included. */
    private long leastOfLoop(int loop, long now) {
        long least = loopLeast.getAndSet(loop, NONE);
        long due = loopProbeDue.get(loop);
        if (due != NONE && now - due > 0) {
            least = Math.min(least, now - due);
        }
        return least == NONE ? 0 : least;
    }

    @Override
    public void close() {
        closed = true;
    }
}
