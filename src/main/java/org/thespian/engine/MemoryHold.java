package org.thespian.engine;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.thespian.config.Action.Memory;
import org.thespian.config.FailureCode;

/**
 * A Memory action: allocates and touches its megabytes on the continuation pool (touching takes real time,
 * which must not stall a transport thread), then lets go of them after {@code hold_ms}, or never.
 */
final class MemoryHold {

    private MemoryHold() {
    }

    static CompletableFuture<Void> start(Memory memory, MemoryPressure pressure, Scheduler scheduler) {
        return CompletableFuture.supplyAsync(() -> pressure.hold(memory.megabytes()), scheduler.continuations())
                .thenApply(held -> {
                    Runnable release = held.orElseThrow(() -> full(memory, pressure));
                    if (memory.holdMs().isPresent()) {
                        scheduler.schedule(release, TimeUnit.MILLISECONDS.toNanos(memory.holdMs().getAsLong()));
                    }
                    return null;
                });
    }

    private static ActionFailure full(Memory memory, MemoryPressure pressure) {
        long mb = MemoryPressure.BYTES_PER_MEGABYTE;
        return ActionFailure.at(memory, FailureCode.RESOURCE_EXHAUSTED, "holding " + memory.megabytes()
                + " MB more would pass the memory cap: " + pressure.heldBytes() / mb + " of " + pressure.capBytes() / mb
                + " MB held (THESPIAN_MEMORY_CAP_MB)");
    }
}
