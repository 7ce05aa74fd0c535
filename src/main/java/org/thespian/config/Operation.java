package org.thespian.config;

import java.util.List;

/**
 * One step of a {@link Function}: a single action, or a group of actions that run concurrently. Code that treats
 * each kind differently goes through {@link #accept}, so a new kind that some place forgets does not compile.
 */
public sealed interface Operation permits Operation.Single, Operation.Concurrent {

    /** The actions this operation starts: one, or the whole group. */
    List<Action> actions();

    <R> R accept(Visitor<R> visitor);

    /** One method per kind of operation: adding a kind adds a method every visitor must implement. */
    interface Visitor<R> {
        R single(Single single);

        R concurrent(Concurrent concurrent);
    }

    /** {@code {"Action": Action}}. */
    record Single(Action action) implements Operation {
        @Override
        public List<Action> actions() {
            return List.of(action);
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.single(this);
        }
    }

    /** {@code {"ConcurrentActions": [Action, ...]}}: all start at once; the group fails if any of them failed. */
    record Concurrent(List<Action> actions) implements Operation {
        public Concurrent {
            actions = List.copyOf(actions);
        }

        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.concurrent(this);
        }
    }
}
