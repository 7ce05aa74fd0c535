package org.thespian.engine;

import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.thespian.config.Resource;

/**
 * The {@link Bulkhead} of each resource in use. A config reloaded with the same resource keeps its bulkhead, queue
 * and all; one of a resource the running config no longer declares (removed, or resized, which makes it another
 * resource) stays while calls of older revisions hold or wait for its permits, and is released once idle, so
 * revision after revision the map holds no more than the resources in use.
 */
final class Bulkheads {

    /** A place at a resource: the bulkhead to give the permit back to, and the permit (or nothing: it is full). */
    record Turn(Bulkhead bulkhead, Optional<CompletableFuture<Void>> permit) {
    }

    private final Executor wakeUps;
    private final ConcurrentHashMap<Resource, Bulkhead> byResource = new ConcurrentHashMap<>();
    /** The running config's resources; until one is declared, every bulkhead is kept. */
    private volatile Optional<Set<Resource>> declared = Optional.empty();

    Bulkheads(Executor wakeUps) {
        this.wakeUps = wakeUps;
    }

    /** A permit of {@code resource} now, a place in its queue, or nothing when the queue is full. */
    Turn acquire(Resource resource) {
        while (true) {
            Bulkhead bulkhead = byResource.computeIfAbsent(resource, r -> new Bulkhead(r, wakeUps, this::idle));
            Optional<CompletableFuture<Void>> permit = bulkhead.acquire();
            if (permit.isPresent() || !bulkhead.isReleased()) {
                return new Turn(bulkhead, permit);
            }
            // Released between the lookup and the acquire: out with it (its releaser may not have got to that yet).
            byResource.remove(resource, bulkhead);
        }
    }

    /** The resources of the config now running: the bulkheads of all others go once idle. */
    void declare(Collection<Resource> resources) {
        declared = Optional.of(Set.copyOf(resources));
        byResource.values().forEach(this::idle);
    }

    /** Bulkheads held now, idle ones of declared resources included. */
    int size() {
        return byResource.size();
    }

    private void idle(Bulkhead bulkhead) {
        Resource resource = bulkhead.resource();
        if (declared.map(current -> !current.contains(resource)).orElse(false) && bulkhead.releaseIfIdle()) {
            byResource.remove(resource, bulkhead);
        }
    }
}
