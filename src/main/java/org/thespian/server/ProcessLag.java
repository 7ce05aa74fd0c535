package org.thespian.server;

import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
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
 * <p>Every ten probes of the first thread (the scheduler's: a window of 100 ms while it keeps up), each listener
 * (the servers' adaptive limits) hears how late the most behind of these threads ran at best: the least lateness
 * among its probes in the window, as CoDel judges a queue by its smallest delay over an interval. A thread with work
 * queued behind it is late at every probe; a process that merely waited for the CPU a moment (a neighbour's burst,
 * on a shared machine) is late at some, and it takes ten to tell the two apart (measured: windows of 100 ms of time,
 * which hold only a few probes when each runs tens of ms late, refused a closed loop at capacity a fifth to a quarter
 * of its calls on a busy machine, where windows of ten probes refused none). A thread whose probe has not run by the
 * window's end is as late as that probe is by then. A thread of its own ends a window that has lasted
 * {@link #LONGEST_WINDOW_NANOS} without its ten probes: counted in probes alone, a window lasts ten times as long as
 * each probe is late, and the limit would follow a process half a second behind once every five seconds. At 200 ms
 * rather than 500, a limit cut by a backlog is cut again before the calls it let in time out under a 1 s deadline.
 */
final class ProcessLag implements AutoCloseable {

    static final long PROBE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int PROBES_PER_WINDOW = 10;
    static final long LONGEST_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long NONE = Long.MAX_VALUE;

    /** Runs a task on a probed thread after a delay in nanoseconds, or throws RejectedExecutionException. */
    interface ProbedThread {
        void schedule(Runnable task, long delayNanos);
    }

    private final List<ProbedThread> threads;
    private final List<Probed> probes;
    private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    private final Thread windows;
    private volatile boolean closed;
    // Guarded by this: the first thread's probes in the current window, and when it began.
    private int probesInWindow;
    private long windowStartNanos = System.nanoTime();

    private ProcessLag(List<ProbedThread> threads) {
        this.threads = threads;
        this.probes = threads.stream().map(thread -> new Probed()).toList();
        this.windows = new Thread(this::endWindows, "thespian-lag");
        windows.setDaemon(true);
    }

    static ProcessLag watch(Scheduler scheduler, List<EventExecutor> loops) {
        List<ProbedThread> threads = new ArrayList<>();
        threads.add(scheduler::schedule);
        loops.forEach(loop -> threads.add((task, delay) -> loop.schedule(task, delay, TimeUnit.NANOSECONDS)));
        return watch(threads);
    }

    static ProcessLag watch(List<ProbedThread> threads) {
        ProcessLag lag = new ProcessLag(List.copyOf(threads));
        for (int thread = 0; thread < threads.size(); thread++) {
            lag.probeLater(thread);
        }
        lag.windows.start();
        return lag;
    }

    /** Hands {@code listener} each window's lateness in nanoseconds; the returned handle stops that. */
    Runnable onWindow(LongConsumer listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void probeLater(int thread) {
        Probed probed = probes.get(thread);
        long due = System.nanoTime() + PROBE_INTERVAL_NANOS;
        probed.dueAt(due);
        try {
            threads.get(thread).schedule(() -> {
                long now = System.nanoTime();
                probed.ran(now - due);
                if (thread == 0) {
                    endWindowAfterTenProbes(now);
                }
                if (!closed) {
                    probeLater(thread);
                }
            }, PROBE_INTERVAL_NANOS);
        } catch (RejectedExecutionException stopped) {
            probed.dueAt(NONE);
        }
    }

    private synchronized void endWindowAfterTenProbes(long now) {
        if (++probesInWindow == PROBES_PER_WINDOW) {
            endWindow(now);
        }
    }

    private void endWindows() {
        while (!closed) {
            try {
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(LONGEST_WINDOW_NANOS) / 5);
            } catch (InterruptedException closing) {
                return;
            }
            synchronized (this) {
                long now = System.nanoTime();
                if (now - windowStartNanos >= LONGEST_WINDOW_NANOS) {
                    endWindow(now);
                }
            }
        }
    }

    // Called holding this, so that the two ways a window ends never overlap.
    private void endWindow(long now) {
        long lateness = 0;
        for (Probed thread : probes) {
            lateness = Math.max(lateness, thread.endWindow(now));
        }
        probesInWindow = 0;
        windowStartNanos = now;
        long windowLateness = lateness;
        listeners.forEach(listener -> listener.accept(windowLateness));
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
        windows.interrupt();
    }
}
