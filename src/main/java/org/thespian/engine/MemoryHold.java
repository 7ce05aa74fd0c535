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
        return CompletableFuture.runAsync(() -> {
            Runnable release;
            try {
                release = pressure.hold(memory.megabytes());
            } catch (MemoryPressure.Refused refused) {
                throw ActionFailure.at(memory, FailureCode.RESOURCE_EXHAUSTED, refused.getMessage());
            }
            if (memory.holdMs().isPresent()) {
                scheduler.schedule(release, TimeUnit.MILLISECONDS.toNanos(memory.holdMs().getAsLong()));
            }
        }, scheduler.continuations());
    }
}
