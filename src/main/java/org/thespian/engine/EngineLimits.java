package org.thespian.engine;

/**
 * Bounds on the work requests may cause, so that no config, however large or self-multiplying, can take the
 * process down.
 *
 * @param maxActionsPerRequest actions one request may start before it fails with RESOURCE_EXHAUSTED
 * @param maxBackgroundCalls   fire-and-forget calls in flight at once; past it, new ones are dropped
 * @param cpuThreads           threads that burn CPU for Cpu actions, at most the cores
 * @param memoryCapBytes       heap that Memory actions may hold at once
 * @param maxActionsInFlight   actions and peer calls in flight at once in the whole process, whatever requests
 *                             started them; past it, a new one fails with RESOURCE_EXHAUSTED
 * @param maxActionsPerTrace   actions and peer calls that a trace (a request and every call it causes, across
 *                             processes) may start; see {@link TraceBudget}
 */
public record EngineLimits(int maxActionsPerRequest, int maxBackgroundCalls, int cpuThreads, long memoryCapBytes,
        int maxActionsInFlight, long maxActionsPerTrace) {

    public static final int DEFAULT_MAX_ACTIONS_PER_REQUEST = 100_000;
    public static final int DEFAULT_MAX_BACKGROUND_CALLS = 10_000;
    /** Above what the largest config of the original format can start (a `repeat` of 10,000 calls and its action). */
    public static final long DEFAULT_MAX_ACTIONS_PER_TRACE = 100_000;

    /** Heap a Thespian needs with nothing in flight, as for THESPIAN_MAX_IN_FLIGHT. */
    private static final long BASE_HEAP_BYTES = 32L << 20;
    /** Heap one action or peer call in flight may take at worst, with its futures, span and gRPC stream. */
    private static final long HEAP_PER_ACTION_BYTES = 8L << 10;
    private static final int MIN_ACTIONS_IN_FLIGHT = 256;

    public static final EngineLimits DEFAULT = new EngineLimits(DEFAULT_MAX_ACTIONS_PER_REQUEST,
            DEFAULT_MAX_BACKGROUND_CALLS, defaultCpuThreads(), defaultMemoryCapBytes());

    public EngineLimits {
        if (maxActionsPerRequest < 1 || maxBackgroundCalls < 0 || cpuThreads < 1 || memoryCapBytes < 0
                || maxActionsInFlight < 1 || maxActionsPerTrace < 1) {
            throw new IllegalArgumentException("limits out of range: " + maxActionsPerRequest + ", "
                    + maxBackgroundCalls + ", " + cpuThreads + ", " + memoryCapBytes + ", " + maxActionsInFlight
                    + ", " + maxActionsPerTrace);
        }
    }

    /** These limits, with the default budgets in flight and per trace. */
    public EngineLimits(int maxActionsPerRequest, int maxBackgroundCalls, int cpuThreads, long memoryCapBytes) {
        this(maxActionsPerRequest, maxBackgroundCalls, cpuThreads, memoryCapBytes,
                defaultMaxActionsInFlight(Runtime.getRuntime().maxMemory()), DEFAULT_MAX_ACTIONS_PER_TRACE);
    }

    /** The same limits with room for {@code maxActionsPerRequest} actions per request. */
    public EngineLimits withMaxActionsPerRequest(int max) {
        return new EngineLimits(max, maxBackgroundCalls, cpuThreads, memoryCapBytes, maxActionsInFlight,
                maxActionsPerTrace);
    }

    /** The same limits with room for {@code max} fire-and-forget calls in flight. */
    public EngineLimits withMaxBackgroundCalls(int max) {
        return new EngineLimits(maxActionsPerRequest, max, cpuThreads, memoryCapBytes, maxActionsInFlight,
                maxActionsPerTrace);
    }

    /** The same limits with room for {@code max} actions and peer calls in flight in the process. */
    public EngineLimits withMaxActionsInFlight(int max) {
        return new EngineLimits(maxActionsPerRequest, maxBackgroundCalls, cpuThreads, memoryCapBytes, max,
                maxActionsPerTrace);
    }

    /** The same limits with a budget of {@code max} actions and peer calls per trace. */
    public EngineLimits withMaxActionsPerTrace(long max) {
        return new EngineLimits(maxActionsPerRequest, maxBackgroundCalls, cpuThreads, memoryCapBytes,
                maxActionsInFlight, max);
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

    /**
     * (max heap − 32 MiB) / 8 KiB, at least 256: 4,096 at -Xmx64m, 28,672 at 256 MiB, 520,192 at 4 GiB. A peer
     * call in flight (its futures, scope, span and gRPC stream) takes a few KiB, so the budget fills at most
     * about half the heap even when every slot holds one.
     */
    public static int defaultMaxActionsInFlight(long maxHeapBytes) {
        long actions = (maxHeapBytes - BASE_HEAP_BYTES) / HEAP_PER_ACTION_BYTES;
        return (int) Math.max(MIN_ACTIONS_IN_FLIGHT, Math.min(Integer.MAX_VALUE / 2, actions));
    }
}
