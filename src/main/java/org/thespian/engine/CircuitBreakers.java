package org.thespian.engine;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.thespian.config.Action.CallService;
import org.thespian.config.CallPolicy;
import org.thespian.config.Method;
import org.thespian.config.Peer;

/**
 * An instance's circuit breakers: one per peer and method (a config gives every call to them the same settings).
 * A config change that changes a breaker's settings starts it afresh; breakers the running config no longer has
 * are dropped, so revision after revision only the breakers in use are kept.
 */
final class CircuitBreakers {

    /** What tells one breaker from another. */
    record Key(Peer peer, Method method, CallPolicy.CircuitBreaker settings) {
    }

    private final ConcurrentHashMap<Key, CircuitBreaker> byKey = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private final ActionListener listener;

    CircuitBreakers(LongSupplier clock, ActionListener listener) {
        this.clock = clock;
        this.listener = listener;
    }

    /** The breaker of {@code call}'s peer and method, if it asks for one. */
    Optional<CircuitBreaker> of(CallService call) {
        return call.policy().circuitBreaker().map(settings -> byKey.computeIfAbsent(
                new Key(call.peer(), call.method(), settings), this::breaker));
    }

    private CircuitBreaker breaker(Key key) {
        String target = new Circuit(key.peer(), key.method(), CircuitState.CLOSED).target();
        return new CircuitBreaker(key.settings(), target, clock, (from, to, why) ->
                listener.circuitChanged(new Circuit(key.peer(), key.method(), to), from, why));
    }

    /** Keeps the breakers {@code running} has (by peer, method and settings) and drops the others. */
    void declare(Set<Key> running) {
        byKey.keySet().retainAll(running);
    }

    /** Every breaker and its state now. */
    List<Circuit> readings() {
        return byKey.entrySet().stream()
                .map(entry -> new Circuit(entry.getKey().peer(), entry.getKey().method(), entry.getValue().state()))
                .toList();
    }
}
