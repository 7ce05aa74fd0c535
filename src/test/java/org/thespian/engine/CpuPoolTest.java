package org.thespian.engine;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuPoolTest {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Test
    void aBurnUsesItsDurationOfCpuTimeOnADaemonPoolThread() {
        AtomicReference<Thread> burner = new AtomicReference<>();
        BooleanSupplier recordThread = () -> {
            burner.set(Thread.currentThread());
            return false;
        };
        try (CpuPool pool = new CpuPool(1, 0)) {
            await(pool.burn(TimeUnit.MILLISECONDS.toNanos(2), recordThread).orElseThrow());
            Thread thread = burner.get();
            long cpuBefore = THREADS.getThreadCpuTime(thread.getId());
            long wallBefore = System.nanoTime();

            await(pool.burn(TimeUnit.MILLISECONDS.toNanos(200), recordThread).orElseThrow());

            double cpuMs = (THREADS.getThreadCpuTime(thread.getId()) - cpuBefore) / 1e6;
            double wallMs = (System.nanoTime() - wallBefore) / 1e6;
            assertTrue(cpuMs >= 200 && cpuMs < 220, "burnt " + cpuMs + " ms of CPU for 200 ms");
            assertTrue(wallMs >= 200, "took " + wallMs + " ms");
            assertNotSame(Thread.currentThread(), thread);
            assertTrue(thread.isDaemon(), "pool threads never keep the JVM alive");
            assertEquals(1, pool.threads());
        }
    }

    @Test
    void refusesABurnWhenQueueLimitBurnsAreWaiting() {
        AtomicBoolean stop = new AtomicBoolean();
        try (CpuPool pool = new CpuPool(1, 2)) {
            List<CompletableFuture<Void>> accepted = IntStream.range(0, 3)
                    .mapToObj(i -> pool.burn(TimeUnit.SECONDS.toNanos(60), stop::get).orElseThrow())
                    .toList();

            assertEquals(Optional.empty(), pool.burn(1, () -> false), "one running and two waiting: full");

            stop.set(true);
            accepted.forEach(burn -> assertThrows(CancellationException.class, () -> await(burn)));
            await(pool.burn(1, () -> false).orElseThrow());
        }
    }

    @Test
    void cancellationStopsABurnWithinMilliseconds() {
        AtomicBoolean cancelled = new AtomicBoolean();
        try (CpuPool pool = new CpuPool(1, 0)) {
            CompletableFuture<Void> burn = pool.burn(TimeUnit.SECONDS.toNanos(60), cancelled::get).orElseThrow();
            sleep(50);
            long cancelledAt = System.nanoTime();
            cancelled.set(true);

            assertThrows(CancellationException.class, () -> await(burn));
            double stoppedAfterMs = (System.nanoTime() - cancelledAt) / 1e6;
            assertTrue(stoppedAfterMs < 1000, "stopped " + stoppedAfterMs + " ms after the cancellation");
        }
    }

    @Test
    void closingCancelsRunningAndWaitingBurnsAndRefusesNewOnes() {
        CpuPool pool = new CpuPool(1, 1);
        CompletableFuture<Void> running = pool.burn(TimeUnit.SECONDS.toNanos(60), () -> false).orElseThrow();
        CompletableFuture<Void> waiting = pool.burn(TimeUnit.SECONDS.toNanos(60), () -> false).orElseThrow();

        pool.close();

        assertThrows(CancellationException.class, () -> await(running));
        assertThrows(CancellationException.class, () -> await(waiting));
        assertEquals(Optional.empty(), pool.burn(1, () -> false));
    }

    @Test
    void aFailingCancellationCheckFailsTheBurnAndFreesItsSlot() {
        try (CpuPool pool = new CpuPool(1, 0)) {
            CompletableFuture<Void> burn = pool.burn(TimeUnit.SECONDS.toNanos(60), () -> {
                throw new IllegalStateException("request gone");
            }).orElseThrow();

            CompletionException failure = assertThrows(CompletionException.class, () -> await(burn));
            assertEquals("request gone", failure.getCause().getMessage());
            await(pool.burn(1, () -> false).orElseThrow());
        }
    }

    @Test
    void rejectsImpossibleSizes() {
        assertThrows(IllegalArgumentException.class, () -> new CpuPool(0, 10));
        assertThrows(IllegalArgumentException.class, () -> new CpuPool(1, -1));
        try (CpuPool pool = new CpuPool(1, 0)) {
            assertThrows(IllegalArgumentException.class, () -> pool.burn(-1, () -> false));
            assertFalse(pool.burn(0, () -> false).isEmpty());
        }
    }

    private static void await(CompletableFuture<Void> burn) {
        assertTimeoutPreemptively(PATIENCE, () -> burn.join());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
