package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.netty.shaded.io.netty.channel.DefaultEventLoop;
import java.util.ArrayList;
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
     * A thread late at some of its probes only (here a loop held 60 ms of every 100, as a neighbour's bursts hold a
     * process on a shared machine) has nothing queued behind it: the windows, each of which saw the loop on time
     * between its holds, report little lateness, where the worst probe of each was some 50 ms late.
     */
    @Test
    void aThreadLateAtSomeOfItsProbesOnlyIsNotBehind() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        try (Scheduler scheduler = Scheduler.start(1); ProcessLag lag = ProcessLag.watch(scheduler, List.of(loop))) {
            loop.scheduleAtFixedRate(() -> {
                try {
                    Thread.sleep(60);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
            LinkedBlockingQueue<Long> windows = new LinkedBlockingQueue<>();
            lag.onWindow(windows::add);
            List<Long> seen = new ArrayList<>();
            while (seen.size() < 21) {
                Long window = windows.poll(10, TimeUnit.SECONDS);
                assertTrue(window != null, "no window in 10 s");
                seen.add(window);
            }
            seen.sort(null);
            long median = seen.get(seen.size() / 2);
            assertTrue(median < 25 * MS, "the median window reported " + median / MS + " ms: " + seen);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
