package org.thespian.server;

import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongConsumer;
import org.thespian.engine.Scheduler;

/**
 * How far behind this process runs. A probe asks the engine's scheduler to run it 10 ms from now and measures how
 * late it ran: the timer thread and the continuation pool fall behind together when the CPU cannot keep up (an
 * open-loop load past capacity, a cold JIT, a GC pause). So does a probe on each transport event loop
 * ({@link TransportThreads}), which runs only between the loop's reads: a loop that cannot keep up with its sockets
 * runs it late by as long as it spends reading, while the requests it has not read yet wait unseen in the socket.
 * Unlike a request's latency, this never mistakes a configured sleep or an injected delay for overload. Every ten
 * scheduler probes, the worst lateness among all of them goes to each listener (the servers' adaptive limits);
 * a loop probe that has not run yet counts as late as it is by then.
 */
final class ProcessLag implements AutoCloseable {

    static final long PROBE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int PROBES_PER_WINDOW = 10;

    private final Scheduler scheduler;
    private final List<EventExecutor> loops;
    /** When each loop's pending probe is due. */
    private final AtomicLongArray loopProbeDue;
    private final AtomicLong worstOfLoops = new AtomicLong();
    private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    // Touched by one probe at a time: each probe schedules the next when it runs.
    private long worstInWindow;
    private int probesInWindow;
    private volatile boolean closed;

    private ProcessLag(Scheduler scheduler, List<EventExecutor> loops) {
        this.scheduler = scheduler;
        this.loops = List.copyOf(loops);
        this.loopProbeDue = new AtomicLongArray(loops.size());
    }

    static ProcessLag watch(Scheduler scheduler, List<EventExecutor> loops) {
        ProcessLag lag = new ProcessLag(scheduler, loops);
        for (int loop = 0; loop < loops.size(); loop++) {
            lag.probeLoopLater(loop);
        }
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
        } catch (RejectedExecutionException schedulerClosed) {
            closed = true;
        }
    }

    private void probeLoopLater(int loop) {
        long due = System.nanoTime() + PROBE_INTERVAL_NANOS;
        loopProbeDue.set(loop, due);
        try {
            loops.get(loop).schedule(() -> {
                worstOfLoops.accumulateAndGet(System.nanoTime() - due, Math::max);
                if (!closed) {
                    probeLoopLater(loop);
                }
            }, PROBE_INTERVAL_NANOS, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException loopsStopped) {
            loopProbeDue.set(loop, Long.MAX_VALUE);
        }
    }

    private void probe(long due) {
        long now = System.nanoTime();
        worstInWindow = Math.max(worstInWindow, now - due);
        if (++probesInWindow == PROBES_PER_WINDOW) {
            long worst = Math.max(worstInWindow, worstOfLoops.getAndSet(0));
            for (int loop = 0; loop < loops.size(); loop++) {
                long loopDue = loopProbeDue.get(loop);
                if (loopDue != Long.MAX_VALUE) {
                    worst = Math.max(worst, now - loopDue);
                }
            }
            worstInWindow = 0;
            probesInWindow = 0;
            long worstOfAll = worst;
            listeners.forEach(listener -> listener.accept(worstOfAll));
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
