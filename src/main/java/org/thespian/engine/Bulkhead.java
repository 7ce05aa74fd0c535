package org.thespian.engine;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.thespian.config.Resource;

/**
 * The permits of one {@link Resource}: at most {@code max_concurrent} holders, up to {@code queue} waiting in
 * arrival order, and no room beyond that. Waiters are woken on the continuation pool, never on the releasing
 * thread, so a long queue of quick functions does not nest their stacks.
 */
final class Bulkhead {

    private final Resource resource;
    private final Executor wakeUps;
    private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private int holders;

    Bulkhead(Resource resource, Executor wakeUps) {
        this.resource = resource;
        this.wakeUps = wakeUps;
    }

    /**
     * A permit now (a completed future), a place in the queue (completed once a permit is free; cancel it to
     * leave the queue), or nothing when the queue is full.
     */
    synchronized Optional<CompletableFuture<Void>> acquire() {
        if (holders < resource.maxConcurrent()) {
            holders++;
            return Optional.of(CompletableFuture.completedFuture(null));
        }
        if (waiting.size() >= resource.queue()) {
            return Optional.empty();
        }
        CompletableFuture<Void> permit = new CompletableFuture<>();
        waiting.add(permit);
        return Optional.of(permit);
    }

    /** Hands the released permit to the first waiter still waiting, or frees it. */
    void release() {
        CompletableFuture<Void> next;
        synchronized (this) {
            do {
                next = waiting.poll();
            } while (next != null && next.isDone());
            if (next == null) {
                holders--;
                return;
            }
        }
        CompletableFuture<Void> woken = next;
        wakeUps.execute(() -> {
            if (!woken.complete(null)) {
                release(); // it gave up meanwhile: the permit goes on
            }
        });
    }

    /** Leaves the queue; false when the permit was already granted (and must then be released). */
    boolean giveUp(CompletableFuture<Void> permit) {
        synchronized (this) {
            waiting.remove(permit);
        }
        return permit.cancel(false);
    }

    synchronized int waitingCount() {
        return waiting.size();
    }
}
