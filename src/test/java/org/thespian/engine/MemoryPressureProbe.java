package org.thespian.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run by {@link MemoryPressureTest} in a JVM of its own, so that what it does to the heap disturbs no other test
 * and starts from a heap that nothing has touched yet.
 */
final class MemoryPressureProbe {

    private MemoryPressureProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (args[0].equals("beyond-the-heap")) {
            askForMoreThanTheHeap();
        } else {
            measureResidentGrowth();
        }
    }

    /** A hold larger than the heap, with a cap that does not stop it. */
    private static void askForMoreThanTheHeap() {
        MemoryPressure memory = new MemoryPressure(Long.MAX_VALUE);
        boolean hugeGranted = memory.hold(1024).isPresent();
        long heldAfterRefusal = memory.heldBytes();
        boolean smallGranted = memory.hold(8).isPresent();
        System.out.print("1024 MiB: " + (hugeGranted ? "granted" : "refused") + ", held " + heldAfterRefusal
                + " bytes; then 8 MiB: " + (smallGranted ? "granted" : "refused") + "\n");
    }

    /** How much the process's resident memory grew by holding 64 MiB. */
    private static void measureResidentGrowth() throws IOException {
        MemoryPressure memory = new MemoryPressure(64 * MemoryPressure.BYTES_PER_MEGABYTE);
        long before = residentKibibytes();
        memory.hold(64).orElseThrow();
        System.out.print((residentKibibytes() - before) / 1024 + "\n");
    }

    private static long residentKibibytes() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("VmRSS:"))
                .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
                .findFirst()
                .orElseThrow();
    }
}
