package org.thespian.engine;

/**
 * What the engines of one process draw on, however many servers it runs (a cast's members share one JVM): the heap
 * that Memory actions may hold (THESPIAN_MEMORY_CAP_MB) and the fire-and-forget calls in flight
 * (THESPIAN_MAX_BACKGROUND_CALLS). Each member's {@link Share} takes from these, and from caps of its own when its
 * environment sets lower ones; the CPU pool is the process's {@link Scheduler}'s.
 */
public final class ProcessBudget {

    private final MemoryPressure.Pool memory;
    private final BackgroundCalls.Pool background;

    /** The process's caps from {@code limits}; Memory actions take nothing while {@code heap} says it is nearly full. */
    public ProcessBudget(EngineLimits limits, HeapGauge heap) {
        this.memory = new MemoryPressure.Pool(limits.memoryCapBytes(), heap);
        this.background = new BackgroundCalls.Pool(limits.maxBackgroundCalls());
    }

    /**
     * One member's share: the process's caps, and its own where {@code own} sets lower ones.
     *
     * @param onDroppedCall told of each fire-and-forget call of this member dropped at a cap
     */
    public Share share(EngineLimits own, Runnable onDroppedCall) {
        return new Share(new MemoryPressure(memory, own.memoryCapBytes()),
                new BackgroundCalls(background, own.maxBackgroundCalls(), onDroppedCall));
    }

    /** Bytes held now by the Memory actions of every member. */
    long heldBytes() {
        return memory.heldBytes();
    }

    /** What one member's engine takes from. */
    public static final class Share {
        final MemoryPressure memory;
        final BackgroundCalls background;

        private Share(MemoryPressure memory, BackgroundCalls background) {
            this.memory = memory;
            this.background = background;
        }
    }
}
