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
        String huge = outcome(memory, 1024);
        long heldAfterRefusal = memory.heldBytes();
        System.out.print("1024 MiB: " + huge + ", held " + heldAfterRefusal + " bytes; then 8 MiB: "
                + outcome(memory, 8) + "\n");
    }

    private static String outcome(MemoryPressure memory, int megabytes) {
        try {
            memory.hold(megabytes);
            return "granted";
        } catch (MemoryPressure.Refused refused) {
            return "refused (" + refused.getMessage().replaceAll("[0-9]+", "N") + ")";
        }
    }

    /** How much the process's resident memory grew by holding 64 MiB. */
    private static void measureResidentGrowth() throws IOException {
        MemoryPressure memory = new MemoryPressure(64 * MemoryPressure.BYTES_PER_MEGABYTE);
        long before = residentKibibytes();
        try {
            memory.hold(64);
        } catch (MemoryPressure.Refused refused) {
            throw new AssertionError(refused.getMessage());
        }
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
