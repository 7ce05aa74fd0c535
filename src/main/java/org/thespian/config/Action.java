package org.thespian.config;

import java.util.OptionalDouble;

/** Something a Thespian does: sleep (and maybe fail), call a peer, or run a nested function. */
public sealed interface Action permits Action.Sleep, Action.CallService, Function {

    /** The name of this action in traces, logs and error messages. */
    String tracingName();

    /**
     * Waits {@code durationMs} without holding a thread; then, if a failure chance is given, draws a uniform
     * number in [0,1) and fails when it is below the chance.
     */
    record Sleep(String tracingName, long durationMs, OptionalDouble failureChance) implements Action {
    }

    /** Calls {@code method} on the Thespian at {@code peer}; a non-OK answer makes the action fail. */
    record CallService(String tracingName, Peer peer, Method method) implements Action {
    }
}
