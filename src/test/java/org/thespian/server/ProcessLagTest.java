package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.netty.shaded.io.netty.channel.DefaultEventLoop;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.engine.Scheduler;

/** What the measure of how far behind the process runs sees. */
class ProcessLagTest {

    private static final long MS = 1_000_000;

    /**
     * A transport thread busy with its sockets (here: a task that holds it) delays the requests still in them, while
     * the engine's timer and continuation pool run on time: the windows report the loop's lateness, and do so while
     * the loop is still busy, before its probe has had a chance to run.
     */
    @Test
    void aTransportLoopThatFallsBehindShowsInTheWindowsWhileItIsStillBusy() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        try (Scheduler scheduler = Scheduler.start(1); ProcessLag lag = ProcessLag.watch(scheduler, List.of(loop))) {
            LinkedBlockingQueue<Long> windows = new LinkedBlockingQueue<>();
            lag.onWindow(windows::add);
            CountDownLatch release = new CountDownLatch(1);
            loop.execute(() -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long worst = 0;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (worst < 500 * MS && System.nanoTime() < until) {
                Long window = windows.poll(1, TimeUnit.SECONDS);
                worst = window == null ? worst : Math.max(worst, window);
            }
            release.countDown();
            assertTrue(worst >= 500 * MS, "the windows reported at most " + worst / MS + " ms while the loop was held");
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * The windows keep a rhythm while every probed thread is held (the scheduler's, here a loop of its own, as well
     * as the transport's): they report the threads ever later, five a second, rather than waiting for ten probes.
     */
    @Test
    void windowsKeepTheirLengthWhileTheProbedThreadsAreHeld() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        ProcessLag.ProbedThread thread = (task, delay) -> loop.schedule(task, delay, TimeUnit.NANOSECONDS);
        try (ProcessLag lag = ProcessLag.watch(List.of(thread, thread))) {
            LinkedBlockingQueue<Long> windows = new LinkedBlockingQueue<>();
            lag.onWindow(windows::add);
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            loop.execute(() -> {
                held.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            held.await(10, TimeUnit.SECONDS);
            windows.clear();
            Thread.sleep(2_000);
            List<Long> duringTheHold = new java.util.ArrayList<>();
            windows.drainTo(duringTheHold);
            release.countDown();
            // Ten windows in the 2 s; a busy machine may stretch some.
            assertTrue(duringTheHold.size() >= 2, duringTheHold.size() + " windows in 2 s");
            long last = duringTheHold.get(duringTheHold.size() - 1);
            assertTrue(last >= 1_000 * MS, "the last window of the hold reported " + last / MS + " ms");
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * A thread late at some of its probes only (as a neighbour's bursts hold a process on a shared machine) has
     * nothing queued behind it: its window reports the least lateness of its probes, not the worst. A thread whose
     * probe has been overdue for the whole window is as late as that probe.
     */
    @Test
    void aWindowIsAsLateAsTheThreadsBestProbe() {
        ProcessLag.Probed thread = new ProcessLag.Probed();
        thread.ran(60 * MS);
        thread.ran(2 * MS);
        thread.ran(55 * MS);
        thread.dueAt(1_000 * MS);
        assertEquals(2 * MS, thread.endWindow(1_050 * MS), "one probe on time: nothing queued");

        assertEquals(300 * MS, thread.endWindow(1_300 * MS), "no probe ran, the pending one is 300 ms overdue");

        thread.ran(1 * MS);
        assertEquals(1 * MS, thread.endWindow(1_400 * MS), "on time once in the window, stuck since");

        thread.dueAt(1_500 * MS);
        assertEquals(0, thread.endWindow(1_450 * MS), "nothing ran and nothing is overdue yet");
    }
}
