package org.thespian.engine;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.thespian.engine.MemoryPressure.BYTES_PER_MEGABYTE;

class MemoryPressureTest {

    @Test
    void aHoldIsAccountedUntilReleasedAndReleasingTwiceChangesNothing() throws Exception {
        MemoryPressure memory = new MemoryPressure(64 * BYTES_PER_MEGABYTE);
        Runnable release = memory.hold(16);
        assertEquals(16 * BYTES_PER_MEGABYTE, memory.heldBytes());

        release.run();
        release.run();

        assertEquals(0, memory.heldBytes());
        assertEquals(64 * BYTES_PER_MEGABYTE, memory.capBytes());
    }

    @Test
    void refusesAHoldThatWouldPassTheCap() throws Exception {
        MemoryPressure memory = new MemoryPressure(10 * BYTES_PER_MEGABYTE);
        assertThrows(MemoryPressure.Refused.class, () -> memory.hold(11));
        assertEquals(0, memory.heldBytes(), "a refused hold takes nothing");

        Runnable all = memory.hold(10);
        MemoryPressure.Refused full = assertThrows(MemoryPressure.Refused.class, () -> memory.hold(1));
        assertEquals("holding 1 MB more would pass the memory cap: 10 of 10 MB held by this process"
                + " (THESPIAN_MEMORY_CAP_MB)", full.getMessage());

        all.run();
        memory.hold(1); // released memory can be held again
    }

    @Test
    void concurrentHoldsNeverPassTheCap() throws Exception {
        int holders = 32;
        MemoryPressure memory = new MemoryPressure(64 * BYTES_PER_MEGABYTE);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(holders);
        try {
            List<Future<Optional<Runnable>>> holds = IntStream.range(0, holders)
                    .mapToObj(i -> threads.submit(() -> {
                        start.await();
                        try {
                            return Optional.of(memory.hold(8));
                        } catch (MemoryPressure.Refused refused) {
                            return Optional.<Runnable>empty();
                        }
                    }))
                    .toList();
            start.countDown();

            long granted = 0;
            for (Future<Optional<Runnable>> hold : holds) {
                granted += hold.get(30, TimeUnit.SECONDS).isPresent() ? 1 : 0;
            }
            assertEquals(8, granted, "exactly as many 8 MiB holds as fit in 64 MiB");
            assertEquals(64 * BYTES_PER_MEGABYTE, memory.heldBytes());

            for (Future<Optional<Runnable>> hold : holds) {
                hold.get().ifPresent(Runnable::run);
            }
            assertEquals(0, memory.heldBytes());
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void heldMemoryIsRealHeapThatStaysReachableUntilReleased() throws Exception {
        MemoryPressure memory = new MemoryPressure(256 * BYTES_PER_MEGABYTE);
        long before = heapUsedAfterGc();

        memory.hold(128); // the handle is dropped at once: a leak, as "hold_ms": "forever" makes
        long holding = heapUsedAfterGc();

        assertTrue(holding - before >= 120 * BYTES_PER_MEGABYTE,
                "heap grew by " + (holding - before) / BYTES_PER_MEGABYTE + " MiB");
    }

    @Test
    void releasedMemoryIsCollected() throws Exception {
        MemoryPressure memory = new MemoryPressure(256 * BYTES_PER_MEGABYTE);
        long before = heapUsedAfterGc();

        memory.hold(128).run();

        long after = heapUsedAfterGc();
        assertTrue(after - before < 64 * BYTES_PER_MEGABYTE,
                "heap still " + (after - before) / BYTES_PER_MEGABYTE + " MiB above where it was");
    }

    /**
     * A hold larger than the heap, with a cap that does not stop it, ends in an empty answer and nothing held, not
     * an OutOfMemoryError; and the heap serves the next hold.
     */
    @Test
    void anAllocationTheHeapCannotSupplyIsRefusedAndLeavesNothingHeld() throws Exception {
        assertEquals("1024 MiB: refused (the heap could not supply N MB more, though the memory cap allows it: N of N MB"
                + " held by this process (THESPIAN_MEMORY_CAP_MB), the rest of the N MB heap is in other use), held 0 bytes;"
                + " then 8 MiB: granted\n", probe("-Xmx64m", "beyond-the-heap"));
    }

    /** Every page is written, so the operating system really backs the memory: resident memory grows by the hold. */
    @Test
    void aHoldGrowsResidentMemory() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "resident memory is read from Linux's /proc");

        long grownMiB = Long.parseLong(probe("-Xmx512m", "resident-growth").strip());

        assertTrue(grownMiB >= 60, "resident memory grew by " + grownMiB + " MiB for a 64 MiB hold");
    }

    /** The output of {@link MemoryPressureProbe} run in a JVM of its own with {@code heap} and {@code mode}. */
    private static String probe(String heap, String mode) throws Exception {
        Process probe = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap, "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), MemoryPressureProbe.class.getName(), mode)
                .redirectErrorStream(true)
                .start();
        try {
            assertTrue(probe.waitFor(60, TimeUnit.SECONDS), "the probe finished");
            String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, probe.exitValue(), output);
            return output;
        } finally {
            probe.destroyForcibly();
        }
    }

    private static long heapUsedAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
