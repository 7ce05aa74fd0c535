package org.thespian.config;

import java.util.List;

/** One step of a {@link Function}: a single action, or a group of actions that run concurrently. */
public sealed interface Operation {

    /** The actions this operation starts: one, or the whole group. */
    List<Action> actions();

    /** {@code {"Action": Action}}. */
    record Single(Action action) implements Operation {
        @Override
        public List<Action> actions() {
            return List.of(action);
        }
    }

    /** {@code {"ConcurrentActions": [Action, ...]}}: all start at once; the group fails if any of them failed. */
    record Concurrent(List<Action> actions) implements Operation {
        public Concurrent {
            actions = List.copyOf(actions);
        }
    }
}
