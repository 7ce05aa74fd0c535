package org.thespian.engine;

import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * Starts every member of a {@code ConcurrentActions} group at once and waits for all, as the original did; the
 * group fails with the first failure in config order, so the message does not depend on timing.
 */
final class ConcurrentGroup {

    private ConcurrentGroup() {
    }

    /** @param members starts member {@code i}; its future fails with an {@link ActionFailure} */
    static CompletableFuture<Void> run(int size, IntFunction<CompletableFuture<Void>> members) {
        @SuppressWarnings("unchecked")
        CompletableFuture<Void>[] running = new CompletableFuture[size];
        for (int i = 0; i < size; i++) {
            running[i] = members.apply(i);
        }
        return CompletableFuture.allOf(running).handle((ignored, error) -> {
            if (error == null) {
                return null;
            }
            for (CompletableFuture<Void> member : running) {
                if (member.isCompletedExceptionally()) {
                    member.join(); // throws that member's failure
                }
            }
            throw new IllegalStateException("a group failed with no failed member", error);
        });
    }
}
