package org.thespian.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.thespian.config.Action;
import org.thespian.config.Config;
import org.thespian.config.Function;
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

    private static String describe(Function function) {
        Tally tally = new Tally();
        long longestSleepMs = tally.add(function);
        String text = "\"" + function.tracingName() + "\" (" + tally.actions + " actions, "
                + longestSleepMs + " ms of sleeps on the longest path";
        if (!tally.peers.isEmpty()) {
            text += ", calls " + String.join(", ", tally.peers);
        }
        return text + ")";
    }

    /** Counts actions and collects peers; {@link #add} returns the sleep time along the slowest branch. */
    private static final class Tally implements Action.Visitor<Long> {
        int actions;
        final Set<String> peers = new LinkedHashSet<>();

        long add(Action action) {
            actions++;
            return action.accept(this);
        }

        @Override
        public Long sleep(Action.Sleep sleep) {
            return sleep.durationMs();
        }

        @Override
        public Long callService(Action.CallService call) {
            peers.add(call.peer().display() + "/" + call.method().name());
            return 0L;
        }

        @Override
        public Long function(Function function) {
            long total = 0;
            for (Operation operation : function.operations()) {
                // A group takes as long as its slowest action; a single action is a group of one.
                total += operation.actions().stream().mapToLong(this::add).max().orElse(0);
            }
            return total;
        }
    }
}
