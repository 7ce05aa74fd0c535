package org.thespian.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.thespian.config.Action;
import org.thespian.config.CallPolicy;
import org.thespian.config.Config;
import org.thespian.config.FailureCode;
import org.thespian.config.Function;
import org.thespian.config.Latency;
import org.thespian.config.Method;
import org.thespian.config.Operation;

/** One line per method for the startup log, so a glance tells which instance plays which part. */
final class ConfigSummary {

    private ConfigSummary() {
    }

    static String of(Config config) {
        List<String> parts = new ArrayList<>();
        for (Method method : Method.values()) {
            String behaviour = config.function(method).map(ConfigSummary::describe).orElse("answers OK at once");
            parts.add(method.name() + ": " + behaviour);
        }
        return String.join("; ", parts);
    }

    static String describe(Function function) {
        FunctionFacts facts = new FunctionFacts();
        double medianMs = facts.add(function);
        String text = "\"" + function.tracingName() + "\" (" + facts.actions + " actions, "
                + String.format(Locale.ROOT, "%.0f", medianMs) + " ms of sleeps and CPU on the longest path"
                + (facts.drawn ? " at the median" : "");
        if (!facts.peers.isEmpty()) {
            text += ", calls " + String.join(", ", facts.peers);
        }
        if (!facts.traits.isEmpty()) {
            text += ", " + String.join(", ", facts.traits);
        }
        return text + ")";
    }

    /**
     * Counts actions and collects peers and notable behaviours; {@link #add} returns the median time along
     * the slowest branch.
     */
    private static final class FunctionFacts implements Action.Visitor<Double> {
        int actions;
        boolean drawn;
        final Set<String> peers = new LinkedHashSet<>();
        final Set<String> traits = new LinkedHashSet<>();

        double add(Action action) {
            actions++;
            return action.accept(this);
        }

        @Override
        public Double sleep(Action.Sleep sleep) {
            sleep.failure().ifPresent(failure -> traits.add("fails "
                    + (failure.codeWeights().isEmpty() ? FailureCode.INTERNAL : failure.codeWeights().keySet())
                    + (failure.atStart() ? " at start" : "")));
            return median(sleep.latency());
        }

        @Override
        public Double callService(Action.CallService call) {
            CallPolicy policy = call.policy();
            String suffix = (policy.waitForAnswer() ? "" : " without waiting")
                    + (policy.retries().maxAttempts() > 1 ? " up to " + policy.retries().maxAttempts() + " times" : "")
                    + (policy.repeat().times() > 1 ? " x" + policy.repeat().times() : "")
                    + (policy.probability().isPresent() ? " with probability " + policy.probability().getAsDouble() : "")
                    + (policy.timeoutMs().isPresent() ? " within " + policy.timeoutMs().getAsLong() + " ms" : "")
                    + policy.hedge().map(hedge -> " hedged every " + hedge.delayMs() + " ms up to "
                            + hedge.maxAttempts() + " times").orElse("")
                    + (policy.circuitBreaker().isPresent() ? " behind a circuit breaker" : "");
            peers.add(call.peer().display() + "/" + call.method().name() + suffix);
            return 0.0;
        }

        @Override
        public Double cpu(Action.Cpu cpu) {
            traits.add("burns CPU");
            return median(cpu.latency());
        }

        @Override
        public Double memory(Action.Memory memory) {
            traits.add(memory.holdMs().isPresent() ? "holds memory" : "leaks memory");
            return 0.0;
        }

        @Override
        public Double function(Function function) {
            function.resource().ifPresent(resource -> traits.add("uses resource " + resource.name()));
            function.rateLimit().ifPresent(limit -> traits.add("rate-limited to " + limit.describe()));
            double total = 0;
            for (Operation operation : function.operations()) {
                // A group takes as long as its slowest action; a single action is a group of one.
                total += operation.actions().stream().mapToDouble(this::add).max().orElse(0);
            }
            return total;
        }

        private double median(Latency latency) {
            drawn |= !(latency instanceof Latency.Fixed);
            return latency.quantileMs(0.5);
        }
    }
}
