package org.thespian.engine;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.thespian.config.Resource;

/**
 * The permits of one {@link Resource}: at most {@code max_concurrent} holders, up to {@code queue} waiting in
 * arrival order, and no room beyond that. Waiters are woken on the continuation pool, never on the releasing
 * thread, so a long queue of quick functions does not nest their stacks. Once released ({@link #releaseIfIdle}) it
 * takes no one: its resource gets a new bulkhead.
 */
final class Bulkhead {

    private final Resource resource;
    private final Executor wakeUps;
    /** Told whenever the last permit comes back with nobody waiting. */
    private final Consumer<Bulkhead> onIdle;
    private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private int holders;
    private boolean released;

    Bulkhead(Resource resource, Executor wakeUps, Consumer<Bulkhead> onIdle) {
        this.resource = resource;
        this.wakeUps = wakeUps;
        this.onIdle = onIdle;
    }

    Resource resource() {
        return resource;
    }

    /**
     * A permit now (a completed future), a place in the queue (completed once a permit is free; cancel it to
     * leave the queue), or nothing when the queue is full or the bulkhead was released.
     */
    synchronized Optional<CompletableFuture<Void>> acquire() {
        if (released) {
            return Optional.empty();
        }
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
        boolean idle = false;
        synchronized (this) {
            do {
                next = waiting.poll();
            } while (next != null && next.isDone());
            if (next == null) {
                holders--;
                idle = holders == 0;
            }
        }
        if (next == null) {
            if (idle) {
                onIdle.accept(this);
            }
            return;
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

    /** Takes no one from now on, if nobody holds or waits for a permit; whether it is released. */
    synchronized boolean releaseIfIdle() {
        if (holders == 0 && waiting.isEmpty()) {
            released = true;
        }
        return released;
    }

    synchronized boolean isReleased() {
        return released;
    }
}
