package org.thespian.config;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * Something a Thespian does: sleep (and maybe fail), call a peer, burn CPU, hold memory, or run a nested
 * function. Code that treats each kind differently goes through {@link #accept}, so a new kind that some
 * place forgets does not compile.
 */
public sealed interface Action permits Action.Sleep, Action.CallService, Action.Cpu, Action.Memory, Function {

    /** The name of this action in traces, logs and error messages. */
    String tracingName();

    /** The {@code "attributes"} the config puts on this action's span, in the order written. */
    Map<String, String> attributes();

    <R> R accept(Visitor<R> visitor);

    /** One method per kind of action: adding a kind adds a method every visitor must implement. */
    interface Visitor<R> {
        R sleep(Sleep sleep);

        R callService(CallService call);

        R function(Function function);

        R cpu(Cpu cpu);

        R memory(Memory memory);
    }

    /**
     * Waits a time drawn from {@code latency} without holding a thread; with a {@link FailureChance}, draws a
     * uniform number in [0,1) and fails when it is below the chance.
     */
    record Sleep(String tracingName, Latency latency, Optional<FailureChance> failure, Map<String, String> attributes)
            implements Action {

        public Sleep {
            attributes = Attributes.copy(attributes);
        }

        /** The original's Sleep: a duration and maybe a chance of failing with INTERNAL. */
        public Sleep(String tracingName, long durationMs, OptionalDouble failureChance) {
            this(tracingName, new Latency.Fixed(durationMs),
                    failureChance.isPresent() ? Optional.of(FailureChance.of(failureChance.getAsDouble()))
                            : Optional.empty(),
                    Map.of());
        }

        public OptionalDouble failureChance() {
            return failure.isPresent() ? OptionalDouble.of(failure.get().chance()) : OptionalDouble.empty();
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.sleep(this);
        }
    }

    /** Calls {@code method} on the Thespian at {@code peer} as {@code policy} says; a non-OK answer fails it. */
    record CallService(String tracingName, Peer peer, Method method, CallPolicy policy,
            Map<String, String> attributes) implements Action {

        public CallService {
            attributes = Attributes.copy(attributes);
        }

        /** The original's CallService: one call, waited for. */
        public CallService(String tracingName, Peer peer, Method method) {
            this(tracingName, peer, method, CallPolicy.PLAIN, Map.of());
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.callService(this);
        }
    }

    /** Burns real CPU for a time drawn from {@code latency}, on a pool no larger than the cores. */
    record Cpu(String tracingName, Latency latency, Map<String, String> attributes) implements Action {
        public Cpu {
            attributes = Attributes.copy(attributes);
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.cpu(this);
        }
    }

    /**
     * Allocates and touches {@code megabytes} MiB (1 or more) of heap and releases them after {@code holdMs}; with no
     * {@code holdMs} ({@code "forever"}) never: a leak, up to the memory cap.
     */
    record Memory(String tracingName, int megabytes, OptionalLong holdMs, Map<String, String> attributes)
            implements Action {
        public Memory {
            attributes = Attributes.copy(attributes);
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.memory(this);
        }
    }
}
