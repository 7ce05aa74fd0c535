package org.thespian.engine;

import org.thespian.config.Method;
import org.thespian.config.Peer;

/** One circuit breaker of an instance, as telemetry reads it: the peer and method it guards, and its state. */
public record Circuit(Peer peer, Method method, CircuitState state) {

    /** {@code peer http://pay:6379 (thespian.Thespian/B)}, as failure messages name a peer call. */
    public String target() {
        return "peer " + peer.display() + " (" + method.fullName() + ")";
    }
}
