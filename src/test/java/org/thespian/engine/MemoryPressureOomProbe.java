package org.thespian.engine;

/** Run by {@link MemoryPressureTest} in a JVM with a small heap: asks for more than the heap holds. */
final class MemoryPressureOomProbe {

    private MemoryPressureOomProbe() {
    }

    public static void main(String[] args) {
        MemoryPressure memory = new MemoryPressure(Long.MAX_VALUE);
        boolean hugeGranted = memory.hold(1024).isPresent();
        boolean smallGranted = memory.hold(8).isPresent();
        System.out.print("1024 MiB: " + (hugeGranted ? "granted" : "refused") + ", held " + (smallGranted
                ? memory.heldBytes() - 8 * MemoryPressure.BYTES_PER_MEGABYTE : memory.heldBytes())
                + " bytes; then 8 MiB: " + (smallGranted ? "granted" : "refused") + "\n");
    }
}
