package org.thespian.engine;

import java.util.Locale;

/** Where a circuit breaker stands; {@link #code()} is the value of the {@code thespian.circuit.state} metric. */
public enum CircuitState {
    /** Calls go through, and their outcomes are counted. */
    CLOSED,
    /** Calls fail at once, without touching the network. */
    OPEN,
    /** A few probe calls go through; their outcome closes or re-opens the breaker. */
    HALF_OPEN;

    /** 0 closed, 1 open, 2 half-open. */
    public long code() {
        return ordinal();
    }

    /** {@code closed}, {@code open}, {@code half-open}: the span attribute's value and the logs' word. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
