package org.thespian.config;

import java.util.OptionalDouble;

/**
 * Something a Thespian does: sleep (and maybe fail), call a peer, or run a nested function. Code that treats
 * each kind differently goes through {@link #accept}, so a new kind that some place forgets does not compile.
 */
public sealed interface Action permits Action.Sleep, Action.CallService, Function {

    /** The name of this action in traces, logs and error messages. */
    String tracingName();

    <R> R accept(Visitor<R> visitor);

    /** One method per kind of action: adding a kind adds a method every visitor must implement. */
    interface Visitor<R> {
        R sleep(Sleep sleep);

        R callService(CallService call);

        R function(Function function);
    }

    /**
     * Waits {@code durationMs} without holding a thread; then, if a failure chance is given, draws a uniform
     * number in [0,1) and fails when it is below the chance.
     */
    record Sleep(String tracingName, long durationMs, OptionalDouble failureChance) implements Action {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.sleep(this);
        }
    }

    /** Calls {@code method} on the Thespian at {@code peer}; a non-OK answer makes the action fail. */
    record CallService(String tracingName, Peer peer, Method method) implements Action {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.callService(this);
        }
    }
}
