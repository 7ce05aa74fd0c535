package org.thespian.engine;

/**
 * Bounds on the work requests may cause, so that no config, however large or self-multiplying, can take the
 * process down.
 *
 * @param maxActionsPerRequest actions one request may start before it fails with RESOURCE_EXHAUSTED
 * @param maxBackgroundCalls   fire-and-forget calls in flight at once; past it, new ones are dropped
 * @param cpuThreads           threads that burn CPU for Cpu actions, at most the cores
 * @param memoryCapBytes       heap that Memory actions may hold at once
 */
public record EngineLimits(int maxActionsPerRequest, int maxBackgroundCalls, int cpuThreads, long memoryCapBytes) {

    public static final int DEFAULT_MAX_ACTIONS_PER_REQUEST = 100_000;
    public static final int DEFAULT_MAX_BACKGROUND_CALLS = 10_000;

    public static final EngineLimits DEFAULT = new EngineLimits(DEFAULT_MAX_ACTIONS_PER_REQUEST,
            DEFAULT_MAX_BACKGROUND_CALLS, defaultCpuThreads(), defaultMemoryCapBytes());

    public EngineLimits {
        if (maxActionsPerRequest < 1 || maxBackgroundCalls < 0 || cpuThreads < 1 || memoryCapBytes < 0) {
            throw new IllegalArgumentException("limits out of range: " + maxActionsPerRequest + ", "
                    + maxBackgroundCalls + ", " + cpuThreads + ", " + memoryCapBytes);
        }
    }

    /** The same limits with room for {@code maxActionsPerRequest} actions per request. */
    public EngineLimits withMaxActionsPerRequest(int max) {
        return new EngineLimits(max, maxBackgroundCalls, cpuThreads, memoryCapBytes);
    }

    /** The same limits with room for {@code max} fire-and-forget calls in flight. */
    public EngineLimits withMaxBackgroundCalls(int max) {
        return new EngineLimits(maxActionsPerRequest, max, cpuThreads, memoryCapBytes);
    }

    public static int defaultCpuThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * A quarter of the maximum heap, in whole megabytes as {@code THESPIAN_MEMORY_CAP_MB} gives it (a heap is not
     * always a whole number of them): enough to show pressure, far from an OutOfMemoryError.
     */
    public static long defaultMemoryCapBytes() {
        return Math.min(wholeMegabytes(Runtime.getRuntime().maxMemory() / 4), maxMemoryCapBytes());
    }

    /** Heap that the memory cap leaves to the rest of the process (classes, gRPC, calls in flight) at the least. */
    static final long HEAP_MARGIN_BYTES = 32L << 20;

    /**
     * The highest memory cap: three quarters of the maximum heap and 32 MiB less than all of it, so that the cap
     * refuses a hold before the heap runs out (with {@code -XX:+ExitOnOutOfMemoryError} an OutOfMemoryError ends
     * the process, even one a Memory action would have caught): about 30 MiB at -Xmx64m, 768 MiB at 1 GiB.
     */
    public static long maxMemoryCapBytes() {
        long heap = Runtime.getRuntime().maxMemory();
        return wholeMegabytes(Math.max(0, Math.min(heap / 4 * 3, heap - HEAP_MARGIN_BYTES)));
    }

    private static long wholeMegabytes(long bytes) {
        long megabyte = 1024 * 1024;
        return bytes / megabyte * megabyte;
    }
}
