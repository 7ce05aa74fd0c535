package org.thespian.engine;

import java.util.List;
import java.util.function.Supplier;

/**
 * The seam through which telemetry follows the engine: each request's scope, in which the engine begins a scope per
 * action ({@link ActionScope#begin}) and reports how it ended, and the circuit breakers. It never changes what the
 * engine does.
 */
@FunctionalInterface
public interface ActionListener {

    /** The scope of the request being handled on the calling thread; the parent of the method's function. */
    ActionScope requestScope();

    /**
     * A circuit breaker of this instance went from {@code from} to {@code circuit}'s state, for the reason
     * {@code why}; the scope of the call that moved it is entered.
     */
    default void circuitChanged(Circuit circuit, CircuitState from, String why) {
    }

    /** How to read the circuit breakers of the engine that reports to this listener, whenever it wants to. */
    default void watchCircuits(Supplier<List<Circuit>> circuits) {
    }

    ActionListener NONE = () -> ActionScope.NONE;
}
